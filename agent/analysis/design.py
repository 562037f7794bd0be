"""What an analysis design is: a class that turns one call into an :class:`AnalysisResult`.

Designs are chosen by name (``analysis_design`` setting) from the registry in
:mod:`agent.analysis.designs`; :class:`agent.analysis.analyzer.Analyzer`
does what every design shares (calls without customer words or in another
language get an honest "no analysis" without asking a design).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from langchain_core.language_models.chat_models import BaseChatModel

from agent.analysis.bank import Example
from agent.analysis.schema import CallAnalysis, CallInput
from agent.settings import Settings


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


class AnalysisDesign(ABC):
    """One way to analyse a call; build once, call :meth:`analyze` per call.

    Every design is constructed the same way, so the registry can build any of
    them: ``settings``, the chat model (``None`` for designs that need none),
    the tenant's confirmed example sentences and whether text must be
    redacted before it reaches the model.
    """

    #: The name in the registry and in ``analysis_design``.
    name: ClassVar[str]
    #: Whether the design asks a chat model (then ``model`` is required).
    needs_chat_model: ClassVar[bool] = False

    def __init__(
        self,
        settings: Settings,
        model: BaseChatModel | None = None,
        *,
        examples: Sequence[Example] = (),
        redact: bool = False,
    ) -> None:
        if model is None and self.needs_chat_model:
            raise ValueError(f"the {self.name!r} design needs a chat model")
        self.settings = settings
        self.model = model
        self.examples = list(examples)
        self.redact = redact

    @property
    def model_name(self) -> str:
        """The model named in results and notes."""
        return str(getattr(self.model, "model_name", "") or type(self.model).__name__)

    @abstractmethod
    def analyze(self, call: CallInput, started: float) -> AnalysisResult:
        """Analyse a call with customer words in German or English.

        Never raises for model trouble (returns a ``failed`` result).
        ``started`` is the ``perf_counter`` at which the analysis began, for
        the result's latency.
        """
