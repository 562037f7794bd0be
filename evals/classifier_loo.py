"""Leave-one-out figures of the embedding classifier on a calls dataset (no chat model).

Usage: ``python -m evals.classifier_loo [DATASET.jsonl] [--threshold T ...]``. Prints
churn-reason micro/macro F1 and outcome accuracy per threshold, as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from agent.analysis.classifier import embed_calls, leave_one_out
from agent.embeddings import get_embedder
from evals.calls import EVALS_DIR, load_calls
from evals.graders import accuracy, prf_sets


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", nargs="?", default=EVALS_DIR / "datasets/calls.dev.v0.jsonl")
    parser.add_argument("--threshold", type=float, nargs="*", default=[0.0, 0.02, 0.05, 0.08])
    args = parser.parse_args()
    rows = load_calls(Path(args.dataset))
    started = time.perf_counter()
    embedder = get_embedder()
    calls = embed_calls(rows, embedder)
    embed_s = time.perf_counter() - started
    runs: list[dict[str, Any]] = []
    report = {"n": len(rows), "embedder": embedder.name, "embed_s": round(embed_s, 2), "runs": runs}
    for threshold in args.threshold:
        preds = leave_one_out(rows, calls, threshold)
        reasons = prf_sets(
            [r["gold"]["churn_reasons"] for r in rows], [p["reasons"] for p in preds]
        )
        runs.append(
            {
                "threshold": threshold,
                "churn_reasons": {k: reasons[k] for k in ("micro_f1", "macro_f1", "recall")},
                "outcome": {"accuracy": accuracy([r["gold"]["outcome"] for r in rows],
                                                 [p["outcome"] for p in preds])},
            }
        )  # fmt: skip
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
