"""The analysis designs by name: the registry behind the ``analysis_design`` setting.

* ``learned`` (default) - no chat model: classifiers trained on labelled
  sentences score every sentence, calibrated probabilities decide or leave a
  field to the reviewer, code writes the summary (:mod:`agent.analysis.learned`);
  the best measured on writers it never saw (evals/README.md);
* ``decomposed`` - four short questions to a capable chat model behind an
  OpenAI-compatible endpoint, evidence and dates by code
  (:mod:`agent.analysis.decomposed`).

A new design is a subclass of :class:`agent.analysis.design.AnalysisDesign`
registered in :data:`ANALYSIS_DESIGNS`; add its figures to evals/README.md.
"""

from __future__ import annotations

import time

from agent.analysis.decomposed import DecomposedDesign
from agent.analysis.design import AnalysisDesign, AnalysisResult
from agent.analysis.schema import CallInput
from agent.errors import WinbackError


class LearnedDesign(AnalysisDesign):
    """Trained sentence classifiers with calibrated call-level probabilities; no chat model."""

    name = "learned"

    @property
    def model_name(self) -> str:
        """Named in results and notes: no language model is involved."""
        return "learned classifiers (no language model)"

    def analyze(self, call: CallInput, started: float) -> AnalysisResult:
        """Score the call with the shipped model refitted on the tenant's confirmed sentences."""
        from agent.analysis.learned import LearnedAnalysis
        from agent.analysis.tenant_bank import with_examples
        from agent.analysis.trained import analysis_model

        try:
            model, featurizer = analysis_model(self.settings)
            model = with_examples(model, featurizer, self.examples)
            analysis = LearnedAnalysis(model, featurizer).analyze(call)
        except WinbackError as exc:  # e.g. the embedding model cannot be loaded
            return AnalysisResult(
                "failed", None, self.model_name, self.name, time.perf_counter() - started,
                failure_reason=str(exc),
            )  # fmt: skip
        return AnalysisResult(
            "ok", analysis, self.model_name, self.name, time.perf_counter() - started
        )


#: Design name -> class; every class takes ``(settings, model, *, examples, redact)``.
ANALYSIS_DESIGNS: dict[str, type[AnalysisDesign]] = {
    LearnedDesign.name: LearnedDesign,
    DecomposedDesign.name: DecomposedDesign,
}
#: The design names, the default first.
DESIGNS: tuple[str, ...] = tuple(ANALYSIS_DESIGNS)
#: Designs that ask a chat model.
CHAT_DESIGNS: frozenset[str] = frozenset(
    name for name, design in ANALYSIS_DESIGNS.items() if design.needs_chat_model
)
