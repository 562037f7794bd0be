"""Local-only mode: every registry refuses every non-local backend with a ConfigError."""

from __future__ import annotations

import pytest

from agent.embeddings import get_embedder
from agent.errors import ConfigError
from agent.llm.chat import get_chat_model
from agent.settings import configure
from agent.transcription.registry import get_transcriber


@pytest.mark.parametrize(
    ("field", "factory"),
    [
        ("chat_backend", get_chat_model),
        ("embeddings_backend", get_embedder),
        ("transcriber_backend", get_transcriber),
    ],
)
def test_openai_backend_refused_in_local_only_mode(field: str, factory) -> None:  # type: ignore[no-untyped-def]
    # A key and a base URL are set, so the refusal can only come from local_only.
    values = {field: "openai", "openai_api_key": "k", "openai_base_url": "http://127.0.0.1:9"}
    with pytest.raises(ConfigError, match="LOCAL_ONLY"):
        factory(configure(local_only=True, **values))
    assert factory(configure(local_only=False, **values)) is not None
