"""The example bank: labelled sentences the call-analysis classifiers learn from.

Three sources, all plain data:

* the catalogue's example sentences (``agent/catalogue/examples/<lang>/``),
  written from the code definitions, never from an eval call;
* the sentences of the labelled calls (``agent/catalogue/data/call_sentences.jsonl``,
  built by ``python -m evals.bank`` from the eval sets and their sentence
  annotations); each row names its writer (``group``), so an evaluation can
  leave a writer's calls out of training;
* a tenant's own confirmed sentences from reviewed notes
  (:mod:`agent.analysis.tenant_bank`).

An :class:`Example` belongs to one of three tasks: ``reason`` (churn-reason
code or ``none``, customer sentences), ``signal`` (outcome signal of
labelling-guidelines.md §2 or ``none``), ``step`` (next-step type or ``none``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from agent.catalogue.vocabulary import LANGUAGES, SIGNALS
from agent.codes import REASON_CODES, STEP_TYPES
from agent.errors import ConfigError, ValidationError

#: What a labelled sentence teaches: a churn reason, an outcome signal or a next step
#: (the CRM follow-up task is agent.crm.models.Task).
LabelTask = Literal["reason", "signal", "step"]
TASKS: tuple[LabelTask, ...] = ("reason", "signal", "step")


def parse_task(value: str) -> LabelTask:
    """A stored example's task as a :data:`LabelTask`; a ValidationError names the tasks."""
    for task in TASKS:
        if value == task:
            return task
    raise ValidationError(f"Unknown example task {value!r}; expected one of: {', '.join(TASKS)}.")


NONE = "none"
CATALOGUE_DIR = Path(__file__).resolve().parents[1] / "catalogue"
EXAMPLES_DIR = CATALOGUE_DIR / "examples"
CALL_SENTENCES = CATALOGUE_DIR / "data" / "call_sentences.jsonl"
#: Group name of the catalogue's own examples (never left out of training).
CATALOGUE_GROUP = "catalogue"
#: Weight of a sentence that sounds like a reason but is denied, retracted or played down.
HARD_NEGATIVE_WEIGHT = 2.0

STEP_LABELS: tuple[str, ...] = tuple(s for s in STEP_TYPES if s != "none")


def labels(task: LabelTask) -> tuple[str, ...]:
    """The classes of ``task``, ``none`` first."""
    if task == "reason":
        return (NONE, *REASON_CODES)
    if task == "signal":
        return (NONE, *SIGNALS)
    return (NONE, *STEP_LABELS)


@dataclass(frozen=True)
class Example:
    """One labelled sentence."""

    task: LabelTask
    label: str
    text: str
    language: str
    speaker: str
    group: str
    weight: float = 1.0
    position: float | None = None
    #: Step owner ("rep"/"customer") for step examples.
    owner: str | None = None
    #: The whole turn of a call sentence ("" for a lone example sentence).
    context: str = ""
    #: The call a call sentence comes from (for call-level calibration).
    call: str | None = None


def _lines(path: Path) -> Iterator[str]:
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            yield line


def _catalogue_file(task: LabelTask, language: str, path: Path) -> Iterator[Example]:
    stem = path.name.removesuffix(".txt")
    negative = stem.endswith(".not")
    code = stem.removesuffix(".not")
    label = NONE if negative or code == NONE else code
    if label not in labels(task):
        raise ConfigError(f"{path}: {code!r} is not a {task} label ({', '.join(labels(task))})")
    weight = HARD_NEGATIVE_WEIGHT if negative else 1.0
    for line in _lines(path):
        parts = line.split("\t")
        if task == "reason":
            yield Example(task, label, parts[-1], language, "customer", CATALOGUE_GROUP, weight)
            continue
        if len(parts) < 2 or parts[0] not in ("rep", "customer"):
            raise ConfigError(f"{path}: lines need 'rep|customer<TAB>...': {line[:80]!r}")
        owner = parts[1] if task == "step" and len(parts) == 3 and parts[1] != "-" else None
        yield Example(task, label, parts[-1], language, parts[0], CATALOGUE_GROUP, weight,
                      owner=owner)  # fmt: skip


_TASK_DIRS: dict[LabelTask, str] = {"reason": "reasons", "signal": "signals", "step": "steps"}


def catalogue_examples(root: Path = EXAMPLES_DIR) -> list[Example]:
    """Every example sentence of the catalogue (``<lang>/<task dir>/<label>[.not].txt``)."""
    out: list[Example] = []
    for language in LANGUAGES:
        for task, folder in _TASK_DIRS.items():
            for path in sorted((root / language / folder).glob("*.txt")):
                out.extend(_catalogue_file(task, language, path))
    return out


def examples_from_call(call: dict[str, Any]) -> Iterator[Example]:
    """The examples the annotated sentences of one labelled call give for each task."""
    group, language, call_id = str(call["group"]), str(call["language"]), str(call["call"])
    turns = call["turns"]
    last = max(1, len(turns) - 1)
    for row in call["sentences"]:
        turn = turns[row["turn"]]
        text, speaker = turn["text"][row["start"] : row["end"]], turn["speaker"]
        common = {
            "language": language,
            "speaker": speaker,
            "group": group,
            "position": row["turn"] / last,
            "context": turn["text"],
            "call": call_id,
        }
        if speaker == "customer":
            if row["reasons"]:
                for code in row["reasons"]:
                    yield Example("reason", code, text, **common)
            else:
                weight = HARD_NEGATIVE_WEIGHT if row["reason_negative"] else 1.0
                yield Example("reason", NONE, text, weight=weight, **common)
        yield Example("signal", row["signal"] or NONE, text, **common)
        if row["steps"]:
            for step_type, owner in row["steps"]:
                yield Example("step", step_type, text, owner=owner, **common)
        else:
            yield Example("step", NONE, text, **common)


def read_calls(path: Path = CALL_SENTENCES) -> list[dict[str, Any]]:
    """The labelled calls with their annotated sentences (empty when the file is absent)."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in _lines(path)]


def call_examples(calls: Iterable[dict[str, Any]]) -> list[Example]:
    """Examples from labelled calls, each tagged with its writer group and call."""
    return [ex for call in calls for ex in examples_from_call(call)]


@cache
def base_bank() -> tuple[Example, ...]:
    """The catalogue's examples and the labelled calls' sentences (what the product ships)."""
    return (*catalogue_examples(), *call_examples(read_calls()))


def feature_vocabulary() -> dict[str, Any]:
    """The part of the catalogue a trained model depends on: cue words and how they match.

    Cue words of every family and language are features; negations, clause
    breaks and affirmations decide how they match; the signal order decides
    the outcome chain. Names, definitions, summary templates, due days and
    comments are read at run time and are not part of what was learned.
    """
    from agent.catalogue.cues import FAMILIES, cue_words
    from agent.catalogue.vocabulary import LANGUAGES, vocabulary

    vocab = vocabulary()
    return {
        "cues": {f: {lang: cue_words(f, lang) for lang in LANGUAGES} for f in FAMILIES},
        "languages": {
            lang: [words.negations, words.not_negations, words.clause_breaks, words.affirmations]
            for lang, words in sorted(vocab.languages.items())
        },
        "signal_outcome": vocab.signal_outcome,
        "business_steps": sorted(vocab.business_steps),
        "reason_groups": {code: r.group for code, r in sorted(vocab.reasons.items())},
    }


@cache
def base_fingerprint() -> str:
    """The fingerprint of :func:`base_bank`, computed once per process (about 50 ms)."""
    return fingerprint(base_bank())


def fingerprint(examples: Iterable[Example]) -> str:
    """sha256 over the examples and the catalogue's feature vocabulary (its cue words).

    A trained model records the fingerprint of what it was trained on, so a
    changed example or cue word makes it stale instead of silently wrong,
    while a new display name or a reworded comment in the catalogue does not.
    """
    digest = hashlib.sha256()
    digest.update(json.dumps(feature_vocabulary(), ensure_ascii=False, sort_keys=True).encode())
    for ex in examples:
        digest.update(
            json.dumps(
                [
                    ex.task,
                    ex.label,
                    ex.text,
                    ex.language,
                    ex.speaker,
                    ex.group,
                    ex.weight,
                    ex.position,
                    ex.owner,
                    ex.context,
                ],  # fmt: skip
                ensure_ascii=False,
            ).encode()
        )
    return digest.hexdigest()
