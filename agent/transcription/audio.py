"""Audio decoding for the transcribers: probe, decode, split channels, clear errors.

PyAV (bundled FFmpeg, no system install) reads the common formats - wav, mp3,
m4a/aac, ogg/opus, flac, webm - and resamples to 16 kHz mono float32, the
input Whisper expects. Anything that is not decodable audio becomes a
:class:`agent.errors.MediaError` naming the file and the reason.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.errors import MediaError, NotFoundError

SAMPLE_RATE = 16_000
#: FFmpeg demuxers accepted (same list as agent/audio.py, the upload checks). Playlists,
#: concat and image demuxers can reference other files or URLs, so they are refused.
ALLOWED_FORMATS = "aac,aiff,amr,caf,flac,matroska,webm,mov,mp4,m4a,3gp,3g2,mj2,mp3,ogg,w64,wav"
_OPEN_OPTIONS = {"protocol_whitelist": "file", "format_whitelist": ALLOWED_FORMATS}


@dataclass(frozen=True)
class StreamInfo:
    """What probing a file found."""

    channels: int
    sample_rate: int
    codec: str


def _av_errors() -> tuple[type[BaseException], ...]:
    import av

    return (av.error.FFmpegError, OSError, ValueError, IndexError, RuntimeError)


def probe(path: Path) -> StreamInfo:
    """Open ``path`` and describe its first audio stream, or raise MediaError/NotFoundError."""
    import av

    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"Audio file not found: {path}")
    try:
        with av.open(
            str(path), mode="r", metadata_errors="ignore", options=_OPEN_OPTIONS
        ) as container:
            if not container.streams.audio:
                raise MediaError(f"{path.name}: the file has no audio stream.")
            stream = container.streams.audio[0]
            ctx = stream.codec_context
            layout = getattr(ctx, "layout", None)
            channels: Any = getattr(layout, "nb_channels", None) or getattr(ctx, "channels", 1)
            return StreamInfo(int(channels or 1), int(ctx.sample_rate or 0), str(ctx.name))
    except MediaError:
        raise
    except _av_errors() as exc:
        raise MediaError(f"{path.name}: not a readable audio file ({exc}).") from exc


def decode(path: Path, *, split_stereo: bool = False) -> list[np.ndarray]:
    """Decode ``path`` to 16 kHz float32: one array (mono mix) or two (left, right).

    Raises :class:`MediaError` when the file is corrupt, has no samples, or
    has one channel while two were asked for.
    """
    from faster_whisper.audio import decode_audio

    info = probe(path)
    if split_stereo and info.channels < 2:
        raise MediaError(
            f"{Path(path).name} has {info.channels} channel; a two-channel layout was "
            "requested. Use --channels mono for single-channel recordings."
        )
    try:
        result = decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=split_stereo)
    except _av_errors() as exc:
        raise MediaError(f"{Path(path).name}: audio could not be decoded ({exc}).") from exc
    arrays = list(result) if split_stereo else [result]
    if not arrays or arrays[0].size == 0:
        raise MediaError(f"{Path(path).name}: the file contains no audio samples.")
    return arrays


def same_channels(arrays: list[np.ndarray], max_difference: float = 0.01) -> bool:
    """True when a "stereo" file carries (nearly) the same signal twice: really mono.

    Compares the energy of the difference with the energy of both channels:
    a duplicated mono signal stays far below 1 % even after lossy encoding,
    two separate speakers are near 100 %.
    """
    if len(arrays) != 2 or arrays[0].shape != arrays[1].shape:
        return False
    left, right = (a.astype(np.float64) for a in arrays)
    energy = float(np.sum(left * left) + np.sum(right * right))
    if energy == 0.0:
        return True
    return float(np.sum((left - right) ** 2)) / energy < max_difference


def to_wav_bytes(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Encode float32 samples as 16-bit PCM WAV (for APIs that take files)."""
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()
