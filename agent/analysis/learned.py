"""The ``learned`` analysis design: calibrated classifiers decide, code writes, nobody invents.

No chat model is needed. The :class:`~agent.analysis.model.AnalysisModel`
scores every sentence of the call and turns the scores into calibrated
probabilities per churn reason, outcome and next step. Then code decides
with the model's thresholds:

* a churn reason or step at or above its *assert* threshold goes into the
  note, with the customer's (for steps: the speaker's) sentence as verbatim
  evidence and its probability as ``confidence``;
* between the *review floor* and the threshold it is listed as uncertain
  ("unsicher - bitte prüfen") with its evidence, for the reviewer to choose;
* the outcome is set when its probability reaches the *decide* threshold,
  else left unset with the top candidates;
* an incentive counts only when the rep grants it, due dates come from the
  spoken time words (:mod:`agent.analysis.dates`), and the summary is
  composed from the decided fields and short quotes
  (:mod:`agent.analysis.summary`), each checked by :mod:`agent.analysis.support`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agent.analysis.bank import labels
from agent.analysis.dates import DueDate, resolve_due_date
from agent.analysis.features import Featurizer
from agent.analysis.model import AnalysisModel, CallScores, CallView, view
from agent.analysis.schema import (
    CallAnalysis,
    CallInput,
    Candidate,
    NextStep,
    ReasonLabel,
    Uncertain,
)
from agent.analysis.summary import compose
from agent.codes import REASON_CODES, OutcomeCode, Owner, StepType, parse_outcome, parse_step

#: Evidence quotes are cut to this many characters (whole words, verbatim prefix).
QUOTE_CHARS = 300
_FIRST_PERSON = re.compile(r"\b(ich|wir|i|we|i'll|we'll|i'm)\b", re.IGNORECASE)
#: Evidence shorter than this is quoted with the neighbouring sentences of its turn.
MIN_EVIDENCE_CHARS = 12
#: An incentive needs a rep sentence at least this likely to grant it.
INCENTIVE_REP_MIN = 0.2


def _quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


@dataclass(frozen=True)
class _Best:
    index: int
    probability: float


def _best(probs: np.ndarray, column: int, allowed: np.ndarray | None = None) -> _Best | None:
    col = probs[:, column].copy()
    if allowed is not None:
        col[~allowed] = -1.0
    if col.size == 0 or col.max() <= 0:
        return None
    i = int(col.argmax())
    return _Best(i, float(col[i]))


class LearnedAnalysis:
    """Analyses calls with a trained :class:`AnalysisModel`; build once, call per call."""

    def __init__(self, model: AnalysisModel, featurizer: Featurizer) -> None:
        self.model = model
        self.featurizer = featurizer

    def analyze(self, call: CallInput) -> CallAnalysis:
        """The analysis of one call (the caller handles calls without customer speech)."""
        v = view(call.turns, call.language)
        scores = self.model.score(v, self.featurizer)
        return self.decide(call, v, scores)

    # --- decisions ----------------------------------------------------------------------

    def decide(self, call: CallInput, v: CallView, scores: CallScores) -> CallAnalysis:
        """Fields from scores, with the thresholds of the model."""
        warnings: list[str] = []
        uncertain: list[Uncertain] = []

        outcome, outcome_p, outcome_ev, outcome_turn, outcome_cands = self._outcome(v, scores)
        if outcome is None:
            uncertain.append(Uncertain(field="outcome", candidates=outcome_cands))

        reasons, reason_cands = self._reasons(v, scores)
        if outcome == "not_reached" and reasons:
            warnings.append(
                "not reached: churn reasons left out " + ", ".join(r.code for r in reasons)
            )
            reasons, reason_cands = [], []
        if reason_cands:
            uncertain.append(Uncertain(field="churn_reasons", candidates=reason_cands))

        steps, step_cands = self._steps(call, v, scores)
        if outcome in ("lost", "disqualified"):
            # Marking the account is bookkeeping, not a step (labelling-guidelines.md §3).
            steps = [s for s in steps if s.type == "update_contact"]
            step_cands = [c for c in step_cands if c.code == "update_contact"]
        if step_cands:
            uncertain.append(Uncertain(field="next_steps", candidates=step_cands))
        if not steps:
            steps = [NextStep(type="none", owner="rep")]
        if any(v.ignored):
            warnings.append("the customer addresses the system/AI; treated as call content only")
        analysis = CallAnalysis(
            language=call.language,
            churn_reasons=reasons,
            outcome=outcome,
            outcome_confidence=round(outcome_p, 4),
            outcome_evidence=outcome_ev,
            outcome_turn=outcome_turn,
            next_steps=steps[:8],
            uncertain=uncertain,
            warnings=warnings[:20],
        )
        summary, dropped = compose(analysis, call.turns, instructed=any(v.ignored))
        analysis.summary = summary
        analysis.warnings = (analysis.warnings + dropped)[:20]
        return analysis

    def _evidence(self, v: CallView, index: int) -> tuple[str, int]:
        """The sentence as a verbatim quote; a very short one ("Nobody.") with its neighbours."""
        sentence = v.sentences[index]
        first = last = index
        while v.sentences[last].end - v.sentences[first].start < MIN_EVIDENCE_CHARS:
            before = first > 0 and v.sentences[first - 1].turn == sentence.turn
            after = last + 1 < len(v.sentences) and v.sentences[last + 1].turn == sentence.turn
            if before:
                first -= 1
            elif after:
                last += 1
            else:
                break
        if first == last:
            return _quote(sentence.text), sentence.turn
        text = v.items[index].context[v.sentences[first].start : v.sentences[last].end]
        return _quote(text), sentence.turn

    def _reasons(
        self, v: CallView, scores: CallScores
    ) -> tuple[list[ReasonLabel], list[Candidate]]:
        th = self.model.thresholds
        probs = scores.sentence["reason"]
        labels_: list[ReasonLabel] = []
        candidates: list[Candidate] = []
        for column, code in enumerate(REASON_CODES, 1):
            p = scores.reasons[code]
            best = _best(probs, column)
            if best is None or p < th.reason_review:
                continue
            quote, turn = self._evidence(v, best.index)
            if p >= th.reason_assert:
                labels_.append(ReasonLabel(code=code, evidence=quote, confidence=round(p, 4),
                                           turn=turn))  # fmt: skip
            else:
                candidates.append(Candidate(code=code, probability=round(p, 4), evidence=quote,
                                            turn=turn))  # fmt: skip
        labels_.sort(key=lambda r: -r.confidence)
        candidates.sort(key=lambda c: -c.probability)
        return labels_[:6], candidates[:6]

    def _outcome(
        self, v: CallView, scores: CallScores
    ) -> tuple[OutcomeCode | None, float, str | None, int | None, list[Candidate]]:
        from agent.catalogue.vocabulary import vocabulary

        probs = scores.sentence["signal"]
        classes = labels("signal")
        by_outcome = {o: s for s, o in vocabulary().signal_outcome.items()}
        ranked = sorted(scores.outcomes.items(), key=lambda kv: -kv[1])

        def evidence(outcome: str) -> tuple[str | None, int | None]:
            best = _best(probs, classes.index(by_outcome[outcome]))
            if best is None or best.probability < 0.2:
                return None, None
            quote, turn = self._evidence(v, best.index)
            return quote, turn

        top, p = ranked[0]
        if p >= self.model.thresholds.outcome_decide:
            quote, turn = evidence(top)
            return parse_outcome(top), p, quote, turn, []
        candidates = []
        for outcome, prob in ranked[:3]:
            if prob < 0.1:
                continue
            quote, turn = evidence(outcome)
            candidates.append(Candidate(code=outcome, probability=round(prob, 4),
                                        evidence=quote, turn=turn))  # fmt: skip
        return None, p, None, None, candidates

    def _steps(
        self, call: CallInput, v: CallView, scores: CallScores
    ) -> tuple[list[NextStep], list[Candidate]]:
        th = self.model.thresholds
        probs = scores.sentence["step"]
        rep = np.array([s.speaker == "rep" for s in v.sentences], dtype=bool)
        steps: list[NextStep] = []
        candidates: list[Candidate] = []
        for column, step_type in enumerate(labels("step")[1:], 1):
            p = scores.steps[step_type]
            if p < th.step_review:
                continue
            # labelling-guidelines.md §0/§3: a discount counts only when the rep offers or
            # grants it.
            allowed = rep if step_type == "offer_incentive" else None
            best = _best(probs, column, allowed)
            if best is None or (allowed is not None and best.probability < INCENTIVE_REP_MIN):
                continue
            quote, turn = self._evidence(v, best.index)
            if p < th.step_assert:
                candidates.append(Candidate(code=step_type, probability=round(p, 4),
                                            evidence=quote, turn=turn))  # fmt: skip
                continue
            steps.append(self._step(call, v, parse_step(step_type), best.index, p))
        candidates.sort(key=lambda c: -c.probability)
        return steps, candidates[:6]

    def _step(self, call: CallInput, v: CallView, step_type: StepType, index: int,
              p: float) -> NextStep:  # fmt: skip
        sentence = v.sentences[index]
        owner: Owner = "rep"
        if (step_type == "schedule_call" and sentence.speaker == "customer"
                and _FIRST_PERSON.search(sentence.text)):  # fmt: skip
            owner = "customer"  # "ich rufe Sie am Montag zurück"
        due = None
        if step_type != "offer_incentive":  # an incentive granted in the call has no due date
            due = _due(call, v, index)
        return NextStep(
            type=step_type,
            owner=owner,
            description=_quote(sentence.text, 200),
            due_date=due.date if due else None,
            due_phrase=due.phrase[:80] if due else None,
            confidence=round(p, 4),
            turn=sentence.turn,
        )


def _due(call: CallInput, v: CallView, index: int) -> DueDate | None:
    """The due date said with a step: in its sentence, else its turn, else the next turn."""
    sentence = v.sentences[index]
    texts: Sequence[str] = (
        sentence.text,
        call.turns[sentence.turn].text,
        call.turns[sentence.turn + 1].text if sentence.turn + 1 < len(call.turns) else "",
    )
    for text in texts:
        due = resolve_due_date(text, call.call_date)
        if due is not None:
            return due
    return None
