"""Sentence embeddings behind one interface, plus LangChain and Chroma adapters.

Backends (``settings.embeddings_backend``):

* ``local`` - Universal Sentence Encoder multilingual v3, quantized ONNX (16
  languages incl. German, cross-lingual), run by onnxruntime with the custom
  string ops of onnxruntime-extensions; the weights come from a package and
  are verified by :mod:`agent.model_store`. 512 dimensions.
* ``openai`` - the embeddings endpoint of any OpenAI-compatible server.
* ``fake`` - :class:`agent.testing.FakeEmbeddings`.

Every backend returns L2-normalised float32 rows, so cosine similarity is a
dot product. :class:`WinbackEmbeddings` adapts a backend to LangChain's
``Embeddings``; :class:`WinbackEmbeddingFunction` is a registered Chroma
embedding function whose config names the backend, so a persisted collection
re-opens with the same embedding function without passing it again.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings

from agent.errors import ConfigError, ModelError
from agent.model_store import cpu_threads, resolve_model_path
from agent.settings import Settings, get_settings


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an ``(len(texts), dim)`` float32 array with unit-length rows."""
        ...


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Scale each row to unit length (zero rows stay zero) and return float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


class LocalUSEEmbedder:
    """USE-m-v3 ONNX on CPU; thread-safe, batches texts, normalises the output."""

    name = "use-m-v3"
    dim = 512

    def __init__(self, model_path: str, *, threads: int = 1, batch_size: int = 64) -> None:
        try:
            import onnxruntime as ort
            from onnxruntime_extensions import get_library_path
        except ImportError as exc:
            raise ModelError(
                "Local embeddings need onnxruntime and onnxruntime-extensions: "
                "`pip install 'winback[local]'`, or set WINBACK_EMBEDDINGS_BACKEND=openai."
            ) from exc
        options = ort.SessionOptions()
        options.register_custom_ops_library(get_library_path())
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(
                model_path, options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own hierarchy
            raise ModelError(f"onnxruntime could not load {model_path}: {exc}") from exc
        self._input = self._session.get_inputs()[0].name
        self._output = self._session.get_outputs()[0].name
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` in batches of ``batch_size``."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        for i in range(0, len(texts), self.batch_size):
            batch = np.asarray([str(t) for t in texts[i : i + self.batch_size]], dtype=object)
            with self._lock:  # one run at a time: the session already uses every core
                out.append(self._session.run([self._output], {self._input: batch})[0])
        return l2_normalise(np.concatenate(out))


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible ``/embeddings`` endpoint."""

    name = "openai"

    def __init__(self, settings: Settings, client: Any = None, batch_size: int = 256) -> None:
        from agent.llm.openai import openai_credentials

        base_url, key = openai_credentials(settings, "embeddings")
        if client is None:
            import openai

            client = openai.OpenAI(
                base_url=base_url,
                api_key=key.get_secret_value(),
                timeout=settings.openai_timeout_s,
                max_retries=settings.openai_max_retries,
            )
        self._client = client
        self.model = settings.openai_embeddings_model
        self.batch_size = batch_size
        self.dim = 0  # known after the first call

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` with the configured model, ``batch_size`` per request."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            try:
                resp = self._client.embeddings.create(
                    model=self.model, input=list(texts[i : i + self.batch_size])
                )
            except Exception as exc:  # noqa: BLE001 - network errors become our type
                raise ModelError(f"Embeddings request failed: {type(exc).__name__}: {exc}") from exc
            rows.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        matrix = l2_normalise(np.asarray(rows, dtype=np.float32))
        self.dim = int(matrix.shape[1])
        return matrix


_LOCAL_CACHE: dict[tuple[str, int, int], LocalUSEEmbedder] = {}
_LOCAL_LOCK = threading.Lock()


def get_embedder(settings: Settings | None = None) -> Embedder:
    """Return the embedder selected by ``settings.embeddings_backend`` (local ones cached)."""
    settings = settings or get_settings()
    backend = settings.embeddings_backend
    if backend == "local":
        path = str(resolve_model_path("use-m-v3", settings))
        key = (path, cpu_threads(settings), settings.embeddings_batch_size)
        with _LOCAL_LOCK:
            if key not in _LOCAL_CACHE:
                _LOCAL_CACHE[key] = LocalUSEEmbedder(path, threads=key[1], batch_size=key[2])
            return _LOCAL_CACHE[key]
    if backend == "openai":
        return OpenAIEmbedder(settings)
    if backend == "fake":
        from agent.testing import FakeEmbeddings

        return FakeEmbeddings()
    raise ConfigError(f"Unknown embeddings backend {backend!r}; choose local, openai or fake.")


class WinbackEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over an :class:`Embedder` (default: from settings)."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder or get_embedder()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents for storage."""
        return self.embedder.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed one query (same model: USE is symmetric)."""
        return self.embedder.embed([text])[0].tolist()


@register_embedding_function
class WinbackEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over Winback's embedders.

    Its config holds only the backend name (never keys or paths), so a
    collection persisted with it re-opens with the backend of the same name
    from the settings in effect.
    """

    def __init__(self, backend: str | None = None, embedder: Embedder | None = None) -> None:
        if embedder is None:
            settings = get_settings()
            if backend and backend != settings.embeddings_backend:
                settings = settings.model_copy(update={"embeddings_backend": backend})
            embedder = get_embedder(settings)
        self.embedder = embedder
        self.backend = backend or embedder.name

    def __call__(self, input: Documents) -> ChromaEmbeddings:
        return list(self.embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "winback"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"backend": self.backend}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> WinbackEmbeddingFunction:
        backend = config.get("backend")
        if backend == "use-m-v3":
            backend = "local"
        return WinbackEmbeddingFunction(backend=backend)
