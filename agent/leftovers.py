"""The sweep of crash leftovers: temporary files that hold call audio and that no row knows.

A process killed in the middle of an upload or a decode leaves files
behind that retention and erasure never reach, because both work from
database rows: the spooled request body (``data_dir/tmp``), audio staged
in the audio store but not yet recorded (``<audio_dir>/.staging``), the
normalised WAV and its ``.part`` in the work dir (``data_dir/work``), and
``.part`` files of older versions in the store. :func:`sweep_leftovers`
runs when a worker or ``winback serve`` starts and on every maintenance
sweep:

* a staged file whose key a recording row already has is moved into place
  (the process died between the row and the rename: the recording is
  complete, so it is kept, whatever its age);
* every other temporary file older than ``temp_max_age_s`` is deleted. The
  age matters: a young file may belong to an upload that another process is
  still receiving or probing;
* with ``orphans``, stored audio that no row knows (neither as a
  recording's ``storage_key`` nor as a decode step's ``normalised_key``) and
  that is older than ``temp_max_age_s`` is deleted too. That needs a look
  at every key, so the maintenance loop does it at start and then hourly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from agent.audio_store import LocalAudioStore, get_audio_store
from agent.crm.db import Store
from agent.crm.models import CallRecording, PipelineJob
from agent.settings import Settings

log = logging.getLogger(__name__)

#: The orphan sweep of the audio store runs at most this often from the maintenance loop.
ORPHAN_INTERVAL_S = 3600.0


@dataclass
class SweepReport:
    """What one sweep did."""

    deleted: int = 0
    committed: int = 0
    orphans: int = 0

    def __bool__(self) -> bool:
        return bool(self.deleted or self.committed or self.orphans)


def _old(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime <= cutoff
    except FileNotFoundError:
        return False


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("cannot delete leftover %s: %s", path, exc)
        return False
    return True


def _files(directory: Path) -> Iterable[Path]:
    if not directory.is_dir():
        return []
    return [p for p in directory.rglob("*") if p.is_file() or p.is_symlink()]


def sweep_temp_dirs(settings: Settings, now: float | None = None) -> int:
    """Delete old files in the spool and work dirs; return how many (no database needed).

    The web app runs this at start: its spool dir may be on a machine without a worker.
    """
    cutoff = (now or time.time()) - settings.temp_max_age_s
    deleted = 0
    for directory in (settings.spool_path, settings.work_path):
        for path in _files(directory):
            if _old(path, cutoff) and _unlink(path):
                deleted += 1
    return deleted


def _recorded_storage_keys(store: Store, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    with store.session() as session:
        return set(
            session.scalars(
                select(CallRecording.storage_key).where(CallRecording.storage_key.in_(keys))
            )
        )


def known_keys(store: Store) -> set[str]:
    """Every audio key a row knows: originals and normalised copies."""
    with store.session() as session:
        keys = {k for k in session.scalars(select(CallRecording.storage_key)) if k}
        for details in session.scalars(
            select(PipelineJob.details).where(PipelineJob.step == "decode")
        ):
            key = (details or {}).get("normalised_key")
            if key:
                keys.add(key)
    return keys


def sweep_leftovers(
    settings: Settings, store: Store, *, orphans: bool = True, now: float | None = None
) -> SweepReport:
    """Clear the leftovers of killed processes; see the module docstring for the rules."""
    now = now or time.time()
    cutoff = now - settings.temp_max_age_s
    report = SweepReport(deleted=sweep_temp_dirs(settings, now))
    audio = get_audio_store(settings)
    if isinstance(audio, LocalAudioStore):
        staged = list(audio.staged())
        recorded = _recorded_storage_keys(store, [key for key, _ in staged])
        for key, path in staged:
            if key in recorded:
                audio.commit(key)
                report.committed += 1
                log.warning("leftovers: moved the staged audio of a recorded upload into place")
            elif _old(path, cutoff) and _unlink(path):
                report.deleted += 1
        for path in audio.strays():
            if _old(path, cutoff) and _unlink(path):
                report.deleted += 1
        if orphans:
            known = known_keys(store)
            for key, path in list(audio.files()):
                if key not in known and _old(path, cutoff) and audio.delete(key):
                    report.orphans += 1
    if report:
        log.warning(
            "leftovers: deleted %d temporary files and %d unknown audio files, kept %d recorded",
            report.deleted, report.orphans, report.committed,
        )  # fmt: skip
    return report
