"""Tests of the chat registry, the openai backend's settings and the fake chat model."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage
from pydantic import SecretStr

from agent.errors import ConfigError, ModelError, ModelIntegrityError
from agent.llm import CHAT_BACKENDS, get_chat_model
from agent.llm.local import to_openai_messages
from agent.settings import configure
from agent.testing import FakeChatModel


def test_fake_backend_queues_and_records() -> None:
    model = get_chat_model(configure(chat_backend="fake"))
    assert isinstance(model, FakeChatModel)
    model.enqueue("Hallo", "Tschüss")
    assert model.invoke("eins").content == "Hallo"
    assert model.invoke([HumanMessage("zwei")]).content == "Tschüss"
    assert [c.prompt for c in model.history] == ["eins", "zwei"]
    with pytest.raises(ModelError):
        model.invoke("drei")


def test_openai_backend_reads_settings() -> None:
    settings = configure(
        chat_backend="openai",
        openai_api_key="sk-test",
        openai_chat_model="gpt-x",
        openai_timeout_s=7,
        openai_max_retries=1,
        chat_max_tokens=99,
    )
    model = get_chat_model(settings)
    assert model.model_name == "gpt-x"
    assert isinstance(model.openai_api_key, SecretStr)
    assert model.openai_api_key.get_secret_value() == "sk-test"
    assert model.request_timeout == 7 and model.max_retries == 1 and model.max_tokens == 99
    assert model.extra_body is None  # only self-hosted endpoints get max_tokens twice


def test_openai_backend_self_hosted_needs_no_key() -> None:
    model = get_chat_model(
        configure(chat_backend="openai", openai_base_url="http://127.0.0.1:9/v1")
    )
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.extra_body == {"max_tokens": 512}


def test_openai_backend_without_key_explains() -> None:
    with pytest.raises(ConfigError, match="WINBACK_OPENAI_API_KEY"):
        get_chat_model(configure(chat_backend="openai"))


def test_local_only_refuses_openai() -> None:
    settings = configure(chat_backend="openai", openai_api_key="sk-test", local_only=True)
    with pytest.raises(ConfigError, match="LOCAL_ONLY"):
        get_chat_model(settings)


def test_unknown_backend_is_config_error() -> None:
    settings = configure(chat_backend="fake").model_copy(update={"chat_backend": "nope"})
    with pytest.raises(ConfigError, match="Unknown chat backend"):
        get_chat_model(settings)
    assert set(CHAT_BACKENDS) == {"local", "openai", "fake"}


def test_local_backend_with_missing_weights_is_integrity_error(tmp_path) -> None:
    settings = configure(chat_backend="local", local_chat_model=str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelIntegrityError, match="neither a bundled model"):
        get_chat_model(settings)


def test_message_conversion() -> None:
    from langchain_core.messages import AIMessage, SystemMessage

    msgs = [SystemMessage("s"), HumanMessage([{"type": "text", "text": "u"}]), AIMessage("a")]
    assert to_openai_messages(msgs) == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "u"},
        {"role": "assistant", "content": "a"},
    ]
