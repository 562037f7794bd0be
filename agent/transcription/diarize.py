"""Speaker turns for single-channel recordings, from the signal alone.

No speaker-embedding or diarization model ships inside a package that runs
offline on CPU without torch (see docs/transcription.md for what was
checked), so this is a transparent signal method, not a trained one:

1. The speech (the spans of Whisper's segments, which VAD already cut) is
   divided into short windows (1.5 s, hop 0.75 s).
2. Each window is described by the mean and spread of its cepstrum (MFCC
   2..13 from Whisper's own log-mel spectrogram, only the 300-3400 Hz
   telephone band, so 8 kHz and 16 kHz audio look the same).
3. The windows are split in two: the first principal component of the
   standardised features gives a start, k-means (k = 2) refines it, a
   median filter smooths the labels over time.
4. The split is trusted only when it is clear: the silhouette (how much
   closer each window is to its own cluster than to the other, -1..1) must
   reach ``min_silhouette`` and the smaller speaker must hold at least
   ``min_share`` of the speech. Otherwise the recording counts as one
   speaker and every segment keeps speaker ``unknown``.
5. Who is the rep: the speaker of the first speech window, by default
   (the rep usually opens a win-back call; ``first_speaker`` turns it round
   for teams whose customers answer with their name first).

It separates clearly different voices (a man and a woman; two phone lines
of different quality) and fails on similar ones; the silhouette gate is
what keeps such a failure from becoming a confident wrong attribution.
Measured (benchmarks/bench_diarization.py): single-speaker recordings
reach a silhouette of 0.14-0.19, two-speaker calls 0.17-0.32, so the gate
at 0.2 lets through only the clear two-speaker calls and labels the rest
as one speaker - a missed split costs the analysis some precision, a
wrong one would put the rep's words in the customer's mouth.
Segments that span a speaker change are split at word boundaries when word
timestamps are available.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from agent.transcription.types import Segment, Speaker

SAMPLE_RATE = 16_000
_HOP_S = 0.01  # Whisper's log-mel frames are 10 ms apart
WINDOW_S = 1.5
STEP_S = 0.75
#: Mel bins (of Whisper's 80) whose centre lies in the 300-3400 Hz telephone band.
_BAND_HZ = (300.0, 3400.0)
_N_CEPS = 12
#: Below ~15 s of speech the silhouette of any split is noise: one speaker.
MIN_WINDOWS = 20


@dataclass(frozen=True)
class Diarization:
    """The outcome of splitting one recording into two speakers.

    ``confident`` is False when the split is not clear enough to use; then
    ``turns`` is empty and the caller keeps the speaker ``unknown``.
    ``turns`` are ``(start, end, "rep"|"customer")`` in time order.
    """

    confident: bool
    silhouette: float
    minority_share: float
    windows: int
    turns: list[tuple[float, float, Speaker]]


def _mfcc(audio: np.ndarray) -> np.ndarray:
    """Band-limited cepstra per 10 ms frame, shape (frames, _N_CEPS)."""
    from faster_whisper.feature_extractor import FeatureExtractor

    extractor = FeatureExtractor()
    centres = extractor.mel_filters.argmax(axis=1) * SAMPLE_RATE / extractor.n_fft
    band = (centres >= _BAND_HZ[0]) & (centres <= _BAND_HZ[1])
    logmel = np.asarray(extractor(audio.astype(np.float32), padding=0))[band]  # (bins, frames)
    n = logmel.shape[0]
    k = np.arange(n)
    dct = np.cos(np.pi / n * (k[None, :] + 0.5) * np.arange(n)[:, None])  # DCT-II rows
    ceps = dct @ logmel  # (n, frames)
    # c0 (loudness) and c1 (overall tilt, dominated by the line) say little about the voice.
    return np.asarray(ceps[2 : 2 + _N_CEPS].T, dtype=np.float64)


def _windows(spans: Sequence[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for start, end in spans:
        start, end = max(0.0, start), min(duration, end)
        if end - start < 0.5:
            continue
        t = start
        while True:
            stop = min(t + WINDOW_S, end)
            if stop - t >= 0.5:
                out.append((t, stop))
            if stop >= end:
                break
            t += STEP_S
    return out


def _features(frames: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    rows = []
    for start, end in windows:
        chunk = frames[int(start / _HOP_S) : max(int(start / _HOP_S) + 1, int(end / _HOP_S))]
        rows.append(np.concatenate([chunk.mean(axis=0), chunk.std(axis=0)]))
    return np.asarray(rows)


def two_means(x: np.ndarray, iterations: int = 30) -> np.ndarray:
    """Split rows of ``x`` into two clusters: start from the first principal component, refine."""
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    labels = (centred @ vt[0] > 0).astype(int)
    for _ in range(iterations):
        if labels.min() == labels.max():
            break
        centres = np.stack([x[labels == c].mean(axis=0) for c in (0, 1)])
        distances = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        new = distances.argmin(axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of a two-cluster labelling (0 when one cluster is empty)."""
    if labels.min() == labels.max() or len(x) < 3:
        return 0.0
    distances = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2))
    scores = []
    for i, label in enumerate(labels):
        own = labels == label
        own[i] = False
        if not own.any():
            scores.append(0.0)
            continue
        a = distances[i, own].mean()
        b = distances[i, labels != label].mean()
        scores.append((b - a) / max(a, b) if max(a, b) > 0 else 0.0)
    return float(np.mean(scores))


def _median_filter(labels: np.ndarray, width: int = 3) -> np.ndarray:
    if len(labels) < width:
        return labels
    half = width // 2
    padded = np.pad(labels, half, mode="edge")
    return np.array([int(np.median(padded[i : i + width])) for i in range(len(labels))])


def diarize(
    audio: np.ndarray,
    spans: Sequence[tuple[float, float]],
    *,
    min_silhouette: float = 0.2,
    min_share: float = 0.1,
    first_speaker: Speaker = "rep",
) -> Diarization:
    """Split the speech ``spans`` (seconds) of 16 kHz mono ``audio`` into rep and customer.

    See the module docstring for the method and the confidence gate.
    """
    duration = len(audio) / SAMPLE_RATE
    windows = _windows(spans, duration)
    if len(windows) < MIN_WINDOWS:
        return Diarization(False, 0.0, 0.0, len(windows), [])
    feats = _features(_mfcc(audio), windows)
    scale = feats.std(axis=0)
    z = (feats - feats.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    labels = two_means(z)
    score = silhouette(z, labels)
    labels = _median_filter(labels)
    share = float(min(labels.mean(), 1.0 - labels.mean()))
    if score < min_silhouette or share < min_share:
        return Diarization(False, round(score, 3), round(share, 3), len(windows), [])
    other: Speaker = "customer" if first_speaker == "rep" else "rep"
    names: dict[int, Speaker] = {int(labels[0]): first_speaker, 1 - int(labels[0]): other}
    # Each window owns the time up to the middle of its overlap with the next.
    turns: list[tuple[float, float, Speaker]] = []
    for i, (start, end) in enumerate(windows):
        own_start = start if i == 0 or windows[i - 1][1] <= start else start + (STEP_S / 2)
        own_end = end if i + 1 == len(windows) or windows[i + 1][0] >= end else start + STEP_S * 1.5
        own_end = min(own_end, end)
        speaker = names[int(labels[i])]
        if turns and turns[-1][2] == speaker and own_start - turns[-1][1] < 0.5:
            turns[-1] = (turns[-1][0], max(turns[-1][1], own_end), speaker)
        else:
            turns.append((own_start, own_end, speaker))
    return Diarization(True, round(score, 3), round(share, 3), len(windows), turns)


def speaker_at(turns: Sequence[tuple[float, float, Speaker]], start: float, end: float) -> Speaker:
    """The speaker who holds most of ``start..end`` (``unknown`` outside every turn)."""
    overlap: dict[Speaker, float] = {}
    for t0, t1, speaker in turns:
        seconds = min(end, t1) - max(start, t0)
        if seconds > 0:
            overlap[speaker] = overlap.get(speaker, 0.0) + seconds
    if not overlap:
        # A point between turns (a short word): the nearest turn's speaker.
        middle = (start + end) / 2
        nearest = min(
            turns, key=lambda t: min(abs(t[0] - middle), abs(t[1] - middle)), default=None
        )
        return nearest[2] if nearest else "unknown"
    return max(overlap, key=lambda s: overlap[s])


def label_segments(
    segments: Sequence[Segment], turns: Sequence[tuple[float, float, Speaker]]
) -> list[Segment]:
    """Give every segment its speaker; split segments with word timings at speaker changes."""
    out: list[Segment] = []
    for seg in segments:
        words: list[dict[str, Any]] = seg.words or []
        if not words:
            out.append(replace(seg, speaker=speaker_at(turns, seg.start, seg.end)))
            continue
        groups: list[tuple[Speaker, list[dict[str, Any]]]] = []
        for word in words:
            speaker = speaker_at(turns, float(word["start"]), float(word["end"]))
            if groups and groups[-1][0] == speaker:
                groups[-1][1].append(word)
            else:
                groups.append((speaker, [word]))
        for speaker, group in groups:
            out.append(
                replace(
                    seg,
                    start=float(group[0]["start"]),
                    end=float(group[-1]["end"]),
                    text="".join(str(w["word"]) for w in group).strip(),
                    speaker=speaker,
                    words=group,
                )
            )
    return out
