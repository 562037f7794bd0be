"""Fixtures of the importer tests: the hand-written files and a row counter."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.crm.db import Store
from agent.crm.models import Account, Contact, ImportRun, Note, Order, OrderLine

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def count_rows(store: Store) -> dict[str, int]:
    """Row counts of every table an import writes (to prove "database unchanged")."""
    with store.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Account, Contact, Note, Order, OrderLine, ImportRun)
        }
