"""The domain vocabulary as data: one place for what each churn reason, outcome and step means.

The brief, the call analysis and the web UI all need the same knowledge per
code: its name in German and English, its definition, the cue words that
suggest it, the reviewed core question and playbook of the brief. It lives
in ``agent/catalogue/data/`` (``codes.toml`` for language-neutral facts,
``de.toml`` and ``en.toml`` per language) and is read once, here, and
checked against the closed code sets of :mod:`agent.codes`, so a code
without a name or a name without a code fails at load, not in a page.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeGuard, TypeVar

from agent.codes import (
    LANGUAGE_CODES,
    OUTCOME_CODES,
    REASON_CODES,
    STEP_TYPES,
    ReasonGroup,
    SituationCode,
    is_reason_group,
    is_situation_code,
)
from agent.errors import ConfigError

DATA_DIR = Path(__file__).resolve().parent / "data"
LANGUAGES = LANGUAGE_CODES
#: Outcome signals in the order of docs/labelling-guidelines.md §2; each decides the outcome
#: named in codes.toml.
SIGNALS: tuple[str, ...] = ("absent", "cannot_buy", "order", "refusal", "step", "later")
#: Kinds of claim a summary may only make when the decided fields hold them.
CLAIMS: tuple[str, ...] = ("order", "discount")


@dataclass(frozen=True)
class Play:
    """What a customer who left for one reason is likely to say, and how to answer it."""

    situation: SituationCode
    objection: dict[str, str]
    answer: dict[str, str]
    avoid: dict[str, str]


@dataclass(frozen=True)
class Reason:
    """One churn-reason code with its words in every language."""

    code: str
    group: ReasonGroup
    name: dict[str, str]
    definition: dict[str, str]
    question: dict[str, str]
    point: dict[str, str]
    cues: dict[str, tuple[str, ...]]
    play: Play


@dataclass(frozen=True)
class LanguageWords:
    """The words of one language that are not tied to a code (negations, clause breaks)."""

    negations: tuple[str, ...]
    not_negations: tuple[str, ...]
    clause_breaks: tuple[str, ...]
    affirmations: tuple[str, ...]
    words: dict[str, str]


@dataclass(frozen=True)
class Vocabulary:
    """Everything in ``agent/catalogue/data``, checked against :mod:`agent.codes`."""

    reasons: dict[str, Reason]
    unknown_play: Play
    outcome_names: dict[str, dict[str, str]]
    signal_outcome: dict[str, str]
    signal_cues: dict[str, dict[str, tuple[str, ...]]]
    step_names: dict[str, dict[str, str]]
    step_cues: dict[str, dict[str, tuple[str, ...]]]
    business_steps: frozenset[str]
    #: Working days until a step is due when no date was said in the call.
    step_due_days: dict[str, int]
    languages: dict[str, LanguageWords]
    #: Words that address the AI or the CRM system rather than a person, per language.
    instruction_cues: dict[str, tuple[str, ...]]
    #: Reviewed sentence templates of the code-written summary, per language.
    summary: dict[str, dict[str, str]]
    #: Claim kind ("order", "discount") -> language -> the words that state it.
    claim_cues: dict[str, dict[str, tuple[str, ...]]]

    def reason_name(self, code: str, language: str) -> str:
        """The name of a churn reason as a rep reads it (the code itself if unknown)."""
        reason = self.reasons.get(code)
        return reason.name[_lang(language)] if reason else code

    def outcome_name(self, code: str | None, language: str) -> str:
        """The name of an outcome as a rep reads it."""
        if not code:
            return "–"
        return self.outcome_names.get(code, {}).get(_lang(language), code)

    def step_name(self, step_type: str, language: str) -> str:
        """The name of a next-step type as a rep reads it."""
        return self.step_names.get(step_type, {}).get(_lang(language), step_type)

    def word(self, key: str, language: str) -> str:
        """A fixed UI word ("customer", "uncertain", ...) in ``language``."""
        return self.languages[_lang(language)].words[key]


def _lang(language: str) -> str:
    return language if language in LANGUAGES else "en"


def _read(name: str) -> dict[str, Any]:
    path = DATA_DIR / name
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"The catalogue file {path} cannot be read: {exc}") from exc


def _need(table: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    missing = [k for k in keys if k not in table]
    extra = [k for k in table if k not in keys]
    if missing or extra:
        raise ConfigError(f"{where}: missing {missing or '-'}, unknown {extra or '-'}")


_Code = TypeVar("_Code", bound=str)


def _code(value: object, ok: Callable[[object], TypeGuard[_Code]], where: str) -> _Code:
    """``value`` as the closed code type ``ok`` checks, so a typo fails at load."""
    if not ok(value):
        raise ConfigError(f"{where}: unknown value {value!r}")
    return value


@cache
def vocabulary() -> Vocabulary:
    """The catalogue, read and checked once per process."""
    codes = _read("codes.toml")
    per_lang = {lang: _read(f"{lang}.toml") for lang in LANGUAGES}
    _need(codes["reasons"], REASON_CODES, "codes.toml [reasons]")
    _need(codes["signals"], SIGNALS, "codes.toml [signals]")
    real_steps = tuple(s for s in STEP_TYPES if s != "none")
    _need(codes["steps"], real_steps, "codes.toml [steps]")
    for lang, data in per_lang.items():
        _need(data["reasons"], REASON_CODES, f"{lang}.toml [reasons]")
        _need(data["outcomes"], OUTCOME_CODES, f"{lang}.toml [outcomes]")
        _need(data["signals"], SIGNALS, f"{lang}.toml [signals]")
        _need(data["steps"], STEP_TYPES, f"{lang}.toml [steps]")
        if data.get("summary", {}).keys() != per_lang["de"].get("summary", {}).keys():
            raise ConfigError(f"{lang}.toml [summary] must have the same keys as de.toml")

    def per(section: str, code: str, key: str) -> dict[str, Any]:
        return {lang: per_lang[lang][section][code][key] for lang in LANGUAGES}

    reasons: dict[str, Reason] = {}
    for code in REASON_CODES:
        plays = {lang: per_lang[lang]["reasons"][code]["playbook"] for lang in LANGUAGES}
        where = f"codes.toml [reasons.{code}]"
        reasons[code] = Reason(
            code=code,
            group=_code(codes["reasons"][code]["group"], is_reason_group, where + ".group"),
            name=per("reasons", code, "name"),
            definition=per("reasons", code, "definition"),
            question=per("reasons", code, "question"),
            point=per("reasons", code, "point"),
            cues={lang: tuple(v) for lang, v in per("reasons", code, "cues").items()},
            play=Play(
                situation=_code(
                    codes["reasons"][code]["situation"], is_situation_code, where + ".situation"
                ),
                objection={lang: p["objection"] for lang, p in plays.items()},
                answer={lang: p["answer"] for lang, p in plays.items()},
                avoid={lang: p["avoid"] for lang, p in plays.items()},
            ),
        )
    unknown = {lang: per_lang[lang]["unknown_playbook"] for lang in LANGUAGES}
    return Vocabulary(
        reasons=reasons,
        unknown_play=Play(
            situation="uncertain_status",
            objection={lang: p["objection"] for lang, p in unknown.items()},
            answer={lang: p["answer"] for lang, p in unknown.items()},
            avoid={lang: p["avoid"] for lang, p in unknown.items()},
        ),
        outcome_names={code: per("outcomes", code, "name") for code in OUTCOME_CODES},
        signal_outcome={s: codes["signals"][s]["outcome"] for s in SIGNALS},
        signal_cues={
            s: {lang: tuple(per_lang[lang]["signals"][s]["cues"]) for lang in LANGUAGES}
            for s in SIGNALS
        },
        step_names={s: per("steps", s, "name") for s in STEP_TYPES},
        step_cues={
            s: {lang: tuple(per_lang[lang]["steps"][s]["cues"]) for lang in LANGUAGES}
            for s in real_steps
        },
        business_steps=frozenset(s for s in real_steps if codes["steps"][s]["business"]),
        step_due_days={s: int(codes["steps"][s]["due_days"]) for s in real_steps},
        languages={
            lang: LanguageWords(
                negations=tuple(data["negations"]),
                not_negations=tuple(data["not_negations"]),
                clause_breaks=tuple(data["clause_breaks"]),
                affirmations=tuple(data["affirmations"]),
                words=dict(data["words"]),
            )
            for lang, data in per_lang.items()
        },
        instruction_cues={lang: tuple(data["instructions"]) for lang, data in per_lang.items()},
        summary={lang: dict(data["summary"]) for lang, data in per_lang.items()},
        claim_cues={
            kind: {lang: tuple(per_lang[lang]["claims"][kind]) for lang in LANGUAGES}
            for kind in CLAIMS
        },
    )
