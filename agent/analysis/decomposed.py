"""The ``decomposed`` design: four short questions to a capable chat model, code for the rest.

Four short, grammar-constrained questions on a shared prompt prefix
(:mod:`agent.analysis.prompting`): outcome; reasons as numbers of customer
turns; next steps with their time words; summary. Code does what code does
well: it copies evidence verbatim from the named customer turn (grounded by
construction), resolves due dates from the time words
(:mod:`agent.analysis.dates`) and applies the rules of
docs/labelling-guidelines.md that need no judgement. Meant for a capable
model behind an OpenAI-compatible endpoint; text is redacted before it goes
to a model that is not local. A model that fails after the bounded re-asks
gives a ``failed`` result with the reason, never a half-filled analysis; a
summary the model wrote keeps only the sentences the decided fields support
(:mod:`agent.analysis.support`).
"""

from __future__ import annotations

import re
import time
from typing import Annotated, Protocol, TypeVar

from langchain_core.messages import BaseMessage
from pydantic import BaseModel, Field, StringConstraints

from agent.analysis import evidence
from agent.analysis.dates import resolve_due_date
from agent.analysis.design import AnalysisDesign, AnalysisResult
from agent.analysis.prompting import Asked, ask, context_messages, task_messages
from agent.analysis.redaction import Redactor, name_parts, restore
from agent.analysis.schema import (
    AccountContext,
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
)
from agent.analysis.support import supported_text
from agent.catalogue.vocabulary import vocabulary
from agent.errors import ModelError

Short = Annotated[str, StringConstraints(max_length=200)]
Reply = TypeVar("Reply", bound=BaseModel)


class Asking(Protocol):
    """Ask one question of the call: task name, reply schema, token budget."""

    def __call__(self, task: str, schema: type[Reply], tokens: int) -> Reply: ...


class OutcomeReply(BaseModel):
    """Answer to the outcome question.

    No free-text rationale: on this CPU every generated token costs ~0.3 s
    and the 1.5B model's rationales did not make its labels better.
    """

    outcome: OutcomeCode
    sentiment: Sentiment = "neutral"
    expectations: Short = ""


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


def reason_keywords(code: str, language: str) -> tuple[str, ...]:
    """The catalogue's cue words of a reason as plain stems, to pick the telling sentence."""
    reason = vocabulary().reasons.get(code)
    if reason is None:
        return ()
    return tuple(c.replace("*", "") for c in reason.cues.get(language, ()))


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


class DecomposedDesign(AnalysisDesign):
    """Outcome, reasons, steps and summary as four questions; evidence and dates by code."""

    name = "decomposed"
    needs_chat_model = True

    def analyze(self, call: CallInput, started: float) -> AnalysisResult:
        """Ask the four questions about the (redacted) call and assemble the analysis."""
        log = Asked()
        turns, account, mapping = self._model_view(call)
        system, context = context_messages(
            turns, account, call.call_date.isoformat(), call.language
        )

        def asking(task: str, schema: type[Reply], tokens: int) -> Reply:
            messages: list[BaseMessage] = task_messages(system, context, task, call.language)
            assert self.model is not None  # checked in __init__: the design needs a chat model
            return ask(self.model, messages, schema, settings=self.settings, max_tokens=tokens,
                       purpose=task, log=log)  # fmt: skip

        try:
            analysis = self._questions(call, asking)
        except ModelError as exc:
            return AnalysisResult(
                "failed", None, self.model_name, self.name, time.perf_counter() - started,
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
            "ok", analysis, self.model_name, self.name, time.perf_counter() - started,
            prompt_tokens=log.prompt_tokens, completion_tokens=log.completion_tokens,
            raw=log.raw, redaction_map=mapping,
        )  # fmt: skip

    def _questions(self, call: CallInput, asking: Asking) -> CallAnalysis:
        outcome: OutcomeReply = asking("outcome", OutcomeReply, 60)
        labels: list[ReasonLabel] = []
        warnings: list[str] = []
        if outcome.outcome != "not_reached":
            reasons: ReasonsReply = asking("reasons", ReasonsReply, 100)
            for pick in reasons.reasons:
                index = _label_turn(call.turns, pick.turn)
                if index is None:
                    warnings.append(f"dropped {pick.code}: turn {pick.turn} is not a customer turn")
                    continue
                quote = evidence.quote_from_turn(
                    call.turns[index].text, reason_keywords(pick.code, call.language)
                )
                labels.append(ReasonLabel(code=pick.code, evidence=quote, confidence=0.7))
        steps_reply: StepsReply = asking("steps", StepsReply, 150)
        steps = [_step(s.type, s.owner, s.when, call, s.turn) for s in steps_reply.steps]
        summary: SummaryReply = asking("summary", SummaryReply, 260)
        return _finish(
            call, summary.summary, labels, outcome.outcome, steps, outcome.sentiment,
            outcome.expectations, warnings,
        )  # fmt: skip

    def _model_view(self, call: CallInput) -> tuple[list[Turn], AccountContext, dict[str, str]]:
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


# --- code does what code does well ---------------------------------------------


def _step(type_: StepType, owner: Owner, when: str, call: CallInput, turn: int | None) -> NextStep:
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
        type=type_,
        owner=owner,
        description=description,
        # labelling-guidelines.md §3: an incentive granted in the call has no due date.
        due_date=None if type_ == "offer_incentive" or due is None else due.date,
        due_phrase=(when or None) if due else None,
    )


def _finish(
    call: CallInput,
    summary: str,
    labels: list[ReasonLabel],
    outcome: OutcomeCode,
    steps: list[NextStep],
    sentiment: Sentiment,
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
        outcome=outcome,
        next_steps=steps[:8],
    )
    summary, unsupported = supported_text(summary.strip(), call.language, draft, call.turns)
    warnings.extend(unsupported)
    return CallAnalysis(
        language=call.language,
        summary=summary.strip()[:1500],
        churn_reasons=kept,
        outcome=outcome,
        next_steps=steps[:8],
        expectations=expectations.strip() or None,
        sentiment=sentiment,
        warnings=warnings[:20],
    )
