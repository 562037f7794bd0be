"""Diarization error rate, for tests and benchmarks (no extra dependency).

DER = (missed speech + false alarm + speaker confusion) / reference speech,
computed on 10 ms frames with no forgiveness collar, hypothesis speakers
mapped to reference speakers by the best one-to-one assignment (the
NIST definition; pyannote.metrics gives the same figure with collar 0 and
overlap counted). Overlapping reference speech counts once per speaker.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

Turn = tuple[float, float, str]
_FRAME_S = 0.01


@dataclass(frozen=True)
class DiarizationError:
    """The parts of the diarization error, each as a share of reference speech."""

    der: float
    missed: float
    false_alarm: float
    confusion: float
    reference_s: float


def read_rttm(path: Path) -> list[Turn]:
    """``SPEAKER`` lines of an RTTM file as ``(start, end, speaker)``."""
    turns: list[Turn] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER":
            start, length = float(parts[3]), float(parts[4])
            turns.append((start, start + length, parts[7]))
    return turns


def _frames(turns: Sequence[Turn], n: int) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for start, end, speaker in turns:
        first, last = round(start / _FRAME_S), min(n, round(end / _FRAME_S))
        out.setdefault(speaker, set()).update(range(first, last))
    return out


def diarization_error(reference: Sequence[Turn], hypothesis: Sequence[Turn]) -> DiarizationError:
    """Compare ``hypothesis`` turns with ``reference`` turns (see the module docstring)."""
    end = max((t[1] for t in [*reference, *hypothesis]), default=0.0)
    n = round(end / _FRAME_S) + 1
    ref, hyp = _frames(reference, n), _frames(hypothesis, n)
    total = sum(len(f) for f in ref.values())
    if total == 0:
        return DiarizationError(0.0, 0.0, 0.0, 0.0, 0.0)
    ref_count = [0] * n
    hyp_count = [0] * n
    for frames in ref.values():
        for f in frames:
            ref_count[f] += 1
    for frames in hyp.values():
        for f in frames:
            hyp_count[f] += 1
    missed = sum(max(0, r - h) for r, h in zip(ref_count, hyp_count, strict=True))
    false_alarm = sum(max(0, h - r) for r, h in zip(ref_count, hyp_count, strict=True))
    # Correctly attributed frames under the best one-to-one speaker mapping.
    ref_names, hyp_names = sorted(ref), sorted(hyp)
    best = 0
    small, large = (
        (hyp_names, ref_names) if len(hyp_names) <= len(ref_names) else (ref_names, hyp_names)
    )
    for perm in itertools.permutations(large, len(small)):
        pairs = zip(small, perm, strict=True)
        if small is hyp_names:
            matched = sum(len(hyp[h] & ref[r]) for h, r in pairs)
        else:
            matched = sum(len(hyp[h] & ref[r]) for r, h in pairs)
        best = max(best, matched)
    overlap = sum(min(r, h) for r, h in zip(ref_count, hyp_count, strict=True))
    confusion = overlap - best
    return DiarizationError(
        der=(missed + false_alarm + confusion) / total,
        missed=missed / total,
        false_alarm=false_alarm / total,
        confusion=confusion / total,
        reference_s=total * _FRAME_S,
    )


def channel_turns(path: Path) -> list[Turn]:
    """Reference turns of a two-channel call: speech per channel, rep left, customer right.

    Each channel holds one voice, so voice activity on it is that speaker's
    turn; a mono mix of the same call is then scored against these.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from agent.transcription.audio import SAMPLE_RATE, decode

    options = VadOptions(min_silence_duration_ms=300, speech_pad_ms=100)
    turns: list[Turn] = []
    for audio, speaker in zip(decode(path, split_stereo=True), ("rep", "customer"), strict=True):
        for chunk in get_speech_timestamps(audio, options):
            turns.append((chunk["start"] / SAMPLE_RATE, chunk["end"] / SAMPLE_RATE, speaker))
    return sorted(turns)


def speech_spans(turns: Sequence[Turn]) -> list[tuple[float, float]]:
    """The stretches with anyone speaking: overlapping or touching turns merged."""
    spans: list[tuple[float, float]] = []
    for start, end, _ in sorted(turns):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans
