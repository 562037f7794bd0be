"""``/api/events``: a feed of "note approved" (and other review) events for CRMs to pull."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import SessionDep, TeamUser
from api.schemas.events import EventsOut
from api.services.events import FEED_ACTIONS, feed

router = APIRouter(prefix="/api/events", tags=["events"])


@router.get(
    "",
    summary="Event feed",
    response_model=EventsOut,
    # An event of another object than a call note has no "note" key (not "note": null).
    response_model_exclude_unset=True,
)
def get_events(
    session: SessionDep,
    user: TeamUser,
    after: int = Query(0, ge=0, le=2**62, description="Return events with a larger id."),
    action: str = Query(
        "call_note.approve",
        max_length=64,
        description=f"One of {', '.join(FEED_ACTIONS)}, or 'all'.",
    ),
    limit: int = Query(100, ge=1, le=1000),
) -> EventsOut:
    """Events after ``after`` in id order; ``next_after`` is the id to ask with next time.

    For approvals each event carries the approved note (summary, outcome,
    churn reasons with evidence, next steps) so the CRM can update its record.
    """
    return feed(session, user, after, action, limit)
