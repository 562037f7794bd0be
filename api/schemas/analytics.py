"""Analytics: churn reasons, funnel and Pareto curve; the team totals; per-rep coaching figures."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class ChurnReasonsByMonth(BaseModel):
    """Churn reasons of approved notes per month (of the call date)."""

    months: list[str] = Field(description="YYYY-MM, oldest first; only months with a reason.")
    series: dict[str, list[int]] = Field(description="Per reason code, its count per month.")
    totals: dict[str, int] = Field(description="Per reason code, its count over all months.")


class InternalExternal(BaseModel):
    """Reasons the supplier controls (internal) against those it does not (external)."""

    internal: int
    external: int
    other: int
    internal_share: float | None = Field(
        description="internal / (internal + external), rounded to 0.001; null without any."
    )


class FunnelStage(BaseModel):
    """Distinct accounts that reached a stage of the win-back funnel."""

    stage: str = Field(description="planned, called, follow_up or reactivated.")
    accounts: int


class AnalyticsPareto(BaseModel):
    """The plan's Pareto curve and its cut-off."""

    callable: int
    total_expected_value: float
    cutoff_rank: int
    cutoff_share_of_calls: float
    points: list[tuple[int, float]] = Field(
        description="[rank, cumulative share of expected value] pairs, at most 200."
    )


class AnalyticsOut(BaseModel):
    """All analytics of the tenant: churn reasons, internal share, funnel, Pareto curve."""

    as_of: str
    churn_reasons: ChurnReasonsByMonth
    internal_external: InternalExternal
    funnel: list[FunnelStage]
    pareto: AnalyticsPareto

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-11-02",
                    "churn_reasons": {
                        "months": ["2026-09", "2026-10"],
                        "series": {"price_terms": [2, 1], "delivery_speed": [0, 3]},
                        "totals": {"price_terms": 3, "delivery_speed": 3},
                    },
                    "internal_external": {
                        "internal": 3,
                        "external": 3,
                        "other": 0,
                        "internal_share": 0.5,
                    },
                    "funnel": [
                        {"stage": "planned", "accounts": 120},
                        {"stage": "called", "accounts": 18},
                        {"stage": "follow_up", "accounts": 7},
                        {"stage": "reactivated", "accounts": 3},
                    ],
                    "pareto": {
                        "callable": 120,
                        "total_expected_value": 184230.5,
                        "cutoff_rank": 31,
                        "cutoff_share_of_calls": 0.258,
                        "points": [[1, 0.061], [31, 0.801], [120, 1.0]],
                    },
                }
            ]
        }
    )


class TeamMonth(BaseModel):
    """Team totals of one month (or of the whole window)."""

    calls_planned: int | None = Field(
        description="Calls of the daily plan from as_of to the end of its month; null for "
        "earlier months (past plans are not stored)."
    )
    calls_made: int = Field(description="Uploaded recordings plus notes without a recording.")
    notes_approved: int
    outcomes: dict[str, int] = Field(description="Outcomes of approved notes, every code.")
    churn_reasons: dict[str, int] = Field(description="Reasons of approved notes, every code.")


class TeamMonthRow(BaseModel):
    """Team totals of one month (the fields of :class:`TeamMonth`, after the month)."""

    month: str = Field(description="YYYY-MM.")
    calls_planned: int | None
    calls_made: int
    notes_approved: int
    outcomes: dict[str, int]
    churn_reasons: dict[str, int]


class TeamOut(BaseModel):
    """Team totals per month for the works council: no per-rep figure, no sentiment."""

    as_of: str
    months: list[str] = Field(description="YYYY-MM, oldest first, up to the month of as_of.")
    by_month: list[TeamMonthRow]
    totals: TeamMonth

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "as_of": "2026-11-02",
                    "months": ["2026-10", "2026-11"],
                    "by_month": [
                        {
                            "month": "2026-10",
                            "calls_planned": None,
                            "calls_made": 14,
                            "notes_approved": 11,
                            "outcomes": {"reactivated": 2, "follow_up": 5, "lost": 4},
                            "churn_reasons": {"price_terms": 4, "delivery_speed": 2},
                        },
                        {
                            "month": "2026-11",
                            "calls_planned": 38,
                            "calls_made": 1,
                            "notes_approved": 0,
                            "outcomes": {"reactivated": 0, "follow_up": 0, "lost": 0},
                            "churn_reasons": {"price_terms": 0, "delivery_speed": 0},
                        },
                    ],
                    "totals": {
                        "calls_planned": 38,
                        "calls_made": 15,
                        "notes_approved": 11,
                        "outcomes": {"reactivated": 2, "follow_up": 5, "lost": 4},
                        "churn_reasons": {"price_terms": 4, "delivery_speed": 2},
                    },
                }
            ]
        }
    )


class RepCoachingOut(BaseModel):
    """One rep's figures (see :mod:`agent.crm.coaching` for the definitions)."""

    user_id: int
    username: str
    name: str
    calls: int = Field(description="Call notes the rep authored in the period, any status.")
    approved: int = Field(description="Of those, approved by a manager.")
    outcomes: dict[str, int] = Field(description="Outcomes of the approved notes, every code.")
    win_back_rate: float | None = Field(
        description="Reactivated / approved notes with an outcome; null without any."
    )
    talk_share: float | None = Field(
        description="The rep's share of speaking time over two-channel calls; null without any."
    )
    minutes_per_call: float | None = Field(description="Mean transcript length in minutes.")
    top_reason: str | None = Field(description="Most frequent churn reason of approved notes.")


class CoachingOut(BaseModel):
    """Per-rep figures, permitted by the named works-council agreement."""

    agreement: str = Field(examples=["BV Vertriebscoaching vom 01.03.2026"])
    start: date
    end: date
    reps: list[RepCoachingOut]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "agreement": "BV Vertriebscoaching vom 01.03.2026",
                    "start": "2026-08-01",
                    "end": "2026-11-02",
                    "reps": [
                        {
                            "user_id": 3,
                            "username": "a.keller",
                            "name": "Anna Keller",
                            "calls": 12,
                            "approved": 10,
                            "outcomes": {"reactivated": 3, "follow_up": 4, "lost": 3},
                            "win_back_rate": 0.3,
                            "talk_share": 0.46,
                            "minutes_per_call": 7.5,
                            "top_reason": "price_terms",
                        }
                    ],
                }
            ]
        }
    )
