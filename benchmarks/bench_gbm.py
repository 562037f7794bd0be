"""Check: would a gradient-boosted model rank the lapsed customers better than the plan?

The issue asks for a gradient-boosted model on recency, frequency, monetary
value, tenure and trend, fitted on an earlier cut-off, *if it measures
better*. This script measures it on UCI Online Retail: for each cut-off D it
fits scikit-learn's HistGradientBoostingRegressor (Poisson loss) on every
customer's features as of D - 3 months with the net revenue of the 3 months
up to D as the target (the file starts on 2010-12-01, so no earlier 6-month
window exists), ranks the customers lapsed at D by its prediction and scores
that ranking like ``winback plan backtest`` does, next to the plan. Usage::

    .venv/bin/python benchmarks/bench_gbm.py --db sqlite:///uci.db   # an imported database

(without ``--db`` the file is imported into a temporary SQLite database first).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from dateutil.relativedelta import relativedelta

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from agent.crm.db import get_tenant, open_store  # noqa: E402
from agent.crm.importers import import_orders  # noqa: E402
from agent.crm.models import Tenant  # noqa: E402
from agent.plan import build_plan  # noqa: E402
from agent.plan.backtest import auc, shares  # noqa: E402
from agent.plan.clv import fit  # noqa: E402
from agent.plan.history import TenantHistories, purchase_histories, realised  # noqa: E402
from agent.settings import configure  # noqa: E402

UCI_FILE = REPO.parent / "shared" / "data" / "online_retail" / "online_retail_uci352.csv.gz"
CUT_OFFS = ("2011-04-30", "2011-05-31", "2011-06-09", "2011-06-30")


def features(session: Session, tenant_id: int, day: date) -> tuple[TenantHistories, np.ndarray]:
    """Recency, frequency, monetary, tenure, age, trend and the BG/NBD value, per customer."""
    tenant = purchase_histories(session, tenant_id, day)
    h = tenant.histories
    recent = purchase_histories(session, tenant_id, day - relativedelta(months=3))
    before = dict(zip(recent.account_ids, recent.histories.purchases, strict=True))
    trend = h.purchases - np.array([before.get(a, 0.0) for a in tenant.account_ids])
    model = fit(h)
    columns = [
        h.T - h.t_x,  # recency
        h.purchases,  # frequency
        h.spend,  # monetary (per purchase day)
        h.spend * h.purchases,  # net revenue
        h.t_x,  # tenure
        h.T,  # age
        trend,  # purchase days in the last 3 months
        model.expected_revenue(h, 365.0),
        model.p_return(h, 365.0),
    ]
    return tenant, np.column_stack(columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db")
    parser.add_argument("--tenant", default="uci")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="winback-gbm-"))
    url = args.db or f"sqlite:///{workdir / 'bench.db'}"
    configure(database_url=url, data_dir=workdir)
    store = open_store(url)
    with store.session() as session:
        if session.scalar(select(Tenant.id).where(Tenant.slug == args.tenant)) is None:
            import_orders(store, UCI_FILE, args.tenant)
        tenant_id = get_tenant(session, args.tenant).id

    print(f"{'cut-off':10} {'plan V20':>9} {'GBM V20':>8} {'plan AUC':>9} {'GBM AUC':>8}  timing")
    for cut in CUT_OFFS:
        day = date.fromisoformat(cut)
        earlier = day - relativedelta(months=3)
        load = os.getloadavg()
        with store.session() as session:
            plan = build_plan(session, tenant_id, day, 3)
            ids = [c.account_id for c in plan.callable]
            later = realised(session, tenant_id, day, day + relativedelta(months=6))
            revenue = np.array([later[a].revenue if a in later else 0.0 for a in ids])
            returned = np.array([a in later and later[a].returned for a in ids])
            wall, cpu = time.perf_counter(), time.process_time()
            train, x_train = features(session, tenant_id, earlier)
            target = realised(session, tenant_id, earlier, day)
            y = np.array([target[a].revenue if a in target else 0.0 for a in train.account_ids])
            model = HistGradientBoostingRegressor(
                loss="poisson", max_iter=100, learning_rate=0.05, max_leaf_nodes=7,
                min_samples_leaf=30, random_state=0,
            ).fit(x_train, y)  # fmt: skip
            now, x_now = features(session, tenant_id, day)
            predicted = model.predict(x_now[now.index_of(ids)])
            seconds, cpu_s = time.perf_counter() - wall, time.process_time() - cpu
        order = list(np.lexsort((np.arange(len(ids)), -predicted)))
        gbm_share = shares(order, revenue)["top_20"] or 0.0
        plan_share = shares(list(range(len(ids))), revenue)["top_20"] or 0.0
        plan_auc = auc(-np.arange(len(ids), dtype=float), returned)
        print(
            f"{cut:10} {plan_share:9.1%} {gbm_share:8.1%} {plan_auc:9.3f} "
            f"{auc(predicted, returned):8.3f}  {seconds:.2f} s wall, {cpu_s:.2f} s CPU, "
            f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        )


if __name__ == "__main__":
    main()
