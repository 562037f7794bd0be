"""Where the trained analysis model comes from: shipped, cached, or trained at first use.

The package ships a model trained on the whole example bank with the local
embeddings (``agent/catalogue/data/analysis_model.npz``, built by ``winback
models train-analysis``). It is used when it matches: same embedder, same
bank (by fingerprint). With another embedder (an OpenAI-compatible
endpoint, the test fake) or a changed bank, the model is trained once from
the bank and kept in the model cache directory; training takes a few
minutes on two cores, mostly embedding the bank.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from agent.analysis.bank import CATALOGUE_DIR, base_bank, base_fingerprint, read_calls
from agent.analysis.features import Featurizer
from agent.analysis.model import AnalysisModel, train
from agent.embeddings import get_embedder
from agent.errors import ModelError
from agent.settings import Settings

SHIPPED_MODEL = CATALOGUE_DIR / "data" / "analysis_model.npz"

_LOCK = threading.Lock()
_LOADED: dict[tuple[str, str], tuple[AnalysisModel, Featurizer]] = {}


def _matches(model: AnalysisModel, embedder: str, bank: str) -> bool:
    return model.meta.get("embedder") == embedder and model.meta.get("bank") == bank


def cached_model_path(settings: Settings, embedder: str, bank: str) -> Path:
    """The cache file of a model trained here for ``embedder`` and the bank ``bank``."""
    return settings.models_dir / f"analysis-{embedder}-{bank[:16]}.npz"


def build_model(featurizer: Featurizer, progress: Callable[[str], None] | None = None
                ) -> AnalysisModel:  # fmt: skip
    """Train a model on the whole bank (the product's model)."""
    calls = read_calls()
    if not calls:
        raise ModelError("The labelled call sentences are missing from the package.")
    return train(list(base_bank()), calls, featurizer, progress=progress)


def analysis_model(settings: Settings) -> tuple[AnalysisModel, Featurizer]:
    """The model for the configured embedder, and a featurizer for it (one per process)."""
    embedder = get_embedder(settings)
    bank = base_fingerprint()
    key = (embedder.name, bank)
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        featurizer = Featurizer(embedder)
        model: AnalysisModel | None = None
        if SHIPPED_MODEL.is_file():
            shipped = AnalysisModel.load(SHIPPED_MODEL)
            if _matches(shipped, embedder.name, bank):
                model = shipped
        if model is None:
            path = cached_model_path(settings, embedder.name, bank)
            if path.is_file():
                model = AnalysisModel.load(path)
            else:
                model = build_model(featurizer)
                model.save(path)
        _LOADED[key] = (model, featurizer)
        return model, featurizer
