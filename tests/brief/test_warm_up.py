"""The brief model's warm-up in long-running workers, with the real SmolLM2 test model."""

from __future__ import annotations

import pytest

from agent.brief.generator import generate_brief, start_warm_up, warm_up
from agent.crm.db import Store
from agent.llm import get_chat_model
from agent.llm.local import LlamaCppChatModel
from agent.settings import Settings, get_settings
from tests.history.fixtures import AS_OF, Crm
from tests.llm.test_local import count_restores, loaded_llama
from tests.llm.test_local import smol_settings as smol_settings_for


def test_nothing_to_warm_unless_local_compact_and_cached() -> None:
    base = get_settings().model_copy(update={"brief_warm_up": True, "chat_backend": "local"})
    assert warm_up(base.model_copy(update={"brief_warm_up": False})) == 0.0
    assert warm_up(base.model_copy(update={"chat_backend": "fake"})) == 0.0
    assert warm_up(base.model_copy(update={"brief_design": "full"})) == 0.0
    assert warm_up(base.model_copy(update={"local_prompt_cache_mb": 0})) == 0.0


def test_a_failing_warm_up_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    settings = get_settings().model_copy(
        update={"brief_warm_up": True, "chat_backend": "local", "local_chat_model": "/nope.gguf"}
    )
    start_warm_up(settings).join(timeout=60)
    assert "brief model warm-up failed" in caplog.text


@pytest.fixture
def smol_settings(request: pytest.FixtureRequest) -> Settings:
    return smol_settings_for(request, local_prompt_cache_mb=128, brief_warm_up=True)


@pytest.mark.local_model
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_first_brief_after_the_warm_up_resumes_from_the_cached_system_prompt(
    store: Store, crm: Crm, smol_settings: Settings
) -> None:
    assert warm_up(smol_settings) > 0
    model = get_chat_model(smol_settings)
    assert isinstance(model, LlamaCppChatModel)
    llama = loaded_llama(model)
    assert len(llama.cache.cache_state) == 2  # the German and the English system prompt
    resumed = count_restores(llama)
    llama.reset()  # as if something else had run on the model since the warm-up
    with store.session() as s:
        brief = generate_brief(s, "acme", "K-100", as_of=AS_OF, model=model, settings=smol_settings)
    assert brief.brief.usage["design"] == "compact"
    # The German question's prompt resumed from the warm-up's state of its system prompt.
    assert resumed and resumed[0] > 300
