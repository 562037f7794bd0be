"""The ranked win-back plan: lapse detection, exclusion, scoring and Pareto in one call.

:func:`build_plan` is the library entry point used by the CLI, the web app
and the demo. Its result, :class:`Plan`, serialises with
``plan.model_dump(mode="json")`` to the JSON contract of ``winback plan
--json``.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from agent.crm.models import DO_NOT_CALL
from agent.plan.chances import SegmentChance, segment_chances
from agent.plan.follow_ups import FOLLOW_UP, agreed_follow_ups
from agent.plan.lapse import LapsedAccount, find_lapsed, validate_months
from agent.plan.pareto import Pareto, pareto_curve
from agent.plan.scoring import ScoreParts
from agent.plan.valuation import ValueModel, nothing_to_value, value_accounts
from agent.settings import get_settings

#: The do-not-call statuses as the lapsed rows carry them (plain strings).
EXCLUDED_STATUSES = frozenset(status.value for status in DO_NOT_CALL)


class PlanCustomer(BaseModel):
    """One lapsed customer in the plan, ranked or excluded with the reason."""

    external_id: str
    account_id: int
    name: str
    last_order_date: date
    rank: int | None = Field(description="1 = call first; null for excluded customers.")
    score: float = Field(description="0..100; the sum of score_parts.points.")
    score_parts: ScoreParts
    excluded: str | None = Field(
        description="Why the customer is not called: its status (insolvent, lost, "
        "do_not_contact), or follow_up while a call or visit is agreed for a later day."
    )
    follow_up_due: date | None = Field(
        default=None,
        description="The day of the agreed call or visit when excluded for follow_up.",
    )


class Plan(BaseModel):
    """Lapsed customers as of a date, ranked for win-back calls, with the Pareto curve."""

    as_of: date
    inactive_months: int
    customers: list[PlanCustomer]
    pareto: Pareto
    model: ValueModel = Field(
        default_factory=nothing_to_value,
        description="The valuation used (model or transparent prior) and why.",
    )
    segments: list[SegmentChance] = Field(
        default_factory=list,
        description="Win-back chance per segment, updated by approved call outcomes.",
    )

    @property
    def callable(self) -> list[PlanCustomer]:
        """The ranked (not excluded) customers, best first."""
        return [c for c in self.customers if c.rank is not None]

    @property
    def excluded_count(self) -> int:
        """How many lapsed customers are excluded from calling."""
        return sum(1 for c in self.customers if c.excluded is not None)


def build_plan(
    session: Session,
    tenant_id: int,
    as_of: date,
    inactive_months: int | None = None,
    pareto_share: float | None = None,
) -> Plan:
    """Build the win-back plan of ``tenant_id`` as of ``as_of``.

    Lapsed accounts (see :func:`agent.plan.lapse.find_lapsed`) are valued
    by the model or the transparent prior (:mod:`agent.plan.valuation`) with
    the segments' win-back chances as call outcomes have updated them
    (:mod:`agent.plan.chances`); callable ones are ranked by score (ties:
    higher call value, then expected value, then account id, so the order is
    stable), and insolvent, lost and do-not-contact accounts follow without
    a rank, with their status as the reason, then accounts with a call or
    visit agreed for a day after ``as_of`` (:mod:`agent.plan.follow_ups`),
    with the reason ``follow_up`` and that day. The Pareto curve runs over
    the expected value of the ranked calls. ``inactive_months`` and
    ``pareto_share`` default to the settings.
    """
    settings = get_settings()
    months = validate_months(
        settings.inactive_months if inactive_months is None else inactive_months
    )
    share = settings.pareto_value_share if pareto_share is None else pareto_share

    lapsed = find_lapsed(session, tenant_id, as_of, months)
    chances = segment_chances(session, tenant_id, as_of)
    scored, model = value_accounts(session, tenant_id, lapsed, as_of, months, chances)
    entries = list(zip(lapsed, scored, strict=True))

    held = agreed_follow_ups(session, tenant_id, as_of)

    def reason(account: LapsedAccount) -> str | None:
        if account.status in EXCLUDED_STATUSES:
            return account.status
        return FOLLOW_UP if account.account_id in held else None

    ranked = sorted((e for e in entries if reason(e[0]) is None), key=_sort_key)
    closed = sorted((e for e in entries if e[0].status in EXCLUDED_STATUSES), key=_sort_key)
    waiting = sorted(
        (e for e in entries if reason(e[0]) == FOLLOW_UP),
        key=lambda e: (held[e[0].account_id], *_sort_key(e)),
    )

    customers: list[PlanCustomer] = []
    for position, (account, (score, parts)) in enumerate(ranked, start=1):
        customers.append(_customer(account, score, parts, rank=position, excluded=None))
    for account, (score, parts) in closed:
        customers.append(_customer(account, score, parts, rank=None, excluded=account.status))
    for account, (score, parts) in waiting:
        due = held[account.account_id]
        customers.append(
            _customer(account, score, parts, rank=None, excluded=FOLLOW_UP, follow_up_due=due)
        )

    pareto = pareto_curve([parts.expected_value for _, (_, parts) in ranked], share)
    return Plan(
        as_of=as_of,
        inactive_months=months,
        customers=customers,
        pareto=pareto,
        model=model,
        segments=list(chances.values()),
    )


_Entry = tuple[LapsedAccount, tuple[float, ScoreParts]]


def _sort_key(entry: _Entry) -> tuple[float, float, float, int]:
    account, (score, parts) = entry
    return (-score, -parts.call_value, -parts.expected_value, account.account_id)


def _customer(
    account: LapsedAccount,
    score: float,
    parts: ScoreParts,
    *,
    rank: int | None,
    excluded: str | None,
    follow_up_due: date | None = None,
) -> PlanCustomer:
    return PlanCustomer(
        external_id=account.external_id,
        account_id=account.account_id,
        name=account.name,
        last_order_date=account.last_order_date,
        rank=rank,
        score=score,
        score_parts=parts,
        excluded=excluded,
        follow_up_due=follow_up_due,
    )
