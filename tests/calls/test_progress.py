"""The rep's view of a recording: stage, percent and estimate from the steps' states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.calls.jobs import STEPS
from agent.calls.progress import DEFAULT_SPEED, Speeds, progress_of
from agent.crm.models import CallRecording, JobStatus, PipelineJob, RecordingStatus

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
DEFAULTS = Speeds(dict(DEFAULT_SPEED), frozenset())


def jobs(done: int, running_for_s: float | None = None, progress: float = 0.0) -> list[PipelineJob]:
    """The first ``done`` steps done, the next one running for ``running_for_s`` (if given)."""
    rows = []
    for i, step in enumerate(STEPS):
        job = PipelineJob(step=step, status=JobStatus.pending, progress=0.0, attempts=0)
        if i < done:
            job.status, job.progress = JobStatus.done, 1.0
        elif i == done and running_for_s is not None:
            job.status, job.progress = JobStatus.running, progress
            job.started_at = NOW - timedelta(seconds=running_for_s)
        rows.append(job)
    return rows


def call(minutes: float = 5) -> CallRecording:
    return CallRecording(duration_s=minutes * 60, status=RecordingStatus.processing)


def test_a_queued_recording_is_uploaded_with_the_whole_estimate_left() -> None:
    state = progress_of(call(), jobs(0), False, DEFAULTS, NOW)
    assert (state.stage, state.percent, state.step) == ("uploaded", 0, "decode")
    expected = sum(DEFAULTS.expected_s(step, 300) for step in STEPS)
    assert state.remaining_s == round(expected)


def test_the_transcription_reports_its_own_share() -> None:
    halfway = progress_of(call(), jobs(1, running_for_s=1, progress=0.5), False, DEFAULTS, NOW)
    assert (halfway.stage, halfway.step_percent) == ("transcribing", 50)
    # Without a reported share, the time it has run over the time it should take.
    timed = progress_of(call(), jobs(1, running_for_s=0.35 * 300 / 4), False, DEFAULTS, NOW)
    assert timed.stage == "transcribing" and 20 <= timed.step_percent <= 30


def test_the_bar_moves_through_the_analysis_and_stops_short_of_the_end() -> None:
    rec = call()
    rec.status = RecordingStatus.transcribed  # the pipeline's word; the rep reads "analysing"
    shares = [
        progress_of(rec, jobs(len(STEPS) - 1, running_for_s=s), False, DEFAULTS, NOW)
        for s in (1, 10, 19, 600)
    ]
    assert {s.stage for s in shares} == {"analysing"}
    percents = [s.percent for s in shares]
    assert percents == sorted(percents) and percents[0] < percents[2]
    assert percents[-1] == 99 and shares[-1].remaining_s == 1  # overdue: never "done" early


def test_the_draft_and_a_failure_end_the_estimate() -> None:
    ready = progress_of(call(), jobs(len(STEPS)), True, DEFAULTS, NOW)
    assert (ready.stage, ready.percent, ready.remaining_s) == ("draft_ready", 100, None)
    broken = jobs(1)
    broken[1].status = JobStatus.failed
    failed = progress_of(call(), broken, False, DEFAULTS, NOW)
    assert (failed.stage, failed.step, failed.remaining_s) == ("failed", "transcribe", None)


def test_measured_speeds_scale_with_the_audio_where_the_step_does() -> None:
    speeds = Speeds({**DEFAULT_SPEED, "transcribe": 0.1, "analyze": 8.0}, frozenset(STEPS))
    assert speeds.expected_s("transcribe", 600) == 60
    assert speeds.expected_s("analyze", 600) == speeds.expected_s("analyze", 60) == 8
    state = progress_of(call(10), jobs(0), False, speeds, NOW)
    assert state.measured is True
