"""The ``openai`` chat backend: any OpenAI-compatible endpoint via ``langchain-openai``.

One code path serves OpenAI, Azure OpenAI's v1 endpoint, vLLM, Ollama and a
llama.cpp server: only ``openai_base_url``, ``openai_api_key`` and
``openai_chat_model`` change. Self-hosted servers usually ignore the key, so
a placeholder is sent when a base URL is set without one; talking to
api.openai.com without a key is a configuration error that says what to set.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from agent.errors import ConfigError
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
    """Build a ``ChatOpenAI`` from settings (base URL, key, model, timeout, retries)."""
    from langchain_openai import ChatOpenAI

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
    return ChatOpenAI(**values)
