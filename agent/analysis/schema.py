"""The typed result of analysing one call, and the transcript it is made from.

Label sets are closed ``Literal`` types taken from the domain contract in
DESIGN.md, lists and strings are bounded, so that a small model cannot
produce an unknown code or an endless list, and a reviewer's edit is checked
by the same rules as the model's output.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

# The label sets are the domain contract's, shared with the brief and the database.
from agent.codes import (
    LanguageCode,
    OutcomeCode,
    Owner,
    ReasonCode,
    StepType,
)

Sentiment = Literal["positive", "neutral", "negative", "mixed"]
SpeakerRole = Literal["rep", "customer"]


ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
QuoteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]

MAX_TURNS = 5000
MAX_TURN_CHARS = 4000


class Turn(BaseModel):
    """One speaker turn of a transcript."""

    model_config = ConfigDict(extra="ignore")

    speaker: SpeakerRole
    text: Annotated[str, StringConstraints(max_length=MAX_TURN_CHARS)]


class AccountContext(BaseModel):
    """What the analysis may know about the account besides the call (context only)."""

    model_config = ConfigDict(extra="ignore")

    name: str = ""
    industry: str | None = None
    city: str | None = None
    contact: str | None = None
    last_order_date: str | None = None
    notes: list[str] = Field(default_factory=list, max_length=50)


class CallInput(BaseModel):
    """Everything the analyzer gets: the turns, the call date, language and context."""

    model_config = ConfigDict(extra="ignore")

    turns: list[Turn] = Field(max_length=MAX_TURNS)
    call_date: date
    language: LanguageCode = "de"
    account: AccountContext = Field(default_factory=AccountContext)

    @property
    def customer_turns(self) -> list[tuple[int, str]]:
        """(index, text) of every non-empty customer turn, indices into ``turns``."""
        return [
            (i, t.text)
            for i, t in enumerate(self.turns)
            if t.speaker == "customer" and t.text.strip()
        ]


class ReasonLabel(BaseModel):
    """One churn reason with the customer's own words as evidence."""

    code: ReasonCode
    evidence: QuoteText | None = None
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    #: Index into the transcript's turns where the evidence was found (set by code).
    turn: int | None = Field(default=None, ge=0)


class NextStep(BaseModel):
    """An agreed action with owner and (when one was said) a due date."""

    type: StepType
    description: ShortText = ""
    owner: Owner = "rep"
    due_date: date | None = None
    #: The time phrase the due date was resolved from, kept for the reviewer.
    due_phrase: Annotated[str, StringConstraints(max_length=80)] | None = None
    #: Calibrated probability that this step was agreed (None: set by a person or a model).
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    #: Index into the transcript's turns where the step was agreed (set by code).
    turn: int | None = Field(default=None, ge=0)


UncertainField = Literal["churn_reasons", "outcome", "next_steps"]


class Candidate(BaseModel):
    """One value a reviewer may choose for an uncertain field, with the words behind it."""

    code: str = Field(max_length=40)
    probability: float = Field(ge=0.0, le=1.0)
    evidence: QuoteText | None = None
    turn: int | None = Field(default=None, ge=0)


class Uncertain(BaseModel):
    """A field the analysis leaves to the reviewer: "unsicher - bitte prüfen"."""

    field: UncertainField
    candidates: list[Candidate] = Field(default_factory=list, max_length=6)


class CallAnalysis(BaseModel):
    """The analysis of one call as stored on a draft note and shown to the reviewer."""

    model_config = ConfigDict(extra="forbid")

    language: LanguageCode = "de"
    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1500)] = ""
    churn_reasons: list[ReasonLabel] = Field(default_factory=list, max_length=6)
    #: None when the analysis was not sure enough: the reviewer chooses (see ``uncertain``).
    outcome: OutcomeCode | None = None
    outcome_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    #: The words the outcome rests on and the turn they were said in (set by code).
    outcome_evidence: QuoteText | None = None
    outcome_turn: int | None = Field(default=None, ge=0)
    next_steps: list[NextStep] = Field(default_factory=list, max_length=8)
    #: Fields left to the reviewer, with their candidates.
    uncertain: list[Uncertain] = Field(default_factory=list, max_length=3)
    expectations: Annotated[str, StringConstraints(max_length=500)] | None = None
    #: Sentiment of the customer only; the rep's emotions are never scored.
    sentiment: Sentiment | None = None
    #: Notes for the reviewer from the analysis itself (dropped labels, fallbacks).
    warnings: list[Annotated[str, StringConstraints(max_length=300)]] = Field(
        default_factory=list, max_length=20
    )

    @field_validator("churn_reasons")
    @classmethod
    def _unique_codes(cls, value: list[ReasonLabel]) -> list[ReasonLabel]:
        seen: set[str] = set()
        unique: list[ReasonLabel] = []
        for label in value:
            if label.code not in seen:
                seen.add(label.code)
                unique.append(label)
        return unique

    @field_validator("next_steps")
    @classmethod
    def _none_alone(cls, value: list[NextStep]) -> list[NextStep]:
        # labelling-guidelines.md §3: "none" is only ever the single item.
        real = [s for s in value if s.type != "none"]
        if real:
            return real
        return value[:1] if value else []

    @property
    def reason_codes(self) -> list[str]:
        """The churn reason codes in order."""
        return [r.code for r in self.churn_reasons]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO strings)."""
        return self.model_dump(mode="json")


def no_analysis(language: LanguageCode, reason: str) -> CallAnalysis:
    """The honest result for a call without a customer side: not reached, nothing invented."""
    summary = (
        "Kein Gespräch mit dem Kunden: keine Analyse möglich."
        if language == "de"
        else "No conversation with the customer: nothing to analyse."
    )
    return CallAnalysis(
        language=language,
        summary=summary,
        churn_reasons=[],
        outcome="not_reached",
        next_steps=[NextStep(type="none", owner="rep")],
        warnings=[reason],
    )
