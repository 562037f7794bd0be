"""The trained call-analysis model: sentence classifiers, call-level calibrators, thresholds.

How a call is scored (:meth:`AnalysisModel.score`):

1. every sentence gets class probabilities from three :class:`SentenceModel`
   s: churn reason (customer sentences only), outcome signal, next step;
   sentences that address the AI or "the system" are ignored (labelling-guidelines.md §0);
2. per code, call-level features (noisy-OR, max and count of its sentence
   probabilities) go through a :class:`Calibrator` fitted on *out-of-fold*
   scores, which makes them probabilities that the call has the reason or
   step;
3. the outcome follows labelling-guidelines.md §2 in code: calibrated probabilities of
   the signals ``absent``, ``cannot_buy``, ``order``, ``refusal`` and
   ``step`` are chained in that order (each only where no earlier one
   holds), and ``not_now`` takes the rest, so every outcome is reachable
   without a fixed phrase.

Training (:func:`train`) fits the sentence models on the example bank and
the calibrators on scores of each labelled writer's calls made by models
that never saw that writer; the thresholds for asserting a field or asking
the reviewer come from the same out-of-fold scores. The trained model is a
few arrays, saved with the fingerprint of the bank and the embedder it was
trained with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agent.analysis.bank import (
    CATALOGUE_GROUP,
    NONE,
    TASKS,
    Example,
    LabelTask,
    fingerprint,
    labels,
)
from agent.analysis.classifier import (
    Calibrator,
    SentenceModel,
    expected_calibration_error,
    logit,
    noisy_or,
)
from agent.analysis.features import Featurizer, Item
from agent.analysis.schema import Turn
from agent.analysis.sentences import Sentence, sentences
from agent.catalogue.cues import matcher
from agent.catalogue.vocabulary import SIGNALS, vocabulary
from agent.codes import REASON_CODES
from agent.errors import ModelError

#: Inverse regularisation strength of the sentence models (chosen leave-one-writer-out).
SENTENCE_C = 1.0
#: Weight of a labelled call's plain "none" sentence per task. Outcome and step sentences
#: are annotated once per call, so many of their look-alikes are "none" by omission.
CALL_NONE_WEIGHT: dict[LabelTask, float] = {"reason": 1.0, "signal": 0.1, "step": 0.3}
#: The signals that decide the outcome, in the order of docs/labelling-guidelines.md §2;
#: "not_now" is the rest.
CHAIN: tuple[str, ...] = ("absent", "cannot_buy", "order", "refusal", "step")
#: Steps and "not now" count only in the second half of the call ("state at the end").
LATE_POSITION = 0.5
#: Targets the thresholds are set for, on out-of-fold scores.
REASON_PRECISION_TARGET = 0.85
OUTCOME_ACCURACY_TARGET = 0.85
#: An address to the AI this short is a header; the instruction follows in the next sentence.
SHORT_ADDRESS_WORDS = 5
#: Below this a candidate is not even shown to the reviewer.
REVIEW_FLOOR = 0.25


@dataclass(frozen=True)
class CallView:
    """A transcript cut into sentences, with what the features need."""

    sentences: tuple[Sentence, ...]
    items: tuple[Item, ...]
    #: Sentences that address the AI or the system: never evidence of anything.
    ignored: tuple[bool, ...]
    language: str


def view(turns: Sequence[Turn], language: str) -> CallView:
    """The sentences of a transcript and their feature items."""
    cut = sentences(turns)
    instruction = matcher("instruction", language)
    addressed = [bool(instruction.find(s.text)) for s in cut]
    # A short address ("Hinweis an die KI.") is followed by the instruction itself in the
    # next sentence of the same turn; a full instruction sentence is not.
    ignored = tuple(
        addressed[i]
        or (
            i > 0
            and addressed[i - 1]
            and cut[i - 1].turn == s.turn
            and len(cut[i - 1].text.split()) <= SHORT_ADDRESS_WORDS
        )
        for i, s in enumerate(cut)
    )
    # The turn as context, without what was said to the AI: it is no call content.
    context = {
        t: " ".join(
            s.text for s, skip in zip(cut, ignored, strict=True) if s.turn == t and not skip
        )
        for t in {s.turn for s in cut}
    }
    items = tuple(Item(s.text, language, s.speaker, context[s.turn]) for s in cut)
    return CallView(tuple(cut), items, ignored, language)


@dataclass
class Thresholds:
    """Where a calibrated probability becomes an asserted field, a question, or nothing."""

    reason_assert: float = 0.7
    reason_review: float = REVIEW_FLOOR
    outcome_decide: float = 0.6
    step_assert: float = 0.5
    step_review: float = REVIEW_FLOOR


@dataclass
class CallScores:
    """Everything the model says about one call."""

    #: Per task: (sentences x classes) probabilities; ignored sentences are all "none".
    sentence: dict[str, np.ndarray]
    #: Calibrated P(call has the reason / the step), per code.
    reasons: dict[str, float]
    steps: dict[str, float]
    #: Calibrated P(signal holds) per chained signal, and the outcome probabilities.
    signals: dict[str, float]
    outcomes: dict[str, float]


# --- call-level features --------------------------------------------------------------


def _column_features(probs: np.ndarray) -> list[float]:
    if probs.size == 0:
        probs = np.zeros(1)
    return [float(logit(noisy_or(probs[:, None])[0])), float(logit(probs.max())),
            float((probs > 0.5).sum())]  # fmt: skip


def reason_features(probs: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """(codes x 3): noisy-OR, max and count of each code's probability over customer sentences."""
    rows = probs[customer] if customer.any() else np.zeros((0, probs.shape[1]))
    return np.array([_column_features(rows[:, i]) for i in range(1, probs.shape[1])])


def step_features(probs: np.ndarray) -> np.ndarray:
    """(step types x 3): noisy-OR, max and count of each type's probability over all sentences."""
    return np.array([_column_features(probs[:, i]) for i in range(1, probs.shape[1])])


def signal_features(probs: np.ndarray, positions: np.ndarray) -> dict[str, np.ndarray]:
    """Per chained signal: noisy-OR and max of its probability where it counts."""
    classes = labels("signal")
    late = positions >= LATE_POSITION
    later = probs[late, classes.index("later")] if late.any() else np.zeros(1)
    out: dict[str, np.ndarray] = {}
    for signal in CHAIN:
        column = probs[:, classes.index(signal)]
        if signal == "step":
            column = column[late] if late.any() else np.zeros(1)
        feats = _column_features(column)[:2]
        if signal == "step":  # "im Herbst wieder" at the end speaks against a step now
            feats.append(float(logit(later.max())))
        out[signal] = np.array(feats)
    return out


def chain_outcomes(signals: dict[str, float]) -> dict[str, float]:
    """Outcome probabilities from the chained signal probabilities.

    The chain follows the order of docs/labelling-guidelines.md §2.
    """
    vocab = vocabulary()
    rest = 1.0
    out: dict[str, float] = {}
    for signal in CHAIN:
        out[vocab.signal_outcome[signal]] = rest * signals[signal]
        rest *= 1.0 - signals[signal]
    out["not_now"] = rest
    return out


def calibrated_outcomes(outcomes: dict[str, float], calibrator: Calibrator) -> dict[str, float]:
    """The chain's outcome probabilities with the top one replaced by its calibrated confidence.

    The chained product is sharp but not calibrated (a confident chain is wrong more
    often than it says); the calibrator maps its top value to how often such a top
    outcome was right out of fold. The others are scaled to share the rest.
    """
    top = max(outcomes, key=outcomes.__getitem__)
    p_top = float(calibrator.predict(np.array([[float(logit(outcomes[top]))]]))[0])
    rest = sum(v for k, v in outcomes.items() if k != top)
    out = {top: p_top}
    for k, v in outcomes.items():
        if k != top:
            out[k] = (1.0 - p_top) * (v / rest) if rest > 0 else 0.0
    return out


# --- the model ---------------------------------------------------------------------------


@dataclass
class AnalysisModel:
    """Sentence models, calibrators and thresholds, plus what they were trained on."""

    sentence: dict[str, SentenceModel]
    reason_calibrator: Calibrator
    step_calibrator: Calibrator
    signal_calibrators: dict[str, Calibrator]
    #: P(the chain's top outcome is right | its chained probability), fitted out of fold.
    outcome_calibrator: Calibrator = field(default_factory=lambda: Calibrator(np.array([1.0]), 0.0))
    thresholds: Thresholds = field(default_factory=Thresholds)
    meta: dict[str, Any] = field(default_factory=dict)

    def sentence_probabilities(self, call: CallView, featurizer: Featurizer) -> dict[str, Any]:
        """Per task, the class probabilities of every sentence of ``call``."""
        out: dict[str, np.ndarray] = {}
        ignored = np.array(call.ignored, dtype=bool)
        for task in TASKS:
            probs = self.sentence[task].proba(featurizer.matrix(task, call.items))
            # Only the customer's words are reasons (labelling-guidelines.md §0).
            if task == "reason":
                rep = np.array([s.speaker != "customer" for s in call.sentences], dtype=bool)
                probs[rep] = 0.0
                probs[rep, 0] = 1.0
            if ignored.any():
                probs[ignored] = 0.0
                probs[ignored, 0] = 1.0
            out[task] = probs
        return out

    def score(self, call: CallView, featurizer: Featurizer) -> CallScores:
        """Score one call (see the module docstring)."""
        probs = self.sentence_probabilities(call, featurizer)
        return self.score_probabilities(call, probs)

    def score_probabilities(self, call: CallView, probs: dict[str, np.ndarray]) -> CallScores:
        """Call-level probabilities from sentence probabilities (no featurizer needed)."""
        customer = np.array([s.speaker == "customer" for s in call.sentences], dtype=bool)
        positions = np.array([s.position for s in call.sentences])
        reason_p = self.reason_calibrator.predict(reason_features(probs["reason"], customer))
        step_p = self.step_calibrator.predict(step_features(probs["step"]))
        feats = signal_features(probs["signal"], positions)
        signals = {
            s: float(self.signal_calibrators[s].predict(feats[s][None, :])[0]) for s in CHAIN
        }
        return CallScores(
            sentence=probs,
            reasons=dict(zip(REASON_CODES, map(float, reason_p), strict=True)),
            steps=dict(zip(labels("step")[1:], map(float, step_p), strict=True)),
            signals=signals,
            outcomes=calibrated_outcomes(chain_outcomes(signals), self.outcome_calibrator),
        )

    # --- persistence ----------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the model as one ``.npz`` file (arrays plus a JSON header)."""
        arrays: dict[str, np.ndarray] = {}
        header: dict[str, Any] = {
            "thresholds": asdict(self.thresholds),
            "meta": self.meta,
            "classes": {},
            "calibrators": {},
        }
        for task, model in self.sentence.items():
            arrays[f"{task}.coef"] = model.coef
            arrays[f"{task}.intercept"] = model.intercept
            header["classes"][task] = list(model.classes)
        calibrators = {
            "reason": self.reason_calibrator,
            "step": self.step_calibrator,
            "outcome": self.outcome_calibrator,
        }
        calibrators.update({f"signal.{s}": c for s, c in self.signal_calibrators.items()})
        for name, cal in calibrators.items():
            header["calibrators"][name] = {"coef": cal.coef.tolist(), "intercept": cal.intercept}
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> AnalysisModel:
        """Read a model written by :meth:`save`; ModelError when it is unreadable."""
        try:
            with np.load(path) as data:
                header = json.loads(bytes(data["header"]).decode())
                sentence: dict[str, SentenceModel] = {
                    task: SentenceModel(
                        tuple(header["classes"][task]),
                        data[f"{task}.coef"].copy(),
                        data[f"{task}.intercept"].copy(),
                    )
                    for task in TASKS
                }
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"The analysis model {path} cannot be read: {exc}") from exc
        cals = {
            name: Calibrator(np.array(c["coef"], dtype=np.float64), float(c["intercept"]))
            for name, c in header["calibrators"].items()
        }
        return cls(
            sentence=dict(sentence),
            reason_calibrator=cals["reason"],
            step_calibrator=cals["step"],
            signal_calibrators={s: cals[f"signal.{s}"] for s in CHAIN},
            outcome_calibrator=cals["outcome"],
            thresholds=Thresholds(**header["thresholds"]),
            meta=header["meta"],
        )


# --- training ------------------------------------------------------------------------------


def _weight(ex: Example) -> float:
    if ex.label == NONE and ex.group != CATALOGUE_GROUP and ex.weight == 1.0:
        return CALL_NONE_WEIGHT[ex.task]
    return ex.weight


def fit_sentence_models(
    examples: Sequence[Example], featurizer: Featurizer, c: float = SENTENCE_C
) -> dict[str, SentenceModel]:
    """One :class:`SentenceModel` per task on ``examples``."""
    models: dict[str, SentenceModel] = {}
    task: LabelTask
    for task in TASKS:
        rows = [e for e in examples if e.task == task]
        if not rows:
            raise ModelError(f"No training examples for the {task} task.")
        items = [Item(e.text, e.language, e.speaker, e.context) for e in rows]
        models[task] = SentenceModel.fit(
            featurizer.matrix(task, items), [e.label for e in rows], labels(task),
            [_weight(e) for e in rows], c=c,
        )  # fmt: skip
    return models


@dataclass
class _Collected:
    reason_x: list[np.ndarray] = field(default_factory=list)
    reason_y: list[np.ndarray] = field(default_factory=list)
    step_x: list[np.ndarray] = field(default_factory=list)
    step_y: list[np.ndarray] = field(default_factory=list)
    signal_x: dict[str, list[np.ndarray]] = field(default_factory=dict)
    outcome: list[str] = field(default_factory=list)
    reason_keys: list[tuple[str, str]] = field(default_factory=list)


def _gold_steps(call: dict[str, Any]) -> set[str]:
    return {s["type"] for s in call["gold"]["next_steps"] if s["type"] != "none"}


def _collect(calls: Sequence[dict[str, Any]], models: dict[str, SentenceModel],
             featurizer: Featurizer, out: _Collected) -> None:  # fmt: skip
    partial = AnalysisModel(models, Calibrator(np.zeros(3), 0.0), Calibrator(np.zeros(3), 0.0),
                            {s: Calibrator(np.zeros(3), 0.0) for s in CHAIN})  # fmt: skip
    reason_codes = labels("reason")[1:]
    step_types = labels("step")[1:]
    for call in calls:
        turns = [Turn.model_validate(t) for t in call["turns"]]
        v = view(turns, call["language"])
        probs = partial.sentence_probabilities(v, featurizer)
        customer = np.array([s.speaker == "customer" for s in v.sentences], dtype=bool)
        positions = np.array([s.position for s in v.sentences])
        gold_reasons = set(call["gold"]["churn_reasons"])
        out.reason_x.append(reason_features(probs["reason"], customer))
        out.reason_y.append(np.array([c in gold_reasons for c in reason_codes]))
        out.reason_keys.extend((call["call"], c) for c in reason_codes)
        gold_steps = _gold_steps(call)
        out.step_x.append(step_features(probs["step"]))
        out.step_y.append(np.array([t in gold_steps for t in step_types]))
        for signal, feats in signal_features(probs["signal"], positions).items():
            out.signal_x.setdefault(signal, []).append(feats)
        out.outcome.append(call["gold"]["outcome"])


def _best_threshold(
    probs: np.ndarray, gold: np.ndarray, *, precision: float | None = None
) -> float:
    """The lowest threshold whose expected precision reaches ``precision`` (else best F1).

    With calibrated probabilities the expected precision of the labels at or
    above a threshold is their mean probability; using it instead of the
    counted precision keeps the threshold stable on a few dozen calls.
    """
    grid = np.round(np.arange(0.3, 0.96, 0.05), 2)
    best, best_f1 = 0.5, -1.0
    for t in grid:
        pred = probs >= t
        if precision is not None:
            if pred.any() and float(probs[pred].mean()) >= precision:
                return float(t)
            continue
        tp = float((pred & gold).sum())
        p = tp / pred.sum() if pred.sum() else 1.0
        r = tp / gold.sum() if gold.sum() else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best_f1:
            best, best_f1 = float(t), f1
    return best if precision is None else float(grid[-1])


def _outcome_threshold(outcomes: list[dict[str, float]]) -> float:
    """The lowest confidence at which decided outcomes are expected to reach the target.

    As for reasons, the expected accuracy of the outcomes decided at a
    threshold is the mean of their calibrated top probability.
    """
    top = np.array([max(o.values()) for o in outcomes])
    for t in np.round(np.arange(0.3, 0.96, 0.05), 2):
        decided = top >= t
        if decided.any() and float(top[decided].mean()) >= OUTCOME_ACCURACY_TARGET:
            return float(t)
    return 0.95


def train(
    examples: Sequence[Example],
    calls: Sequence[dict[str, Any]],
    featurizer: Featurizer,
    *,
    c: float = SENTENCE_C,
    progress: Callable[[str], None] | None = None,
) -> AnalysisModel:
    """Fit sentence models on ``examples`` and calibrate them on ``calls`` out of fold.

    ``calls`` are labelled calls in the shape of ``call_sentences.jsonl``;
    for each writer group among them, sentence models are fitted without
    that group's examples and score its calls, so the calibrators and
    thresholds learn from scores on calls the sentence model had not seen.
    """
    say = progress or (lambda _msg: None)
    groups = sorted({str(call["group"]) for call in calls})
    if len(groups) < 2:
        raise ModelError("Calibration needs labelled calls of at least two writer groups.")
    collected = _Collected()
    for group in groups:
        say(f"calibration fold without {group}")
        models = fit_sentence_models([e for e in examples if e.group != group], featurizer, c)
        _collect([call for call in calls if call["group"] == group], models, featurizer,
                 collected)  # fmt: skip
    say("final sentence models")
    final = fit_sentence_models(examples, featurizer, c)
    reason_x, reason_y = np.vstack(collected.reason_x), np.concatenate(collected.reason_y)
    step_x, step_y = np.vstack(collected.step_x), np.concatenate(collected.step_y)
    reason_cal = Calibrator.fit(reason_x, reason_y.tolist())
    step_cal = Calibrator.fit(step_x, step_y.tolist())
    order = [vocabulary().signal_outcome[s] for s in CHAIN] + ["not_now"]
    signal_cals: dict[str, Calibrator] = {}
    for k, signal in enumerate(CHAIN):
        # labelling-guidelines.md §2: a signal is only seen where no earlier one holds.
        below = set(order[k:])
        rows = [i for i, o in enumerate(collected.outcome) if o in below]
        x = np.array([collected.signal_x[signal][i] for i in rows])
        y = [collected.outcome[i] == order[k] for i in rows]
        signal_cals[signal] = Calibrator.fit(x, y)
    reason_p = reason_cal.predict(reason_x)
    step_p = step_cal.predict(step_x)
    chained = [
        chain_outcomes(
            {s: float(signal_cals[s].predict(collected.signal_x[s][i][None, :])[0]) for s in CHAIN}
        )
        for i in range(len(collected.outcome))
    ]
    # The chained product is sharper than it is right: calibrate its top value out of fold.
    tops = np.array([[float(logit(max(o.values())))] for o in chained])
    gold = collected.outcome
    right = [max(o, key=o.__getitem__) == g for o, g in zip(chained, gold, strict=True)]
    outcome_cal = Calibrator.fit(tops, right)
    outcome_p = [calibrated_outcomes(o, outcome_cal) for o in chained]
    thresholds = Thresholds(
        reason_assert=_best_threshold(reason_p, reason_y, precision=REASON_PRECISION_TARGET),
        outcome_decide=_outcome_threshold(outcome_p),
        step_assert=_best_threshold(step_p, step_y),
    )
    outcome_conf = [max(o.values()) for o in outcome_p]
    outcome_right = [max(o, key=o.__getitem__) == g
                     for o, g in zip(outcome_p, collected.outcome, strict=True)]  # fmt: skip
    meta = {
        "embedder": featurizer.embedder.name,
        "bank": fingerprint(examples),
        "calls": len(calls),
        "groups": groups,
        "examples": len(examples),
        "c": c,
        "out_of_fold": {
            "reason_ece": round(expected_calibration_error(list(reason_p), list(reason_y)), 4),
            "step_ece": round(expected_calibration_error(list(step_p), list(step_y)), 4),
            "outcome_ece": round(expected_calibration_error(outcome_conf, outcome_right), 4),
            "outcome_accuracy": round(float(np.mean(outcome_right)), 4),
        },
    }
    return AnalysisModel(final, reason_cal, step_cal, signal_cals, outcome_cal, thresholds, meta)


__all__ = [
    "AnalysisModel",
    "CallScores",
    "CallView",
    "Thresholds",
    "chain_outcomes",
    "fit_sentence_models",
    "train",
    "view",
    "SIGNALS",
]
