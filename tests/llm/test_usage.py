"""Tests of the per-call usage records."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from agent.llm.usage import Usage, UsageLog, usage_from_message


def test_usage_from_message_prefers_reported_model() -> None:
    msg = AIMessage(
        content="x",
        usage_metadata={"input_tokens": 12, "output_tokens": 3, "total_tokens": 15},
        response_metadata={"model_name": "gpt-x-2025"},
    )
    usage = usage_from_message(msg, "gpt-x", 0.5)
    assert (usage.model, usage.prompt_tokens, usage.completion_tokens) == ("gpt-x-2025", 12, 3)
    assert usage.total_tokens == 15 and usage.latency_s == 0.5
    bare = usage_from_message(AIMessage(content="x"), "local", 0.1)
    assert (bare.model, bare.prompt_tokens, bare.completion_tokens) == ("local", 0, 0)


def test_log_is_bounded_captures_and_sums() -> None:
    log = UsageLog(max_records=3)
    log.record(Usage("a", 1, 1, 0.1))
    with log.capture() as captured:
        log.record(Usage("b", 2, 3, 0.2))
    assert [u.model for u in captured] == ["b"]
    for i in range(3):
        log.record(Usage(f"c{i}", 1, 0, 1.0))
    assert [u.model for u in log.records()] == ["c0", "c1", "c2"]
    assert log.totals() == {
        "calls": 3,
        "prompt_tokens": 3,
        "completion_tokens": 0,
        "latency_s": 3.0,
    }
    merged = Usage("m", 1, 1, 1.0)
    merged.add(Usage("m", 2, 2, 2.0))
    assert merged.to_dict()["total_tokens"] == 6 and merged.latency_s == 3.0
    log.clear()
    assert log.records() == []
