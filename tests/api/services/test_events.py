"""The event feed service: the tenant's audited changes in id order, a note only on note events."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from agent.analysis.notes import audit
from agent.auth import Principal
from agent.crm.models import TaskStatus, User
from agent.errors import ValidationError
from api.services.accounts import assign_owner
from api.services.events import feed
from api.services.tasks import set_task_status
from tests.api.world import World


def test_the_feed_pages_by_id_and_only_note_events_carry_a_note(
    session: Session, world: World, as_user: Callable[[str], Principal]
) -> None:
    boss = as_user("boss")
    note_id = world.objects["rep1"].note
    audit(session, boss.tenant_id, session.get(User, boss.user_id), "call_note.approve",
          "call_note", note_id, {"status": "pending_review"}, {"status": "approved"})  # fmt: skip
    assign_owner(session, boss, world.objects["rep1"].account, "rep2")
    session.flush()
    page = feed(session, boss, after=0, action="all", limit=100)
    [approval] = [e for e in page.events if e.action == "call_note.approve"]
    assert approval.note is not None and approval.note["id"] == note_id
    owner_events = [e for e in page.events if e.action == "account.owner"]
    assert [(e.before, e.after) for e in owner_events] == [({"owner": "rep1"}, {"owner": "rep2"})]
    assert "note" not in owner_events[0].model_fields_set
    assert page.next_after == page.events[-1].id
    assert feed(session, boss, after=page.next_after, action="all", limit=100).events == []
    # Another tenant's manager sees none of it.
    assert feed(session, as_user("oboss"), after=0, action="account.owner", limit=100).events == []


def test_an_action_outside_the_feed_is_refused_with_the_choices(
    session: Session, world: World, as_user: Callable[[str], Principal]
) -> None:
    set_task_status(session, as_user("rep1"), world.objects["rep1"].task, TaskStatus.done)
    with pytest.raises(ValidationError, match="call_note.approve"):
        feed(session, as_user("boss"), after=0, action="task.status", limit=10)
