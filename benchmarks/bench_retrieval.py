"""Retrieval latency of the history index with 100,000 indexed chunks (target: p95 <= 50 ms).

The bulk fill uses precomputed random unit vectors (512 dimensions, like
USE-m-v3) instead of embedding 100,000 texts, which would take minutes on a
2-core machine and is not what is measured here. Queries are real: each one
is embedded by the local USE-m model and searched with the account filter
the brief uses; the figures are reported with and without the embedding
step, for one query and for the brief's two queries (``semantic_hits``).

Run: ``.venv/bin/python benchmarks/bench_retrieval.py [--chunks 100000] [--queries 200]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from agent.history.chunks import HistoryChunk
from agent.history.index import HistoryIndex, make_client
from agent.history.retrieval import HISTORY_QUERIES, semantic_hits
from agent.settings import Settings

DIM = 512
KINDS = ("note", "complaint", "call", "email", "visit", "transcript", "call_summary")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(np.ceil(q / 100 * len(ordered))) - 1))]


def report(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"{name:<48} p50 {statistics.median(ms):7.1f} ms   p95 {pct(ms, 95):7.1f} ms   "
        f"max {max(ms):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=None, help="Keep the index here.")
    args = parser.parse_args()

    from agent.embeddings import WinbackEmbeddings, get_embedder

    workdir = args.dir or Path(tempfile.mkdtemp(prefix="winback-bench-"))
    settings = Settings(data_dir=workdir)
    embeddings = WinbackEmbeddings(get_embedder(Settings()))
    index = HistoryIndex(make_client(settings), embeddings)
    rng = np.random.default_rng(7)
    tenant = 1
    print(f"index at {workdir / 'chroma'}; {args.chunks:,} chunks over {args.accounts:,} accounts")

    if index.count(tenant) < args.chunks:
        index.reset_tenant(tenant)
        started = time.perf_counter()
        batch = 5_000
        start_day = date(2023, 1, 1)
        for offset in range(0, args.chunks, batch):
            n = min(batch, args.chunks - offset)
            vectors = rng.standard_normal((n, DIM)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            chunks = [
                HistoryChunk(
                    source_id=f"note:{offset + i}",
                    seq=0,
                    tenant_id=tenant,
                    account_id=(offset + i) % args.accounts + 1,
                    kind=KINDS[(offset + i) % len(KINDS)],
                    day=start_day + timedelta(days=(offset + i) % 1000),
                    text=f"Synthetische Notiz {offset + i} zur Lieferung und Qualität.",
                )
                for i in range(n)
            ]
            index.add_vectors(chunks, vectors)
        print(f"bulk fill: {time.perf_counter() - started:.1f} s (random unit vectors)")
    print(f"indexed chunks: {index.count(tenant):,}")

    queries = [
        "Reklamation wegen verspäteter Lieferung",
        "price increase not acceptable",
        "Qualitätsmangel bei Bohrern",
        "Kunde fühlt sich allein gelassen",
        "neuer Einkaufsleiter bringt eigene Lieferanten",
    ]
    vectors = {q: embeddings.embed_query(q) for q in queries}  # warm-up and cache
    pick = random.Random(7)
    plans = [(pick.choice(queries), pick.randint(1, args.accounts)) for _ in range(args.queries)]

    searched, embedded, tenant_wide, brief_like = [], [], [], []
    for query, account in plans:
        t = time.perf_counter()
        index.search_vector(tenant, vectors[query], account_id=account, k=8)
        searched.append(time.perf_counter() - t)
        t = time.perf_counter()
        index.search(tenant, query, account_id=account, k=8)
        embedded.append(time.perf_counter() - t)
        t = time.perf_counter()
        index.search_vector(tenant, vectors[query], k=8)
        tenant_wide.append(time.perf_counter() - t)
        t = time.perf_counter()
        semantic_hits(index, tenant, account, date(2026, 11, 2), k=8)
        brief_like.append(time.perf_counter() - t)

    print(f"\n{args.queries} queries, k=8, target p95 <= 50 ms:")
    report("search, account filter (vector given)", searched)
    report("embed query + search, account filter", embedded)
    report("search whole tenant (vector given)", tenant_wide)
    report(f"brief retrieval ({len(HISTORY_QUERIES)} queries embedded + merged)", brief_like)


if __name__ == "__main__":
    main()
