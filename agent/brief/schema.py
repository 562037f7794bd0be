"""The pre-call brief as a pydantic model, and the bounded draft the model writes.

:class:`Brief` is what a rep opens five minutes before a win-back call. Code
fills the facts, the churn-reason hypotheses with their evidence, whether to
call at all, the incentive idea, and the objections and what to avoid (from
the playbook in :mod:`agent.brief.playbook`); the language model only writes
the parts that need the history's words (:class:`BriefDraft`: situation,
opening question, talking points) and cites facts by their ids
(``F1``, ``F2`` ...), which code then turns into the ids of the CRM records
behind them (``order:12``, ``note:7`` ...).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from agent.codes import LanguageCode, ReasonCode, ReasonGroup, SituationCode

ChurnCode = ReasonCode

#: The strategy for each situation, per language (DESIGN.md, "Situation -> strategy").
STRATEGIES: dict[str, dict[str, str]] = {
    "uncertain_status": {
        "de": "Regelmäßig um Feedback bitten",
        "en": "Ask for feedback regularly",
    },
    "unexpected_reaction": {"de": "Kritiker früh erkennen", "en": "Spot critics early"},
    "status_quo": {"de": "Mit CRM-Statistik arbeiten", "en": "Use the CRM statistics"},
    "inefficiency": {"de": "Ruhende Datensätze beleben", "en": "Revive dormant records"},
    "disinterest": {"de": "Schnell reagieren", "en": "React quickly"},
    "hesitant": {"de": "Anreiz (Rückholköder) anbieten", "en": "Offer an incentive"},
    "right_tone": {
        "de": "Formelle Kundenbefragung durchführen",
        "en": "Run a formal customer survey",
    },
}

#: ``Brief.model`` of a brief written without a language model.
RULES_MODEL = "rules (no language model)"
FactId = Annotated[str, Field(pattern=r"^F[0-9]{1,2}$")]


class Claim(BaseModel):
    """A sentence of the brief and the CRM records it rests on."""

    text: str
    sources: list[str] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list, description="Fact ids the sentence used.")


class KeyFact(BaseModel):
    """A fact computed by code (number, date, product, name) with its source records."""

    id: str
    topic: str
    text: str
    sources: list[str]


class Evidence(BaseModel):
    """A dated quote from a record that supports a churn-reason hypothesis."""

    source: str
    day: date | None = None
    quote: str


class ChurnHypothesis(BaseModel):
    """A likely churn reason (a code of DESIGN.md) with evidence and a confidence."""

    code: ChurnCode
    group: ReasonGroup
    confidence: float = Field(ge=0, le=1)
    basis: str
    evidence: list[Evidence] = Field(default_factory=list)


class Objection(BaseModel):
    """A likely objection and an answer, following the situation -> strategy table."""

    situation: SituationCode
    strategy: str
    objection: str
    answer: str
    sources: list[str] = Field(default_factory=list)


class Flag(BaseModel):
    """A part that failed the grounding check (removed) or another caveat."""

    part: str
    reason: str
    text: str = ""


class Brief(BaseModel):
    """The pre-call brief of one account, as of one day."""

    schema_version: Literal[1] = 1
    tenant: str
    account_id: int
    account_external_id: str
    account_name: str
    language: LanguageCode
    as_of: date
    should_call: bool
    call_reason: str
    plan_rank: int | None = None
    plan_score: float | None = None
    situation: list[Claim] = Field(default_factory=list, max_length=5)
    key_facts: list[KeyFact] = Field(default_factory=list)
    churn_hypotheses: list[ChurnHypothesis] = Field(default_factory=list)
    opening_question: Claim | None = None
    talking_points: list[Claim] = Field(default_factory=list, max_length=5)
    objections: list[Objection] = Field(default_factory=list, max_length=4)
    incentive: Claim | None = None
    avoid: list[Claim] = Field(default_factory=list, max_length=4)
    flags: list[Flag] = Field(default_factory=list)
    model: str
    #: Who wrote the sentence parts ("situation" -> "code" or "model"), shown in the footer.
    authored: dict[str, str] = Field(default_factory=dict)
    created_at: datetime
    usage: dict[str, Any] = Field(default_factory=dict)

    def claims(self) -> list[tuple[str, Claim]]:
        """Every sentence of the brief with the name of its part (for the checker and evals)."""
        parts: list[tuple[str, Claim]] = [
            (f"situation[{i}]", c) for i, c in enumerate(self.situation)
        ]
        if self.opening_question:
            parts.append(("opening_question", self.opening_question))
        parts += [(f"talking_points[{i}]", c) for i, c in enumerate(self.talking_points)]
        parts += [
            (f"objections[{i}]", Claim(text=f"{o.objection} {o.answer}", sources=o.sources))
            for i, o in enumerate(self.objections)
        ]
        if self.incentive:
            parts.append(("incentive", self.incentive))
        parts += [(f"avoid[{i}]", c) for i, c in enumerate(self.avoid)]
        parts += [
            (f"key_facts[{f.id}]", Claim(text=f.text, sources=f.sources)) for f in self.key_facts
        ]
        return parts


# --- what the model writes (bounded: small local models loop otherwise) -------


class DraftSentence(BaseModel):
    """One sentence and the ids of the facts it uses."""

    text: str = Field(min_length=3, max_length=180)
    facts: list[FactId] = Field(default_factory=list, max_length=3)


class QuestionDraft(BaseModel):
    """The opening question alone (``compact`` design); longer than a draft sentence."""

    text: str = Field(min_length=3, max_length=260)
    facts: list[FactId] = Field(default_factory=list, max_length=3)


class BriefDraft(BaseModel):
    """The language parts of a brief, as the model must return them."""

    situation: list[DraftSentence] = Field(min_length=3, max_length=5)
    opening_question: DraftSentence
    talking_points: list[DraftSentence] = Field(min_length=3, max_length=5)


class Redo(BaseModel):
    """New versions of the sentences the grounding check rejected, in the order asked."""

    sentences: list[DraftSentence] = Field(min_length=1, max_length=13)
