"""The history index: CRM free text in Chroma, one collection per tenant.

Embedded ``chromadb.PersistentClient`` at ``<data_dir>/chroma`` by default, a
Chroma server (``HttpClient``) when ``settings.chroma_url`` is set. Vectors
come from our own embeddings (a LangChain ``Embeddings`` object, normally the
local multilingual USE-m model); Chroma's default embedding function is never
used because it would download a model at run time.

Tenant isolation is enforced twice: every tenant has its own collection, and
every query also filters on ``tenant_id`` metadata, so even a mis-routed
collection cannot return another tenant's text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np

from agent.errors import ConfigError, StorageError
from agent.history.chunks import HistoryChunk
from agent.settings import Settings, get_settings

log = logging.getLogger(__name__)

COLLECTION_PREFIX = "winback_history_t"


class TextEmbeddings(Protocol):
    """The part of LangChain's ``Embeddings`` interface the index needs."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


@dataclass(frozen=True)
class HistoryHit:
    """A retrieved chunk with its cosine distance to the query (smaller is closer)."""

    chunk: HistoryChunk
    distance: float


def make_client(settings: Settings) -> Any:
    """Create the Chroma client the settings ask for (telemetry always off)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(
                f"chroma_url {settings.chroma_url!r} is not an http(s) URL like http://host:8000"
            )
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    path = Path(settings.data_dir) / "chroma"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"Cannot create the history index directory {path}: {exc}") from exc
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def default_embeddings(settings: Settings) -> TextEmbeddings:
    """The embeddings chosen in settings (local USE-m by default)."""
    from agent.embeddings import WinbackEmbeddings, get_embedder

    return WinbackEmbeddings(get_embedder(settings))


class HistoryIndex:
    """Add, replace, delete and search history chunks, always within one tenant."""

    def __init__(self, client: Any, embeddings: TextEmbeddings, batch_size: int = 256) -> None:
        self.client = client
        self.embeddings = embeddings
        self.batch_size = batch_size
        self._collections: dict[int, Any] = {}

    # --- collections ------------------------------------------------------
    def collection(self, tenant_id: int) -> Any:
        """The tenant's collection (cosine space), created on first use."""
        if isinstance(tenant_id, bool) or not isinstance(tenant_id, int):
            raise ConfigError(f"tenant id must be an integer, got {tenant_id!r}")
        found = self._collections.get(tenant_id)
        if found is None:
            found = self.client.get_or_create_collection(
                name=f"{COLLECTION_PREFIX}{tenant_id}",
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"tenant_id": tenant_id},
            )
            self._collections[tenant_id] = found
        return found

    def count(self, tenant_id: int) -> int:
        """Number of chunks indexed for the tenant."""
        return int(self.collection(tenant_id).count())

    def reset_tenant(self, tenant_id: int) -> None:
        """Drop the tenant's collection (the start of a full re-index)."""
        self._collections.pop(tenant_id, None)
        name = f"{COLLECTION_PREFIX}{tenant_id}"
        try:
            self.client.delete_collection(name)
        except Exception as exc:  # noqa: BLE001 - chroma raises several types for "missing"
            log.debug("collection %s not deleted: %s", name, exc)

    # --- writing ------------------------------------------------------------
    def add_vectors(
        self, chunks: Sequence[HistoryChunk], vectors: Sequence[Sequence[float]]
    ) -> None:
        """Store chunks with precomputed vectors (bulk loads, benchmarks)."""
        by_tenant: dict[int, list[int]] = {}
        for i, chunk in enumerate(chunks):
            by_tenant.setdefault(chunk.tenant_id, []).append(i)
        for tenant_id, positions in by_tenant.items():
            col = self.collection(tenant_id)
            # Chroma caps the batch size per call; stay well below it.
            step = min(self.batch_size * 8, 4000)
            for start in range(0, len(positions), step):
                part = positions[start : start + step]
                col.upsert(
                    ids=[chunks[i].id for i in part],
                    embeddings=np.asarray([vectors[i] for i in part], dtype=np.float32),
                    documents=[chunks[i].text for i in part],
                    metadatas=[chunks[i].metadata() for i in part],
                )

    def upsert(self, chunks: Sequence[HistoryChunk]) -> int:
        """Embed and store chunks; returns how many were written."""
        chunks = list(chunks)
        for start in range(0, len(chunks), self.batch_size):
            part = chunks[start : start + self.batch_size]
            vectors = self.embeddings.embed_documents([c.text for c in part])
            self.add_vectors(part, vectors)
        return len(chunks)

    def replace_source(self, tenant_id: int, source: str, chunks: Sequence[HistoryChunk]) -> int:
        """Replace every chunk of one record (an edit can change the number of chunks)."""
        self.delete_source(tenant_id, source)
        return self.upsert([c for c in chunks if c.tenant_id == tenant_id])

    def delete_source(self, tenant_id: int, source: str) -> None:
        """Remove all chunks of one record."""
        self.collection(tenant_id).delete(
            where={"$and": [{"tenant_id": tenant_id}, {"source_id": source}]}
        )

    def stamps(self, tenant_id: int, account_id: int) -> dict[str, str]:
        """Source id -> change stamp of every record indexed for one account."""
        found = self.collection(tenant_id).get(
            where={"$and": [{"tenant_id": tenant_id}, {"account_id": account_id}]},
            include=["metadatas"],
        )
        return {
            str(meta["source_id"]): str(meta.get("stamp", "")) for meta in found["metadatas"] or []
        }

    # --- reading ---------------------------------------------------------------
    def search(
        self,
        tenant_id: int,
        query: str,
        *,
        account_id: int | None = None,
        kinds: Iterable[str] | None = None,
        k: int = 8,
    ) -> list[HistoryHit]:
        """The ``k`` chunks closest to ``query`` within the tenant (optionally one account)."""
        if not query.strip() or k <= 0:
            return []
        return self.search_vector(
            tenant_id, self.embeddings.embed_query(query), account_id=account_id, kinds=kinds, k=k
        )

    def search_vector(
        self,
        tenant_id: int,
        vector: Sequence[float],
        *,
        account_id: int | None = None,
        kinds: Iterable[str] | None = None,
        k: int = 8,
    ) -> list[HistoryHit]:
        """Like :meth:`search` with a precomputed query vector."""
        # The collection holds one tenant only; a tenant_id clause would make
        # Chroma intersect with every row of the tenant (105 ms instead of
        # 19 ms per query at 100,000 chunks). Hits are still checked below.
        clauses: list[dict[str, Any]] = []
        if account_id is not None:
            clauses.append({"account_id": account_id})
        kind_list = sorted(set(kinds or ()))
        if kind_list:
            clauses.append({"kind": {"$in": kind_list}})
        where: dict[str, Any] | None = (
            None if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}
        )
        if account_id is not None:
            rows = self._rank_exact(tenant_id, vector, where, k)
        else:
            result = self.collection(tenant_id).query(
                query_embeddings=[list(vector)],
                n_results=k,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
            rows = list(
                zip(
                    result["documents"][0],
                    result["metadatas"][0],
                    result["distances"][0],
                    strict=True,
                )
            )
        return self._hits(tenant_id, rows)

    def _rank_exact(
        self, tenant_id: int, vector: Sequence[float], where: dict[str, Any] | None, k: int
    ) -> list[tuple[str | None, dict[str, Any], float]]:
        """Exact cosine ranking of one account's chunks.

        An account has tens of chunks, not thousands. Chroma's HNSW search
        with a metadata filter over a large tenant took about a second per
        query (100,000 chunks, benchmarks/bench_retrieval.py); fetching the
        account's vectors through the metadata index and ranking them here is
        exact and takes milliseconds.
        """
        found = self.collection(tenant_id).get(
            where=where, include=["documents", "metadatas", "embeddings"]
        )
        embeddings = found.get("embeddings")
        if embeddings is None or len(embeddings) == 0:
            return []
        matrix = np.asarray(embeddings, dtype=np.float32)
        query = np.asarray(vector, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1) * (float(np.linalg.norm(query)) or 1.0)
        distances = 1.0 - (matrix @ query) / np.where(norms == 0, 1.0, norms)
        order = np.argsort(distances, kind="stable")[:k]
        docs, metas = found["documents"], found["metadatas"]
        return [(docs[i], metas[i], float(distances[i])) for i in order]

    def _hits(
        self, tenant_id: int, rows: Sequence[tuple[str | None, Any, float]]
    ) -> list[HistoryHit]:
        hits: list[HistoryHit] = []
        for doc, meta, dist in rows:
            # Defence in depth: never hand out text of another tenant.
            if meta.get("tenant_id") != tenant_id:
                continue
            extra = {key: meta[key] for key in ("start_s", "end_s", "outcome") if key in meta}
            chunk = HistoryChunk(
                source_id=str(meta["source_id"]),
                seq=int(meta.get("seq", 0)),
                tenant_id=int(meta["tenant_id"]),
                account_id=int(meta["account_id"]),
                kind=str(meta["kind"]),
                day=date.fromisoformat(str(meta["date"])),
                text=doc or "",
                extra=extra,
            )
            hits.append(HistoryHit(chunk=chunk, distance=float(dist)))
        return hits


def open_index(
    settings: Settings | None = None, embeddings: TextEmbeddings | None = None
) -> HistoryIndex:
    """Open the history index the settings describe (embedded or server)."""
    settings = settings or get_settings()
    return HistoryIndex(
        make_client(settings),
        embeddings or default_embeddings(settings),
        batch_size=settings.embeddings_batch_size,
    )
