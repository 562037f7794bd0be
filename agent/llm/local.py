"""The local chat backend: a GGUF model run by llama.cpp inside this process.

Why in-process (``llama_cpp.Llama``) rather than a llama.cpp server started on
loopback: the embedded install must work with no ports, no child processes to
supervise and no extra dependencies; the weights are loaded once per process
(the CLI or a queue worker) and calls have no HTTP overhead. Production setups
that want one shared model server run ``python -m llama_cpp.server`` (or vLLM,
Ollama) themselves and select the ``openai`` backend with ``openai_base_url`` -
that path is the same code as the hosted models and is tested against a
llama.cpp server in ``tests/llm/test_openai.py``.

The model is exposed as a LangChain ``BaseChatModel`` so the rest of Winback
sees one interface. Structured output uses llama.cpp's JSON-schema to grammar
conversion (``response_format={"type": "json_object", "schema": ...}``): the
sampler can only produce tokens that keep the output valid for the schema.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from agent.errors import ModelError
from agent.model_store import MODELS, cpu_threads, resolve_model_path
from agent.settings import Settings, get_settings

_CACHE: dict[tuple[str, int, int, int], Any] = {}
_CACHE_LOCK = threading.Lock()
#: One lock per loaded model: a llama.cpp context must not run two completions at once
#: (API threads, queue workers in threads), so calls on the same model are serialised.
_RUN_LOCKS: dict[int, threading.Lock] = {}


def _run_lock(llama: Any) -> threading.Lock:
    with _CACHE_LOCK:
        return _RUN_LOCKS.setdefault(id(llama), threading.Lock())


def make_prompt_cache(capacity_bytes: int) -> Any:
    """A least-recently-used store of evaluated prompt states that counts what it keeps.

    llama-cpp-python's ``LlamaRAMCache`` saves every state with a copy of the
    logits buffer (batch size x vocabulary floats: about 300 MB for Qwen2.5)
    that its capacity does not count, so 1 GB "capacity" held 9 GB. Sampling
    runs in llama.cpp's sampler, and a restored state evaluates its last token
    again before sampling, so the copy is replaced by one zero row (it
    broadcasts when the state is restored) and the size counts everything kept.
    """
    import numpy as np
    from llama_cpp import LlamaRAMCache

    class PromptStateCache(LlamaRAMCache):
        def __setitem__(self, key: Any, value: Any) -> None:
            value.scores = np.zeros((1, value.scores.shape[1]), dtype=value.scores.dtype)
            super().__setitem__(key, value)

        @property
        def cache_size(self) -> int:
            return sum(
                s.llama_state_size + s.scores.nbytes + s.input_ids.nbytes
                for s in self.cache_state.values()
            )

    return PromptStateCache(capacity_bytes)


def load_llama(model_path: Path, n_ctx: int, n_threads: int, prompt_cache_mb: int = 0) -> Any:
    """Load (once per process and configuration) a ``llama_cpp.Llama`` for ``model_path``.

    With ``prompt_cache_mb`` > 0 the evaluated prompt states are kept in RAM
    (least recently used first out) and a new prompt resumes from the longest
    cached prefix. Every prompt starts with the fixed system prompt of its
    task and language, so a brief after a call analysis (or a German brief
    after an English one) does not evaluate its system prompt again: about
    600 tokens, 9 s on two cores.
    """
    key = (str(model_path), n_ctx, n_threads, prompt_cache_mb)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ModelError(
                "The local chat model needs llama-cpp-python: `pip install 'winback[local]'`, "
                "or set WINBACK_CHAT_BACKEND=openai."
            ) from exc
        try:
            llama = Llama(
                model_path=str(model_path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"llama.cpp could not load {model_path}: {exc}") from exc
        if prompt_cache_mb > 0:
            llama.set_cache(make_prompt_cache(prompt_cache_mb << 20))
        _CACHE[key] = llama
        return llama


@atexit.register
def close_all() -> None:
    """Free every cached model while the interpreter is still intact.

    Left to ``Llama.__del__`` at interpreter shutdown, llama.cpp's clean-up
    runs after its own module globals are gone and prints a TypeError.
    """
    with _CACHE_LOCK:
        models = list(_CACHE.values())
        _CACHE.clear()
    for llama in models:
        # Shutting down: a failure here has nobody left to report to.
        with contextlib.suppress(Exception):
            llama.close()


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for item in content or []:
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, dict) and item.get("type") == "text":
            parts.append(str(item.get("text", "")))
    return "".join(parts)


def to_openai_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """Convert LangChain messages to the OpenAI-style dicts llama.cpp expects."""
    out = []
    for m in messages:
        if isinstance(m, SystemMessage):
            role = "system"
        elif isinstance(m, HumanMessage):
            role = "user"
        elif isinstance(m, AIMessage):
            role = "assistant"
        elif isinstance(m, ToolMessage):
            role = "tool"
        else:
            role = "user"
        out.append({"role": role, "content": _text(m.content)})
    return out


class LlamaCppChatModel(BaseChatModel):
    """A LangChain chat model over an in-process llama.cpp GGUF model.

    Extra keyword arguments of ``invoke`` are passed to
    ``Llama.create_chat_completion`` (e.g. ``response_format``, ``max_tokens``),
    so structured output works the same way as with ``ChatOpenAI``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: Path
    model_name: str = "local"
    n_ctx: int = 4096
    n_threads: int = 1
    prompt_cache_mb: int = 0
    max_tokens: int = 512
    temperature: float = 0.0
    repeat_penalty: float = 1.1
    seed: int = 0
    default_kwargs: dict[str, Any] = Field(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-inprocess"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "model_path": str(self.model_path)}

    def _llama(self) -> Any:
        return load_llama(self.model_path, self.n_ctx, self.n_threads, self.prompt_cache_mb)

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "repeat_penalty": self.repeat_penalty,
            "seed": self.seed,
            **self.default_kwargs,
        }
        params.update(kwargs)
        if stop:
            params["stop"] = stop
        return params

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        llama = self._llama()
        try:
            with _run_lock(llama):
                result = llama.create_chat_completion(
                    messages=to_openai_messages(messages), **self._params(stop, kwargs)
                )
        except ValueError as exc:  # e.g. prompt longer than the context window
            raise ModelError(f"Local chat model failed: {exc}") from exc
        choice = result["choices"][0]
        usage = result.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            usage_metadata=UsageMetadata(
                input_tokens=int(usage.get("prompt_tokens", 0)),
                output_tokens=int(usage.get("completion_tokens", 0)),
                total_tokens=int(usage.get("total_tokens", 0)),
            ),
            response_metadata={
                "model_name": self.model_name,
                "finish_reason": choice.get("finish_reason"),
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        params = self._params(stop, kwargs)
        params["stream"] = True
        llama = self._llama()
        try:
            with _run_lock(llama):
                stream = llama.create_chat_completion(
                    messages=to_openai_messages(messages), **params
                )
                for part in stream:
                    delta = part["choices"][0].get("delta", {}).get("content") or ""
                    if not delta:
                        continue
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                    if run_manager:
                        run_manager.on_llm_new_token(delta, chunk=chunk)
                    yield chunk
        except ValueError as exc:
            raise ModelError(f"Local chat model failed: {exc}") from exc


def make_local_chat(settings: Settings | None = None, **overrides: Any) -> LlamaCppChatModel:
    """Build the local chat model from settings (bundled model name or GGUF path)."""
    settings = settings or get_settings()
    path = resolve_model_path(settings.local_chat_model, settings)
    values: dict[str, Any] = {
        "model_path": path,
        "model_name": settings.local_chat_model
        if settings.local_chat_model in MODELS
        else path.name,
        "n_ctx": settings.local_chat_ctx,
        "n_threads": cpu_threads(settings),
        "prompt_cache_mb": settings.local_prompt_cache_mb,
        "max_tokens": settings.chat_max_tokens,
        "temperature": settings.chat_temperature,
        "repeat_penalty": settings.chat_repeat_penalty,
    }
    values.update(overrides)
    return LlamaCppChatModel(**values)
