"""The learned design's decisions: thresholds, evidence, the guidelines' rules, the summary."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from agent.analysis.bank import labels
from agent.analysis.classifier import Calibrator
from agent.analysis.learned import LearnedAnalysis
from agent.analysis.model import CHAIN, AnalysisModel, CallScores, Thresholds, view
from agent.analysis.schema import CallInput, Turn
from agent.analysis.support import claims
from agent.codes import REASON_CODES

TURNS = [
    Turn(speaker="rep", text="Guten Tag Frau Berg, warum bestellen Sie nicht mehr?"),  # 0
    Turn(speaker="customer", text="Die Lieferungen kamen dreimal zu spät. Und teuer war es."),
    Turn(
        speaker="rep",
        text="Ich gebe Ihnen zehn Prozent Rabatt. Ich schicke Ihnen bis Freitag ein Angebot.",
    ),  # fmt: skip
    Turn(
        speaker="customer",
        text="Gut. Ich rufe Sie am Dienstag an. Und fünfzig Prozent Rabatt auf alles wären schön.",
    ),  # fmt: skip
]
CALL = CallInput(turns=TURNS, call_date=date(2026, 1, 14), language="de")  # a Wednesday


def model(**thresholds: float) -> AnalysisModel:
    flat = Calibrator(np.zeros(3), 0.0)
    return AnalysisModel({}, flat, flat, {s: flat for s in CHAIN},
                         thresholds=Thresholds(**thresholds))  # fmt: skip


def sentence_index(v, text: str) -> int:
    return next(i for i, s in enumerate(v.sentences) if s.text.startswith(text))


def scores(v, reasons: dict[str, float], steps: dict[str, float], outcomes: dict[str, float],
           sentence_hits: dict[tuple[str, str], str]) -> CallScores:  # fmt: skip
    """Scores as a model would give them; ``sentence_hits`` marks (task, label) -> sentence."""
    n = len(v.sentences)
    probs = {task: np.zeros((n, len(labels(task)))) for task in ("reason", "signal", "step")}
    for task in probs:
        probs[task][:, 0] = 1.0
    for (task, label), start in sentence_hits.items():
        i = sentence_index(v, start)
        probs[task][i, 0] = 0.1
        probs[task][i, labels(task).index(label)] = 0.9
    return CallScores(
        sentence=probs,
        reasons={c: reasons.get(c, 0.0) for c in REASON_CODES},
        steps={s: steps.get(s, 0.0) for s in labels("step")[1:]},
        signals={},
        outcomes={
            **{
                o: 0.0
                for o in (
                    "not_reached",
                    "disqualified",
                    "reactivated",
                    "lost",
                    "follow_up",
                    "not_now",
                )
            },
            **outcomes,
        },  # fmt: skip
    )


HITS = {
    ("reason", "delivery_reliability"): "Die Lieferungen",
    ("reason", "price_terms"): "Und teuer",
    ("signal", "step"): "Ich schicke Ihnen",
    ("step", "send_offer"): "Ich schicke Ihnen",
    ("step", "offer_incentive"): "Ich gebe Ihnen",
    ("step", "schedule_call"): "Ich rufe Sie",
}


def test_asserted_and_uncertain_fields_with_verbatim_evidence() -> None:
    v = view(TURNS, "de")
    s = scores(v, {"delivery_reliability": 0.9, "price_terms": 0.4}, {"send_offer": 0.8},
               {"follow_up": 0.8, "not_now": 0.2}, HITS)  # fmt: skip
    a = LearnedAnalysis(model(reason_assert=0.7, step_assert=0.5), None).decide(CALL, v, s)  # type: ignore[arg-type]
    assert a.outcome == "follow_up" and a.outcome_confidence == 0.8
    assert [r.code for r in a.churn_reasons] == ["delivery_reliability"]
    assert a.churn_reasons[0].evidence == "Die Lieferungen kamen dreimal zu spät."
    assert a.churn_reasons[0].turn == 1 and a.churn_reasons[0].confidence == 0.9
    [open_reasons] = [u for u in a.uncertain if u.field == "churn_reasons"]
    assert [(c.code, c.evidence) for c in open_reasons.candidates] == [
        ("price_terms", "Und teuer war es.")
    ]
    [offer] = a.next_steps
    assert (offer.type, offer.owner, offer.due_date) == ("send_offer", "rep", date(2026, 1, 16))
    for text in [r.evidence for r in a.churn_reasons] + [a.outcome_evidence]:
        assert text and any(text in t.text for t in TURNS)


def test_an_unsure_outcome_is_left_to_the_reviewer() -> None:
    v = view(TURNS, "de")
    s = scores(v, {}, {}, {"follow_up": 0.45, "not_now": 0.4, "lost": 0.15}, HITS)
    a = LearnedAnalysis(model(outcome_decide=0.6), None).decide(CALL, v, s)  # type: ignore[arg-type]
    assert a.outcome is None
    [u] = [u for u in a.uncertain if u.field == "outcome"]
    assert [c.code for c in u.candidates] == ["follow_up", "not_now", "lost"]
    assert "unsicher" in a.summary


def test_incentive_only_from_the_rep_and_customer_owned_calls() -> None:
    v = view(TURNS, "de")
    hits = {**HITS, ("step", "offer_incentive"): "Und fünfzig Prozent"}  # the customer's demand
    s = scores(v, {}, {"offer_incentive": 0.9, "schedule_call": 0.9},
               {"follow_up": 0.9}, hits)  # fmt: skip
    a = LearnedAnalysis(model(), None).decide(CALL, v, s)  # type: ignore[arg-type]
    assert [st.type for st in a.next_steps] == ["schedule_call"]
    call = a.next_steps[0]
    assert call.owner == "customer" and call.due_date == date(2026, 1, 20)  # next Tuesday
    s = scores(v, {}, {"offer_incentive": 0.9}, {"follow_up": 0.9}, HITS)  # the rep grants it
    a = LearnedAnalysis(model(), None).decide(CALL, v, s)  # type: ignore[arg-type]
    [incentive] = a.next_steps
    assert incentive.type == "offer_incentive" and incentive.due_date is None


@pytest.mark.parametrize(("outcome", "kept"), [("lost", []), ("disqualified", [])])
def test_written_off_calls_have_no_steps_but_contact_updates(outcome: str, kept: list) -> None:
    v = view(TURNS, "de")
    s = scores(v, {}, {"send_offer": 0.9}, {outcome: 0.9}, HITS)
    a = LearnedAnalysis(model(), None).decide(CALL, v, s)  # type: ignore[arg-type]
    assert [st.type for st in a.next_steps] == ["none"]


def test_not_reached_drops_reasons() -> None:
    v = view(TURNS, "de")
    s = scores(v, {"delivery_reliability": 0.95}, {}, {"not_reached": 0.9}, HITS)
    a = LearnedAnalysis(model(), None).decide(CALL, v, s)  # type: ignore[arg-type]
    assert a.churn_reasons == [] and any("not reached" in w for w in a.warnings)


def test_summary_states_no_discount_without_a_granted_incentive() -> None:
    v = view(TURNS, "de")
    hits = {**HITS, ("reason", "price_terms"): "Und fünfzig Prozent"}
    s = scores(v, {"price_terms": 0.9}, {}, {"follow_up": 0.9}, hits)
    a = LearnedAnalysis(model(), None).decide(CALL, v, s)  # type: ignore[arg-type]
    assert [r.code for r in a.churn_reasons] == ["price_terms"]
    assert "discount" not in claims(a.summary, "de")
    assert any("left out of the summary" in w for w in a.warnings)


def test_a_very_short_evidence_sentence_is_quoted_with_its_neighbours() -> None:
    turns = [
        Turn(speaker="rep", text="Wer hat sich nach Herrn Bühler um Sie gekümmert?"),
        Turn(speaker="customer", text="Niemand. Kein Anruf, kein Besuch, gar nix."),
    ]
    call = CallInput(turns=turns, call_date=date(2026, 1, 14), language="de")
    v = view(turns, "de")
    s = scores(v, {"service_neglect": 0.9}, {}, {"not_now": 0.9},
               {("reason", "service_neglect"): "Niemand."})  # fmt: skip
    a = LearnedAnalysis(model(), None).decide(call, v, s)  # type: ignore[arg-type]
    assert a.churn_reasons[0].evidence == "Niemand. Kein Anruf, kein Besuch, gar nix."
