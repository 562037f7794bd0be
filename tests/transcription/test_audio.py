"""Tests of audio probing and decoding for the transcribers (real PyAV, generated files)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from agent.errors import MediaError, NotFoundError
from agent.transcription.audio import SAMPLE_RATE, decode, probe, to_wav_bytes

pytest.importorskip("faster_whisper", reason="faster-whisper not installed")


def write_wav(path: Path, channels: list[np.ndarray], rate: int = 8000) -> Path:
    """Write float channels as a 16-bit PCM WAV."""
    data = np.stack(channels, axis=1) if len(channels) > 1 else channels[0][:, None]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((data * 32767).astype("<i2").tobytes())
    return path


def tone(seconds: float, freq: float, rate: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_stereo_file_splits_into_two_resampled_channels(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "call.wav", [tone(1.0, 440), np.zeros(8000, np.float32)])
    assert probe(path).channels == 2 and probe(path).sample_rate == 8000
    left, right = decode(path, split_stereo=True)
    assert len(left) == len(right) == SAMPLE_RATE
    assert np.abs(left).max() > 0.3 and np.abs(right).max() < 1e-3


def test_mono_mixdown(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "call.wav", [tone(0.5, 440), tone(0.5, 440)])
    (mono,) = decode(path)
    assert len(mono) == SAMPLE_RATE // 2 and mono.dtype == np.float32


def test_two_channel_layout_on_mono_file_is_refused(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "mono.wav", [tone(0.5, 440)])
    with pytest.raises(MediaError, match="1 channel.*--channels mono"):
        decode(path, split_stereo=True)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        decode(tmp_path / "nope.wav")


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, I am a text file\n" * 50, bytes(range(256)) * 64],
    ids=["empty", "text", "random"],
)
def test_non_audio_is_media_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "call.wav"
    path.write_bytes(content)
    with pytest.raises(MediaError, match="call.wav"):
        decode(path)


def test_wav_header_without_samples_is_media_error(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "empty.wav", [np.zeros(0, np.float32)])
    with pytest.raises(MediaError, match="no audio"):
        decode(path)


def test_to_wav_bytes_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(to_wav_bytes(tone(0.25, 300, SAMPLE_RATE)))
    (audio,) = decode(path)
    assert len(audio) == SAMPLE_RATE // 4


def test_same_channels_detects_duplicated_mono() -> None:
    from agent.transcription.audio import same_channels

    a, b = tone(1.0, 300), tone(1.0, 500)
    assert same_channels([a, a + 0.001])
    assert not same_channels([a, b])
    assert not same_channels([a, np.zeros_like(a)])
    assert not same_channels([a])
