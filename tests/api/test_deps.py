"""The request's unit of work: committed before the client sees the answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from agent.settings import Settings
from api.app import create_app
from tests.api.conftest import bearer
from tests.api.world import World


@pytest.fixture
def events(api_settings: Settings, world: World) -> Iterator[tuple[list[str], TestClient]]:
    """A client whose app logs each commit and the start of each response, in order."""
    seen: list[str] = []
    app = create_app(api_settings)

    async def logged(scope: Any, receive: Any, send: Any) -> None:
        async def logging_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen.append(f"answer {message['status']}")
            await send(message)

        await app(scope, receive, logging_send)

    def committed(session: Session) -> None:
        seen.append("commit")

    event.listen(Session, "after_commit", committed)
    try:
        with TestClient(logged) as client:  # type: ignore[arg-type]
            yield seen, client
    finally:
        event.remove(Session, "after_commit", committed)


def test_a_write_is_committed_before_the_answer_is_sent(
    events: tuple[list[str], TestClient], world: World
) -> None:
    # A client that follows a redirect (the note page after "approve") or reads right
    # after a write must see the write: the commit may not wait until the answer is out.
    seen, client = events
    nid = world.objects["rep1"].note
    seen.clear()
    r = client.post(f"/api/notes/{nid}/approve", json={"comment": "ok"},
                    headers=bearer(world, "boss"))  # fmt: skip
    assert r.status_code == 200, r.text
    answer = seen.index("answer 200")
    assert "commit" not in seen[answer:], seen
