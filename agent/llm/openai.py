"""The ``openai`` chat backend: any OpenAI-compatible endpoint via ``langchain-openai``.

One code path serves OpenAI, Azure OpenAI's v1 endpoint, vLLM, Ollama and a
llama.cpp server: only ``openai_base_url``, ``openai_api_key`` and
``openai_chat_model`` change. Self-hosted servers usually ignore the key, so
a placeholder is sent when a base URL is set without one; talking to
api.openai.com without a key is a configuration error that says what to set.

Rate limits (honouring ``Retry-After``), server errors, lost connections
and timeouts are retried ``openai_max_retries`` times (the openai client's
policy, run here rather than in the client), and every attempt of one call
ends within twice ``openai_timeout_s`` (:func:`call_deadline_s`): the last
attempt's timeout is cut to the time left. What is still failing after that
comes out as our own error with a reason a reviewer can read, instead of the
client library's exceptions escaping the worker:
:class:`agent.errors.ModelEndpointError` when the endpoint failed the request
(asking again at once cannot help, so the structured-output loop stops), and
:class:`agent.errors.ModelAnswerError` for a rate limit, a refusal or an
answer cut off at the token limit (the loop re-asks a bounded number of
times). A
rate limit that outlasts the retries waits out its ``Retry-After`` (at most
``openai_timeout_s``) before the error is raised, so a re-ask does not hit
the endpoint earlier than it asked.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

from pydantic import SecretStr

from agent.errors import ConfigError, ModelAnswerError, ModelEndpointError, ModelError
from agent.settings import Settings, get_settings

#: Sent to self-hosted endpoints that need no key (llama.cpp server, vLLM, Ollama).
PLACEHOLDER_KEY = "not-needed"

R = TypeVar("R")


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


#: The openai client's retry policy: statuses another attempt may fix.
RETRY_STATUSES = frozenset({408, 409, 429})
#: First wait between attempts, doubled per attempt up to :data:`MAX_BACKOFF_S`.
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0


def call_deadline_s(timeout_s: float) -> float:
    """How long one model call may take with all its attempts: twice the request timeout.

    One request that hangs to the timeout plus one retry fit; a third attempt
    on a dead endpoint would only make the caller wait longer for the same
    answer.
    """
    return 2 * timeout_s


def is_reaskable(exc: Exception) -> bool:
    """True for a rate limit (HTTP 429): the endpoint is up and named when to come back.

    Every other endpoint failure that outlasted the retries (no connection,
    no answer in time, 5xx, other 4xx) ends the call; asking again at once
    cannot help.
    """
    status = getattr(exc, "status_code", None)
    return status == 429


def endpoint_error(
    exc: Exception,
    base_url: str | None,
    timeout_s: float | None,
    *,
    attempts: int = 1,
    elapsed_s: float = 0.0,
) -> ModelError:
    """Turn an ``openai`` client exception into our error type that says what happened.

    A rate limit, an answer cut off at the token limit or withheld by a
    content filter give :class:`ModelAnswerError` (the caller may re-ask);
    the endpoint failing the request gives :class:`ModelEndpointError` (the
    caller stops).
    """
    import openai

    where = base_url or "api.openai.com"
    if isinstance(exc, openai.APITimeoutError):
        reason = f"the chat endpoint {where} did not answer within {timeout_s:g} s"
    elif isinstance(exc, openai.APIConnectionError):
        reason = f"cannot reach the chat endpoint {where}: {str(exc).rstrip('.')}"
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
    tried = f" after {attempts} attempts in {elapsed_s:.1f} s" if attempts > 1 else ""
    message = f"Chat model call failed{tried}: {reason}."
    if is_reaskable(exc) or isinstance(
        exc, openai.LengthFinishReasonError | openai.ContentFilterFinishReasonError
    ):
        return ModelAnswerError(message)
    if isinstance(exc, openai.APIConnectionError | openai.APIStatusError):
        return ModelEndpointError(message)
    return ModelError(message)


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


def retry_wait_s(exc: Exception, attempt: int, cap_s: float) -> float | None:
    """Seconds to wait before another attempt after ``exc``; ``None`` when none can help.

    The openai client's policy: timeouts, lost connections, 408/409/429 and
    5xx are retried after ``Retry-After`` (429/503) or an exponential backoff
    (0.5 s doubling, up to 8 s, less up to a quarter at random).
    """
    import openai

    if isinstance(exc, openai.APIStatusError):
        if exc.status_code not in RETRY_STATUSES and exc.status_code < 500:
            return None
        asked = retry_after_s(exc, cap_s)
        if asked > 0:
            return asked
    elif not isinstance(exc, openai.APIConnectionError):  # incl. APITimeoutError
        return None
    backoff = min(FIRST_BACKOFF_S * 2 ** (attempt - 1), MAX_BACKOFF_S)
    return backoff * (1 - 0.25 * random.random())


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
    from pydantic import model_validator

    class GuardedChatOpenAI(ChatOpenAI):
        """``ChatOpenAI`` that retries within a deadline and raises our errors.

        The synchronous client is built without retries of its own: this class
        retries (``max_retries`` times, the client's policy) and cuts the last
        attempt's timeout so that one call ends within
        :func:`call_deadline_s` of its start. The unused async paths keep the
        client's retries and only translate its errors.
        """

        @model_validator(mode="after")
        def _winback_retries_here(self) -> Any:
            if self.root_client is not None:
                self.root_client = self.root_client.with_options(max_retries=0)
                self.client = self.root_client.chat.completions
            return self

        def _timeout_s(self) -> float | None:
            timeout = self.request_timeout
            return float(timeout) if isinstance(timeout, int | float) else None

        def _error(self, exc: Exception) -> ModelError:
            return endpoint_error(exc, self.openai_api_base, self._timeout_s())

        def _within_deadline(self, attempt_call: Callable[[float], R]) -> R:
            """Run ``attempt_call(timeout_s)`` until it succeeds, retries run out or time is up."""
            timeout = self._timeout_s() or 60.0
            deadline = call_deadline_s(timeout)
            started = time.monotonic()
            attempt = 0
            while True:
                attempt += 1
                remaining = deadline - (time.monotonic() - started)
                try:
                    return attempt_call(min(timeout, remaining))
                except openai.OpenAIError as exc:
                    elapsed = time.monotonic() - started
                    wait = retry_wait_s(exc, attempt, timeout)
                    # Another attempt needs time left after the wait: a quarter of the timeout.
                    if (
                        wait is not None
                        and attempt <= (self.max_retries or 0)
                        and elapsed + wait + timeout / 4 <= deadline
                    ):
                        time.sleep(wait)
                        continue
                    if is_reaskable(exc):  # a caller's re-ask must not come before Retry-After
                        time.sleep(retry_after_s(exc, timeout))
                    raise endpoint_error(
                        exc, self.openai_api_base, timeout, attempts=attempt, elapsed_s=elapsed
                    ) from exc

        def _generate(self, *args: Any, **kwargs: Any) -> Any:
            parent = super()._generate
            result = self._within_deadline(lambda timeout: parent(*args, timeout=timeout, **kwargs))
            refused = _refusal(result)
            if refused:
                raise ModelAnswerError(f"The chat model refused to answer: {refused}")
            return result

        async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
            try:
                result = await super()._agenerate(*args, **kwargs)
            except openai.OpenAIError as exc:
                await asyncio.sleep(retry_after_s(exc, self._timeout_s()))
                raise self._error(exc) from exc
            refused = _refusal(result)
            if refused:
                raise ModelAnswerError(f"The chat model refused to answer: {refused}")
            return result

        def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
            parent = super()._stream

            def first_chunk(timeout: float) -> tuple[Iterator[Any], Any]:
                chunks = parent(*args, timeout=timeout, **kwargs)
                return chunks, next(chunks, None)

            # Retried until the first chunk; a stream that breaks later is not repeated.
            chunks, head = self._within_deadline(first_chunk)
            if head is None:
                return
            yield head
            try:
                yield from chunks
            except openai.OpenAIError as exc:
                raise self._error(exc) from exc

        async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            try:
                async for chunk in super()._astream(*args, **kwargs):
                    yield chunk
            except openai.OpenAIError as exc:
                await asyncio.sleep(retry_after_s(exc, self._timeout_s()))
                raise self._error(exc) from exc

    return GuardedChatOpenAI
