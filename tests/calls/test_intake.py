"""Upload: consent first, content checks, dedupe, and nothing stored on any error."""

from __future__ import annotations

import errno
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from agent import audio_store as audio_store_module
from agent.calls.intake import upload_recording
from agent.calls.jobs import STEPS
from agent.crm.db import Store
from agent.crm.models import CallRecording, ConsentRecord, PipelineJob
from agent.errors import (
    ConflictError,
    ConsentError,
    MediaError,
    NotFoundError,
    PayloadTooLargeError,
    StorageError,
    ValidationError,
)
from agent.jobs.queue import get_queue
from agent.settings import Settings, configure
from tests.calls import media
from tests.calls.conftest import stored_files


def counts(store: Store) -> tuple[int, int, int]:
    with store.session() as session:
        return (
            session.scalar(select(func.count()).select_from(CallRecording)) or 0,
            session.scalar(select(func.count()).select_from(ConsentRecord)) or 0,
            session.scalar(select(func.count()).select_from(PipelineJob)) or 0,
        )


def assert_nothing_stored(store: Store, settings: Settings) -> None:
    assert counts(store) == (0, 0, 0)
    assert stored_files(settings) == []


def upload(store: Store, settings: Settings, path: Path, consent: Any, **kw: Any):
    with path.open("rb") as fh:
        return upload_recording(store, settings, kw.pop("account", "K-1001"), fh, consent, **kw)


def test_upload_stores_row_consent_jobs_and_queues_the_first_step(
    store: Store, settings: Settings, account: str, consent: dict, tmp_path: Path
) -> None:
    path = media.write_audio(tmp_path / "call.wav", media.tone(3.0, channels=2))
    recording = upload(store, settings, path, consent, filename="call.wav")
    assert recording.status == "queued" and not recording.duplicate
    assert (recording.container, recording.channels) == ("wav", 2)
    assert recording.duration_s == pytest.approx(3.0, abs=0.01)
    assert [j.step for j in recording.jobs] == ["decode", "transcribe", "store", "analyze"]
    assert all(j.status == "pending" for j in recording.jobs)
    assert counts(store) == (1, 1, len(STEPS))
    assert len(stored_files(settings)) == 1
    with store.session() as session:
        row = session.get(CallRecording, recording.id)
        assert row is not None and row.original_filename == "call.wav"
        consent_row = session.get(ConsentRecord, row.consent_id)
        assert consent_row is not None and consent_row.given_by == "Herr Huber"
        decode = session.scalar(
            select(PipelineJob).where(
                PipelineJob.recording_id == row.id, PipelineJob.step == "decode"
            )
        )
        assert decode is not None and decode.details["channels"] == "rep,customer"
    queued = get_queue(settings).pending()
    assert [(type(t).__name__, t.args) for t in queued] == [
        ("winback_calls_decode", (recording.id,))
    ]


def test_same_upload_twice_returns_the_same_recording(
    store: Store, settings: Settings, account: str, consent: dict, tmp_path: Path
) -> None:
    path = media.tone_wav(tmp_path / "call.wav", 2.0)
    first = upload(store, settings, path, consent)
    again = upload(store, settings, path, consent)
    assert again.id == first.id and again.duplicate
    assert counts(store) == (1, 1, len(STEPS))
    assert len(stored_files(settings)) == 1  # the second copy was removed again


def test_idempotency_key_returns_the_existing_recording_without_storing_again(
    store: Store, settings: Settings, account: str, consent: dict, tmp_path: Path
) -> None:
    path = media.tone_wav(tmp_path / "a.wav", 2.0)
    first = upload(store, settings, path, consent, idempotency_key="upload-42")
    files = stored_files(settings)
    again = upload(store, settings, path, consent, idempotency_key="upload-42")
    assert again.id == first.id and again.duplicate
    assert counts(store) == (1, 1, len(STEPS))
    assert stored_files(settings) == files  # hashed to compare, never written


def test_idempotency_key_with_other_content_is_a_conflict(
    store: Store, settings: Settings, account: str, consent: dict, tmp_path: Path
) -> None:
    first = upload(store, settings, media.tone_wav(tmp_path / "a.wav", 2.0), consent,
                   idempotency_key="upload-42")  # fmt: skip
    files = stored_files(settings)
    with pytest.raises(ConflictError, match="new key"):
        upload(store, settings, media.tone_wav(tmp_path / "b.wav", 3.0), consent,
               idempotency_key="upload-42")  # fmt: skip
    assert counts(store) == (1, 1, len(STEPS)) and stored_files(settings) == files
    with store.session() as session:
        row = session.get(CallRecording, first.id)
        # The key is stored per uploader and as a digest, never as the client's text.
        assert row is not None and row.idempotency_key is not None
        assert row.idempotency_key.startswith("cli:") and "upload-42" not in row.idempotency_key


def test_unknown_account_stores_nothing(
    store: Store, settings: Settings, account: str, consent: dict, tmp_path: Path
) -> None:
    with pytest.raises(NotFoundError, match="K-9999"):
        upload(store, settings, media.tone_wav(tmp_path / "a.wav"), consent, account="K-9999")
    assert_nothing_stored(store, settings)


@pytest.mark.parametrize(
    "bad", [None, {}, {"given_by": "Herr Huber", "method": "nodded"}, "missing-text-version"]
)
def test_missing_or_invalid_consent_stores_nothing(
    store: Store, settings: Settings, account: str, consent: dict, tmp_path: Path, bad: Any
) -> None:
    if bad == "missing-text-version":
        bad = {**consent, "text_version": ""}
    with pytest.raises(ConsentError):
        upload(store, settings, media.tone_wav(tmp_path / "a.wav"), bad)
    assert_nothing_stored(store, settings)


@pytest.mark.parametrize(
    "maker",
    [
        lambda d: (d / "empty.mp3").write_bytes(b"") and None or d / "empty.mp3",
        lambda d: media.truncated(media.tone_mp3(d / "a.mp3"), d / "cut.mp3"),
        lambda d: media.lying_wav(d / "lie.wav"),
        lambda d: media.html_as_mp3(d / "page.mp3"),
        lambda d: media.zip_as_mp3(d / "archive.mp3"),
        lambda d: media.tiny_wav_claiming_hours(d / "hours.wav"),
    ],
    ids=["zero-byte", "truncated-mp3", "lying-wav", "html", "zip", "claims-hours"],
)
def test_bad_media_stores_nothing(
    store: Store, settings: Settings, account: str, consent: dict, tmp_path: Path, maker: Any
) -> None:
    with pytest.raises(MediaError):
        upload(store, settings, maker(tmp_path), consent)
    assert_nothing_stored(store, settings)


def test_oversized_upload_is_refused_while_streaming(
    store: Store, account: str, consent: dict
) -> None:
    settings = configure(
        database_url=store.engine.url.render_as_string(hide_password=False), max_upload_mb=2
    )
    sent: list[int] = []

    def body() -> Iterator[bytes]:
        yield media.wav_header(16_000 * 2 * 600)
        for i in range(1000):  # 1000 x 64 kB = 64 MB if read to the end
            sent.append(i)
            yield b"\0" * 65_536

    with pytest.raises(PayloadTooLargeError):
        upload_recording(store, settings, "K-1001", body(), consent)
    assert len(sent) < 40  # stopped after ~2 MB
    assert_nothing_stored(store, settings)


def test_disk_full_leaves_no_rows_or_files(
    store: Store, settings: Settings, account: str, consent: dict, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    def full(fd: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(audio_store_module, "_write_all", full)
    with pytest.raises(StorageError, match="full"):
        upload(store, settings, media.tone_wav(tmp_path / "a.wav"), consent)
    assert_nothing_stored(store, settings)


def test_unreachable_queue_undoes_the_upload(
    store: Store, account: str, consent: dict, tmp_path: Path
) -> None:
    settings = configure(
        database_url=store.engine.url.render_as_string(hide_password=False),
        queue_backend="redis",
        redis_url="redis://127.0.0.1:1/0",  # nothing listens on port 1
    )
    with pytest.raises(StorageError, match="queue"):
        upload(store, settings, media.tone_wav(tmp_path / "a.wav"), consent)
    assert_nothing_stored(store, settings)


def test_mono_file_cannot_be_split_into_rep_and_customer(
    store: Store, settings: Settings, account: str, consent: dict, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="one channel"):
        upload(store, settings, media.tone_wav(tmp_path / "a.wav"), consent,
               channels="rep,customer")  # fmt: skip
    assert_nothing_stored(store, settings)
    recording = upload(store, settings, media.tone_wav(tmp_path / "a.wav"), consent)
    assert recording.channels == 1  # the default layout falls back to mono


def test_byte_stream_upload_is_accepted(
    store: Store, settings: Settings, account: str, consent: dict, tmp_path: Path
) -> None:
    data = media.tone_wav(tmp_path / "a.wav", 1.0).read_bytes()
    recording = upload_recording(store, settings, "K-1001", io.BytesIO(data), consent)
    assert recording.size_bytes == len(data)
