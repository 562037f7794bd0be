"""Benchmark the local Whisper transcriber: real-time factor, WER per file, peak memory.

Usage::

    .venv/bin/python benchmarks/bench_whisper.py [--shared ../shared] [--beam-size 5]
        [--only NAME ...] [--json results.json]

Files: every recording in ``<shared>/data/audio`` and ``<shared>/evals/audio``
(16 kHz two-channel calls and their 8 kHz mono versions). References:
``data/audio/references.json`` (and the STM file of the pyannote sample);
for the rendered calls the concatenated ``turns`` text of the call with the
same id in ``evals/calls.dev.jsonl``. Each real German speaker
(``thorsten_*``) is also run as a phone call: band-limited to 300-3400 Hz,
resampled to 8 kHz and mu-law coded (:mod:`agent.transcription.phone`),
row ``*.8k.wav`` beside its 16 kHz row. ``--mode`` picks how two-channel
calls are run (``whisper_channel_mode``). Prints one row per file with the wall
RTF, the CPU RTF (process CPU seconds / audio seconds / threads - what the
wall RTF would be on an otherwise idle machine), WER and segment count, then
peak RSS and the load average (this machine is shared; wall figures suffer).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.model_store import cpu_threads  # noqa: E402
from agent.settings import configure  # noqa: E402
from agent.transcription.audio import SAMPLE_RATE, decode, probe, to_wav_bytes  # noqa: E402
from agent.transcription.local import LocalWhisperTranscriber  # noqa: E402
from agent.transcription.phone import PHONE_RATE, phone_band  # noqa: E402
from agent.transcription.wer import word_error_rate  # noqa: E402

# Whisper paper (Radford et al. 2022, table 2 / appendix D), model "base", for context only.
PUBLISHED = "Whisper base published WER: LibriSpeech test-clean 5.0 %, test-other 12.4 %"


def references(shared: Path) -> dict[str, str]:
    """File name -> reference text for every file that has one."""
    refs: dict[str, str] = {}
    data = json.loads((shared / "data/audio/references.json").read_text(encoding="utf-8"))
    for name, entry in data.items():
        if "reference" in entry:
            refs[name] = entry["reference"]
        elif "channels" in entry:
            refs[name] = f"{entry['channels']['left']} {entry['channels']['right']}"
    stm = shared / "data/audio/pyannote_sample.stm"
    if stm.is_file():
        words = [" ".join(line.split()[5:]) for line in stm.read_text().splitlines() if line]
        refs["pyannote_sample.wav"] = " ".join(words)
    for line in (shared / "evals/calls.dev.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            call = json.loads(line)
            text = " ".join(t["text"] for t in call["turns"])
            refs[f"{call['id']}.flac"] = text
            refs[f"{call['id']}.8k.flac"] = text
    return refs


def phone_versions(files: list[Path], target: Path, refs: dict[str, str]) -> list[Path]:
    """8 kHz mu-law phone-band copies of the real German speakers, with their references."""
    out = []
    for f in files:
        if f.name.startswith("thorsten_") and f.name in refs:
            phone = phone_band(decode(f)[0], SAMPLE_RATE)
            path = target / f"{f.stem}.8k.wav"
            path.write_bytes(to_wav_bytes(np.asarray(phone), PHONE_RATE))
            refs[path.name] = refs[f.name]
            out.append(path)
    return out


def ordered_text(transcript, name: str) -> str:
    """Hypothesis text; for the two-speaker fixture, rep (left) first like its reference."""
    if name == "fw_stereo_diarization.wav":
        rep = " ".join(s.text for s in transcript.segments if s.speaker == "rep")
        cust = " ".join(s.text for s in transcript.segments if s.speaker == "customer")
        return f"{rep} {cust}"
    return transcript.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared"
    )
    parser.add_argument("--beam-size", type=int, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="file names to run")
    parser.add_argument("--json", type=Path, default=None, help="write rows to this file")
    parser.add_argument("--mode", choices=["threads", "batched", "sequential"], default=None)
    args = parser.parse_args()

    overrides: dict[str, object] = {"whisper_beam_size": args.beam_size} if args.beam_size else {}
    if args.mode:
        overrides["whisper_channel_mode"] = args.mode
    cache = os.environ.get("WINBACK_MODEL_CACHE_DIR") or str(
        Path(__file__).resolve().parent.parent / ".pytest_cache/d/winback-models"
    )
    settings = configure(model_cache_dir=cache, **overrides)
    threads = cpu_threads(settings)
    refs = references(args.shared)
    files = sorted((args.shared / "data/audio").glob("*.*")) + sorted(
        (args.shared / "evals/audio").glob("*.flac")
    )
    files = [f for f in files if f.suffix in (".wav", ".flac", ".mp3", ".ogg", ".m4a")]
    phone_dir = tempfile.TemporaryDirectory(prefix="winback-phone-")
    phones = phone_versions(files, Path(phone_dir.name), refs)
    files = [p for f in files for p in [f, *[x for x in phones if x.stem == f"{f.stem}.8k"]]]
    if args.only:
        files = [f for f in files if f.name in args.only]

    tr = LocalWhisperTranscriber(settings)
    load0 = os.getloadavg()
    t = time.perf_counter()
    tr._whisper()  # load once, outside the per-file figures
    if settings.whisper_channel_mode == "threads":
        tr._whisper(2)  # the two-worker model for two-channel calls
    print(
        f"model load {time.perf_counter() - t:.1f}s, threads {threads}, beam {tr.beam_size}, "
        f"channels {settings.whisper_channel_mode}, temperatures {settings.whisper_temperatures}"
    )
    print(
        f"{'file':34} {'ch':>4} {'audio_s':>7} {'wall_rtf':>8} {'cpu_rtf':>7} {'wer':>6} "
        f"{'segs':>4} {'drop':>4} lang"
    )
    rows = []
    for f in files:
        layout = "rep,customer" if probe(f).channels == 2 else "mono"
        c0, w0 = time.process_time(), time.perf_counter()
        result = tr.transcribe(f, channels=layout)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        ref = refs.get(f.name)
        wer = word_error_rate(ref, ordered_text(result, f.name)) if ref else None
        row = {
            "file": f"{'phone' if f.parent.name.startswith('winback-phone') else f.parent.name}"
            f"/{f.name}",
            "channels": layout,
            "audio_s": round(result.duration_s, 1),
            "wall_rtf": round(wall / result.duration_s, 3),
            "cpu_rtf": round(cpu / result.duration_s / threads, 3),
            "wer": None if wer is None else round(wer, 3),
            "segments": len(result.segments),
            "dropped": int(result.timings.get("dropped_segments", 0)),
            "language": result.language,
        }
        rows.append(row)
        wer_s = "-" if wer is None else f"{wer:.3f}"
        print(
            f"{row['file']:34} {('2' if layout != 'mono' else '1'):>4} {row['audio_s']:>7} "
            f"{row['wall_rtf']:>8} {row['cpu_rtf']:>7} {wer_s:>6} {row['segments']:>4} "
            f"{row['dropped']:>4} "
            f"{row['language']}",
            flush=True,
        )
    audio = sum(r["audio_s"] for r in rows)
    print(
        f"total audio {audio:.0f}s; mean wall RTF "
        f"{sum(r['wall_rtf'] * r['audio_s'] for r in rows) / audio:.3f}; mean CPU RTF "
        f"{sum(r['cpu_rtf'] * r['audio_s'] for r in rows) / audio:.3f}"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak RSS {peak_mb:.0f} MB; "
        f"load average at start {load0[0]:.1f}, end {os.getloadavg()[0]:.1f}"
    )
    print(PUBLISHED)
    phone_dir.cleanup()
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "peak_rss_mb": peak_mb}, indent=2))


if __name__ == "__main__":
    main()
