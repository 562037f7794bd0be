"""The call page: question and talking points first, sources as numbered links, tel: link."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fastapi.testclient import TestClient

from agent.crm.db import open_store
from agent.crm.models import Contact, Note, NoteKind, Order, StoredBrief
from agent.settings import Settings
from tests.api.conftest import bearer
from tests.api.world import World


def seed_brief(settings: Settings, world: World) -> None:
    """A brief citing an order and a complaint of rep1's account, and a contact with a phone."""
    account = world.objects["rep1"].account
    tenant = world.tenants["acme"]
    with open_store(settings.db_url).session() as session:
        order = Order(tenant_id=tenant, account_id=account, external_id="A-4711",
                      order_date=datetime(2025, 3, 4),
                      total_amount=Decimal("35956.00"))  # fmt: skip
        note = Note(tenant_id=tenant, account_id=account, kind=NoteKind.complaint,
                    occurred_at=datetime(2025, 5, 6), subject="Preise",
                    body="Ihre neuen Preise sind uns zu hoch.")  # fmt: skip
        session.add_all([order, note])
        session.add(
            Contact(tenant_id=tenant, account_id=account, name="Frau Berg",
                    phone="+49 (89) 123-456", is_primary=True)
        )  # fmt: skip
        session.flush()
        o, n = f"order:{order.id}", f"note:{note.id}"
        content = {
            "language": "de", "as_of": "2026-12-01", "should_call": True, "call_reason": "",
            "model": "fake",
            "situation": [{"text": "Seit März 2025 keine Bestellung.", "sources": [o]}],
            "key_facts": [{"id": "f1", "topic": "orders", "text": "Letzte Bestellung 04.03.2025",
                           "sources": [o, f"account:{account}"]}],
            "churn_hypotheses": [{"code": "price_terms", "group": "internal", "confidence": 0.7,
                                  "basis": "keywords",
                                  "evidence": [{"source": n, "day": "2025-05-06",
                                                "quote": "Ihre neuen Preise sind uns zu hoch."}]}],
            "opening_question": {"text": "Geht es Ihnen gut? Was können wir tun?"},
            "talking_points": [{"text": f"Punkt {i}", "sources": [o]} for i in range(1, 5)],
            "objections": [], "avoid": [], "flags": [],
        }  # fmt: skip
        session.add(StoredBrief(tenant_id=tenant, account_id=account, version=2, language="de",
                          content=content, markdown="", model="fake"))  # fmt: skip


def test_the_question_and_three_points_come_first_with_sources_as_links(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    seed_brief(api_settings, world)
    account = world.objects["rep1"].account
    page = client.get(f"/accounts/{account}/call", headers=bearer(world, "rep1")).text
    parts = ('id="opening"', 'id="talking-points"', 'id="hypotheses"', "Fakten aus dem CRM")
    order = [page.index(part) for part in parts]
    assert order == sorted(order)
    assert "Punkt 3" in page and "Punkt 4" not in page  # three talking points
    assert "[order:" not in page and "order:" not in page.split('id="brief"')[1]
    assert 'class="src" href="#src-1"' in page
    assert "Bestellung A-4711" in page and "04.03.2025 · 35.956,00 €" in page
    assert "Reklamation Preise" in page
    assert "Preis und Konditionen (intern, 70 %)" in page
    assert "„Ihre neuen Preise sind uns zu hoch.“" in page and "keywords" not in page
    assert 'href="tel:+4989123456"' in page


def test_the_call_page_reads_in_english_too(
    client: TestClient, world: World, api_settings: Settings
) -> None:
    seed_brief(api_settings, world)
    account = world.objects["rep1"].account
    headers = {**bearer(world, "rep1"), "Cookie": "winback_lang=en"}
    page = client.get(f"/accounts/{account}/call", headers=headers).text
    assert "price and terms (internal, 70%)" in page and "Order A-4711" in page
    assert "€35,956.00" in page and "Opening question" in page


def test_another_reps_call_page_says_so_in_german(client: TestClient, world: World) -> None:
    account = world.objects["rep2"].account
    response = client.get(
        f"/accounts/{account}/call", headers={**bearer(world, "rep1"), "Accept": "text/html"}
    )
    assert response.status_code == 403
    assert "anderen Person im Außendienst" in response.text and "another rep" not in response.text


def test_unknown_or_foreign_pages_answer_with_a_reason(client: TestClient, world: World) -> None:
    rep1 = bearer(world, "rep1")
    for path in ("/accounts/999999/call", "/recordings/no-such-recording"):
        r = client.get(path, headers=rep1)
        assert r.status_code == 404, (path, r.status_code)
        assert "Traceback" not in r.text and "<main" in r.text
    # another tenant's account or recording is not found, not shown
    other = world.objects["orep"]
    assert client.get(f"/accounts/{other.account}/call", headers=rep1).status_code == 404
    assert client.get(f"/recordings/{other.recording}", headers=rep1).status_code == 404
    assert client.get("/accounts/not-a-number/call", headers=rep1).status_code == 422
