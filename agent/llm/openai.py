"""The ``openai`` chat backend: any OpenAI-compatible endpoint via ``langchain-openai``.

One code path serves OpenAI, Azure OpenAI's v1 endpoint, vLLM, Ollama and a
llama.cpp server: only ``openai_base_url``, ``openai_api_key`` and
``openai_chat_model`` change. Self-hosted servers usually ignore the key, so
a placeholder is sent when a base URL is set without one; talking to
api.openai.com without a key is a configuration error that says what to set.

The client retries rate limits (honouring ``Retry-After``), server errors and
timeouts itself, ``openai_max_retries`` times. What is still failing after
that - and a refusal or an answer cut off at the token limit - comes out as
:class:`agent.errors.ModelError` with a reason a reviewer can read, so the
analysis re-asks a bounded number of times and then stores a ``failed`` note
instead of letting the client library's exceptions escape the worker. A rate
limit that outlasts the client's retries waits out its ``Retry-After`` (at
most ``openai_timeout_s``) before the error is raised, so a caller's re-ask
does not hit the endpoint earlier than it asked.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from pydantic import SecretStr

from agent.errors import ConfigError, ModelError
from agent.settings import Settings, get_settings

#: Sent to self-hosted endpoints that need no key (llama.cpp server, vLLM, Ollama).
PLACEHOLDER_KEY = "not-needed"


def check_remote_allowed(settings: Settings, what: str) -> None:
    """Raise :class:`ConfigError` when ``local_only`` forbids a network model."""
    if settings.local_only:
        raise ConfigError(
            f"The {what} backend 'openai' sends data to a network endpoint, but "
            "WINBACK_LOCAL_ONLY is set. Use the local backend or unset local_only."
        )


def openai_credentials(settings: Settings, what: str) -> tuple[str | None, SecretStr]:
    """Return ``(base_url, api_key)`` for an OpenAI-compatible client, or raise ConfigError."""
    check_remote_allowed(settings, what)
    key = settings.openai_api_key
    if key is None or not key.get_secret_value():
        if not settings.openai_base_url:
            raise ConfigError(
                f"The {what} backend 'openai' needs an API key: set WINBACK_OPENAI_API_KEY, "
                "or WINBACK_OPENAI_BASE_URL for a self-hosted endpoint."
            )
        key = SecretStr(PLACEHOLDER_KEY)
    return settings.openai_base_url, key


def make_openai_chat(settings: Settings | None = None, **overrides: Any) -> Any:
    """Build a ``ChatOpenAI`` from settings (base URL, key, model, timeout, retries).

    The model raises :class:`ModelError` for endpoint failures and refusals
    (see the module docstring).
    """
    settings = settings or get_settings()
    base_url, key = openai_credentials(settings, "chat")
    values: dict[str, Any] = {
        "model": settings.openai_chat_model,
        "api_key": key,
        "base_url": base_url,
        "timeout": settings.openai_timeout_s,
        "max_retries": settings.openai_max_retries,
        "temperature": settings.chat_temperature,
        "max_completion_tokens": settings.chat_max_tokens,
        # Streaming usage lets benchmarks and usage records count tokens.
        "stream_usage": True,
    }
    if base_url:
        # Self-hosted servers (llama.cpp, older vLLM) read ``max_tokens``, not OpenAI's newer
        # ``max_completion_tokens``; without it a looping small model runs to the context end.
        values["extra_body"] = {"max_tokens": settings.chat_max_tokens}
    values.update(overrides)
    return _guarded_chat_class()(**values)


def endpoint_error(exc: Exception, base_url: str | None, timeout_s: float | None) -> ModelError:
    """Turn an ``openai`` client exception into a :class:`ModelError` that says what happened."""
    import openai

    where = base_url or "api.openai.com"
    if isinstance(exc, openai.APITimeoutError):
        reason = f"the chat endpoint {where} did not answer within {timeout_s:g} s"
    elif isinstance(exc, openai.APIConnectionError):
        reason = f"cannot reach the chat endpoint {where}: {exc}"
    elif isinstance(exc, openai.RateLimitError):
        reason = f"the chat endpoint {where} is rate limiting (HTTP 429): {exc.message}"
    elif isinstance(exc, openai.APIStatusError):
        reason = f"the chat endpoint {where} answered HTTP {exc.status_code}: {exc.message}"
    elif isinstance(exc, openai.LengthFinishReasonError):
        reason = "the answer was cut off at the token limit (raise WINBACK_CHAT_MAX_TOKENS)"
    elif isinstance(exc, openai.ContentFilterFinishReasonError):
        reason = "the endpoint's content filter withheld the answer"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    return ModelError(f"Chat model call failed: {reason}.")


def retry_after_s(exc: Exception, cap_s: float | None) -> float:
    """Seconds a 429/503 answer asked the client to wait (``Retry-After``), capped; else 0."""
    response = getattr(exc, "response", None)
    if response is None or getattr(response, "status_code", None) not in (429, 503):
        return 0.0
    try:
        wait = float(response.headers.get("retry-after", ""))
    except ValueError:  # missing, or an HTTP date (rare for APIs): no extra wait
        return 0.0
    return max(0.0, min(wait, cap_s if cap_s is not None else 60.0))


def _refusal(result: Any) -> str | None:
    """The refusal text of a completion that carries one instead of content."""
    for generation in getattr(result, "generations", []):
        message = generation.message
        refusal = message.additional_kwargs.get("refusal")
        if refusal and not message.content:
            return str(refusal)
    return None


@functools.cache
def _guarded_chat_class() -> type[Any]:
    """``ChatOpenAI`` whose failures are :class:`ModelError` (built on first use).

    Defined lazily because importing ``langchain_openai`` costs start-up time
    that commands without a network model should not pay.
    """
    import openai
    from langchain_openai import ChatOpenAI

    class GuardedChatOpenAI(ChatOpenAI):  # type: ignore[misc]
        """``ChatOpenAI`` that raises :class:`ModelError` instead of client exceptions."""

        def _timeout_s(self) -> float | None:
            timeout = self.request_timeout
            return float(timeout) if isinstance(timeout, int | float) else None

        def _error(self, exc: Exception) -> ModelError:
            return endpoint_error(exc, self.openai_api_base, self._timeout_s())

        def _generate(self, *args: Any, **kwargs: Any) -> Any:
            try:
                result = super()._generate(*args, **kwargs)
            except openai.OpenAIError as exc:
                time.sleep(retry_after_s(exc, self._timeout_s()))
                raise self._error(exc) from exc
            refused = _refusal(result)
            if refused:
                raise ModelError(f"The chat model refused to answer: {refused}")
            return result

        async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
            try:
                result = await super()._agenerate(*args, **kwargs)
            except openai.OpenAIError as exc:
                await asyncio.sleep(retry_after_s(exc, self._timeout_s()))
                raise self._error(exc) from exc
            refused = _refusal(result)
            if refused:
                raise ModelError(f"The chat model refused to answer: {refused}")
            return result

        def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from super()._stream(*args, **kwargs)
            except openai.OpenAIError as exc:
                time.sleep(retry_after_s(exc, self._timeout_s()))
                raise self._error(exc) from exc

        async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            try:
                async for chunk in super()._astream(*args, **kwargs):
                    yield chunk
            except openai.OpenAIError as exc:
                await asyncio.sleep(retry_after_s(exc, self._timeout_s()))
                raise self._error(exc) from exc

    return GuardedChatOpenAI
