"""Removing a subject from the history index (Chroma), including its on-disk traces.

Deleting chunks through Chroma's API is not enough for an erasure: the
embedded store (``PersistentClient``) keeps a write-ahead log
(``embeddings_queue`` in ``chroma.sqlite3``) holding every document ever
upserted until its vector segment is flushed, its full-text index (FTS5)
keeps deleted terms in old segments until they are merged, and SQLite keeps
deleted rows in free pages. :func:`scrub_embedded_store` therefore blanks the
log entries of the deleted ids (document, metadata and vector; a replay then
adds an empty item and deletes it again), merges the FTS index and vacuums
the file.

The vector segment files need care too: hnswlib allocates its element
array with ``malloc`` and writes it to ``data_level0.bin`` whole, so the
unused slots on disk hold whatever was in the process heap at allocation
time, which tests found to include document text; ``length.bin`` (one
link-list size per possible element) is written the same way. The unused
slots of both (past the header's element count) are zeroed. A process whose index buffer was
allocated while that text was in its heap can write such fragments again on
its next flush; docs/privacy.md describes this residual risk.

A Chroma *server* cannot be reached at file level: the operator runs
``chroma vacuum --path ...`` on it (docs/deploy.md).
"""

from __future__ import annotations

import logging
import sqlite3
import struct
from pathlib import Path
from typing import Any

from agent.errors import StorageError
from agent.history.index import HistoryIndex, TextEmbeddings, make_client
from agent.privacy.subject import Subject
from agent.settings import Settings

log = logging.getLogger(__name__)


class LazyEmbeddings:
    """Loads the configured embeddings only when text must be embedded.

    Deleting from the index needs no model; only re-indexing scrubbed records
    does, so an erasure on a machine without the model still deletes.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._inner: TextEmbeddings | None = None

    def _get(self) -> TextEmbeddings:
        if self._inner is None:
            from agent.history.index import default_embeddings

            self._inner = default_embeddings(self.settings)
        return self._inner

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._get().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._get().embed_query(text)


def open_index_for_erasure(settings: Settings) -> HistoryIndex:
    """The history index of ``settings`` with lazily loaded embeddings."""
    try:
        return HistoryIndex(make_client(settings), LazyEmbeddings(settings))
    except Exception as exc:  # noqa: BLE001 - chroma raises many types when a server is down
        raise StorageError(
            f"The history index (Chroma) is not reachable: {exc}. Nothing was erased; "
            "start Chroma (see 'winback doctor') and run the command again."
        ) from exc


def delete_subject(index: HistoryIndex, subject: Subject) -> list[str]:
    """Delete the subject's chunks from the index; return the chunk ids that were there."""
    tenant = subject.tenant_id
    col = index.collection(tenant)
    if subject.kind == "account":
        where: dict[str, Any] = {
            "$and": [{"tenant_id": tenant}, {"account_id": subject.account_id}]
        }
    else:
        sources = subject.index_sources()
        if not sources:
            return []
        where = {"$and": [{"tenant_id": tenant}, {"source_id": {"$in": sources}}]}
    ids = [str(i) for i in col.get(where=where, include=[])["ids"]]
    if ids:
        col.delete(ids=ids)
    return ids


def _db_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / "chroma" / "chroma.sqlite3"


def log_position(settings: Settings) -> int | None:
    """The newest entry of the embedded store's write-ahead log (None: no embedded log).

    Records that are re-indexed under the same chunk ids after scrubbing must
    keep their new log entries, so scrubbing stops at the position taken
    before re-indexing.
    """
    path = _db_path(settings)
    if settings.chroma_url or not path.is_file():
        return None
    try:
        con = sqlite3.connect(path, timeout=30)
        try:
            return int(
                con.execute("SELECT coalesce(max(seq_id), 0) FROM embeddings_queue").fetchone()[0]
            )
        finally:
            con.close()
    except sqlite3.Error:
        return None


def scrub_embedded_store(
    settings: Settings, ids: list[str], up_to_seq: int | None = None
) -> dict[str, Any]:
    """Remove the traces of deleted chunk ``ids`` (log entries up to ``up_to_seq``) from disk."""
    if settings.chroma_url:
        return {"mode": "server", "log_entries_scrubbed": 0, "vacuumed": False}
    path = _db_path(settings)
    if not path.is_file():
        return {"mode": "embedded", "log_entries_scrubbed": 0, "vacuumed": False}
    scrubbed = 0
    try:
        con = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                marks = ",".join("?" * len(part))
                cur = con.execute(
                    "UPDATE embeddings_queue SET metadata = '{}', "
                    "vector = CASE WHEN vector IS NULL THEN NULL "
                    "ELSE zeroblob(length(vector)) END "
                    f"WHERE id IN ({marks}) AND metadata != '{{}}' AND seq_id <= ?",  # noqa: S608
                    [*part, up_to_seq if up_to_seq is not None else 2**62],
                )
                scrubbed += cur.rowcount
            # 'optimize' merges the FTS5 segments, dropping the terms of deleted rows.
            con.execute(
                "INSERT INTO embedding_fulltext_search(embedding_fulltext_search) "
                "VALUES('optimize')"
            )
            con.execute("VACUUM")
        finally:
            con.close()
        zeroed = zero_unused_hnsw_slots(path.parent)
    except sqlite3.Error as exc:
        raise StorageError(
            f"Could not scrub the history index file {path}: {exc}. Stop other Winback "
            "processes and run 'chroma vacuum --path' on the directory."
        ) from exc
    return {
        "mode": "embedded",
        "log_entries_scrubbed": scrubbed,
        "vacuumed": True,
        "hnsw_bytes_zeroed": zeroed,
    }


def _hnsw_header(header: bytes) -> tuple[int, int, int] | None:
    """(max elements, element count, bytes per element) from a ``header.bin``.

    Chroma's files start with a 4-byte format version (1) before hnswlib's
    own header (six size_t fields: level-0 offset, max elements, element
    count, bytes per element, label offset, data offset).
    """
    for start in (4, 0):
        if len(header) < start + 48:
            continue
        _off, max_elements, count, per_element, _label, _data = struct.unpack_from(
            "<6Q", header, start
        )
        if 0 < per_element < 1 << 24 and 0 <= count <= max_elements < 1 << 40:
            return max_elements, count, per_element
    return None


def zero_unused_hnsw_slots(chroma_dir: Path) -> int:
    """Zero the slots past the element count of every HNSW segment; return bytes zeroed.

    Two files hold one slot per possible element and are written whole:
    ``data_level0.bin`` (``bytes per element`` each) and ``length.bin`` (the
    link-list sizes, 4 bytes each). Both can carry heap garbage in the unused
    slots; a file whose size does not match the header is left alone.
    """
    zeroed = 0
    for header_file in chroma_dir.glob("*/header.bin"):
        parsed = _hnsw_header(header_file.read_bytes())
        if parsed is None:
            continue
        max_elements, count, per_element = parsed
        for name, slot in (("data_level0.bin", per_element), ("length.bin", 4)):
            zeroed += _zero_tail(header_file.with_name(name), max_elements, count, slot)
    return zeroed


def _zero_tail(path: Path, max_elements: int, count: int, slot: int) -> int:
    """Zero ``path`` from slot ``count`` on, if it holds exactly ``max_elements`` slots."""
    if not path.is_file():
        return 0
    size = path.stat().st_size
    if size != max_elements * slot:
        log.warning("unexpected HNSW layout in %s; not zeroed", path)
        return 0
    start = count * slot
    with path.open("r+b") as fh:
        fh.seek(start)
        fh.write(bytes(size - start))
    return size - start
