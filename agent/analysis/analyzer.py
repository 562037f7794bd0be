"""The analysis flow: transcript turns + account context → :class:`CallAnalysis`.

Four designs, all kept so the eval can compare them (``analysis_design``
setting; ``learned`` by default, the best measured on writers it never saw):

* ``learned`` - no chat model: classifiers trained on labelled sentences
  score every sentence, calibrated probabilities decide or leave a field to
  the reviewer, code writes the summary (:mod:`agent.analysis.learned`);
* ``plain`` - one question asking for everything at once, the model writes
  its own evidence quotes (the first design; quotes are then checked);
* ``checklist`` - like ``decomposed``, but the outcome from five yes/no
  answers put in the guidelines' order by code;
* ``decomposed`` - four short, grammar-constrained questions on a shared
  prompt prefix (outcome; reasons as numbers of customer turns; next steps
  with their time words; summary). Code does what code does well: it copies
  evidence verbatim from the named customer turn (grounded by construction),
  resolves due dates from the time words (:mod:`agent.analysis.dates`) and
  applies the rules of docs/labelling-guidelines.md that need no judgement. Meant for a
  capable model behind an OpenAI-compatible endpoint.

A call without any customer words gets an honest "no analysis" result with
no model call. A model that fails after bounded retries gives a ``failed``
result with the reason, never a half-filled analysis. A summary a chat
model wrote keeps only the sentences the decided fields support
(:mod:`agent.analysis.support`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import BaseModel, Field, StringConstraints

from agent.analysis import evidence
from agent.analysis.bank import Example
from agent.analysis.dates import resolve_due_date
from agent.analysis.prompting import Asked, ask, context_messages, task_messages
from agent.analysis.redaction import Redactor, name_parts, needs_redaction, restore
from agent.analysis.schema import (
    CallAnalysis,
    CallInput,
    NextStep,
    OutcomeCode,
    Owner,
    ReasonCode,
    ReasonLabel,
    Sentiment,
    StepType,
    Turn,
    no_analysis,
)
from agent.analysis.support import supported_text
from agent.catalogue.vocabulary import vocabulary
from agent.errors import ModelError, WinbackError
from agent.language import language_scores
from agent.settings import Settings, get_settings

Design = Literal["learned", "plain", "decomposed", "checklist"]
DESIGNS: tuple[str, ...] = ("learned", "decomposed", "checklist", "plain")
#: Designs that ask a chat model; ``learned`` does not need one.
CHAT_DESIGNS: frozenset[str] = frozenset({"decomposed", "checklist", "plain"})

Short = Annotated[str, StringConstraints(max_length=200)]


def reason_keywords(code: str, language: str) -> tuple[str, ...]:
    """The catalogue's cue words of a reason as plain stems, to pick the telling sentence."""
    reason = vocabulary().reasons.get(code)
    if reason is None:
        return ()
    return tuple(c.replace("*", "") for c in reason.cues.get(language, ()))


class OutcomeReply(BaseModel):
    """Answer to the outcome question.

    No free-text rationale: on this CPU every generated token costs ~0.3 s
    and the 1.5B model's rationales did not make its labels better.
    """

    outcome: OutcomeCode
    sentiment: Sentiment = "neutral"
    expectations: Short = ""


class OutcomeChecks(BaseModel):
    """Yes/no answers from which code derives the outcome.

    The order is that of docs/labelling-guidelines.md §2.
    """

    reached: bool
    cannot_buy: bool
    order_committed: bool
    refuses_for_good: bool
    next_step_agreed: bool
    sentiment: Sentiment = "neutral"
    expectations: Short = ""

    @property
    def outcome(self) -> str:
        """The first outcome whose condition holds, in the guidelines' order."""
        if not self.reached:
            return "not_reached"
        if self.cannot_buy:
            return "disqualified"
        if self.order_committed:
            return "reactivated"
        if self.refuses_for_good:
            return "lost"
        if self.next_step_agreed:
            return "follow_up"
        return "not_now"


class ReasonPick(BaseModel):
    code: ReasonCode
    turn: int = Field(ge=0, le=1000)


class ReasonsReply(BaseModel):
    reasons: list[ReasonPick] = Field(default_factory=list, max_length=4)


class StepPick(BaseModel):
    type: StepType
    owner: Owner = "rep"
    turn: int = Field(default=0, ge=0, le=1000)
    when: Annotated[str, StringConstraints(max_length=60)] = ""


class StepsReply(BaseModel):
    steps: list[StepPick] = Field(default_factory=list, max_length=4)


class SummaryReply(BaseModel):
    summary: Annotated[str, StringConstraints(max_length=900)]


class PlainReason(BaseModel):
    code: ReasonCode
    evidence: Annotated[str, StringConstraints(max_length=300)] = ""


class PlainStep(BaseModel):
    type: StepType
    owner: Owner = "rep"
    when: Annotated[str, StringConstraints(max_length=60)] = ""


class PlainReply(BaseModel):
    summary: Annotated[str, StringConstraints(max_length=900)]
    churn_reasons: list[PlainReason] = Field(default_factory=list, max_length=4)
    outcome: OutcomeCode
    next_steps: list[PlainStep] = Field(default_factory=list, max_length=4)
    sentiment: Sentiment = "neutral"
    expectations: Short = ""


@dataclass
class AnalysisResult:
    """What one analysis produced, for the note store, the CLI and the eval."""

    status: Literal["ok", "no_analysis", "failed"]
    analysis: CallAnalysis | None
    model: str
    design: str
    latency_s: float
    failure_reason: str | None = None
    last_output: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    raw: dict[str, str] = field(default_factory=dict)
    #: Placeholder → original value; kept only in our own store.
    redaction_map: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form without the redaction mapping (that stays in the store)."""
        return {
            "status": self.status,
            "analysis": self.analysis.to_json() if self.analysis else None,
            "model": self.model,
            "design": self.design,
            "latency_s": round(self.latency_s, 3),
            "failure_reason": self.failure_reason,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }


#: Words that address a machine rather than the rep ("liebe KI", "note to the AI",
#: "ignore all previous instructions", "mark us as ..."): flagged for the reviewer.
_INSTRUCTION = re.compile(
    r"\b(?:liebe[rs]? ki|note to the ai|dear ai|hey ai|an die ki|ignor\w* (?:all\w* )?"
    r"(?:previous |vorherige\w* )?(?:instructions|anweisungen)|markier\w* (?:diesen|uns|mich)|"
    r"mark (?:us|this|me)\b|tragen sie uns als|schreiben sie in ihr system|"
    r"in ihr(?:em)? system|in your system)",
    re.IGNORECASE,
)


def instruction_warnings(turns: list[Turn]) -> list[str]:
    """Warnings for customer turns that address the AI or the CRM system directly.

    Such words never change a label (the transcript is fenced data and the
    prompts say so); the reviewer is told, so a manipulated draft is checked.
    """
    return [
        f"turn {i}: the customer addresses the system/AI; treated as call content only"
        for i, t in enumerate(turns, 1)
        if t.speaker == "customer" and _INSTRUCTION.search(t.text)
    ]


def _label_turn(turns: list[Turn], number: int) -> int | None:
    """0-based index of turn ``number`` (1-based in the prompt) when it is the customer's."""
    index = number - 1
    if 0 <= index < len(turns) and turns[index].speaker == "customer":
        return index
    return None


class Analyzer:
    """Analyses calls with one chat model; build once, call :meth:`analyze` per call."""

    def __init__(
        self,
        model: BaseChatModel | None = None,
        *,
        design: Design | None = None,
        settings: Settings | None = None,
        redact: bool | None = None,
        examples: Sequence[Example] = (),
    ) -> None:
        self.settings = settings or get_settings()
        design = design or self.settings.analysis_design
        if design not in DESIGNS:
            raise ValueError(f"unknown design {design!r}")
        if model is None and design in CHAT_DESIGNS:
            raise ValueError(f"the {design!r} design needs a chat model")
        self.model = model
        self.design = design
        #: The tenant's confirmed sentences (``learned`` design): they refit its classifiers.
        self.examples = list(examples)
        self.redact = needs_redaction(self.settings) if redact is None else redact
        if model is None:
            self.model_name = "learned classifiers (no language model)"
        else:
            self.model_name = str(getattr(model, "model_name", "") or type(model).__name__)

    # --- public ---------------------------------------------------------------

    def analyze(self, call: CallInput) -> AnalysisResult:
        """Analyse one call; never raises for model trouble (returns a failed result)."""
        started = time.perf_counter()
        if not call.customer_turns:
            reason = "no customer speech in the transcript: nothing to analyse"
            return AnalysisResult(
                "no_analysis", no_analysis(call.language, reason), self.model_name, self.design,
                time.perf_counter() - started,
            )  # fmt: skip
        if unsupported_language(call.turns):
            reason = "the call is in neither German nor English: no analysis possible"
            return AnalysisResult(
                "no_analysis", no_analysis(call.language, reason), self.model_name, self.design,
                time.perf_counter() - started,
            )  # fmt: skip
        if self.design == "learned":
            return self._learned(call, started)
        log = Asked()
        shown_turns, account, mapping = self._model_view(call)
        system, context = context_messages(
            shown_turns, account, call.call_date.isoformat(), call.language
        )
        try:
            if self.design == "plain":
                analysis = self._plain(call, system, context, log)
            else:
                analysis = self._decomposed(call, system, context, log)
        except ModelError as exc:
            return AnalysisResult(
                "failed", None, self.model_name, self.design, time.perf_counter() - started,
                failure_reason=str(exc), last_output=getattr(exc, "last_output", None),
                prompt_tokens=log.prompt_tokens, completion_tokens=log.completion_tokens,
                raw=log.raw, redaction_map=mapping,
            )  # fmt: skip
        if mapping:
            analysis = analysis.model_copy(
                update={
                    "summary": restore(analysis.summary, mapping),
                    "expectations": restore(analysis.expectations or "", mapping) or None,
                }
            )
        return AnalysisResult(
            "ok", analysis, self.model_name, self.design, time.perf_counter() - started,
            prompt_tokens=log.prompt_tokens, completion_tokens=log.completion_tokens,
            raw=log.raw, redaction_map=mapping,
        )  # fmt: skip

    # --- the designs ---------------------------------------------------------------

    def _learned(self, call: CallInput, started: float) -> AnalysisResult:
        from agent.analysis.learned import LearnedAnalysis
        from agent.analysis.tenant_bank import with_examples
        from agent.analysis.trained import analysis_model

        try:
            model, featurizer = analysis_model(self.settings)
            model = with_examples(model, featurizer, self.examples)
            analysis = LearnedAnalysis(model, featurizer).analyze(call)
        except WinbackError as exc:  # e.g. the embedding model cannot be loaded
            return AnalysisResult(
                "failed", None, self.model_name, self.design, time.perf_counter() - started,
                failure_reason=str(exc),
            )  # fmt: skip
        return AnalysisResult(
            "ok", analysis, self.model_name, self.design, time.perf_counter() - started
        )

    def _ask(self, system: Any, context: str, task: str, schema: Any, tokens: int, log: Asked,
             language: str) -> Any:  # fmt: skip
        messages = task_messages(system, context, task, language)
        assert self.model is not None  # checked in __init__ for the chat designs
        return ask(self.model, messages, schema, settings=self.settings, max_tokens=tokens,
                   purpose=task, log=log)  # fmt: skip

    def _decomposed(self, call: CallInput, system: Any, context: str, log: Asked) -> CallAnalysis:
        lang = call.language
        outcome: Any
        warnings: list[str] = []
        if self.design == "checklist":
            # Yes/no facts from the model, the precedence of labelling-guidelines.md §2 in code.
            outcome = self._ask(system, context, "checks", OutcomeChecks, 90, log, lang)
        else:
            outcome = self._ask(system, context, "outcome", OutcomeReply, 60, log, lang)
        labels: list[ReasonLabel] = []
        if outcome.outcome != "not_reached":
            reasons = self._ask(system, context, "reasons", ReasonsReply, 100, log, lang)
            for pick in reasons.reasons:
                index = _label_turn(call.turns, pick.turn)
                if index is None:
                    warnings.append(f"dropped {pick.code}: turn {pick.turn} is not a customer turn")
                    continue
                quote = evidence.quote_from_turn(
                    call.turns[index].text, reason_keywords(pick.code, call.language)
                )
                labels.append(ReasonLabel(code=pick.code, evidence=quote, confidence=0.7))
        steps_reply = self._ask(system, context, "steps", StepsReply, 150, log, lang)
        steps = [self._step(s.type, s.owner, s.when, call, s.turn) for s in steps_reply.steps]
        summary = self._ask(system, context, "summary", SummaryReply, 260, log, lang)
        return self._finish(
            call, summary.summary, labels, outcome.outcome, steps, outcome.sentiment,
            outcome.expectations, warnings,
        )  # fmt: skip

    def _plain(self, call: CallInput, system: Any, context: str, log: Asked) -> CallAnalysis:
        reply = self._ask(system, context, "plain", PlainReply, 700, log, call.language)
        labels = [
            ReasonLabel(code=r.code, evidence=r.evidence or None, confidence=0.5)
            for r in reply.churn_reasons
            if r.evidence.strip()
        ]
        steps = [self._step(s.type, s.owner, s.when, call, None) for s in reply.next_steps]
        return self._finish(
            call, reply.summary, labels, reply.outcome, steps, reply.sentiment,
            reply.expectations, [],
        )  # fmt: skip

    # --- code does what code does well ---------------------------------------------

    def _step(
        self, type_: str, owner: str, when: str, call: CallInput, turn: int | None
    ) -> NextStep:
        due = resolve_due_date(when, call.call_date) if when else None
        # The time expression must have been said in the call: a small model invents
        # "bis Freitag" otherwise. Only the expression itself ("zwölften Februar") is
        # checked, not the model's wording around it ("am zwölften Februar").
        spoken = f" {evidence.normalise(' '.join(t.text for t in call.turns))} "
        if due is not None and f" {evidence.normalise(due.phrase)} " not in spoken:
            due = None
        description = ""
        if turn and 0 < turn <= len(call.turns):
            description = evidence.quote_from_turn(call.turns[turn - 1].text, limit=200)
        return NextStep(
            type=type_,  # type: ignore[arg-type]
            owner=owner,  # type: ignore[arg-type]
            description=description,
            # labelling-guidelines.md §3: an incentive granted in the call has no due date.
            due_date=None if type_ == "offer_incentive" or due is None else due.date,
            due_phrase=(when or None) if due else None,
        )

    def _finish(
        self,
        call: CallInput,
        summary: str,
        labels: list[ReasonLabel],
        outcome: str,
        steps: list[NextStep],
        sentiment: str,
        expectations: str,
        warnings: list[str],
    ) -> CallAnalysis:
        kept, dropped = evidence.ground_labels(labels, call.turns)
        warnings = [*warnings, *dropped, *instruction_warnings(list(call.turns))]
        if outcome == "not_reached" and kept:
            # labelling-guidelines.md §2: nobody to give a reason; keep the quotes for the
            # reviewer only.
            warnings.append("not reached: churn reasons dropped " + ", ".join(r.code for r in kept))
            kept = []
        unique: dict[tuple[str, str], NextStep] = {}
        for step in steps:
            unique.setdefault((step.type, step.owner), step)
        steps = list(unique.values())
        if outcome in ("lost", "disqualified"):
            # Marking the account is bookkeeping, not a step (labelling-guidelines.md §3).
            steps = [s for s in steps if s.type == "update_contact"]
        if not [s for s in steps if s.type != "none"]:
            steps = [NextStep(type="none", owner="rep")]
        draft = CallAnalysis(
            language=call.language,
            churn_reasons=kept,
            outcome=outcome,  # type: ignore[arg-type]
            next_steps=steps[:8],
        )
        summary, unsupported = supported_text(summary.strip(), call.language, draft, call.turns)
        warnings.extend(unsupported)
        return CallAnalysis(
            language=call.language,
            summary=summary.strip()[:1500],
            churn_reasons=kept,
            outcome=outcome,  # type: ignore[arg-type]
            next_steps=steps[:8],
            expectations=expectations.strip() or None,
            sentiment=sentiment,  # type: ignore[arg-type]
            warnings=warnings[:20],
        )

    def _model_view(self, call: CallInput) -> tuple[list[Turn], Any, dict[str, str]]:
        """The turns and account context as the model may see them (redacted if not local)."""
        if not self.redact:
            return list(call.turns), call.account, {}
        names = name_parts(call.account.contact) if self.settings.redact_names else []
        redactor = Redactor(names)
        turns = [Turn(speaker=t.speaker, text=redactor.redact(t.text)) for t in call.turns]
        account = call.account.model_copy(
            update={
                "contact": redactor.redact(call.account.contact or "") or None,
                "notes": [redactor.redact(n) for n in call.account.notes],
            }
        )
        return turns, account, dict(redactor.mapping)


def analyzer_for(
    settings: Settings, design: str | None = None, examples: Sequence[Example] = ()
) -> Analyzer:
    """An :class:`Analyzer` for ``design`` (default: the setting); a chat model only if needed."""
    design = design or settings.analysis_design
    model = None
    if design in CHAT_DESIGNS:
        from agent.llm import get_chat_model

        model = get_chat_model(settings)
    return Analyzer(model, design=design, settings=settings, examples=examples)  # type: ignore[arg-type]


def _text(turns: Sequence[dict[str, Any]] | Sequence[Turn]) -> str:
    return " ".join(
        t.text if isinstance(t, Turn) else str(t.get("text", "")) if isinstance(t, dict) else ""
        for t in turns
    )


def guess_language(turns: list[dict[str, Any]] | list[Turn]) -> Literal["de", "en"]:
    """German or English by stop-word count (for transcripts without a language); ties: German."""
    scores = language_scores(_text(turns))
    return "de" if scores["de"] >= scores["en"] else "en"


#: Below this share of German or English stop words, a long text is in another language.
MIN_STOPWORD_SHARE = 0.08
MIN_WORDS_TO_JUDGE = 25


def unsupported_language(turns: Sequence[Turn]) -> bool:
    """True when the customer's words are plainly neither German nor English.

    The classifiers learned German and English; on another language they
    would still find "reasons". Short texts are not judged.
    """
    text = _text([t for t in turns if t.speaker == "customer"])
    words = len(text.split())
    if words < MIN_WORDS_TO_JUDGE:
        return False
    return max(language_scores(text).values()) < MIN_STOPWORD_SHARE * words
