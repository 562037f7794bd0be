"""The sweep of crash leftovers: old temporary files go, young ones and recorded audio stay."""

from __future__ import annotations

import os
import time
from pathlib import Path

from agent.audio_store import LocalAudioStore
from agent.crm.db import Store
from agent.jobs.worker import maintenance_loop
from agent.leftovers import sweep_leftovers, sweep_temp_dirs
from agent.settings import configure

HOUR = 3600.0


def _file(path: Path, age_s: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF audio")
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


def test_old_temporary_files_go_and_young_ones_stay(store: Store) -> None:
    settings = configure(**{**store_settings(store), "temp_max_age_s": HOUR})
    old_spool = _file(settings.spool_path / "upload-abc", 2 * HOUR)
    live_spool = _file(settings.spool_path / "upload-def", 60)  # another process receives it
    old_work = _file(settings.work_path / ".x.wav.123.part", 2 * HOUR)
    audio = LocalAudioStore(settings.audio_path)
    old_staged = _file(audio.staging / ("a" * 32), 2 * HOUR)
    live_staged = _file(audio.staging / ("b" * 32), 60)  # being probed right now
    legacy_part = _file(settings.audio_path / "cc" / f".{'c' * 32}.part", 2 * HOUR)
    orphan = _file(settings.audio_path / "dd" / ("d" * 32), 2 * HOUR)
    young_orphan = _file(settings.audio_path / "ee" / ("e" * 32), 60)

    report = sweep_leftovers(settings, store)

    assert not old_spool.exists() and not old_work.exists() and not old_staged.exists()
    assert not legacy_part.exists() and not orphan.exists()
    assert live_spool.exists() and live_staged.exists() and young_orphan.exists()
    assert (report.deleted, report.orphans, report.committed) == (4, 1, 0)


def test_the_web_app_sweeps_its_spool_without_a_database(tmp_path: Path) -> None:
    settings = configure(data_dir=tmp_path / "data", temp_max_age_s=HOUR)
    old = _file(settings.spool_path / "upload-1", 2 * HOUR)
    young = _file(settings.spool_path / "upload-2")
    assert sweep_temp_dirs(settings) == 1
    assert not old.exists() and young.exists()


def test_the_maintenance_loop_sweeps_at_start(store: Store) -> None:
    import threading

    settings = configure(**{**store_settings(store), "temp_max_age_s": 0})
    leftover = _file(settings.spool_path / "upload-1", 10)
    stop = threading.Event()
    stop.set()  # one round, then return
    maintenance_loop(stop, 60)
    assert not leftover.exists()


def store_settings(store: Store) -> dict[str, object]:
    from agent.settings import get_settings

    return get_settings().model_dump()
