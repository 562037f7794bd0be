"""Fault tests: the process is killed (SIGKILL) at each stage of an upload and of its decode.

A forked child runs the real code up to one stage and kills itself there,
so nothing gets a chance to clean up. Afterwards the start-up sweep runs
(as when the worker or web process is restarted) and the pipeline is
given its chance to continue. Then there is either a complete recording
with its jobs, whose audio the database knows, or no recording and no
file at all: no spooled body, no staged or half-normalised audio, no audio
without a row.
"""

from __future__ import annotations

import asyncio
import os
import signal
import wave
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from agent import audio_store
from agent.calls import intake, jobs, pipeline
from agent.calls.jobs import STEPS
from agent.crm import db as crm_db
from agent.crm.db import Store, open_store
from agent.crm.models import CallRecording, PipelineJob
from agent.jobs.queue import forget_queues
from agent.leftovers import sweep_leftovers
from agent.settings import Settings, configure
from api.routes import recordings as recordings_route
from tests.calls import media
from tests.faults.harness import ACCOUNT, CONSENT, seed_account


def _die(*_: Any, **__: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _after_first_write(real: Callable[..., Any]) -> Callable[..., Any]:
    def write(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        _die()

    return write


def _upload(settings: Settings, store: Store, source: Path) -> None:
    with source.open("rb") as fh:
        intake.upload_recording(store, settings, ACCOUNT, fh, CONSENT, channels="mono")


class _Body:
    """The little of a Starlette request that the route's spool reads: a body that stops."""

    headers: dict[str, str] = {}

    async def stream(self) -> AsyncIterator[bytes]:
        yield b"RIFF" + b"\0" * 65_532
        yield b"\0" * 65_536
        _die()  # the connection (and the process) dies in the middle of the body


def kill_while_spooling(settings: Settings, store: Store, source: Path) -> None:
    asyncio.run(recordings_route._spool(_Body(), 10**9, str(settings.spool_path)))  # type: ignore[arg-type]


def kill_while_staging(settings: Settings, store: Store, source: Path) -> None:
    audio_store._write_all = _after_first_write(audio_store._write_all)  # type: ignore[assignment]
    _upload(settings, store, source)


def kill_while_probing(settings: Settings, store: Store, source: Path) -> None:
    intake.probe_audio = _die  # type: ignore[assignment]
    _upload(settings, store, source)


def kill_after_the_row(settings: Settings, store: Store, source: Path) -> None:
    audio_store.LocalAudioStore.commit = _die  # type: ignore[method-assign]
    _upload(settings, store, source)


def kill_before_the_queue(settings: Settings, store: Store, source: Path) -> None:
    pipeline.enqueue_step = _die  # type: ignore[assignment]
    _upload(settings, store, source)


def kill_while_normalising(settings: Settings, store: Store, recording_id: str) -> None:
    wave.Wave_write.writeframes = _after_first_write(wave.Wave_write.writeframes)  # type: ignore[method-assign]
    pipeline.run_step(settings, recording_id, "decode")


def kill_before_decode_is_recorded(settings: Settings, store: Store, recording_id: str) -> None:
    jobs.finish = _die  # type: ignore[assignment]
    pipeline.run_step(settings, recording_id, "decode")


UPLOAD_STAGES = [
    kill_while_spooling,
    kill_while_staging,
    kill_while_probing,
    kill_after_the_row,
    kill_before_the_queue,
]
DECODE_STAGES = [kill_while_normalising, kill_before_decode_is_recorded]


def run_killed(stage: Callable[..., None], settings: Settings, argument: Any) -> None:
    """Run ``stage`` in a forked child that kills itself there; wait for its death."""
    pid = os.fork()
    if pid == 0:  # the child: fresh connections, then run into the kill
        try:
            for store in crm_db._stores.values():
                store.engine.dispose(close=False)
            forget_queues()
            stage(settings, open_store(settings.db_url), argument)
        finally:
            os._exit(3)  # reached only if the stage did not kill the process
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status


def files(settings: Settings) -> list[Path]:
    """Every file that may hold call audio: spool, work dir, audio store (staging included)."""
    found: list[Path] = []
    for root in (settings.spool_path, settings.work_path, settings.audio_path):
        if root.exists():
            found += [p for p in root.rglob("*") if p.is_file()]
    return sorted(found)


def stored_keys(settings: Settings) -> set[str]:
    return set(audio_store.LocalAudioStore(settings.audio_path).keys())


def recordings(store: Store) -> list[str]:
    with store.session() as session:
        return list(session.scalars(select(CallRecording.id)))


def known_keys(store: Store) -> set[str]:
    with store.session() as session:
        keys = {k for k in session.scalars(select(CallRecording.storage_key)) if k}
        for details in session.scalars(
            select(PipelineJob.details).where(PipelineJob.step == "decode")
        ):
            if (details or {}).get("normalised_key"):
                keys.add(details["normalised_key"])
    return keys


def finish_pipeline(settings: Settings, recording_id: str) -> None:
    for step in STEPS:
        outcome = pipeline.run_step(settings, recording_id, step)
        assert outcome in ("done", "skipped"), (step, outcome)


def assert_complete(store: Store, settings: Settings, recording_id: str) -> None:
    """The recording went through every step; no file is left that the database does not know."""
    with store.session() as session:
        states = dict(
            session.execute(
                select(PipelineJob.step, PipelineJob.status).where(
                    PipelineJob.recording_id == recording_id
                )
            ).all()
        )
        assert session.get(CallRecording, recording_id).status.value == "transcribed"  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(CallRecording)) == 1
    assert {s: v.value for s, v in states.items()} == dict.fromkeys(STEPS, "done")
    assert files(settings) == []  # audio deleted after transcription, nothing else left


@pytest.fixture
def kill_settings(db_url: str, tmp_path: Path) -> Settings:
    settings = configure(database_url=db_url, transcriber_backend="fake", temp_max_age_s=0)
    seed_account(open_store(db_url))
    return settings


@pytest.fixture
def call(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    return media.write_audio(tmp_path / "in" / "call.wav", media.tone(2.0))


@pytest.mark.parametrize("stage", UPLOAD_STAGES, ids=lambda f: f.__name__)
def test_a_killed_upload_leaves_a_whole_recording_or_nothing(
    stage: Callable[..., None], kill_settings: Settings, call: Path
) -> None:
    store = open_store(kill_settings.db_url)
    run_killed(stage, kill_settings, call)
    before = files(kill_settings)
    # Audio is only ever under a name a row knows, or staged: never stored and unknown.
    assert stored_keys(kill_settings) <= known_keys(store)
    report = sweep_leftovers(kill_settings, store)  # what a restarted worker does first
    found = recordings(store)
    if not found:
        assert before, "the stage should have left something to sweep"
        assert files(kill_settings) == [], report
        return
    (recording_id,) = found
    # The row's audio is in place (rolled forward if the kill came between row and rename).
    with store.session() as session:
        key = session.get(CallRecording, recording_id).storage_key  # type: ignore[union-attr]
    assert [p.name for p in files(kill_settings)] == [key], report
    finish_pipeline(kill_settings, recording_id)
    assert_complete(store, kill_settings, recording_id)


@pytest.mark.parametrize("stage", DECODE_STAGES, ids=lambda f: f.__name__)
def test_a_killed_decode_leaves_no_audio_the_database_does_not_know(
    stage: Callable[..., None], kill_settings: Settings, call: Path
) -> None:
    store = open_store(kill_settings.db_url)
    with call.open("rb") as fh:
        recording = intake.upload_recording(
            store, kill_settings, ACCOUNT, fh, CONSENT, channels="mono", enqueue=False
        )
    run_killed(stage, kill_settings, recording.id)
    assert files(kill_settings), "the stage should have left a file behind"
    assert stored_keys(kill_settings) <= known_keys(store)
    sweep_leftovers(kill_settings, store)
    assert {p.name for p in files(kill_settings)} <= known_keys(store)
    # The step's heartbeat stopped with the process: a stale job is taken over.
    later = configure(**{**kill_settings.model_dump(), "job_stale_s": 0.01})
    finish_pipeline(later, recording.id)
    assert_complete(store, later, recording.id)
