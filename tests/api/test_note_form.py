"""The review form of the note page: every field edited in one plain form, errors by field."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from agent.crm.db import open_store
from agent.crm.models import CallNote
from agent.settings import Settings
from tests.api.conftest import bearer, login
from tests.api.world import QUOTE, World


def _full_form(csrf: str, **overrides: str) -> dict[str, str]:
    """The form as the page posts it for the world's draft, with ``overrides``."""
    form = {
        "csrf": csrf,
        "action": "save",
        "reasons_in_form": "1",
        "steps_in_form": "1",
        "summary": "Der Kunde bemängelt Lieferverzug.",
        "outcome": "follow_up",
        "reason.delivery_reliability": "1",
        "reason.delivery_reliability.evidence": QUOTE,
        "step.0.kind": "row",
        "step.0.src": "0",
        "step.0.type": "send_offer",
        "step.0.owner": "rep",
        "step.0.description": "Angebot",
        "step.0.due": "2026-11-27",
        "step.1.kind": "blank",
        "step.1.type": "",
        "step.1.owner": "rep",
        "step.1.description": "",
        "step.1.due": "",
        "expectations": "",
        "sentiment": "neutral",
    }
    form.update(overrides)
    return form


def _note(client: TestClient, world: World, nid: int) -> dict[str, Any]:
    return client.get(f"/api/notes/{nid}", headers=bearer(world, "boss")).json()  # type: ignore[no-any-return]


def test_the_page_offers_every_field_and_no_outcome_for_an_undecided_note(
    client: TestClient, world: World
) -> None:
    login(client, "boss")
    nid = world.objects["rep1"].note
    page = client.get(f"/notes/{nid}").text
    assert 'id="note-editor"' in page and "<details>" not in page
    for field in ('name="summary"', 'name="outcome"', 'name="reason.price_terms"',
                  'name="reason.price_terms.evidence"', 'name="step.0.type"',
                  'name="step.0.owner"', 'name="step.0.description"',
                  'type="date" name="step.0.due"',
                  'name="step.1.type"', 'name="expectations"', 'name="sentiment"'):  # fmt: skip
        assert field in page, field
    # German names from the catalogue, never the codes
    assert ">Liefertreue<" in page and "Preis und Konditionen" in page and "Angebot senden" in page
    assert 'value="follow_up" checked' in page
    # quotes to pick: the customer's lines, not the rep's
    datalist = page.split('<datalist id="customer-lines">')[1].split("</datalist>")[0]
    assert "Ehrlich gesagt" in datalist and "Guten Tag" not in datalist


def test_every_field_is_saved_from_one_form(client: TestClient, world: World) -> None:
    csrf = login(client, "boss")
    nid = world.objects["rep1"].note
    form = _full_form(
        csrf,
        summary="Kunde will wieder bestellen, wenn die Lieferungen pünktlich kommen.",
        outcome="reactivated",
        **{
            # one reason removed (not ticked), another added with a quote from the transcript
            "reason.delivery_reliability": "",
            "reason.poor_treatment": "1",
            "reason.poor_treatment.evidence": "Das nervt.",
            "reason.delivery_speed": "1",
            "reason.delivery_speed.evidence": QUOTE,
            "step.0.type": "schedule_visit",
            "step.0.owner": "customer",
            "step.0.description": "Besuch im Werk Köln",
            "step.0.due": "2026-12-03",
            "step.1.type": "send_sample",
            "step.1.description": "Muster Handschuhe Gr. 9",
            "expectations": "Pünktliche Lieferung",
            "sentiment": "positive",
        },
    )
    # "Das nervt." is said with markup around "Das" in the transcript: not verbatim
    r = client.post(f"/notes/{nid}/edit", data=form, follow_redirects=False)
    assert r.status_code == 422
    form["reason.poor_treatment"] = ""
    r = client.post(f"/notes/{nid}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    note = _note(client, world, nid)
    assert note["summary"].startswith("Kunde will wieder bestellen")
    assert note["outcome"] == "reactivated"
    assert [(r["code"], r["evidence"]) for r in note["churn_reasons"]] == [
        ("delivery_speed", QUOTE)
    ]
    assert note["churn_reasons"][0]["confidence"] == 1.0
    assert [
        (s["type"], s["owner"], s["description"], s["due_date"]) for s in note["next_steps"]
    ] == [
        ("schedule_visit", "customer", "Besuch im Werk Köln", "2026-12-03"),
        ("send_sample", "rep", "Muster Handschuhe Gr. 9", None),
    ]
    assert note["expectations"] == "Pünktliche Lieferung" and note["sentiment"] == "positive"
    assert set(note["field_sources"].values()) == {"edited"}
    # a removed row is gone after the next save
    form = _full_form(csrf, **{"step.0.type": "schedule_visit", "step.0.remove": "1"})
    form.update({"step.1.kind": "row", "step.1.src": "1", "step.1.type": "send_sample"})
    form.update({"reason.delivery_reliability": "", "reason.delivery_speed": "1",
                 "reason.delivery_speed.evidence": QUOTE})  # fmt: skip
    assert client.post(f"/notes/{nid}/edit", data=form, follow_redirects=False).status_code == 303
    assert [s["type"] for s in _note(client, world, nid)["next_steps"]] == ["send_sample"]


def test_bad_values_come_back_next_to_their_fields_with_what_was_typed(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "boss")
    nid = world.objects["rep1"].note
    before = _note(client, world, nid)
    form = _full_form(
        csrf,
        summary="Ganz neu geschrieben, bitte nicht verlieren.",
        **{
            "reason.price_terms": "1",
            "reason.price_terms.evidence": "Ihre Preise sind viel zu hoch",
            "step.0.due": "2026-11-01",  # before the call on 2026-11-20
            "step.1.type": "send_sample",
            "step.1.due": "morgen",
        },
    )
    r = client.post(f"/notes/{nid}/edit", data=form)
    assert r.status_code == 422
    page = r.text
    assert 'id="form-errors"' in page
    assert "Ganz neu geschrieben, bitte nicht verlieren." in page
    assert 'value="Ihre Preise sind viel zu hoch"' in page and 'value="morgen"' in page
    # each problem sits with its field, in German
    assert 'id="e-1-due"' in page and "Kein gültiges Datum." in page.split('id="e-1-due"')[1][:80]
    assert "Das Datum liegt vor dem Gespräch." in page.split('id="e-0-due"')[1][:80]
    # nothing was stored
    assert _note(client, world, nid) == before
    # a quote the customer did not say, once the dates are right
    form.update({"step.0.due": "2026-11-27", "step.1.due": ""})
    r = client.post(f"/notes/{nid}/edit", data=form)
    assert r.status_code == 422
    assert "Das hat der Kunde im Gespräch so nicht gesagt." in page_of(r.text, "e-price_terms")
    assert _note(client, world, nid) == before


def page_of(html: str, element_id: str) -> str:
    """The text right after the element ``element_id`` starts."""
    return html.split(f'id="{element_id}"')[1][:120]


def test_adding_a_row_without_javascript_keeps_the_input(client: TestClient, world: World) -> None:
    csrf = login(client, "boss")
    nid = world.objects["rep1"].note
    before = _note(client, world, nid)
    form = _full_form(csrf, action="add_step", summary="Getippt, nicht gespeichert.")
    r = client.post(f"/notes/{nid}/edit", data=form)
    assert r.status_code == 200
    assert 'name="step.2.type"' in r.text and "Getippt, nicht gespeichert." in r.text
    assert _note(client, world, nid) == before


def test_an_older_form_with_only_the_summary_keeps_reasons_and_steps(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "boss")
    nid = world.objects["rep1"].note
    r = client.post(f"/notes/{nid}/edit", data={"csrf": csrf, "summary": "Nur das."},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    note = _note(client, world, nid)
    assert note["summary"] == "Nur das." and len(note["churn_reasons"]) == 1
    assert len(note["next_steps"]) == 1 and note["field_sources"].get("next_steps") != "edited"


def test_the_json_api_names_every_bad_field_with_a_code(client: TestClient, world: World) -> None:
    nid = world.objects["rep1"].note
    h = bearer(world, "boss")
    r = client.patch(f"/api/notes/{nid}", headers=h, json={
        "churn_reasons": [{"code": "price_terms", "evidence": "Ihre Preise sind zu hoch"}],
    })  # fmt: skip
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "churn_reasons.0.evidence",
            "code": "quote_not_in_transcript",
            "message": "The customer did not say this in the call.",
        }
    ]
    r = client.patch(f"/api/notes/{nid}", headers=h, json={
        "next_steps": [{"type": "send_offer", "due_date": "bald"}, {"type": "party"}],
    })  # fmt: skip
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("next_steps.0.due_date", "invalid_date"),
        ("next_steps.1.type", "invalid_choice"),
    ]
    # what worked before still works
    r = client.patch(f"/api/notes/{nid}", headers=h, json={
        "churn_reasons": [{"code": "delivery_speed", "evidence": QUOTE}]})  # fmt: skip
    assert r.status_code == 200 and r.json()["churn_reasons"][0]["turn"] == 1


def test_a_rep_cannot_post_the_review_form(client: TestClient, world: World) -> None:
    csrf = login(client, "rep1")
    nid = world.objects["rep1"].note
    page = client.get(f"/notes/{nid}").text
    assert 'id="note-editor"' not in page
    r = client.post(f"/notes/{nid}/edit", data=_full_form(csrf, summary="x"))
    assert r.status_code == 403


def test_approving_from_the_form_saves_it_first(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    csrf = login(client, "boss")
    nid = world.objects["rep1"].note
    with open_store(api_settings.db_url).session() as s:
        note = s.get(CallNote, nid)
        assert note is not None
        note.outcome = None
        note.analysis = {"result": {**note.analysis["result"], "outcome": None}}
    # without an outcome: refused next to the field, the typed summary and comment kept
    form = _full_form(csrf, action="approve", outcome="", summary="Neu getippt.", comment="ok")
    r = client.post(f"/notes/{nid}/edit", data=form)
    assert r.status_code == 422
    assert "Vor der Freigabe bitte das Ergebnis wählen." in page_of(r.text, "e-outcome")
    assert "Neu getippt." in r.text and 'name="comment" maxlength="2000" value="ok"' in r.text
    assert _note(client, world, nid)["status"] == "pending_review"
    form["outcome"] = "not_now"
    r = client.post(f"/notes/{nid}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303
    note = _note(client, world, nid)
    assert (note["status"], note["outcome"], note["summary"]) == (
        "approved",
        "not_now",
        "Neu getippt.",
    )
    assert note["review_comment"] == "ok"
