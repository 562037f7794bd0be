"""Benchmark the local chat models: load time, prompt and generation speed, time to first token.

Usage::

    .venv/bin/python benchmarks/bench_llm.py [--models qwen2.5-coder-1.5b smollm2-135m]
        [--runs 3] [--max-tokens 128]

For each model: load time and RSS, then ``--runs`` streamed generations of a
German prompt (time to first token, prompt tokens/s = prompt tokens / TTFT,
generation tokens/s = tokens after the first / time after the first), then one
``generate_structured`` call with a bounded churn-reason schema (latency,
tokens, whether the object validated). The machine is shared: the load
average is printed next to the figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.codes import ReasonCode  # noqa: E402
from agent.errors import StructuredOutputError  # noqa: E402
from agent.llm import generate_structured  # noqa: E402
from agent.llm.local import make_local_chat  # noqa: E402
from agent.settings import configure  # noqa: E402

PROMPT = (
    "Fasse das Gespräch in drei Sätzen zusammen: Der Kunde, eine Gießerei in Hildesheim, "
    "hat seit Oktober nichts mehr bestellt. Grund: Umstellung auf anorganische Binder wegen "
    "der Emissionen in der Halle, außerdem zwei verspätete Lieferungen im Sommer. Er ist "
    "offen für ein Muster unseres neuen emissionsarmen Binders, wenn die Lieferzeit unter "
    "einer Woche liegt. Nächster Schritt: Angebot bis Freitag, Rückruf in zwei Wochen."
)


class Reason(BaseModel):
    code: ReasonCode
    evidence: str = Field(max_length=120)


class CallAnalysis(BaseModel):
    reasons: list[Reason] = Field(max_length=3)
    outcome: Literal["reactivated", "follow_up", "not_now", "lost", "disqualified", "not_reached"]
    summary: str = Field(max_length=300)


def rss_mb() -> float:
    """Current resident set size in MB (from /proc; peak from getrusage as fallback)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(name: str, runs: int, max_tokens: int, threads: int | None) -> None:
    settings = configure(local_chat_model=name, chat_max_tokens=max_tokens, model_threads=threads)
    t0 = time.perf_counter()
    model = make_local_chat(settings)
    llama = model._llama()
    load_s = time.perf_counter() - t0
    prompt_tokens = len(llama.tokenize(PROMPT.encode("utf-8")))
    print(f"\n== {name}: load {load_s:.1f}s, RSS {rss_mb():.0f} MB, threads {model.n_threads}")
    for i in range(runs):
        llama.reset()  # no prompt cache between runs: every run pays the prompt
        start = time.perf_counter()
        first = None
        count = 0
        for _chunk in model.stream(PROMPT, max_tokens=max_tokens):
            count += 1
            if first is None:
                first = time.perf_counter()
        end = time.perf_counter()
        ttft = (first or end) - start
        gen_tps = (count - 1) / (end - first) if first and count > 1 else 0.0
        print(
            f"run {i + 1}: TTFT {ttft:.2f}s (prompt ~{prompt_tokens} tok, "
            f"{prompt_tokens / ttft:.0f} tok/s), generated {count} tok at {gen_tps:.1f} tok/s"
        )
    llama.reset()
    start = time.perf_counter()
    try:
        result = generate_structured(model, PROMPT, CallAnalysis, max_retries=1, max_tokens=400)
        print(
            f"structured: valid in {result.usage.attempts} attempt(s), "
            f"{result.usage.latency_s:.1f}s, {result.usage.prompt_tokens}+"
            f"{result.usage.completion_tokens} tok -> {result.value.model_dump_json()[:160]}"
        )
    except StructuredOutputError as exc:
        print(f"structured: FAILED after {time.perf_counter() - start:.1f}s: {exc}")
    print(f"peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=["smollm2-135m", "qwen2.5-coder-1.5b"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None, help="default: all cores")
    args = parser.parse_args()
    os.environ.setdefault(
        "WINBACK_MODEL_CACHE_DIR",
        str(Path(__file__).resolve().parent.parent / ".pytest_cache/d/winback-models"),
    )
    print(f"load average at start {os.getloadavg()[0]:.1f}")
    for name in args.models:
        bench(name, args.runs, args.max_tokens, args.threads)
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
