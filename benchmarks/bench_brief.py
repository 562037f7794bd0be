"""End-to-end brief latency with the local model over 20 demo accounts (target: <= 20 s each).

Seeds the demo tenant into a temporary SQLite database, builds the history
index with the local USE-m embeddings, loads the local chat model once (its
load time is reported apart), then generates the brief of the plan's top
callable accounts one after another and prints p50/p95 latency, tokens and
model time per brief. Nothing is mocked.

Run: ``.venv/bin/python benchmarks/bench_brief.py [--accounts 20]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from agent.brief.generator import generate_brief, warm_up
from agent.crm.db import get_tenant, open_store
from agent.demo import DEMO_AS_OF, seed
from agent.history.index import open_index
from agent.history.sync import rebuild
from agent.llm import get_chat_model
from agent.plan import build_plan
from agent.settings import configure


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(np.ceil(q / 100 * len(ordered))) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--out", type=Path, default=None, help="Per-brief rows as JSONL.")
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="Skip the warm-up a long-running worker does at start (measure a cold process).",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="winback-bench-brief-"))
    settings = configure(data_dir=workdir, database_url=f"sqlite:///{workdir / 'bench.db'}")
    store = open_store(settings.db_url)
    seed(store, "demo")
    t = time.perf_counter()
    index = open_index(settings)
    with store.session() as session:
        tenant_id = get_tenant(session, "demo").id
        chunks = rebuild(session, index, tenant_id)
        accounts = [c.external_id for c in build_plan(session, tenant_id, DEMO_AS_OF).callable]
    print(f"index: {chunks} chunks in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    model = get_chat_model(settings)
    print(f"chat model object: {time.perf_counter() - t:.1f} s (weights load lazily)")
    if not args.no_warm_up:
        seconds = warm_up(settings)
        print(f"warm-up as a worker does at start (model load, system prompts): {seconds:.1f} s")

    rows = []
    for account in accounts[: args.accounts]:
        t = time.perf_counter()
        with store.session() as session:
            brief = generate_brief(
                session, "demo", account, as_of=DEMO_AS_OF, index=index, model=model
            ).brief
        seconds = time.perf_counter() - t
        row = {
            "account": account,
            "seconds": round(seconds, 2),
            "model": brief.model,
            "language": brief.language,
            "flags": len(brief.flags),
            **brief.usage,
        }
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
        if args.out:
            with args.out.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    times = [r["seconds"] for r in rows]
    warm = times[1:] or times
    print(f"\n{len(rows)} briefs with {rows[0]['model'] if rows else '-'} (target <= 20 s each):")
    print(
        f"  all:   p50 {statistics.median(times):.1f} s   p95 {pct(times, 95):.1f} s   "
        f"first {times[0]:.1f} s" + (" (includes model load)" if args.no_warm_up else "")
    )
    print(f"  warm:  p50 {statistics.median(warm):.1f} s   p95 {pct(warm, 95):.1f} s")
    called = [r for r in rows if r.get("calls")]
    if called:
        print(
            f"  tokens per brief: prompt "
            f"{statistics.mean(r['prompt_tokens'] for r in called):.0f}, "
            f"completion {statistics.mean(r['completion_tokens'] for r in called):.0f}; "
            f"model calls per brief {statistics.mean(r['calls'] for r in called):.2f}"
        )


if __name__ == "__main__":
    main()
