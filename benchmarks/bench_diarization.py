"""Measure the mono speaker split: diarization error rate per file.

Usage::

    .venv/bin/python benchmarks/bench_diarization.py [--shared ../shared] [--skip-pipeline]

Files and references:

* ``data/audio/pyannote_sample.wav`` (two speakers, 30 s) against its RTTM.
* The two-channel calls of ``evals/audio`` (rep left, customer right): the
  reference turns come from each channel alone (Silero VAD per channel,
  the speaker known from the channel); the hypothesis from the mono
  versions: ``X.8k.flac`` (8 kHz telephone band) and a 16 kHz mix of both
  channels.
* Single-speaker files (jfk, thorsten_*): must come out as one speaker.

Two hypotheses per file: ``pipeline`` is the local transcriber end to end
(Whisper segments, then the voice clustering; segments with speaker
``unknown`` when the split is not confident), so its DER includes speech
missed or invented by Whisper's VAD; ``cluster`` feeds the clustering the
reference speech spans, so its DER is speaker confusion only. ``roles`` is
the share of attributed reference speech whose rep/customer name is right
(no speaker permutation allowed: it measures "the rep opens the call" too).
DER has no collar; overlapping speech counts (see agent/transcription/der.py).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.settings import configure  # noqa: E402
from agent.transcription.audio import SAMPLE_RATE, decode, to_wav_bytes  # noqa: E402
from agent.transcription.der import (  # noqa: E402
    Turn,
    channel_turns,
    diarization_error,
    read_rttm,
    speech_spans,
)
from agent.transcription.diarize import diarize  # noqa: E402
from agent.transcription.local import LocalWhisperTranscriber  # noqa: E402


def role_accuracy(reference: list[Turn], hypothesis: list[Turn]) -> float | None:
    """Share of reference speech covered by a hypothesis turn of the same name."""
    if not hypothesis or all(t[2] == "unknown" for t in hypothesis):
        return None
    same = total = 0.0
    for r0, r1, rs in reference:
        for h0, h1, hs in hypothesis:
            overlap = min(r1, h1) - max(r0, h0)
            if overlap > 0 and hs != "unknown":
                total += overlap
                same += overlap if hs == rs else 0.0
    return same / total if total else None


def row(name: str, kind: str, reference: list[Turn], hypothesis: list[Turn], note: str) -> None:
    err = diarization_error(reference, hypothesis)
    roles = role_accuracy(reference, hypothesis)
    print(
        f"{name:30} {kind:9} {err.der:6.3f} {err.missed:6.3f} {err.false_alarm:6.3f} "
        f"{err.confusion:6.3f} {'-' if roles is None else f'{roles:.2f}':>5}  {note}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared"
    )
    parser.add_argument("--skip-pipeline", action="store_true", help="clustering only")
    args = parser.parse_args()
    settings = configure()
    tr = LocalWhisperTranscriber(settings)
    load0, c0, w0 = os.getloadavg(), time.process_time(), time.perf_counter()
    print(f"{'file':30} {'hyp':9} {'DER':>6} {'miss':>6} {'fa':>6} {'conf':>6} {'roles':>5}")

    def pipeline(path: Path) -> tuple[list[Turn], str]:
        result = tr.transcribe(path, channels="mono")
        turns = [(s.start, s.end, str(s.speaker)) for s in result.segments]
        return turns, f"speakers={result.speakers} silhouette={result.speaker_confidence}"

    def cluster(audio: np.ndarray, reference: list[Turn]) -> tuple[list[Turn], str]:
        found = diarize(audio, speech_spans(reference))
        if not found.confident:
            spans = speech_spans(reference)
            return [(a, b, "unknown") for a, b in spans], f"one speaker, {found.silhouette}"
        return [(a, b, str(s)) for a, b, s in found.turns], f"silhouette={found.silhouette}"

    data = args.shared / "data/audio"
    sample = data / "pyannote_sample.wav"
    if sample.is_file():
        reference = read_rttm(data / "pyannote_sample.rttm")
        # Map the sample's speakers to roles by who speaks first, like the clustering does.
        first = min(reference)[2]
        reference = [(a, b, "rep" if s == first else "customer") for a, b, s in reference]
        if not args.skip_pipeline:
            row(sample.name, "pipeline", reference, *pipeline(sample))
        row(sample.name, "cluster", reference, *cluster(decode(sample)[0], reference))

    with tempfile.TemporaryDirectory() as tmp:
        for stereo in sorted((args.shared / "evals/audio").glob("*.flac")):
            if stereo.name.endswith(".8k.flac"):
                continue
            reference = channel_turns(stereo)
            left, right = decode(stereo, split_stereo=True)
            mix = (left + right) / 2
            mix_path = Path(tmp) / f"{stereo.stem}.mix.wav"
            mix_path.write_bytes(to_wav_bytes(mix))
            phone = stereo.with_name(f"{stereo.stem}.8k.flac")
            if not args.skip_pipeline:
                row(mix_path.name, "pipeline", reference, *pipeline(mix_path))
                if phone.is_file():
                    row(phone.name, "pipeline", reference, *pipeline(phone))
            row(mix_path.name, "cluster", reference, *cluster(mix, reference))
            if phone.is_file():
                row(phone.name, "cluster", reference, *cluster(decode(phone)[0], reference))

    print("single speaker (should be one speaker):")
    for single in [data / "fw_jfk.flac", *sorted(data.glob("thorsten_*.wav"))]:
        if single.is_file():
            audio = decode(single)[0]
            found = diarize(audio, [(0.0, len(audio) / SAMPLE_RATE)])
            print(
                f"  {single.name:30} confident={found.confident} "
                f"silhouette={found.silhouette} windows={found.windows}"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"wall {time.perf_counter() - w0:.0f}s, CPU {time.process_time() - c0:.0f}s, "
        f"peak RSS {peak:.0f} MB, load average start {load0[0]:.1f} end {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
