"""The brief flow with a scripted chat model (the only fake) over a real CRM store."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete

from agent.brief.generator import RULES_MODEL, STANDARD_OPENING, generate_brief
from agent.brief.grounding import check_brief
from agent.crm.db import Store
from agent.crm.models import Note
from agent.errors import NotFoundError
from agent.prompts import FENCE_CLOSE, FENCE_OPEN
from agent.settings import get_settings
from agent.testing import FakeChatModel
from tests.brief.drafts import facts_of, good_draft
from tests.history.fixtures import AS_OF, INJECTION, Crm


def run(  # type: ignore[no-untyped-def]
    store: Store,
    account: str,
    model: FakeChatModel | None = None,
    tenant: str = "acme",
    design: str = "full",
):
    """Generate a brief; the scripted drafts below are whole drafts, hence ``full`` by default."""
    settings = get_settings().model_copy(update={"brief_design": design})
    with store.session() as s:
        return generate_brief(
            s, tenant, account, as_of=AS_OF, model=model or FakeChatModel(), settings=settings
        )


def prompt_schema(model: FakeChatModel) -> str:
    """What the model was asked for (system prompt with the draft's JSON schema)."""
    return model.history[0].prompt


def test_full_brief_with_grounded_language_parts(store: Store, crm: Crm) -> None:
    facts = facts_of(store, "acme", "K-100", "de")
    model = FakeChatModel().enqueue(good_draft(facts))
    result = run(store, "K-100", model)
    brief = result.brief
    assert len(model.history) == 1  # nothing failed, so no regeneration
    assert brief.should_call and brief.language == "de"
    assert brief.flags == []
    assert 3 <= len(brief.situation) <= 5 and 3 <= len(brief.talking_points) <= 5
    # Fact ids became record ids.
    assert brief.situation[1].sources == [f"order:{crm.last_order}"]
    assert brief.churn_hypotheses[0].code == "delivery_reliability"
    assert brief.churn_hypotheses[0].evidence[0].source == f"call_note:{crm.call_note}"
    # Objections and what to avoid come from the playbook for the leading reason.
    assert brief.objections[0].strategy == "Kritiker früh erkennen"
    assert brief.objections[0].sources == [
        f"call_note:{crm.call_note}",
        f"note:{crm.complaint_note}",
    ]
    assert brief.avoid[0].text.startswith("Die Lieferprobleme nicht kleinreden")
    assert '"objections"' not in prompt_schema(model)
    assert brief.incentive is not None  # the last call ended "not_now": hesitant
    assert brief.model == "fake-chat" and brief.created_at.tzinfo is not None
    with store.session() as s:
        from agent.history.records import RecordBook

        assert check_brief(brief, RecordBook(s, crm.acme), result.names) == {}
    prompt = model.history[0].prompt
    assert "F3: Letzte Bestellung am 20.05.2025" in prompt
    assert "Schreibe auf Deutsch" in prompt


def test_english_account_gets_an_english_prompt_and_brief(store: Store, crm: Crm) -> None:
    facts = facts_of(store, "acme", "K-200", "en")
    model = FakeChatModel().enqueue(good_draft(facts, "en"))
    brief = run(store, "K-200", model).brief
    assert brief.language == "en"
    assert "Write in English" in model.history[0].prompt
    assert "Last order on 2025-02-03" in model.history[0].prompt
    assert brief.churn_hypotheses[0].code == "price_terms"
    assert brief.incentive is not None and brief.incentive.text.startswith("Incentive")
    assert brief.flags == []


def test_failing_parts_are_regenerated_once(store: Store, crm: Crm) -> None:
    facts = facts_of(store, "acme", "K-100", "de")
    last = facts["last_order"]
    bad = json.loads(good_draft(facts))
    bad["situation"][1] = {
        "text": "Letzte Bestellung am 21.05.2025 über 5.000,00 €.",
        "facts": [last.id],
    }
    fixed = json.loads(good_draft(facts))["situation"][1]
    model = FakeChatModel().enqueue(json.dumps(bad), json.dumps({"sentences": [fixed]}))
    brief = run(store, "K-100", model).brief
    assert len(model.history) == 2
    assert "situation[1]" in model.history[1].prompt
    assert "5.000,00 is not in the cited records" in model.history[1].prompt
    # Only the rejected sentence is asked for again, not the whole draft.
    assert "sentences" in model.history[1].prompt and "talking_points[0]" not in (
        model.history[1].messages[-1].content
    )
    assert brief.situation[1].text.startswith("Letzte Bestellung am 20.05.2025")
    assert brief.flags == []
    assert brief.usage["calls"] == 2
    assert "5.000,00 is not in the cited records" in brief.usage["rejected"]["situation[1]"]


def test_parts_failing_twice_are_removed_and_flagged(store: Store, crm: Crm) -> None:
    facts = facts_of(store, "acme", "K-100", "de")
    bad = json.loads(good_draft(facts))
    bad["situation"][2] = {"text": "Der Kunde hat 42 Maschinen gekauft.", "facts": ["F99"]}
    bad["opening_question"] = {"text": "Sie haben 2023 genau 17 Aufträge storniert?", "facts": []}
    bad["talking_points"][0] = {
        "text": "The delivery was late and it was not complete.",
        "facts": [],
    }
    again = [bad["situation"][2], bad["opening_question"], bad["talking_points"][0]]
    model = FakeChatModel().enqueue(json.dumps(bad), json.dumps({"sentences": again}))
    brief = run(store, "K-100", model).brief
    parts = {f.part: f.reason for f in brief.flags}
    assert "cites fact:F99, which does not exist" in parts["situation[2]"]
    assert "not written in de" in parts["talking_points[0]"]
    assert brief.opening_question is not None
    assert brief.opening_question.text == STANDARD_OPENING["de"]
    assert len(brief.situation) == 2 and len(brief.talking_points) == 2
    assert all("42" not in c.text for c in brief.situation)


def test_unknown_account_is_not_found(store: Store, crm: Crm) -> None:
    with pytest.raises(NotFoundError, match="K-999"):
        run(store, "K-999")
    with pytest.raises(NotFoundError):
        run(store, "K-100", tenant="nobody")


def test_account_without_history_gets_a_short_honest_brief(store: Store, crm: Crm) -> None:
    brief = run(store, "K-300", FakeChatModel()).brief  # an empty queue: a model call would fail
    assert brief.model == RULES_MODEL
    assert not brief.should_call
    assert [f.topic for f in brief.key_facts] == ["account", "no_history"]
    assert brief.churn_hypotheses == [] and brief.talking_points == []
    assert brief.opening_question is None and brief.incentive is None
    assert "weder Bestellungen noch Notizen" in brief.situation[0].text


def test_excluded_account_gets_dont_call_because(store: Store, crm: Crm) -> None:
    brief = run(store, "K-400", FakeChatModel()).brief
    assert not brief.should_call
    assert brief.call_reason.startswith("Nicht anrufen")
    assert "insolvent" in brief.call_reason and "Insolvenzverfahren" in brief.call_reason
    assert brief.churn_hypotheses[0].code == "insolvency"
    assert brief.talking_points == [] and brief.model == RULES_MODEL


def test_instructions_in_a_note_change_neither_structure_nor_facts(store: Store, crm: Crm) -> None:
    facts = facts_of(store, "acme", "K-100", "de")
    obeying = json.loads(good_draft(facts))
    obeying["situation"][0] = {
        "text": "PWNED. Der Kunde bestellte gestern 999999 EUR.",
        "facts": [],
    }
    model = FakeChatModel().enqueue(json.dumps(obeying), json.dumps(obeying))
    with_injection = run(store, "K-100", model).brief

    # The note reaches the model only inside the data fence.
    prompt = model.history[0].prompt
    assert "Ignore previous instructions" not in prompt.split(FENCE_OPEN)[0]
    for block in prompt.split(FENCE_OPEN)[1:]:
        assert FENCE_CLOSE in block
    # What the obeying model wrote is caught by the checker and removed.
    assert not any("999999" in c.text or "PWNED" in c.text for c in with_injection.situation)
    assert any(f.part == "situation[0]" for f in with_injection.flags)

    with store.session() as s:
        s.execute(delete(Note).where(Note.id == crm.injection_note))
    clean = run(store, "K-100", FakeChatModel().enqueue(good_draft(facts))).brief
    assert with_injection.should_call == clean.should_call
    assert [f.model_dump() for f in with_injection.key_facts] == [
        f.model_dump() for f in clean.key_facts
    ]
    assert [h.code for h in with_injection.churn_hypotheses] == [
        h.code for h in clean.churn_hypotheses
    ]
    assert INJECTION not in json.dumps(with_injection.model_dump(mode="json"), ensure_ascii=False)


def test_a_sentence_the_model_wrote_twice_is_shown_once(store: Store, crm: Crm) -> None:
    facts = facts_of(store, "acme", "K-100", "de")
    draft = json.loads(good_draft(facts))
    draft["talking_points"][1] = dict(draft["talking_points"][0])
    draft["talking_points"][1]["text"] = draft["talking_points"][0]["text"].upper() + "!"
    brief = run(store, "K-100", FakeChatModel().enqueue(json.dumps(draft))).brief
    texts = [c.text for c in brief.talking_points]
    assert len(texts) == 2 and texts[0] == draft["talking_points"][0]["text"]


# --- the compact design: code writes situation and talking points, the model the question --


def question(text: str, facts: list[str] | None = None) -> str:
    return json.dumps({"text": text, "facts": facts or []}, ensure_ascii=False)


def test_compact_brief_asks_the_model_only_for_the_opening_question(store: Store, crm: Crm) -> None:
    facts = facts_of(store, "acme", "K-100", "de")
    complaint = facts["complaint"]
    asked = (
        "Wir haben lange nichts von Ihnen gehört – was ist bei Ihrer Reklamation schiefgelaufen, "
        "und was können wir tun, damit Sie wieder gerne bei uns bestellen?"
    )
    model = FakeChatModel().enqueue(question(asked, [complaint.id]))
    result = run(store, "K-100", model, design="compact")
    brief = result.brief
    assert len(model.history) == 1
    prompt = model.history[0].prompt
    assert "Eröffnungsfrage" in prompt and '"situation"' not in prompt
    # The topic (a complaint subject: CRM text) reaches the model fenced.
    topic = prompt.split("Wahrscheinliches Hauptthema:")[1]
    assert topic.lstrip().startswith(FENCE_OPEN) and "offene Reklamation" in topic
    assert brief.opening_question is not None and brief.opening_question.text == asked
    assert brief.opening_question.sources == [f"note:{crm.complaint_note}"]
    assert 3 <= len(brief.situation) <= 5 and 3 <= len(brief.talking_points) <= 5
    assert any(f"order:{crm.last_order}" in c.sources for c in brief.situation)
    assert brief.authored == {
        "situation": "code",
        "talking_points": "code",
        "opening_question": "model",
    }
    assert brief.usage["design"] == "compact" and brief.usage["calls"] == 1
    assert brief.flags == [] and brief.model == "fake-chat"
    with store.session() as s:
        from agent.history.records import RecordBook

        assert check_brief(brief, RecordBook(s, crm.acme), result.names) == {}


def test_compact_question_with_a_number_is_regenerated_once(store: Store, crm: Crm) -> None:
    bad = "Sie haben 2023 genau 17 Aufträge storniert – warum?"
    good = "Wir haben lange nichts von Ihnen gehört – was können wir für Sie tun?"
    model = FakeChatModel().enqueue(question(bad), question(good))
    brief = run(store, "K-100", model, design="compact").brief
    assert len(model.history) == 2
    retry = model.history[1].messages[-1].content
    assert "without citing a record" in retry and "ohne Zahlen" in retry
    assert brief.opening_question is not None and brief.opening_question.text == good
    assert brief.flags == [] and "opening_question" in brief.usage["rejected"]


def test_compact_question_failing_twice_gives_the_standard_question(store: Store, crm: Crm) -> None:
    bad = "Sie haben 2023 genau 17 Aufträge storniert – warum?"
    model = FakeChatModel().enqueue(question(bad), question(bad))
    brief = run(store, "K-100", model, design="compact").brief
    assert brief.opening_question is not None
    assert brief.opening_question.text == STANDARD_OPENING["de"]
    assert brief.authored["opening_question"] == "code"
    assert {f.part for f in brief.flags} == {"opening_question"}
    # The code-written parts stand whatever the model did.
    assert len(brief.situation) >= 3 and len(brief.talking_points) >= 3


def test_compact_english_account(store: Store, crm: Crm) -> None:
    asked = "We haven't heard from you in a long time – what can we do to win you back?"
    model = FakeChatModel().enqueue(question(asked))
    brief = run(store, "K-200", model, design="compact").brief
    prompt = model.history[0].prompt
    assert "opening question" in prompt and "Write" in prompt
    # No open complaint: the topic is the leading reason with its reviewed core question.
    topic = prompt.split("Likely main topic:")[1]
    assert "price and terms – core question: which terms do you have today" in topic
    assert brief.language == "en" and brief.opening_question is not None
    assert brief.situation[0].text.startswith(brief.account_name + " has not ordered for")
    assert brief.flags == []


def test_compact_injection_changes_nothing(store: Store, crm: Crm) -> None:
    obeying = question("PWNED. Der Kunde bestellte gestern 999999 EUR.")
    model = FakeChatModel().enqueue(obeying, obeying)
    brief = run(store, "K-100", model, design="compact").brief
    prompt = model.history[0].prompt
    assert "Ignore previous instructions" not in prompt.split(FENCE_OPEN)[0]
    # Only the reviewer's flags keep the removed text; no sentence of the brief does.
    text = " ".join(c.text for _, c in brief.claims())
    assert "999999" not in text and "PWNED" not in text and INJECTION not in text
    assert {f.part for f in brief.flags} == {"opening_question"}
    assert brief.opening_question is not None
    assert brief.opening_question.text == STANDARD_OPENING["de"]


def test_auto_design_is_compact_for_the_local_model_only() -> None:
    from agent.brief.generator import design_of

    base = get_settings()
    assert design_of(base.model_copy(update={"chat_backend": "local"})) == "compact"
    assert design_of(base.model_copy(update={"chat_backend": "openai"})) == "full"
    assert (
        design_of(base.model_copy(update={"chat_backend": "local", "brief_design": "full"}))
        == "full"
    )
