"""Per-call usage records of the chat models (model, tokens, latency).

Every call through :func:`agent.llm.structured.generate_structured` returns a
:class:`Usage` next to its object and appends it to the process-wide
:data:`usage_log`, so the pipeline, the benchmarks and the evals can report
cost and speed without each keeping its own bookkeeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Usage:
    """What one model call cost: tokens and wall time."""

    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    attempts: int = 1
    purpose: str = ""
    started_at: float = field(default_factory=time.time)

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        """Fold another attempt of the same call into this record."""
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.latency_s += other.latency_s

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for logs and eval results)."""
        data = asdict(self)
        data["total_tokens"] = self.total_tokens
        return data


def usage_from_message(message: Any, model: str, latency_s: float) -> Usage:
    """Build a :class:`Usage` from a LangChain ``AIMessage`` (its ``usage_metadata``)."""
    meta = getattr(message, "usage_metadata", None) or {}
    response_meta = getattr(message, "response_metadata", None) or {}
    name = response_meta.get("model_name") or response_meta.get("model") or model
    return Usage(
        model=str(name),
        prompt_tokens=int(meta.get("input_tokens", 0) or 0),
        completion_tokens=int(meta.get("output_tokens", 0) or 0),
        latency_s=latency_s,
    )


class UsageLog:
    """A thread-safe, bounded list of :class:`Usage` records."""

    def __init__(self, max_records: int = 10_000, *, observe: bool = False) -> None:
        self._records: list[Usage] = []
        self._lock = threading.Lock()
        self._max = max_records
        self._observe = observe

    def record(self, usage: Usage) -> None:
        """Append ``usage``; the oldest records are dropped beyond the bound.

        The process-wide log also feeds the Prometheus model metrics
        (:mod:`agent.metrics`).
        """
        with self._lock:
            self._records.append(usage)
            if len(self._records) > self._max:
                del self._records[: len(self._records) - self._max]
        if self._observe:
            from agent.metrics import observe_chat

            observe_chat(usage.model, usage.latency_s, usage.prompt_tokens, usage.completion_tokens)

    def records(self) -> list[Usage]:
        """A copy of the records, oldest first."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget all records."""
        with self._lock:
            self._records.clear()

    def totals(self) -> dict[str, float]:
        """Sums over all records: calls, tokens and latency."""
        recs = self.records()
        return {
            "calls": len(recs),
            "prompt_tokens": sum(r.prompt_tokens for r in recs),
            "completion_tokens": sum(r.completion_tokens for r in recs),
            "latency_s": sum(r.latency_s for r in recs),
        }

    @contextmanager
    def capture(self) -> Iterator[list[Usage]]:
        """Collect the records added inside the ``with`` block into the yielded list."""
        start = len(self.records())
        collected: list[Usage] = []
        try:
            yield collected
        finally:
            collected.extend(self.records()[start:])


#: The process-wide usage log.
usage_log = UsageLog(observe=True)
