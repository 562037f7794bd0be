"""Real briefs written by the local Qwen model, in both designs.

``compact`` (the default with the local model) asks the model for the opening
question only (about 10-20 s on 2 cores); ``full`` asks for the whole draft
(about a minute).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.brief.generator import generate_brief
from agent.brief.grounding import check_brief
from agent.crm.db import Store
from agent.history.index import HistoryIndex
from agent.history.records import RecordBook
from agent.history.sync import rebuild
from agent.language import guess_language
from agent.llm import get_chat_model
from agent.settings import get_settings
from tests.history.fixtures import AS_OF, INJECTION, Crm

pytestmark = [pytest.mark.local_model, pytest.mark.slow]


@pytest.mark.parametrize("design", ["compact", "full"])
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_local_model_writes_a_grounded_german_brief(
    store: Store, crm: Crm, index: HistoryIndex, pytestconfig: pytest.Config, design: str
) -> None:
    cache = Path(pytestconfig.cache.mkdir("winback-models"))
    settings = get_settings().model_copy(
        update={"model_cache_dir": cache, "chat_backend": "local", "brief_design": design}
    )
    model = get_chat_model(settings)
    with store.session() as s:
        rebuild(s, index, crm.acme)
        run = generate_brief(
            s, "acme", "K-100", as_of=AS_OF, index=index, model=model, settings=settings
        )
        brief = run.brief
        # Whatever the model wrote, what is left in the brief passes the checker.
        assert check_brief(brief, RecordBook(s, crm.acme), run.names) == {}
    assert brief.should_call and brief.model.startswith("qwen")
    assert brief.situation and brief.opening_question is not None
    text = " ".join(c.text for c in brief.situation + brief.talking_points)
    assert guess_language(text) in ("de", None)
    assert "PWNED" not in text and INJECTION not in text
    assert brief.usage["calls"] in (1, 2) and brief.usage["completion_tokens"] > 0
    assert brief.usage["design"] == design
    question = brief.opening_question.text
    assert "PWNED" not in question and guess_language(question) in ("de", None)
    if design == "compact":
        assert brief.authored["situation"] == "code" and len(brief.situation) >= 3
