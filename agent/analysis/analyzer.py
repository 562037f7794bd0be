"""The analysis flow: transcript turns + account context → :class:`AnalysisResult`.

:class:`Analyzer` does what every design shares - a call without any
customer words, or plainly in neither German nor English, gets an honest
"no analysis" result with no model call - and hands every other call to the
design chosen by name (``analysis_design`` setting; the designs and what
each does: :mod:`agent.analysis.designs`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from agent.analysis.bank import Example
from agent.analysis.design import AnalysisResult
from agent.analysis.designs import ANALYSIS_DESIGNS, CHAT_DESIGNS, DESIGNS
from agent.analysis.redaction import needs_redaction
from agent.analysis.schema import CallInput, LanguageCode, Turn, no_analysis
from agent.language import language_scores
from agent.settings import Settings, get_settings

__all__ = ["DESIGNS", "AnalysisResult", "Analyzer", "analyzer_for", "transcript_language"]


class Analyzer:
    """Analyses calls with one design; build once, call :meth:`analyze` per call."""

    def __init__(
        self,
        model: BaseChatModel | None = None,
        *,
        design: str | None = None,
        settings: Settings | None = None,
        redact: bool | None = None,
        examples: Sequence[Example] = (),
    ) -> None:
        self.settings = settings or get_settings()
        design = design or self.settings.analysis_design
        if design not in ANALYSIS_DESIGNS:
            raise ValueError(f"unknown design {design!r}; choose one of: {', '.join(DESIGNS)}")
        self.design = design
        self.model = model
        self.redact = needs_redaction(self.settings) if redact is None else redact
        self.runner = ANALYSIS_DESIGNS[design](
            self.settings, model, examples=examples, redact=self.redact
        )
        self.model_name = self.runner.model_name

    def analyze(self, call: CallInput) -> AnalysisResult:
        """Analyse one call; never raises for model trouble (returns a failed result)."""
        started = time.perf_counter()
        if not call.customer_turns:
            reason = "no customer speech in the transcript: nothing to analyse"
        elif unsupported_language(call.turns):
            reason = "the call is in neither German nor English: no analysis possible"
        else:
            return self.runner.analyze(call, started)
        return AnalysisResult(
            "no_analysis", no_analysis(call.language, reason), self.model_name, self.design,
            time.perf_counter() - started,
        )  # fmt: skip


def analyzer_for(
    settings: Settings, design: str | None = None, examples: Sequence[Example] = ()
) -> Analyzer:
    """An :class:`Analyzer` for ``design`` (default: the setting); a chat model only if needed."""
    design = design or settings.analysis_design
    model = None
    if design in CHAT_DESIGNS:
        from agent.llm import get_chat_model

        model = get_chat_model(settings)
    return Analyzer(model, design=design, settings=settings, examples=examples)


def _text(turns: Sequence[dict[str, Any]] | Sequence[Turn]) -> str:
    return " ".join(
        t.text if isinstance(t, Turn) else str(t.get("text", "")) if isinstance(t, dict) else ""
        for t in turns
    )


def transcript_language(turns: list[dict[str, Any]] | list[Turn]) -> LanguageCode:
    """A transcript's language, German or English, by stop-word count; ties: German.

    Unlike :func:`agent.language.guess_language` it always answers: a transcript
    without a stated language is analysed in one of the two.
    """
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
