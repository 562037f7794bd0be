"""Accounts are found by CRM number or id, only within their tenant."""

from __future__ import annotations

import pytest

from agent.crm.db import Store, get_or_create_tenant
from agent.crm.lookup import find_account, find_contact
from agent.crm.models import Account, Contact
from agent.errors import NotFoundError, ValidationError


def test_find_by_external_id_then_id_within_tenant(store: Store) -> None:
    with store.session() as s:
        a = get_or_create_tenant(s, "a")
        b = get_or_create_tenant(s, "b")
        mine = Account(tenant_id=a.id, external_id="K-1", name="Mine")
        numeric = Account(tenant_id=a.id, external_id="4711", name="Numeric")
        other = Account(tenant_id=b.id, external_id="K-1", name="Other tenant")
        s.add_all([mine, numeric, other])
        s.flush()
        s.add(Contact(tenant_id=a.id, account_id=mine.id, external_id="C-1", name="Frau X"))
        s.flush()
        assert find_account(s, a.id, "K-1").id == mine.id
        assert find_account(s, a.id, " 4711 ").id == numeric.id
        assert find_account(s, a.id, str(mine.id)).id == mine.id
        assert find_contact(s, a.id, "C-1").name == "Frau X"
        with pytest.raises(NotFoundError, match="does not exist"):
            find_account(s, a.id, str(other.id))  # another tenant's id
        with pytest.raises(NotFoundError):
            find_account(s, a.id, str(mine.id), by_id=False)
        with pytest.raises(ValidationError):
            find_account(s, a.id, "  ")
        with pytest.raises(NotFoundError):
            find_contact(s, b.id, "C-1")
