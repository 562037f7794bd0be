"""Agreed follow-ups: accounts whose next contact with the customer is set for a later day.

After a call the manager approves, its next steps become open tasks with a due
date (:mod:`agent.analysis.review`). When that next step is a call or a visit,
its day is what the rep agreed with the customer ("rufen Sie mich am 12.01.
wieder an"), or the reminder of a ``follow_up``/``not_now`` outcome. A
win-back call from the plan before that day would break the agreement, so the
plan holds such an account back until the day and lists it with the day
instead; from that day on the open task is itself the reason to call, and the
account is ranked like any other.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from agent.crm.models import NextStepType, Task, TaskStatus
from agent.plan.lapse import to_date

#: The reason an account held for an agreed follow-up is listed with (``excluded``).
FOLLOW_UP = "follow_up"

#: Task types whose due day is the next contact agreed with the customer.
#:
#: Only a scheduled call or visit is an appointment with the customer; calling
#: before it is calling too early. The other step types (offer, sample, fixing
#: the cause, an incentive, new contact data) are the rep's own work: their due
#: day is a deadline for the rep, mostly the catalogue's default of a few working
#: days rather than a day said in the call, and nothing stops a call before it.
#: A ``follow_up``/``not_now`` outcome without a date always gets a scheduled call
#: as its reminder, so such accounts are held by that task.
AGREED_CONTACTS = frozenset({NextStepType.schedule_call, NextStepType.schedule_visit})


def agreed_follow_ups(session: Session, tenant_id: int, as_of: date) -> dict[int, date]:
    """Accounts of ``tenant_id`` whose agreed contacts all lie after ``as_of``, with the first.

    Counted are tasks of :data:`AGREED_CONTACTS` with a due day that were open on
    ``as_of``: created by the end of that day and not closed before it (a task
    done later was still open then; a cancelled task has no closing time and
    never counts). An account with an agreed contact due on or before ``as_of``
    is not returned: that contact is due, so the account is to be called. One
    ``GROUP BY`` over the tasks, whatever the number of accounts.
    """
    end = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC)
    open_then = or_(
        Task.status == TaskStatus.open,
        and_(Task.status == TaskStatus.done, Task.completed_at >= end),
    )
    first_due = func.min(Task.due_date)
    rows = session.execute(
        select(Task.account_id, first_due.label("due"))
        .where(
            Task.tenant_id == tenant_id,
            Task.type.in_(AGREED_CONTACTS),
            Task.due_date.is_not(None),
            Task.created_at < end,
            open_then,
        )
        .group_by(Task.account_id)
        .having(first_due > as_of)
    )
    return {int(row.account_id): to_date(row.due) for row in rows}
