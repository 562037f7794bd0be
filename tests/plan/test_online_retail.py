"""The value model and the backtest on the real UCI Online Retail file from ../shared.

Imported once per module with the real importer into SQLite (about 10 s).
The figures pinned here are facts of the data (how many customers lapsed
and came back) and the measured before/after of the ranking; the full table
per cut-off is in the backtest command's output (``winback plan backtest``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from agent.crm import db as crm_db
from agent.crm.db import Store, get_tenant, open_store
from agent.crm.importers import import_orders
from agent.plan import build_plan
from agent.plan.backtest import Backtest, run_backtest

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def uci(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, int]]:
    path = shared_dir / "data" / "online_retail" / "online_retail_uci352.csv.gz"
    if not path.is_file():
        pytest.skip(f"UCI Online Retail file not found at {path}")
    url = f"sqlite:///{tmp_path_factory.mktemp('uci') / 'uci.db'}"
    store = open_store(url)
    import_orders(store, path, "uci")
    with store.session() as session:
        tenant_id = get_tenant(session, "uci").id
    yield store, tenant_id
    crm_db.close_all()


def backtest(uci: tuple[Store, int], as_of: date) -> Backtest:
    store, tenant_id = uci
    with store.session() as session:
        return run_backtest(session, tenant_id, as_of, 6, 3)


def share(result: Backtest, name: str) -> float:
    value = next(r for r in result.rankings if r.name == name).value_share["top_20"]
    assert value is not None
    return value


@pytest.mark.parametrize(
    ("as_of", "lapsed", "returners"),
    [(date(2011, 6, 9), 778, 414), (date(2011, 6, 30), 927, 451)],
)
def test_the_model_ranks_better_than_the_old_score(
    uci: tuple[Store, int], as_of: date, lapsed: int, returners: int
) -> None:
    result = backtest(uci, as_of)
    assert result.model.kind == "bgnbd_gamma_gamma"
    assert (result.lapsed, result.returners) == (lapsed, returners)
    # Measured: 41.0 % / 43.5 % for the plan, 38.0 % / 37.8 % for the old score.
    assert share(result, "plan") > share(result, "old_score") + 0.02
    assert share(result, "plan") >= 0.40
    assert share(result, "perfect") > 0.75
    assert result.reliability is not None and len(result.reliability) == 10
    assert result.mean_predicted is not None and 0.3 < result.mean_predicted < 0.6


def test_the_plan_over_every_customer_uses_the_model(uci: tuple[Store, int]) -> None:
    store, tenant_id = uci
    with store.session() as session:
        plan = build_plan(session, tenant_id, date(2013, 1, 1), 12)
    assert len(plan.customers) == 4339 and plan.model.kind == "bgnbd_gamma_gamma"
    first = plan.callable[0].score_parts
    assert first.value_source == "model" and first.explanation.startswith("Erwarteter Wert")
