"""Benchmark: the win-back plan over every customer of the real UCI Online Retail file.

Target: ``build_plan`` over all 4,372 customers in under 2 s, including the
fit of the value model (itself under 30 s). The machine is shared: every
figure comes with its wall and CPU time and the load average. Usage::

    .venv/bin/python benchmarks/bench_plan.py                  # import into a temp SQLite db
    .venv/bin/python benchmarks/bench_plan.py --db URL         # reuse an imported database

Without ``--db`` the real file (../shared/data/online_retail/) is imported
with ``agent.crm.importers.import_orders`` into a temporary SQLite database
first (not timed as part of the plan); an empty database given by ``--db``
(e.g. a fresh PostgreSQL database) is filled the same way. The plan is then built 5 times and
the median is printed, with the daily plan and the .ics export for one week.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402

from agent.crm.db import get_tenant, open_store  # noqa: E402
from agent.crm.models import Role, Tenant, User  # noqa: E402
from agent.plan import Plan, build_plan, daily_plan, write_ics  # noqa: E402
from agent.settings import configure  # noqa: E402

UCI_FILE = REPO.parent / "shared" / "data" / "online_retail" / "online_retail_uci352.csv.gz"
TARGET_SECONDS = 2.0
#: More than 12 months after the last invoice of the file (2011-12-09): all lapsed.
ALL_LAPSED_AS_OF = date(2013, 1, 1)


def import_real_file(url: str, tenant: str) -> float:
    """Import the UCI file into ``url``; return the seconds it took."""
    try:
        from agent.crm.importers import import_orders
    except ImportError:
        sys.exit("The order importer (agent.crm.importers.import_orders) is not available yet.")
    if not UCI_FILE.is_file():
        sys.exit(f"UCI file not found at {UCI_FILE}")
    started = time.perf_counter()
    import_orders(open_store(url), UCI_FILE, tenant)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL with the UCI orders already imported")
    parser.add_argument("--tenant", default="uci")
    parser.add_argument("--as-of", default="2011-12-09")
    parser.add_argument("--months", type=int, default=3, help="inactive months (default 3)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="winback-bench-"))
    url = args.db or f"sqlite:///{workdir / 'bench.db'}"
    configure(database_url=url, data_dir=workdir)
    store = open_store(url)
    with store.session() as session:
        imported = session.scalar(select(Tenant.id).where(Tenant.slug == args.tenant))
    if imported is None:  # a fresh database (temporary, or an empty one given by --db)
        seconds = import_real_file(url, args.tenant)
        print(f"import of {UCI_FILE.name}: {seconds:.1f} s (not part of the plan figure)")
    as_of = date.fromisoformat(args.as_of)

    with store.session() as session:
        tenant_id = get_tenant(session, args.tenant).id
        if not session.query(User).filter_by(tenant_id=tenant_id, role=Role.rep).count():
            # Five reps so the daily plan has someone to plan for (unowned accounts).
            for i in range(5):
                session.add(
                    User(tenant_id=tenant_id, username=f"rep{i}", name=f"Rep {i}", role=Role.rep)
                )

    def measure(day: date, months: int) -> tuple[list[float], list[float], Plan]:
        timings, cpu = [], []
        for _ in range(args.repeat):
            with store.session() as session:
                started, started_cpu = time.perf_counter(), time.process_time()
                result = build_plan(session, tenant_id, day, months)
                timings.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
        return timings, cpu, result

    print(f"database: {store.url}")
    # Worst case first: every customer of the file is lapsed, so all are scored.
    scenarios = [(ALL_LAPSED_AS_OF, 12, "every customer lapsed"), (as_of, args.months, "as given")]
    for day, months, label in scenarios:
        load = os.getloadavg()
        timings, cpu, plan = measure(day, months)
        median = statistics.median(timings)
        print(
            f"[{label}] as of {day}, {months} inactive months: {len(plan.customers)} lapsed, "
            f"{len(plan.callable)} ranked, Pareto cut-off at rank {plan.pareto.cutoff_rank} "
            f"({plan.pareto.cutoff_share_of_calls:.0%} of calls)"
        )
        print(
            f"[{label}] build_plan median of {args.repeat}: {median:.3f} s wall, "
            f"{statistics.median(cpu):.3f} s CPU "
            f"(min {min(timings):.3f}, max {max(timings):.3f}); target < {TARGET_SECONDS:.0f} s: "
            f"{'OK' if median < TARGET_SECONDS else 'MISSED'}; load average before "
            f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        )
        model = plan.model
        print(
            f"[{label}] value model: {model.kind} on {model.customers} customers "
            f"({model.repeat_customers} repeat), fit {model.fit_seconds:.3f} s wall"
            + (f"; {model.message}" if model.message else "")
        )

    with store.session() as session:
        started = time.perf_counter()
        schedule = daily_plan(session, tenant_id, plan, days=5, per_rep=2)
        files = write_ics(schedule, workdir / "ics")
        daily_seconds = time.perf_counter() - started
    print(
        f"daily plan (5 days x 2 calls, {len(schedule.reps)} reps) + {len(files)} .ics files: "
        f"{daily_seconds:.3f} s"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (including any import): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
