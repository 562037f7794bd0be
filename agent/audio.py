"""Audio checks and conversion by content, with PyAV (FFmpeg).

A recording is judged by what is inside the file, never by its name or the
declared MIME type: :func:`probe_audio` opens it with a whitelist of audio
container formats and only the ``file`` protocol (so a crafted playlist or
concat file cannot make FFmpeg read other files or URLs), decodes every
frame, and compares what the header promises with what is really there.
Empty, truncated, corrupt or non-audio files, and files whose header lies
about their length, raise :class:`agent.errors.MediaError`; files beyond
the configured duration raise :class:`agent.errors.PayloadTooLargeError`.

:func:`normalise_audio` turns an accepted recording into the 16 kHz PCM WAV
the transcriber reads, keeping two channels apart when the call was
recorded with rep and customer on separate channels.
"""

from __future__ import annotations

import contextlib
import os
import struct
import wave
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from agent.errors import MediaError, PayloadTooLargeError

#: FFmpeg demuxers we accept (their names as FFmpeg reports them).
ALLOWED_FORMATS: frozenset[str] = frozenset(
    {
        "wav",
        "w64",
        "mp3",
        "flac",
        "ogg",
        "mov,mp4,m4a,3gp,3g2,mj2",
        "matroska,webm",
        "aac",
        "aiff",
        "amr",
        "caf",
    }
)
_OPEN_OPTIONS = {
    # Only local files, and only plain audio containers: HLS, concat, image2 and
    # friends can reference other files or URLs and are not audio uploads anyway.
    "protocol_whitelist": "file",
    "format_whitelist": ",".join(sorted(ALLOWED_FORMATS)),
}
#: Header duration may exceed the decoded duration by this much (encoder padding).
DURATION_TOLERANCE_S = 1.0
DURATION_TOLERANCE_RATIO = 0.02
TARGET_RATE = 16_000


@dataclass(frozen=True)
class AudioInfo:
    """What :func:`probe_audio` found in a file."""

    container: str
    codec: str
    duration_s: float
    channels: int
    sample_rate: int
    declared_duration_s: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def _av() -> Any:
    try:
        import av
    except ImportError as exc:  # pragma: no cover - av is a hard dependency
        raise MediaError("PyAV (package 'av') is not installed; cannot read audio.") from exc
    return av


def _reason(exc: Exception) -> str:
    # FFmpeg's messages end with the file's path; users need only the reason.
    return str(getattr(exc, "strerror", None) or exc)


def _open(path: Path, name: str) -> Any:
    av = _av()
    try:
        return av.open(str(path), mode="r", options=dict(_OPEN_OPTIONS), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"{name} is not a readable audio file (unknown or unsupported format: {_reason(exc)})."
        ) from exc


def _wav_data_overrun(path: Path) -> int:
    """Bytes a RIFF/WAVE header claims beyond the end of the file (0 if consistent).

    FFmpeg quietly clamps a WAV whose ``data`` chunk claims more bytes than
    the file holds; such a header lies, so we look at the chunk sizes
    ourselves. 0 and 0xFFFFFFFF mean "unknown length" (live recorders) and
    are accepted.
    """
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return 0
        offset = 12
        while offset + 8 <= size:
            fh.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", fh.read(8))
            if chunk_id == b"data":
                if chunk_size in (0, 0xFFFFFFFF):
                    return 0
                return max(0, offset + 8 + chunk_size - size)
            offset += 8 + chunk_size + (chunk_size & 1)
        return 0


def probe_audio(path: Path, *, max_duration_s: float, name: str | None = None) -> AudioInfo:
    """Check that ``path`` is decodable audio within the limits and describe it.

    Every frame is decoded, so truncated or corrupt files are caught here
    and not halfway through transcription. Decoding stops as soon as more
    than ``max_duration_s`` seconds were found. ``name`` is how messages call
    the file (the uploaded file name; default: the path's name).
    """
    path = Path(path)
    name = name or path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MediaError(f"Cannot read {name}: {exc}") from exc
    if size == 0:
        raise MediaError(f"{name} is empty (0 bytes).")
    overrun = _wav_data_overrun(path)
    if overrun:
        raise MediaError(
            f"{name}: the WAV header claims {overrun} more bytes of audio than the file "
            "holds (truncated or forged header)."
        )
    av = _av()
    container = _open(path, name)
    try:
        fmt = container.format.name
        if fmt not in ALLOWED_FORMATS:
            raise MediaError(f"{name}: container {fmt!r} is not an accepted audio format.")
        if container.streams.video:
            # Cover art is a one-frame "video" stream in MP3/M4A; real video is refused.
            real_video = [
                s for s in container.streams.video if not (s.disposition & 0x0400)
            ]  # AV_DISPOSITION_ATTACHED_PIC
            if real_video:
                raise MediaError(f"{name} contains video; upload the audio only.")
        if not container.streams.audio:
            raise MediaError(f"{name} contains no audio stream.")
        stream = container.streams.audio[0]
        codec = stream.codec_context.name
        declared = _declared_duration(container, stream)
        if declared is not None and declared > max_duration_s:
            raise PayloadTooLargeError(
                f"{name} claims {declared / 60:.0f} minutes; the limit is "
                f"{max_duration_s / 60:.0f} minutes (setting max_duration_s)."
            )
        decoded = 0.0
        sample_rate = 0
        channels = 0
        try:
            for frame in container.decode(stream):
                if not frame.sample_rate:
                    continue
                sample_rate = frame.sample_rate
                channels = frame.layout.nb_channels if frame.layout else channels
                decoded += frame.samples / frame.sample_rate
                if decoded > max_duration_s:
                    raise PayloadTooLargeError(
                        f"{name} is longer than the limit of {max_duration_s / 60:.0f} "
                        "minutes (setting max_duration_s)."
                    )
        except av.error.FFmpegError as exc:
            raise MediaError(f"{name} is corrupt or truncated ({_reason(exc)}).") from exc
        if decoded <= 0 or not sample_rate:
            raise MediaError(f"{name} contains no decodable audio.")
        if declared is not None and declared - decoded > max(
            DURATION_TOLERANCE_S, DURATION_TOLERANCE_RATIO * declared
        ):
            raise MediaError(
                f"{name}: the header claims {declared:.1f} s but only {decoded:.1f} s of "
                "audio could be decoded (truncated or forged file)."
            )
        return AudioInfo(
            container=fmt.split(",")[0],
            codec=codec,
            duration_s=round(decoded, 3),
            channels=channels or stream.codec_context.channels,
            sample_rate=sample_rate,
            declared_duration_s=round(declared, 3) if declared is not None else None,
        )
    finally:
        container.close()


def _declared_duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def normalise_audio(source: Path, target: Path, *, channels: int) -> float:
    """Decode ``source`` into a 16 kHz, 16-bit PCM WAV at ``target``; return its duration.

    ``channels`` is 1 (mix down) or 2 (keep the first two channels apart for
    rep/customer transcription). The file is written next to ``target``
    and renamed into place, so a killed worker never leaves half a WAV that
    a retry would mistake for a finished one.
    """
    if channels not in (1, 2):
        raise MediaError(f"Cannot normalise to {channels} channels; use 1 or 2.")
    av = _av()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    resampler = av.AudioResampler(
        format="s16", layout="mono" if channels == 1 else "stereo", rate=TARGET_RATE
    )
    samples = 0
    container = _open(source, source.name)
    try:
        with wave.open(str(tmp), "wb") as out:
            out.setnchannels(channels)
            out.setsampwidth(2)
            out.setframerate(TARGET_RATE)
            stream = container.streams.audio[0]
            try:
                for frame in container.decode(stream):
                    for chunk in resampler.resample(frame):
                        out.writeframes(chunk.to_ndarray().tobytes())
                        samples += chunk.samples
                for chunk in resampler.resample(None):
                    out.writeframes(chunk.to_ndarray().tobytes())
                    samples += chunk.samples
            except av.error.FFmpegError as exc:
                raise MediaError(
                    f"Audio became undecodable while normalising ({_reason(exc)})."
                ) from exc
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    finally:
        container.close()
    return samples / TARGET_RATE
