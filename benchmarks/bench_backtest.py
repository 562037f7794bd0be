"""Benchmark: the plan's backtest on several cut-offs of the real UCI Online Retail file.

Targets (issue: "a plan that knows who is worth calling"): with 3 months of
inactivity and a 6-month horizon, the top 20 % of the plan hold >= 55 % of
the revenue the lapsed customers brought afterwards, and the predicted
return probability is within +-0.05 of the observed share in every decile;
fitting the value model takes < 30 s. Usage::

    .venv/bin/python benchmarks/bench_backtest.py                # temp SQLite import
    .venv/bin/python benchmarks/bench_backtest.py --db URL       # an imported database
    .venv/bin/python benchmarks/bench_backtest.py --json out.json

Per cut-off it prints the top 10/20/30 % value and returner shares and the
AUC of the plan and the baselines, the calibration summary, and the wall and
CPU time of the fit and of the whole backtest with the load average (the
machine is shared with other jobs). The data ends on 2011-12-09: cut-offs
after 2011-06-09 get a shorter window, which the output says.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402

from agent.crm.db import get_tenant, open_store  # noqa: E402
from agent.crm.importers import import_orders  # noqa: E402
from agent.crm.models import Tenant  # noqa: E402
from agent.plan.backtest import run_backtest  # noqa: E402
from agent.plan.history import purchase_histories  # noqa: E402
from agent.plan.valuation import fit_model  # noqa: E402
from agent.settings import configure  # noqa: E402

UCI_FILE = REPO.parent / "shared" / "data" / "online_retail" / "online_retail_uci352.csv.gz"
CUT_OFFS = ("2011-03-31", "2011-04-30", "2011-05-31", "2011-06-09", "2011-06-30")
TARGET_SHARE, TARGET_GAP, TARGET_FIT_S = 0.55, 0.05, 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL with the UCI orders already imported")
    parser.add_argument("--tenant", default="uci")
    parser.add_argument("--cut-offs", nargs="*", default=list(CUT_OFFS))
    parser.add_argument("--horizon-months", type=int, default=6)
    parser.add_argument("--inactive-months", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write every backtest as JSON here")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="winback-backtest-"))
    url = args.db or f"sqlite:///{workdir / 'bench.db'}"
    configure(database_url=url, data_dir=workdir)
    store = open_store(url)
    with store.session() as session:
        if session.scalar(select(Tenant.id).where(Tenant.slug == args.tenant)) is None:
            if not UCI_FILE.is_file():
                sys.exit(f"UCI file not found at {UCI_FILE}")
            started = time.perf_counter()
            import_orders(store, UCI_FILE, args.tenant)
            print(f"import: {time.perf_counter() - started:.1f} s (not part of any figure)")
    with store.session() as session:
        tenant_id = get_tenant(session, args.tenant).id

    results = []
    for cut in args.cut_offs:
        day = date.fromisoformat(cut)
        load = os.getloadavg()
        with store.session() as session:
            histories = purchase_histories(session, tenant_id, day)
            wall, cpu = time.perf_counter(), time.process_time()
            _, model = fit_model(histories)
            fit_wall, fit_cpu = time.perf_counter() - wall, time.process_time() - cpu
            wall, cpu = time.perf_counter(), time.process_time()
            result = run_backtest(
                session, tenant_id, day, args.horizon_months, args.inactive_months
            )
            run_wall, run_cpu = time.perf_counter() - wall, time.process_time() - cpu
        results.append(result.model_dump(mode="json"))
        shares = {r.name: r for r in result.rankings}
        print(
            f"\n== as of {cut}: {result.lapsed} lapsed, {result.returners} returned, window "
            f"{result.horizon_days} days{' (cut at the data end)' if result.truncated else ''}; "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        )
        print(
            f"   fit ({model.kind}, {model.customers} customers): {fit_wall:.3f} s wall, "
            f"{fit_cpu:.3f} s CPU (target < {TARGET_FIT_S:.0f} s); whole backtest "
            f"{run_wall:.3f} s wall, {run_cpu:.3f} s CPU"
        )
        print(f"   {'ranking':15} {'V10':>6} {'V20':>6} {'V30':>6} {'R10':>6} {'R20':>6} "
              f"{'R30':>6} {'AUC':>6}")  # fmt: skip
        for name, ranking in shares.items():
            cells = [*ranking.value_share.values(), *ranking.returner_share.values()]
            text = " ".join("     -" if v is None else f"{v:6.1%}" for v in cells)
            auc = "     -" if ranking.auc is None else f"{ranking.auc:6.3f}"
            print(f"   {name:15} {text} {auc}")
        plan_share = shares["plan"].value_share["top_20"] or 0.0
        print(
            f"   plan top 20 %: {plan_share:.1%} (target >= {TARGET_SHARE:.0%}: "
            f"{'OK' if plan_share >= TARGET_SHARE else 'MISSED'})"
        )
        if result.reliability is not None:
            print(
                f"   calibration: mean predicted {result.mean_predicted:.3f}, observed "
                f"{result.mean_observed:.3f}; largest decile gap {result.max_calibration_gap:.3f} "
                f"(target <= {TARGET_GAP}); {result.deciles_within_005}/10 deciles within "
                f"+-0.05, {result.deciles_within_2se}/10 within 2 standard errors"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
