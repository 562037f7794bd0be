"""The chat model interface and its registry.

The interface *is* LangChain's ``BaseChatModel``: every backend returns one,
so callers use ``invoke``/``stream`` and LangChain prompt templates, and tests
swap in :class:`agent.testing.FakeChatModel`. The backend is chosen by name in
``settings.chat_backend``; new backends register a factory in
:data:`CHAT_BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from agent.errors import ConfigError
from agent.settings import Settings, get_settings

ChatFactory = Callable[..., BaseChatModel]


def _local(settings: Settings, **overrides: Any) -> BaseChatModel:
    from agent.llm.local import make_local_chat

    return make_local_chat(settings, **overrides)


def _openai(settings: Settings, **overrides: Any) -> BaseChatModel:
    from agent.llm.openai import make_openai_chat

    return make_openai_chat(settings, **overrides)


def _fake(settings: Settings, **overrides: Any) -> BaseChatModel:
    from agent.testing import FakeChatModel

    return FakeChatModel(**overrides)


#: Backend name -> factory taking ``(settings, **overrides)``.
CHAT_BACKENDS: dict[str, ChatFactory] = {"local": _local, "openai": _openai, "fake": _fake}


def get_chat_model(settings: Settings | None = None, **overrides: Any) -> BaseChatModel:
    """Return the chat model selected by ``settings.chat_backend``.

    ``overrides`` go to the backend's constructor (e.g. ``max_tokens``). Raises
    :class:`ConfigError` for an unknown backend or a backend that
    ``local_only`` forbids, and :class:`agent.errors.ModelIntegrityError` when
    local weights are missing.
    """
    settings = settings or get_settings()
    try:
        factory = CHAT_BACKENDS[settings.chat_backend]
    except KeyError:
        known = ", ".join(sorted(CHAT_BACKENDS))
        raise ConfigError(
            f"Unknown chat backend {settings.chat_backend!r}; choose one of: {known}."
        ) from None
    return factory(settings, **overrides)
