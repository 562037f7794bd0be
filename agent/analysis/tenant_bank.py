"""Learning from reviews: confirmed and corrected sentences of a tenant's approved notes.

When a manager approves a note, what they confirmed becomes labelled
sentences of the tenant (``tenant_examples`` rows): each churn reason's
evidence with its code, the outcome's evidence with its signal, each step's
evidence with its type. What the analysis proposed and the manager removed
becomes a "none" example of that task, weighted like the bank's hard
negatives. From then on the tenant's calls are scored by sentence models
refitted on the bank plus these sentences (calibrators and thresholds stay
those of the shipped model, fitted out of fold). The rows belong to their
note: erasure and retention delete them with it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.analysis.bank import (
    HARD_NEGATIVE_WEIGHT,
    NONE,
    Example,
    base_bank,
    fingerprint,
    parse_task,
)
from agent.analysis.features import Featurizer
from agent.analysis.model import AnalysisModel, fit_sentence_models
from agent.analysis.schema import CallAnalysis
from agent.catalogue.vocabulary import vocabulary
from agent.crm.models import CallNote, TenantExample

TENANT_GROUP = "tenant"
#: A reviewer's confirmation counts more than one example sentence of the bank.
CONFIRMED_WEIGHT = 3.0
#: Refitted models kept in memory (per tenant bank fingerprint).
_CACHE_SIZE = 8

_LOCK = threading.Lock()
_MODELS: dict[str, AnalysisModel] = {}


def _outcome_signal(outcome: str) -> str | None:
    for signal, decided in vocabulary().signal_outcome.items():
        if decided == outcome:
            return signal
    return None


def examples_from_review(
    draft: CallAnalysis | None, final: CallAnalysis
) -> list[tuple[str, str, str, str, str | None]]:
    """``(task, label, sentence, speaker, owner)`` a review confirms or corrects.

    ``draft`` is the analysis as the machine proposed it, ``final`` as the
    manager approved it. Reasons and steps need their evidence sentence;
    those without (typed in by hand) teach nothing about words.
    """
    out: list[tuple[str, str, str, str, str | None]] = []
    kept_reasons = {r.code for r in final.churn_reasons}
    for reason in final.churn_reasons:
        if reason.evidence:
            out.append(("reason", reason.code, reason.evidence, "customer", None))
    if draft is not None:
        for reason in draft.churn_reasons:
            if reason.code not in kept_reasons and reason.evidence:
                out.append(("reason", NONE, reason.evidence, "customer", None))
    signal = _outcome_signal(final.outcome) if final.outcome else None
    if signal and final.outcome_evidence and (draft is None or draft.outcome == final.outcome):
        # Only when the reviewer kept the outcome is its evidence confirmed.
        out.append(("signal", signal, final.outcome_evidence, "customer", None))
    kept_steps = {s.type for s in final.next_steps}
    for step in final.next_steps:
        if step.type != "none" and step.description and step.confidence is not None:
            out.append(("step", step.type, step.description, "rep", step.owner))
    if draft is not None:
        for step in draft.next_steps:
            if step.type not in kept_steps and step.type != "none" and step.description:
                out.append(("step", NONE, step.description, "rep", None))
    return out


def record_review(
    session: Session, note: CallNote, draft: CallAnalysis | None, final: CallAnalysis
) -> int:
    """Store the sentences an approval confirms or corrects; return how many."""
    rows = examples_from_review(draft, final)
    for task, label, text, speaker, owner in rows:
        session.add(
            TenantExample(
                tenant_id=note.tenant_id,
                call_note_id=note.id,
                task=task,
                label=label,
                text=text[:2000],
                context="",
                language=final.language,
                speaker=speaker,
                owner=owner,
            )  # fmt: skip
        )
    return len(rows)


def tenant_examples(session: Session, tenant_id: int) -> list[Example]:
    """The tenant's confirmed sentences as bank examples."""
    rows = session.scalars(
        select(TenantExample).where(TenantExample.tenant_id == tenant_id).order_by(TenantExample.id)
    )
    return [
        Example(
            parse_task(r.task),
            r.label,
            r.text,
            r.language,
            r.speaker,
            TENANT_GROUP,
            HARD_NEGATIVE_WEIGHT if r.label == NONE else CONFIRMED_WEIGHT,
            owner=r.owner,
            context=r.context,
        )
        for r in rows
    ]


def with_examples(
    model: AnalysisModel, featurizer: Featurizer, examples: Sequence[Example],
    bank: Iterable[Example] | None = None,
) -> AnalysisModel:  # fmt: skip
    """``model`` with sentence models refitted on the bank plus ``examples`` (cached)."""
    if not examples:
        return model
    key = f"{featurizer.embedder.name}:{model.meta.get('bank')}:{fingerprint(examples)}"
    with _LOCK:
        cached = _MODELS.get(key)
    if cached is not None:
        return cached
    training = [*(base_bank() if bank is None else bank), *examples]
    refitted = AnalysisModel(
        fit_sentence_models(training, featurizer, model.meta.get("c", 1.0)),
        model.reason_calibrator,
        model.step_calibrator,
        model.signal_calibrators,
        model.outcome_calibrator,
        model.thresholds,
        {**model.meta, "tenant_examples": len(examples)},
    )
    with _LOCK:
        if len(_MODELS) >= _CACHE_SIZE:
            _MODELS.pop(next(iter(_MODELS)))
        _MODELS[key] = refitted
    return refitted
