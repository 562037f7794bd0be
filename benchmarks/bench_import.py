"""Measure the order import on the full UCI Online Retail file (541,909 lines).

Prints wall time and peak resident memory for a first import and for a
re-import (idempotent, nothing written) on SQLite, and optionally on
PostgreSQL. Each backend runs in a fresh child process so that its peak RSS
is its own. Target (issue): < 60 s and < 500 MB on SQLite on 2 cores.

    .venv/bin/python benchmarks/bench_import.py [--file PATH] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_FILE = (
    Path(__file__).resolve().parents[2] / "shared/data/online_retail/online_retail_uci352.csv.gz"
)


def _child(url: str, path: str) -> None:
    from agent.crm.db import open_store
    from agent.crm.importers import import_orders

    store = open_store(url)
    figures = {}
    for label in ("first import", "re-import"):
        start = time.perf_counter()
        stats = import_orders(store, path, "bench")
        figures[label] = {
            "seconds": round(time.perf_counter() - start, 2),
            "orders_imported": stats.orders_imported,
            "lines_imported": stats.lines_imported,
            "orders_already_present": stats.orders_already_present,
        }
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures))


def _measure(url: str, path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", url, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _make_pg_db(admin_url: str) -> tuple[str, str]:
    import psycopg

    name = f"wb_bench_{int(time.time())}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name, name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="also measure on PostgreSQL")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, str(args.file))
        return
    if not args.file.is_file():
        sys.exit(f"UCI file not found: {args.file}")
    print(f"file: {args.file} ({args.file.stat().st_size / 1e6:.1f} MB gzip)")
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = _measure(f"sqlite:///{tmp}/bench.db", args.file)
    print(f"sqlite:     {json.dumps(sqlite)}")
    if args.postgres:
        import psycopg

        url, name = _make_pg_db(args.postgres)
        try:
            print(f"postgresql: {json.dumps(_measure(url, args.file))}")
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
