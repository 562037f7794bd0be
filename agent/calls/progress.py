"""Where a recording stands, as a rep reads it: stage, percent done and time left.

The pipeline's own states (``queued``, ``processing``, ``transcribed`` …)
describe the machinery; a rep wants four stages — uploaded, transcribing,
analysing, draft ready (or failed) — and how long it will take.

How the estimate works: each step's expected run time for this recording
comes from the tenant's own finished steps. Decoding and transcription
scale with the audio, so their speed is the median of ``run time ÷ audio
length`` over the last :data:`SAMPLE` finished runs (real-time factor);
storing and the analysis take about the same time whatever the
length, so theirs is the median run time in seconds. Without measurements
the defaults below are used (figures seen on a 2-core CPU). A running step
has used up ``elapsed`` of its expected time (or the share it reports in
``progress``); what is left of it plus the expected time of every step
still waiting is the estimate, and the percent done is the expected time
already spent over the total. So the bar moves through the analysis too
instead of halting at the transcription's share, and it reaches 100 %
only when the draft note exists. Time spent waiting in the queue before a
worker takes a step is not predicted.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.calls.jobs import STEPS
from agent.crm.models import CallRecording, JobStatus, PipelineJob, RecordingStatus

Stage = Literal["uploaded", "transcribing", "analysing", "draft_ready", "failed"]

#: Steps whose run time grows with the audio length (their speed is seconds per audio second).
PER_AUDIO_SECOND = ("decode", "transcribe")
#: Speeds used until the tenant has finished runs of a step (2-core CPU, Whisper base int8,
#: two channels one after the other; analysis by the classifiers and the summary writer).
DEFAULT_SPEED: dict[str, float] = {
    "decode": 0.02,
    "transcribe": 0.35,
    "store": 1.0,
    "analyze": 20.0,
}
#: How many recent finished runs of a step the speed is measured on.
SAMPLE = 30
#: A running step is never estimated to need less than this (it is not done yet).
MIN_LEFT_S = 1.0


@dataclass(frozen=True)
class Speeds:
    """Measured speed per step: seconds per audio second, or seconds per run."""

    per_step: dict[str, float]
    measured: frozenset[str]

    def expected_s(self, step: str, audio_s: float | None) -> float:
        """Expected run time of ``step`` for a recording of ``audio_s`` seconds."""
        speed = self.per_step.get(step, DEFAULT_SPEED.get(step, 1.0))
        if step in PER_AUDIO_SECOND:
            return max(speed * (audio_s or 60.0), MIN_LEFT_S)
        return max(speed, MIN_LEFT_S)


@dataclass(frozen=True)
class Progress:
    """A recording's stage, percent done (0..100) and seconds left (None when finished).

    ``step_percent`` is how far the running step is (e.g. the transcription's share),
    ``measured`` whether every step's speed comes from this tenant's runs.
    """

    stage: Stage
    percent: int
    remaining_s: int | None
    step: str | None
    step_percent: int
    measured: bool


def measure_speeds(session: Session, tenant_id: int) -> Speeds:
    """The tenant's speeds per step from its last :data:`SAMPLE` finished runs of each."""
    speeds = dict(DEFAULT_SPEED)
    measured: set[str] = set()
    for step in STEPS:
        rows = session.execute(
            select(PipelineJob.duration_s, CallRecording.duration_s)
            .join(CallRecording, CallRecording.id == PipelineJob.recording_id)
            .where(
                CallRecording.tenant_id == tenant_id,
                PipelineJob.step == step,
                PipelineJob.status == JobStatus.done,
                PipelineJob.duration_s.is_not(None),
            )
            .order_by(PipelineJob.finished_at.desc())
            .limit(SAMPLE)
        ).all()
        if step in PER_AUDIO_SECOND:
            values = [run / audio for run, audio in rows if run is not None and audio]
        else:
            values = [run for run, _ in rows if run is not None]
        if values:
            speeds[step] = statistics.median(values)
            measured.add(step)
    return Speeds(speeds, frozenset(measured))


def _elapsed_s(job: PipelineJob, now: datetime) -> float:
    started = job.started_at
    if started is None:
        return 0.0
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    return max((now - started).total_seconds(), 0.0)


def progress_of(
    recording: CallRecording,
    jobs: list[PipelineJob],
    has_note: bool,
    speeds: Speeds,
    now: datetime | None = None,
) -> Progress:
    """Stage, percent and estimate of ``recording`` given its step rows (see the module doc)."""
    if has_note:
        return Progress("draft_ready", 100, None, None, 100, True)
    by_step = {job.step: job for job in jobs}
    if recording.status == RecordingStatus.failed or any(
        job.status == JobStatus.failed for job in jobs
    ):
        failed = next((j.step for j in jobs if j.status == JobStatus.failed), None)
        return Progress("failed", 0, None, failed, 0, True)
    now = now or datetime.now(UTC)
    total = spent = 0.0
    current: str | None = None
    step_share = 0.0
    for step in STEPS:
        expected = speeds.expected_s(step, recording.duration_s)
        total += expected
        job = by_step.get(step)
        if job is None or job.status == JobStatus.pending:
            current = current or step
            continue
        if job.status == JobStatus.done:
            spent += expected
            continue
        share = job.progress if job.progress > 0 else _elapsed_s(job, now) / expected
        left = max(expected * (1 - min(share, 1.0)), MIN_LEFT_S)
        spent += expected - left
        if current is None:  # the first step not done is the one running
            current, step_share = step, 1 - left / expected
    transcribed = by_step.get("transcribe") is not None and (
        by_step["transcribe"].status == JobStatus.done
    )
    if transcribed:
        stage: Stage = "analysing"
    elif current == "transcribe" and by_step.get("transcribe") is not None:
        stage = "transcribing"
    else:
        stage = "uploaded"
    percent = min(int(100 * spent / total), 99) if total else 0
    measured = all(step in speeds.measured for step in STEPS)
    left_s = max(round(total - spent), 1)
    return Progress(stage, percent, left_s, current, int(100 * step_share), measured)
