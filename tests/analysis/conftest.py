"""A small analysis model trained for real on part of the example bank, with fake embeddings."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy.orm import Session

from agent.analysis.bank import CATALOGUE_GROUP, base_bank, read_calls
from agent.analysis.features import Featurizer
from agent.analysis.model import AnalysisModel, train
from agent.crm.models import Account, Role
from agent.testing import FakeEmbeddings
from tests import factories as make


def review_team(session: Session, account_name: str) -> tuple[Account, dict[str, int]]:
    """Tenant ``default`` with rep ``rep1``, manager ``boss`` and the rep's account K-1.

    Returns the account and the ids the review tests look up (tenant, account, rep, boss).
    """
    t = make.tenant(session)
    rep = make.user(session, t, "rep1", name="Rita Rep")
    boss = make.user(session, t, "boss", Role.manager, name="Max Manager")
    acc = make.account(session, t, "K-1", name=account_name, owner_id=rep.id)
    return acc, {"tenant": t.id, "account": acc.id, "rep": rep.id, "boss": boss.id}


def small_training_set(per_label: int = 25, calls_per_group: int = 6) -> tuple[list, list]:
    """A sample of the bank: some catalogue sentences per label, a few calls of three writers."""
    rng = random.Random(3)
    calls = [c for c in read_calls() if c["group"] in ("dev", "w1", "w3")]
    chosen: list[dict[str, Any]] = []
    for group in ("dev", "w1", "w3"):
        chosen += [c for c in calls if c["group"] == group][:calls_per_group]
    ids = {c["call"] for c in chosen}
    by_label: dict[tuple[str, str], list] = {}
    for ex in base_bank():
        if ex.group == CATALOGUE_GROUP:
            by_label.setdefault((ex.task, ex.label), []).append(ex)
    examples = [
        e for group in by_label.values() for e in rng.sample(group, min(per_label, len(group)))
    ]
    examples += [e for e in base_bank() if e.call in ids]
    return examples, chosen


@pytest.fixture(scope="session")
def small_model() -> tuple[AnalysisModel, Featurizer]:
    """Trained once per session (a few seconds): real code path, fake embeddings."""
    featurizer = Featurizer(FakeEmbeddings(dim=96))
    examples, calls = small_training_set()
    return train(examples, calls, featurizer), featurizer
