"""The recording pipeline: one queue task per step, each idempotent per recording.

``decode`` (check and normalise to 16 kHz WAV) → ``transcribe`` (the
configured transcriber, resolved through :mod:`agent.transcription.registry`
when the step runs) → ``store`` (transcript and segments rows) → ``index``
(history indexers registered with :func:`register_index_hook`; none yet)
→ ``analyze`` (hooks registered with :func:`register_analysis_hook`).

Every step goes through :func:`run_step`: claim the job row, run with a
heartbeat, then record outcome, duration and attempts. Permanent errors
(bad media, missing audio, wrong configuration) end the job ``failed``
with the reason at once; any other error is retried with exponential
backoff up to ``job_retries`` times. A finished step enqueues the next.
The job-state transactions (claim, finish, fail, release) are tried again
on a fresh connection when the database dropped theirs, so a restarted
server or a terminated connection costs a moment, not the step's work.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from huey.api import Huey, TaskWrapper
from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from agent.audio import normalise_audio
from agent.audio_store import get_audio_store
from agent.calls import jobs
from agent.calls.jobs import STEPS, JobClaim
from agent.crm.db import Store, open_store
from agent.crm.models import (
    CallRecording,
    PipelineJob,
    RecordingStatus,
    Transcript,
    TranscriptSegment,
)
from agent.errors import (
    ConfigError,
    ConsentError,
    MediaError,
    ModelIntegrityError,
    NotFoundError,
    ValidationError,
)
from agent.logs import bind, log_context
from agent.metrics import observe_job, observe_transcription
from agent.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: Errors that a retry cannot fix: the job fails at once with the reason.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    MediaError,
    NotFoundError,
    ValidationError,
    ConsentError,
    ConfigError,
    ModelIntegrityError,
)

#: Database errors a new try on a fresh connection may not meet again: a
#: connection the server terminated or dropped, a restarting server, a busy
#: SQLite file. Job-state writes are retried after them (see :func:`_db_retry`).
TRANSIENT_DB_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
#: Pauses between the tries of one job-state transaction.
DB_RETRY_DELAYS_S: tuple[float, ...] = (0.1, 0.5, 2.0)

#: What opening and claiming raise while the database is unreachable.
_UNREACHABLE_DB: tuple[type[BaseException], ...] = (*TRANSIENT_DB_ERRORS, ConfigError)

T = TypeVar("T")

#: A hook gets the settings, the session of the step's final transaction, the
#: recording and its transcript; it returns details to record (or None).
Hook = Callable[[Settings, Session, CallRecording, Transcript], "dict[str, Any] | None"]


@runtime_checkable
class StagedHook(Protocol):
    """A hook whose slow part (a model call) must not run inside the final transaction.

    The step calls ``prepare`` first, while its heartbeat keeps the job alive
    and with no transaction open, and runs the :data:`Hook` it returns in the
    step's final transaction (which should then only write). A plain hook does
    all its work in that transaction, with the job row locked and no
    heartbeat, so it must be quick.
    """

    def __call__(
        self, settings: Settings, session: Session, recording: CallRecording, transcript: Transcript
    ) -> dict[str, Any] | None: ...

    def prepare(self, settings: Settings, store: Store, recording_id: str) -> Hook: ...


_index_hooks: list[Hook] = []
_analysis_hooks: list[Hook] = []


def register_index_hook(hook: Hook) -> None:
    """Add a history indexer run by the ``index`` step (e.g. #4's transcript index)."""
    if hook not in _index_hooks:
        _index_hooks.append(hook)


def register_analysis_hook(hook: Hook) -> None:
    """Add an analysis run by the ``analyze`` step (e.g. #6's call analysis)."""
    if hook not in _analysis_hooks:
        _analysis_hooks.append(hook)


def clear_hooks() -> None:
    """Remove all registered hooks (tests)."""
    _index_hooks.clear()
    _analysis_hooks.clear()


# --- task registration ------------------------------------------------------


def task_name(step: str) -> str:
    """The Huey task name of ``step`` (stable: producers and workers must agree)."""
    return f"winback_calls_{step}"


def _make_task(step: str) -> Callable[[str], None]:
    def task(recording_id: str) -> None:
        run_step(get_settings(), recording_id, step)

    task.__name__ = task_name(step)
    task.__doc__ = f"Run the {step!r} step of a recording."
    return task


def ping(sent_at: float) -> float:
    """A no-op task: returns the seconds between enqueue and execution (benchmarks)."""
    return time.time() - sent_at


def register_tasks(huey: Huey) -> None:
    """Register every step (and ``ping``) as a task on ``huey``."""
    tasks: dict[str, TaskWrapper] = {}
    for step in STEPS:
        tasks[step] = huey.task(name=task_name(step))(_make_task(step))
    tasks["ping"] = huey.task(name="winback_ping")(ping)
    huey.winback_tasks = tasks  # type: ignore[attr-defined]


def task_for(huey: Huey, step: str) -> TaskWrapper:
    """The registered task of ``step`` (or ``"ping"``) on ``huey``."""
    return huey.winback_tasks[step]  # type: ignore[attr-defined,no-any-return]


# --- running a step ---------------------------------------------------------


def _job_details(store: Store, recording_id: str, step: str) -> dict[str, Any]:
    with store.session() as session:
        details = session.scalar(
            select(PipelineJob.details).where(
                PipelineJob.recording_id == recording_id, PipelineJob.step == step
            )
        )
    return dict(details or {})


def run_step(settings: Settings, recording_id: str, step: str) -> str:
    """Run ``step`` for ``recording_id`` if it is this worker's to run; return the outcome.

    Outcomes: ``done``, ``skipped`` (done already, or owned elsewhere),
    ``retry`` (transient error, rescheduled) or ``failed``. Log lines written
    meanwhile carry the recording and job id; every run that was not skipped
    is observed in ``winback_job_duration_seconds`` (:mod:`agent.metrics`).
    """
    with log_context(recording_id=recording_id, step=step):
        started = time.monotonic()
        outcome = _run_step(settings, recording_id, step)
        if outcome != "skipped":
            elapsed = time.monotonic() - started
            observe_job(step, outcome, elapsed)
            log.info("step %s %s in %.2f s", step, outcome, elapsed)
        return outcome


def _db_retry(what: str, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one job-state transaction, trying again after a dropped database connection.

    Every try is a new transaction on a connection the pool checks before use
    (``pool_pre_ping``), so a connection the server terminated costs one try.
    The error of the last try is raised.
    """
    for delay in DB_RETRY_DELAYS_S:
        try:
            return call(*args, **kwargs)
        except TRANSIENT_DB_ERRORS as exc:
            log.warning("%s: database error, trying again in %.1f s: %s", what, delay, exc)
            time.sleep(delay)
    return call(*args, **kwargs)


def _run_step(settings: Settings, recording_id: str, step: str) -> str:
    from agent.calls.queue import enqueue_step

    try:
        # open_store() reports a database it cannot reach (or migrate) as ConfigError;
        # the worker started with this database, so here that is an outage.
        store = open_store(settings.db_url)
        owned = _db_retry(
            "claim",
            jobs.claim,
            store,
            recording_id,
            step,
            stale_s=settings.job_stale_s,
            max_attempts=settings.job_retries + 1,
        )
    except _UNREACHABLE_DB as exc:
        # Nothing was claimed, and this message is used up: send another one
        # (if even that fails, recover() finds the step pending and requeues it).
        log.warning("step %s of %s: cannot claim (%s); trying again later", step, recording_id, exc)
        with contextlib.suppress(Exception):
            enqueue_step(settings, step, recording_id, delay=settings.job_retry_delay_s)
        return "retry"
    if owned == jobs.ALREADY_DONE:
        # A duplicate message: make sure the chain continues (the next step's
        # claim is idempotent too), then stop.
        following = jobs.next_step(step)
        if following:
            with contextlib.suppress(Exception):
                enqueue_step(settings, following, recording_id)
        return "skipped"
    if not isinstance(owned, JobClaim):
        return "skipped"
    bind(job_id=owned.job_id, attempt=owned.attempt)
    started = time.monotonic()
    try:
        with jobs.heartbeat(store, owned, settings.job_heartbeat_s):
            details, apply, after = STEP_RUNNERS[step](settings, store, owned)
    except PERMANENT_ERRORS as exc:
        log.warning("step %s of %s failed: %s", step, recording_id, exc)
        elapsed = time.monotonic() - started
        try:
            _db_retry("fail", jobs.fail, store, owned, str(exc), duration_s=elapsed)
        except TRANSIENT_DB_ERRORS:
            _left_to_recovery(owned)
        return "failed"
    except Exception as exc:  # noqa: BLE001 - anything else may be transient: retry
        return _retry_later(settings, store, owned, exc, time.monotonic() - started)
    try:
        # The step's work is in memory: a dropped connection costs a new
        # transaction, not a new run of the step.
        finished = _db_retry(
            "finish",
            jobs.finish,
            store,
            owned,
            duration_s=time.monotonic() - started,
            details=details,
            apply=apply,
        )
    except TRANSIENT_DB_ERRORS as exc:
        return _retry_later(settings, store, owned, exc, time.monotonic() - started)
    if not finished:
        return "skipped"
    if after is not None:
        try:
            after()
        except Exception:  # noqa: BLE001 - clean-up problems must not undo a finished step
            log.warning("after-step clean-up of %s/%s failed", recording_id, step, exc_info=True)
    following = jobs.next_step(step)
    if following:
        with contextlib.suppress(Exception):  # recover() re-enqueues if the queue is down
            enqueue_step(settings, following, recording_id)
    return "done"


def _retry_later(
    settings: Settings, store: Store, owned: JobClaim, exc: BaseException, elapsed: float
) -> str:
    """Release a step that hit a transient error for a delayed retry, or fail it for good."""
    from agent.calls.queue import enqueue_step

    step, recording_id = owned.step, owned.recording_id
    reason = f"{type(exc).__name__}: {exc}"
    try:
        if owned.attempt > settings.job_retries:
            reason = f"gave up after {owned.attempt} attempts: {reason}"
            _db_retry("fail", jobs.fail, store, owned, reason, duration_s=elapsed)
            return "failed"
        delay = settings.job_retry_delay_s * 2 ** (owned.attempt - 1)
        log.warning("step %s of %s: %s; retry in %.1f s", step, recording_id, reason, delay)
        if _db_retry("release", jobs.release_for_retry, store, owned, reason, delay_s=delay):
            # If scheduling fails the job stays pending and recover() re-enqueues it.
            with contextlib.suppress(Exception):
                enqueue_step(settings, step, recording_id, delay=delay)
    except TRANSIENT_DB_ERRORS:
        _left_to_recovery(owned)
    return "retry"


def _left_to_recovery(owned: JobClaim) -> None:
    # The row still says "running" under this attempt; once its heartbeat is
    # older than job_stale_s, recover() hands the step to the next worker.
    log.error(
        "step %s of %s: the database is unreachable, its outcome is not recorded; "
        "the recovery sweep will retry it",
        owned.step,
        owned.recording_id,
    )


StepResult = tuple[
    dict[str, Any],
    "Callable[[Session, CallRecording], None] | None",
    "Callable[[], None] | None",
]


def _recording(store: Store, recording_id: str) -> CallRecording:
    with store.session() as session:
        recording = session.get(CallRecording, recording_id)
        if recording is None:
            raise NotFoundError(f"Recording {recording_id} no longer exists.")
        session.expunge(recording)
    return recording


def _decode(settings: Settings, store: Store, owned: JobClaim) -> StepResult:
    recording = _recording(store, owned.recording_id)
    audio = get_audio_store(settings)
    if not recording.storage_key:
        raise NotFoundError(f"Recording {recording.id} has no audio (deleted by retention?).")
    if not audio.exists(recording.storage_key):
        # The upload died between writing the row and moving the file into place.
        audio.commit(recording.storage_key)
    source = audio.path(recording.storage_key)
    details = _job_details(store, owned.recording_id, "decode")
    old_key = details.get("normalised_key")
    if old_key:  # left by an attempt that died after naming (or storing) its output
        audio.delete(old_key)
        audio.discard(old_key)
    layout = details.get("channels", "mono")
    # The name is recorded before the file exists, so a crash leaves no unknown audio.
    key = audio.new_key()
    _db_retry("note", jobs.note_details, store, owned, normalised_key=key)
    # The work dir holds the WAV only while it is copied into the store; the sweep of
    # crash leftovers empties it (agent/leftovers.py).
    tmp = settings.work_path / f"{owned.recording_id}.{owned.attempt}.wav"
    try:
        duration = normalise_audio(source, tmp, channels=1 if layout == "mono" else 2)
        with tmp.open("rb") as fh:
            stored = audio.put(fh, max_bytes=2**40, key=key)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return (
        {"normalised_key": stored.key, "normalised_s": round(duration, 3), "channels": layout},
        None,
        None,
    )


def _transcribe(settings: Settings, store: Store, owned: JobClaim) -> StepResult:
    from agent.transcription.registry import get_transcriber

    decoded = _job_details(store, owned.recording_id, "decode")
    path = get_audio_store(settings).path(decoded["normalised_key"])
    transcriber = get_transcriber(settings)
    started = time.perf_counter()
    transcript = transcriber.transcribe(
        path, language=settings.transcription_language, channels=decoded.get("channels", "mono")
    )
    observe_transcription(
        transcript.model or getattr(transcriber, "name", "unknown"),
        time.perf_counter() - started,
        transcript.duration_s,
    )
    data = transcript.to_dict()
    data["segments"] = [
        {k: v for k, v in seg.items() if k != "words"} for seg in data.get("segments", [])
    ]
    return (
        {"transcript": data, "segments": len(data["segments"]), "model": transcript.model},
        None,
        None,
    )


def _store(settings: Settings, store: Store, owned: JobClaim) -> StepResult:
    data = _job_details(store, owned.recording_id, "transcribe").get("transcript")
    if data is None:
        raise NotFoundError(f"The transcribe step of {owned.recording_id} left no transcript.")

    def apply(session: Session, recording: CallRecording) -> None:
        exists = session.scalar(
            select(Transcript.id).where(Transcript.recording_id == recording.id)
        )
        if exists is None:  # a re-run after a crash finds the transcript already there
            transcript = Transcript(
                tenant_id=recording.tenant_id,
                account_id=recording.account_id,
                recording_id=recording.id,
                language=data.get("language"),
                duration_s=data.get("duration_s"),
                text=data.get("text", ""),
                model=data.get("model"),
                timings=data.get("timings", {}),
            )
            for idx, seg in enumerate(data.get("segments", [])):
                transcript.segments.append(
                    TranscriptSegment(
                        idx=idx,
                        start_s=seg["start"],
                        end_s=seg["end"],
                        speaker=seg.get("speaker"),
                        text=seg["text"],
                        avg_logprob=seg.get("avg_logprob"),
                        no_speech_prob=seg.get("no_speech_prob"),
                    )
                )
            session.add(transcript)
        recording.status = RecordingStatus.transcribed

    def after() -> None:
        from agent.calls.retention import after_transcription

        after_transcription(store, settings, owned.recording_id)

    return {"segments": len(data.get("segments", []))}, apply, after


def _run_hooks(
    name: str, hooks: list[Hook], settings: Settings, store: Store, owned: JobClaim
) -> StepResult:
    if not hooks:
        return {"skipped": f"no {name} hook registered"}, None, None
    results: dict[str, Any] = {}
    names = [getattr(h, "__name__", repr(h)) for h in hooks]
    # Slow parts first: here the step's heartbeat runs and no transaction is open.
    ready = [
        h.prepare(settings, store, owned.recording_id) if isinstance(h, StagedHook) else h
        for h in hooks
    ]

    def apply(session: Session, recording: CallRecording) -> None:
        transcript = session.scalar(
            select(Transcript).where(Transcript.recording_id == recording.id)
        )
        if transcript is None:
            raise NotFoundError(f"Recording {recording.id} has no stored transcript.")
        for hook_name, hook in zip(names, ready, strict=True):
            results[hook_name] = hook(settings, session, recording, transcript)
        if name == "analysis":
            recording.status = RecordingStatus.analyzed

    # Hooks write inside the step's final transaction, so their writes and the
    # job's "done" commit together or not at all.
    return {"hooks": names}, apply, None


def _index(settings: Settings, store: Store, owned: JobClaim) -> StepResult:
    return _run_hooks("index", list(_index_hooks), settings, store, owned)


def _analyze(settings: Settings, store: Store, owned: JobClaim) -> StepResult:
    return _run_hooks("analysis", list(_analysis_hooks), settings, store, owned)


STEP_RUNNERS: dict[str, Callable[[Settings, Store, JobClaim], StepResult]] = {
    "decode": _decode,
    "transcribe": _transcribe,
    "store": _store,
    "index": _index,
    "analyze": _analyze,
}


def recover(settings: Settings) -> int:
    """Re-enqueue steps and brief jobs whose message was lost (see :mod:`agent.calls.queue`).

    Returns how many steps and brief jobs were enqueued again.
    """
    from agent.brief.jobs import recover_brief_jobs
    from agent.calls.queue import enqueue_step, queued_work

    store = open_store(settings.db_url)
    queued = queued_work(settings)
    lost = jobs.work_to_requeue(store, queued, stale_s=settings.job_stale_s, task_name=task_name)
    for step, recording_id in lost:
        log.info("re-enqueueing %s of %s", step, recording_id)
        enqueue_step(settings, step, recording_id)
    return len(lost) + recover_brief_jobs(settings, queued)
