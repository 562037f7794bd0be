"""Briefs stored and versioned on the account."""

from __future__ import annotations

import pytest

from agent.brief.generator import generate_brief
from agent.brief.store import list_briefs, load_brief, save_brief
from agent.crm.db import Store
from agent.errors import NotFoundError
from agent.testing import FakeChatModel
from tests.history.fixtures import AS_OF, Crm


def test_each_save_is_a_new_version(store: Store, crm: Crm) -> None:
    with store.session() as s:
        brief = generate_brief(s, "acme", "K-400", as_of=AS_OF, model=FakeChatModel()).brief
        assert save_brief(s, brief).version == 1
        brief.call_reason = "geändert"
        row = save_brief(s, brief)
        assert row.version == 2 and "geändert" in row.markdown
    with store.session() as s:
        assert [r.version for r in list_briefs(s, crm.acme, crm.insolvent_account)] == [2, 1]
        assert load_brief(s, crm.acme, crm.insolvent_account).call_reason == "geändert"
        assert load_brief(s, crm.acme, crm.insolvent_account, version=1).call_reason != "geändert"
        with pytest.raises(NotFoundError):
            load_brief(s, crm.acme, crm.de_account)
        with pytest.raises(NotFoundError):
            load_brief(s, crm.other, crm.insolvent_account)
