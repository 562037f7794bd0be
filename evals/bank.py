"""Build the labelled call sentences the analysis classifiers learn from.

``python -m evals.bank`` reads the labelled call sets and their sentence
annotations (``datasets/calls.annotations.v0.jsonl``: for every gold reason
the customer sentences that carry it, the turns that decide the outcome and
where each next step is agreed, plus sentences that only sound like a
reason) and writes every sentence of those calls with its labels to
``agent/catalogue/data/call_sentences.jsonl``, one line per call: its turns
and, per sentence, where it is and what it carries. Each call keeps its
writer (``group``: ``dev`` for the dev set, ``w1``..``w4`` for the training
set's writers), so the leave-one-writer-out evaluation trains without the
writer it scores.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from agent.analysis.bank import CALL_SENTENCES
from agent.analysis.schema import Turn
from agent.analysis.sentences import sentences
from evals.calls import load_calls

DATASETS = Path(__file__).resolve().parent / "datasets"
CALL_SETS = (DATASETS / "calls.dev.v0.jsonl", DATASETS / "calls.train.v0.jsonl")
ANNOTATIONS = DATASETS / "calls.annotations.v0.jsonl"
OUTCOME_SIGNAL = {
    "not_reached": "absent",
    "disqualified": "cannot_buy",
    "reactivated": "order",
    "lost": "refusal",
    "follow_up": "step",
    "not_now": "later",
}
#: Step types whose agreement is also a "step towards business" signal
#: (docs/labelling-guidelines.md §2.5).
BUSINESS_STEPS = {"send_offer", "send_sample", "schedule_visit"}


def writer(call_id: str) -> str:
    """The writer group of a call id: ``w1``..``w4`` for training calls, ``dev`` otherwise."""
    head = call_id.split("-", 1)[0]
    return head if head.startswith("w") and head[1:].isdigit() else "dev"


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    """Whether two character spans share at least half of the shorter one."""
    shared = min(a1, b1) - max(a0, b0)
    return shared > 0 and shared * 2 >= min(a1 - a0, b1 - b0)


def label_sentences(
    rows: list[dict[str, Any]], annotations: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per call: its turns and every sentence with the labels of the annotations it overlaps."""
    by_call: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ann in annotations:
        by_call[ann["call"]].append(ann)
    out: list[dict[str, Any]] = []
    for row in rows:
        turns = [Turn.model_validate(t) for t in row["turns"]]
        labelled: list[dict[str, Any]] = []
        for s in sentences(turns):
            here = [
                a for a in by_call[row["id"]]
                if a["turn"] == s.turn and _overlaps(s.start, s.end, a["start"], a["end"])
            ]  # fmt: skip
            reasons = sorted({a["code"] for a in here if a["kind"] == "reason"})
            negative = sorted({a["code"] for a in here if a["kind"] == "reason_negative"})
            steps = sorted(
                {(a["code"], a.get("owner", "rep")) for a in here if a["kind"] == "step"}
            )
            signal = None
            if any(a["kind"] == "outcome" for a in here):
                signal = OUTCOME_SIGNAL[row["gold"]["outcome"]]
            elif any(code in BUSINESS_STEPS for code, _ in steps):
                signal = "step"
            labelled.append(
                {
                    "turn": s.turn,
                    "start": s.start,
                    "end": s.end,
                    "reasons": reasons,
                    "reason_negative": [c for c in negative if c not in reasons],
                    "signal": signal,
                    "steps": [list(step) for step in steps],
                }
            )
        out.append(
            {
                "group": writer(row["id"]),
                "call": row["id"],
                "language": row["language"],
                "turns": [t.model_dump() for t in turns],
                "gold": {k: row["gold"][k] for k in ("churn_reasons", "outcome", "next_steps")},
                "sentences": labelled,
            }
        )
    return out


def read_annotations(path: Path = ANNOTATIONS) -> list[dict[str, Any]]:
    """The sentence annotations of the labelled calls."""
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def build(out: Path = CALL_SENTENCES) -> int:
    """Write the labelled sentences of all call sets; return how many calls."""
    rows = [row for path in CALL_SETS for row in load_calls(path)]
    labelled = label_sentences(rows, read_annotations())
    out.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in labelled), encoding="utf-8"
    )
    return len(labelled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=CALL_SENTENCES)
    args = parser.parse_args()
    print(f"{build(args.out)} calls -> {args.out}")


if __name__ == "__main__":
    main()
