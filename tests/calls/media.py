"""Test audio made on the fly with PyAV: tones, silence, stereo calls, broken files."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[2]
JFK = REPO / "tests" / "fixtures" / "audio" / "jfk.flac"


def write_audio(
    path: Path,
    samples: np.ndarray,
    *,
    rate: int = 16_000,
    fmt: str = "wav",
    codec: str = "pcm_s16le",
) -> Path:
    """Encode float samples in [-1, 1] shaped (channels, n) into ``path``."""
    if samples.ndim == 1:
        samples = samples[None, :]
    channels = samples.shape[0]
    layout = "mono" if channels == 1 else "stereo"
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    container = av.open(str(path), "w", format=fmt)
    stream = container.add_stream(codec, rate=rate, layout=layout)
    step = 1152
    for start in range(0, pcm.shape[1], step):
        chunk = np.ascontiguousarray(pcm[:, start : start + step].T.reshape(1, -1))
        frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout=layout)
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
    container.close()
    return path


def tone(seconds: float, *, rate: int = 16_000, freq: float = 440.0, channels: int = 1):
    """A sine tone (different pitch per channel)."""
    t = np.arange(int(seconds * rate)) / rate
    rows = [0.3 * np.sin(2 * np.pi * (freq * (i + 1)) * t) for i in range(channels)]
    return np.stack(rows)


def tone_wav(path: Path, seconds: float = 2.0, channels: int = 1) -> Path:
    return write_audio(path, tone(seconds, channels=channels))


def tone_mp3(path: Path, seconds: float = 10.0) -> Path:
    return write_audio(path, tone(seconds, rate=22_050), rate=22_050, fmt="mp3", codec="libmp3lame")


def silence_wav(path: Path, seconds: float) -> Path:
    return write_audio(path, np.zeros((1, int(seconds * 16_000))))


def wav_header(data_bytes: int, *, rate: int = 16_000, channels: int = 1) -> bytes:
    """A canonical 44-byte PCM WAV header announcing ``data_bytes`` of samples."""
    block = channels * 2
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + data_bytes, b"WAVE", b"fmt ", 16, 1, channels, rate,
        rate * block, block, 16, b"data", data_bytes,
    )  # fmt: skip


def lying_wav(path: Path) -> Path:
    """A WAV whose header promises 10 s but which holds 1 s of samples."""
    real = (tone(1.0)[0] * 32767).astype("<i2").tobytes()
    path.write_bytes(wav_header(16_000 * 2 * 10) + real)
    return path


def tiny_wav_claiming_hours(path: Path, hours: float = 5.0) -> Path:
    """A 2 kB WAV whose header claims ``hours`` hours of audio."""
    path.write_bytes(wav_header(int(16_000 * 2 * 3600 * hours)) + b"\0" * 2000)
    return path


def tiny_mp3_claiming_hours(source_mp3: Path, path: Path) -> Path:
    """An MP3 cut to 4 kB whose Xing/Info header claims ten million frames (~70 h)."""
    data = bytearray(source_mp3.read_bytes())
    at = max(data.find(b"Xing"), data.find(b"Info"))
    assert at > 0, "encoder wrote no Xing/Info header"
    data[at + 8 : at + 12] = struct.pack(">I", 10_000_000)
    path.write_bytes(bytes(data[:4000]))
    return path


def truncated(source: Path, path: Path, fraction: float = 0.5) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def text_as_mp3(path: Path) -> Path:
    path.write_text("This is not audio, it is a text file.\n" * 200, encoding="utf-8")
    return path


def html_as_mp3(path: Path) -> Path:
    path.write_text(
        "<!DOCTYPE html><html><head><title>x</title></head><body>"
        + "<p>Nicht gefunden</p>" * 200
        + "</body></html>",
        encoding="utf-8",
    )
    return path


def zip_as_mp3(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "Kundenliste " * 2000)
    return path


def two_channel_call(source: Path, path: Path, *, shift_s: float = 1.5) -> Path:
    """A stereo file: ``source`` on the left, a time-shifted copy on the right."""
    container = av.open(str(source))
    resampler = av.AudioResampler(format="flt", layout="mono", rate=16_000)
    chunks = []
    for frame in container.decode(audio=0):
        for out in resampler.resample(frame):
            chunks.append(out.to_ndarray()[0])
    container.close()
    mono = np.concatenate(chunks)
    shift = int(shift_s * 16_000)
    right = np.concatenate([np.zeros(shift, dtype=mono.dtype), mono[:-shift]])
    return write_audio(path, np.stack([mono, right]) * 0.9)
