"""Accounts are found by CRM number or id, only within their tenant."""

from __future__ import annotations

import pytest

from agent.crm.db import Store
from agent.crm.lookup import find_account, find_contact
from agent.errors import NotFoundError, ValidationError
from tests import factories as make


def test_find_by_external_id_then_id_within_tenant(store: Store) -> None:
    with store.session() as s:
        a = make.tenant(s, "a")
        b = make.tenant(s, "b")
        mine = make.account(s, a, "K-1", name="Mine")
        numeric = make.account(s, a, "4711", name="Numeric")
        other = make.account(s, b, "K-1", name="Other tenant")
        make.contact(s, mine, "Frau X", external_id="C-1")
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
