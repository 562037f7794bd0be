"""Server-rendered pages: each page per role, escaping of model text, forms, language switch."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from agent.crm.db import open_store
from agent.crm.models import StoredBrief
from agent.settings import Settings
from tests.api.conftest import login
from tests.api.world import World

AS_OF = "2026-11-02"


def test_rep_pages(client: TestClient, world: World) -> None:
    login(client, "rep1")
    assert client.get("/", follow_redirects=False).headers["location"] == "/today"
    today = client.get(f"/today?as_of={AS_OF}")
    assert today.status_code == 200 and "Kunde rep1 GmbH" in today.text
    assert "Kunde rep2 GmbH" not in today.text
    # 1.200 € a year (one order, counted as a year) x 30 % x 0.5^(9.6 / 12 months).
    assert "Erwarteter Wert in den nächsten 12 Monaten: 207 € = P(Rückkehr) 17 % × " in today.text
    acc = client.get(f"/accounts/{world.objects['rep1'].account}")
    assert (
        acc.status_code == 200
        and 'id="upload-form"' in acc.text
        and 'id="prepare-brief"' in acc.text
    )
    assert client.get(f"/accounts/{world.objects['rep2'].account}").status_code == 403
    assert client.get(f"/accounts/{world.objects['orep'].account}").status_code == 404
    assert client.get("/notes").status_code == 200
    for page in ("/review", "/analytics", "/accounts"):
        assert client.get(page).status_code == 403


def test_model_text_is_escaped_and_marked(client: TestClient, world: World) -> None:
    login(client, "rep1")
    page = client.get(f"/notes/{world.objects['rep1'].note}")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "KI-generiert" in page.text
    # the evidence quote is highlighted in the transcript, the transcript's markup escaped
    assert '<mark class="evidence">die Lieferungen kamen dauernd zu spät</mark>' in page.text
    assert "&lt;b&gt;Das&lt;/b&gt;" in page.text
    # a rep sees no review forms
    assert 'id="approve"' not in page.text


def test_transcript_speakers_are_named_in_the_page_language(
    client: TestClient, world: World
) -> None:
    login(client, "rep1")
    note = f"/notes/{world.objects['rep1'].note}"
    german = client.get(note).text
    assert '<span class="speaker">Vertrieb</span>' in german
    assert '<span class="speaker">Kunde</span>' in german
    english = client.get(note, cookies={"winback_lang": "en"}).text
    assert '<span class="speaker">Rep</span>' in english
    assert '<span class="speaker">rep</span>' not in german + english


def test_manager_reviews_in_the_browser(client: TestClient, world: World) -> None:
    csrf = login(client, "boss")
    assert client.get("/", follow_redirects=False).headers["location"] == "/review"
    queue = client.get("/review")
    assert queue.status_code == 200 and f"/notes/{world.objects['rep1'].note}" in queue.text
    nid = world.objects["rep1"].note
    assert 'id="approve"' in client.get(f"/notes/{nid}").text
    r = client.post(f"/notes/{nid}/edit", data={"csrf": csrf, "summary": "Korrigiert.",
                                                "outcome": "follow_up", "churn_reasons": ""},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = client.get(f"/notes/{nid}")
    assert "Korrigiert." in page.text and "bearbeitet" in page.text
    # a bad value comes back next to its field, with what the manager typed
    r = client.post(f"/notes/{nid}/edit", data={
        "csrf": csrf, "summary": "Noch einmal korrigiert.", "steps_in_form": "1",
        "step.0.kind": "row", "step.0.src": "0", "step.0.type": "send_offer",
        "step.0.owner": "rep", "step.0.due": "nächste Woche"})  # fmt: skip
    assert r.status_code == 422 and "Kein gültiges Datum." in r.text
    assert "Noch einmal korrigiert." in r.text and 'value="nächste Woche"' in r.text
    r = client.post(f"/notes/{nid}/approve", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert "freigegeben" in client.get(f"/notes/{nid}").text
    analytics = client.get(f"/analytics?as_of={AS_OF}")
    assert analytics.status_code == 200 and "<svg" in analytics.text
    assert 'data-reason="delivery_reliability">1<' in analytics.text
    # How the plan values customers: the fallback said in German, the segments, the values.
    assert 'data-kind="prior"' in analytics.text
    assert "Zu wenig Bestellhistorie für das Modell (2 Kunden, 0 mit Wiederkauf)" in analytics.text
    assert 'id="segments"' in analytics.text and "nicht bewertet" in analytics.text
    assert "Erwarteter Wert in den nächsten 12 Monaten" in analytics.text


def test_manager_assigns_owners(client: TestClient, world: World) -> None:
    csrf = login(client, "boss")
    page = client.get("/accounts")
    assert page.status_code == 200 and "Kunde rep1 GmbH" in page.text
    acc = world.objects["rep1"].account
    r = client.post(f"/accounts/{acc}/owner", data={"csrf": csrf, "owner": "rep2"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert client.get(f"/api/accounts/{acc}").json()["owner"] == "rep2"


@pytest.mark.parametrize(
    "lang,word", [("en", "Your win-back calls"), ("de", "Ihre Rückgewinnungs-Anrufe")]
)
def test_language_switch(client: TestClient, lang: str, word: str) -> None:
    login(client, "rep1")
    client.get(f"/lang/{lang}?next=/today")
    assert word in client.get("/today").text


def test_static_files_and_no_inline_script(client: TestClient) -> None:
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/../app.py").status_code == 404


@pytest.mark.parametrize(
    ("authored", "marked"),
    [
        ({"situation": "code", "talking_points": "code", "opening_question": "model"}, 1),
        ({}, 3),  # stored before `authored` existed: every model part counts as the model's
    ],
)
def test_brief_marks_only_the_parts_a_model_wrote(
    client: TestClient, world: World, api_settings: Settings, authored: dict[str, str], marked: int
) -> None:
    store = open_store(api_settings.db_url)
    with store.session() as s:
        row = s.get(StoredBrief, world.objects["rep1"].brief)
        assert row is not None
        row.model = "qwen2.5-coder-1.5b"
        row.content = {
            "account_name": "Kunde rep1 GmbH",
            "language": "de",
            "as_of": "2026-11-02",
            "should_call": True,
            "situation": [{"text": "Lage vom Code.", "sources": []}],
            "opening_question": {"text": "Was können wir tun?", "sources": []},
            "talking_points": [{"text": "Punkt vom Code.", "sources": []}],
            "objections": [{"objection": "Zu teuer.", "answer": "Nachfragen."}],
            "avoid": [{"text": "Nicht drängen.", "sources": []}],
            "authored": authored,
        }
    login(client, "rep1")
    page = client.get(f"/accounts/{world.objects['rep1'].account}")
    section = page.text.split('id="brief-section"')[1].split("</section>")[0]
    assert "Was können wir tun?" in section
    assert section.count('class="ai"') == marked


def test_uncertain_fields_ask_the_manager_to_choose(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    from agent.crm.models import CallNote

    nid = world.objects["rep1"].note
    store = open_store(api_settings.db_url)
    with store.session() as s:
        note = s.get(CallNote, nid)
        result = dict(note.analysis["result"])
        result["outcome"] = None
        result["uncertain"] = [
            {"field": "outcome", "candidates": [
                {"code": "follow_up", "probability": 0.5, "evidence": "Schicken Sie was."},
                {"code": "not_now", "probability": 0.3}]},
            {"field": "churn_reasons", "candidates": [
                {"code": "price_terms", "probability": 0.45, "evidence": "Ehrlich gesagt"}]},
        ]  # fmt: skip
        note.analysis = {"result": result}
        note.outcome = None
    csrf = login(client, "boss")
    page = client.get(f"/notes/{nid}").text
    assert "unsicher – bitte prüfen" in page and 'id="uncertain-outcome"' in page
    assert 'Folgeschritt vereinbart <span class="meta">(vorgeschlagen 50 %)' in page
    assert 'Preis und Konditionen</strong> <span class="meta">(vorgeschlagen 45 %)' in page
    # no outcome is chosen for the manager; the proposed reason waits unticked with its quote
    assert 'name="outcome" value="follow_up" >' in page and "checked> Folgeschritt" not in page
    row = page.split('data-code="price_terms"')[1].split("</div>")[0]
    assert 'name="reason.price_terms" value="1" >' in row and 'value="Ehrlich gesagt"' in row
    r = client.post(f"/notes/{nid}/approve", data={"csrf": csrf})
    assert r.status_code == 409 and "Choose the outcome" in r.text
    r = client.post(f"/notes/{nid}/edit", data={"csrf": csrf, "outcome": "follow_up"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    r = client.post(f"/notes/{nid}/edit", data={
        "csrf": csrf, "reasons_in_form": "1", "reason.price_terms": "1",
        "reason.price_terms.evidence": "Ehrlich gesagt",
        "reason.delivery_reliability": "1",
        "reason.delivery_reliability.evidence": "die Lieferungen kamen dauernd zu spät"},
        follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = client.get(f"/notes/{nid}").text
    assert 'id="uncertain-outcome"' not in page and 'id="uncertain-reasons"' not in page
    assert 'name="reason.price_terms" value="1" checked' in page
    assert 'value="Ehrlich gesagt"' in page
    r = client.post(f"/notes/{nid}/approve", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
