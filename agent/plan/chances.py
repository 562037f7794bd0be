"""The win-back chance of a call per segment, learned from the outcomes of approved calls.

The method ranks by value *and* by how easy the relationship is. How much a
good relationship helps is an assumption until calls have been made: the
transparent prior says a call wins back ``10 % x ease`` (1 hard .. 5 easy;
30 % when the rep has not rated the relationship). Every approved call note
with a decided outcome is evidence about that chance in its segment (the
account's ease rating), and a Beta-Binomial update combines the two:

    chance = (strength x prior + reactivated) / (strength + decided calls)

with the prior worth :data:`PRIOR_STRENGTH` calls, so a segment's own record
outweighs the assumption after about ten decided calls and never swings
on the first one. Decided means ``reactivated`` (won) or ``lost``,
``not_now``, ``disqualified`` (not won); ``follow_up`` and ``not_reached``
are still open and are only counted for display. Each account counts once,
with its latest decided outcome on or before the as-of day, so a customer
called three times does not weigh three times.

The manager sees every segment with the prior, the outcomes it rests on,
the updated chance and its 90 % credible interval (:class:`SegmentChance`).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from pydantic import BaseModel, Field
from scipy.stats import beta as beta_distribution
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.crm.models import Account, CallNote, CallOutcome, NoteStatus
from agent.plan.lapse import to_date

#: Win-back chance per ease step in the transparent prior (ease 1 -> 10 %, ease 5 -> 50 %).
PROBABILITY_PER_EASE = 0.10
#: Ease assumed when the rep has not rated the relationship (the middle of 1..5).
DEFAULT_EASE = 3
#: How many decided calls the prior is worth.
PRIOR_STRENGTH = 10.0
WON = frozenset({CallOutcome.reactivated})
NOT_WON = frozenset({CallOutcome.lost, CallOutcome.not_now, CallOutcome.disqualified})
UNRATED = "unrated"


class SegmentChance(BaseModel):
    """One segment's win-back chance: the prior, the outcomes and the updated value."""

    segment: str = Field(description="'ease_1' .. 'ease_5' or 'unrated'.")
    ease: int | None = Field(description="The ease rating of the segment; null when unrated.")
    prior: float = Field(description="The transparent prior chance (10 % x ease).")
    prior_strength: float = Field(description="How many decided calls the prior is worth.")
    reactivated: int = Field(description="Accounts whose latest decided call won them back.")
    not_won: int = Field(description="Accounts whose latest decided call did not (lost, …).")
    open: int = Field(description="Accounts with only open outcomes (follow-up, not reached).")
    outcomes: int = Field(description="Decided outcomes the chance rests on.")
    chance: float = Field(description="Posterior mean of the win-back chance.")
    low: float = Field(description="5 % quantile of the posterior.")
    high: float = Field(description="95 % quantile of the posterior.")


def segment_of(ease: int | None) -> str:
    """The segment name of an account with this ease rating."""
    return UNRATED if ease is None else f"ease_{ease}"


def prior_chance(ease: int | None) -> float:
    """The transparent prior: ``10 % x ease``, the middle ease when unrated."""
    return PROBABILITY_PER_EASE * (DEFAULT_EASE if ease is None else ease)


def update(ease: int | None, reactivated: int, not_won: int, open_: int = 0) -> SegmentChance:
    """The Beta-Binomial update of the segment's prior by its decided outcomes."""
    prior = prior_chance(ease)
    alpha = PRIOR_STRENGTH * prior + reactivated
    beta = PRIOR_STRENGTH * (1.0 - prior) + not_won
    low, high = (float(v) for v in beta_distribution.ppf([0.05, 0.95], alpha, beta))
    return SegmentChance(
        segment=segment_of(ease),
        ease=ease,
        prior=round(prior, 4),
        prior_strength=PRIOR_STRENGTH,
        reactivated=reactivated,
        not_won=not_won,
        open=open_,
        outcomes=reactivated + not_won,
        chance=round(alpha / (alpha + beta), 4),
        low=round(low, 4),
        high=round(high, 4),
    )


def segment_chances(session: Session, tenant_id: int, as_of: date) -> dict[str, SegmentChance]:
    """Every segment's win-back chance from approved call outcomes on or before ``as_of``."""
    rows = session.execute(
        select(
            Account.id,
            Account.relationship_ease,
            CallNote.outcome,
            CallNote.call_date,
            CallNote.created_at,
            CallNote.id,
        )
        .join(Account, Account.id == CallNote.account_id)
        .where(
            CallNote.tenant_id == tenant_id,
            CallNote.status == NoteStatus.approved,
            CallNote.outcome.is_not(None),
        )
    ).all()
    # The call day (else the day the note was made), compared in Python: the two
    # columns are a date and a timestamp, which the databases coalesce differently.
    dated = sorted(
        (to_date(call_date or created_at), note_id, account_id, ease, outcome)
        for account_id, ease, outcome, call_date, created_at, note_id in rows
    )
    ease_of: dict[int, int | None] = {}
    decided: dict[int, CallOutcome] = {}
    for day, _, account_id, ease, outcome in dated:  # oldest first: later ones overwrite
        if day > as_of:
            break
        ease_of[account_id] = ease
        if outcome in WON or outcome in NOT_WON:
            decided[account_id] = outcome
    won: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    pending: Counter[str] = Counter()
    for account_id, ease in ease_of.items():
        segment = segment_of(ease)
        if account_id in decided:
            (won if decided[account_id] in WON else lost)[segment] += 1
        else:
            pending[segment] += 1
    result: dict[str, SegmentChance] = {}
    for ease in (None, 1, 2, 3, 4, 5):
        name = segment_of(ease)
        result[name] = update(ease, won[name], lost[name], pending[name])
    return result
