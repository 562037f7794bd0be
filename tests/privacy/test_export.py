"""Art. 15 export: everything about an account or a contact, logged in the audit trail."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from agent.crm.db import Store
from agent.crm.models import AuditEvent
from agent.errors import NotFoundError
from agent.privacy.export import export_subject
from agent.settings import get_settings
from tests.privacy import seed as world


def test_account_export_holds_every_section_and_is_audited(store: Store) -> None:
    world.seed(store, get_settings())
    data = export_subject(store, "default", "account", "K-1")
    json.dumps(data)  # JSON-ready as returned
    assert data["account"]["name"] == world.COMPANY
    assert {c["name"] for c in data["contacts"]} == {world.NAME, world.OTHER_CONTACT}
    assert data["orders_summary"]["orders"] == 1
    assert data["orders_summary"]["by_currency"]["EUR"]["total"] == "1200.00"
    assert len(data["notes"]) == 2 and world.IBAN in data["notes"][0]["body"]
    (recording,) = data["recordings"]
    assert recording["consent"]["given_by"] == world.NAME and recording["audio_stored"]
    assert "storage_key" not in recording
    assert [s["text"] for s in data["transcripts"][0]["segments"]][1].endswith(f"{world.IBAN}.")
    assert data["call_notes"][0]["churn_reasons"][0]["code"] == "delivery_speed"
    assert len(data["tasks"]) == 1 and len(data["briefs"]) == 1
    assert {e["action"] for e in data["audit_events"]} == {"call_note.edit", "account.status"}
    # Nothing of the control account leaks into the export.
    assert world.CONTROL not in json.dumps(data, ensure_ascii=False)
    with store.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.export")).one()
        assert event.after["counts"]["notes"] == 2


def test_contact_export_is_about_the_person(store: Store) -> None:
    world.seed(store, get_settings())
    data = export_subject(store, "default", "contact", "C-1")
    assert data["account"] == {"external_id": "K-1", "name": world.COMPANY}
    assert [c["email"] for c in data["contacts"]] == [world.EMAIL]
    assert len(data["notes"]) == 1 and len(data["recordings"]) == 1
    assert [n["external_id"] for n in data["mentions_in_other_notes"]] == ["N-2"]
    assert data["orders_summary"] == {"orders": 0}
    assert world.OTHER_CONTACT not in json.dumps([data["contacts"], data["notes"]])


def test_export_of_unknown_subject_is_not_found(store: Store) -> None:
    world.seed(store, get_settings())
    with pytest.raises(NotFoundError, match="K-404"):
        export_subject(store, "default", "account", "K-404")
