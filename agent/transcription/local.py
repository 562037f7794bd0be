"""The local transcriber: faster-whisper (CTranslate2, int8 on CPU).

By default it runs the bundled Whisper base model, assembled and verified by
:mod:`agent.model_store`; ``settings.whisper_model`` may instead name any
CTranslate2 Whisper model directory. The decoder options are chosen against
Whisper's known failure modes on phone audio (see DESIGN.md):

* ``vad_filter=True`` - Silero VAD (bundled with faster-whisper) cuts
  silence before decoding, so silence yields no segments at all;
* ``condition_on_previous_text=False`` - a wrong segment cannot seed a loop;
* compression-ratio, log-prob and no-speech thresholds - Whisper's own
  fallbacks for repetitive or unlikely output;
* afterwards :mod:`agent.transcription.guards` drops looping segments and
  segments Whisper marks as probable non-speech.

* VAD cut for phone turns (``whisper_vad_*``): a 500 ms pause ends a speech
  chunk, so silence while the other side talks is skipped and segments end
  at turn changes;
* a bounded temperature fallback (``whisper_temperatures``, default 0.0
  only, retries with ``best_of`` samples when more are set): Whisper's
  default tries six temperatures with five samples each, and a looping
  8 kHz window burns CPU on retries that loop again - on a 5-minute 8 kHz
  German call one retry at 0.4 took 37.5 CPU seconds against 28.4 without.

Two-channel recordings are split and labelled ``rep``/``customer`` by the
channel layout; the channels are transcribed at the same time by two
threads sharing one model (``num_workers=2``, the cores split between
them), which on 2 cores finishes a call in about 60 % of the time of one
channel after the other (figures in docs/transcription.md). The segments
are merged by start time. Mono recordings are split into two voices by
:mod:`agent.transcription.diarize` when the split is clear; otherwise they
keep speaker ``unknown`` and ``TranscriptionResult.speakers`` says so.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from agent.errors import ModelError
from agent.model_store import MODELS, cpu_threads, resolve_model_path
from agent.settings import Settings, get_settings
from agent.transcription.audio import SAMPLE_RATE, decode, same_channels
from agent.transcription.diarize import diarize, label_segments
from agent.transcription.guards import drop_repetitions, drop_unlikely_speech
from agent.transcription.types import (
    ChannelLayout,
    Segment,
    Speaker,
    SpeakerSource,
    TranscriptionResult,
    channel_speakers,
)

_MODELS: dict[tuple[str, int, int], Any] = {}
_MODELS_LOCK = threading.Lock()


def load_whisper(model_dir: Path, threads: int, workers: int = 1) -> Any:
    """Load (once per process) a ``faster_whisper.WhisperModel`` on CPU with int8.

    ``workers`` > 1 lets that many threads decode at the same time, each with
    ``threads`` cores (CTranslate2 replicates the compute, not the weights).
    """
    key = (str(model_dir), threads, workers)
    with _MODELS_LOCK:
        if key not in _MODELS:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise ModelError(
                    "The local transcriber needs faster-whisper: `pip install 'winback[local]'`, "
                    "or set WINBACK_TRANSCRIBER_BACKEND=openai."
                ) from exc
            try:
                _MODELS[key] = WhisperModel(
                    str(model_dir),
                    device="cpu",
                    compute_type="int8",
                    cpu_threads=threads,
                    num_workers=workers,
                    local_files_only=True,  # never reach the Hugging Face hub
                )
            except (RuntimeError, ValueError, OSError) as exc:
                raise ModelError(f"faster-whisper could not load {model_dir}: {exc}") from exc
        return _MODELS[key]


class LocalWhisperTranscriber:
    """faster-whisper on CPU; see the module docstring for the decoding choices."""

    name = "local"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.model_name = (
            self.settings.whisper_model
            if self.settings.whisper_model in MODELS
            else Path(self.settings.whisper_model).name
        )
        self.beam_size = self.settings.whisper_beam_size
        self._models: dict[int, Any] = {}

    def _whisper(self, parallel: int = 1) -> Any:
        """The model for ``parallel`` concurrent channels, the cores split between them."""
        if parallel not in self._models:
            path = resolve_model_path(self.settings.whisper_model, self.settings)
            threads = max(1, cpu_threads(self.settings) // parallel)
            self._models[parallel] = load_whisper(path, threads, parallel)
        return self._models[parallel]

    def _options(self, language: str | None, word_timestamps: bool) -> dict[str, Any]:
        s = self.settings
        return {
            "language": language,
            "beam_size": self.beam_size,
            "best_of": s.whisper_best_of,
            "max_new_tokens": s.whisper_max_new_tokens,
            "temperature": list(s.whisper_temperatures),
            "vad_filter": True,
            "vad_parameters": {
                "threshold": s.whisper_vad_threshold,
                "min_silence_duration_ms": s.whisper_vad_min_silence_ms,
                "speech_pad_ms": s.whisper_vad_speech_pad_ms,
            },
            "condition_on_previous_text": False,
            "compression_ratio_threshold": 2.4,
            "log_prob_threshold": -1.0,
            "no_speech_threshold": 0.6,
            "word_timestamps": word_timestamps,
        }

    def _channel(
        self,
        audio: np.ndarray,
        speaker: Speaker,
        language: str | None,
        vocabulary: list[str] | None,
        word_timestamps: bool,
        parallel: int = 1,
    ) -> tuple[list[Segment], str | None, float, int]:
        """Transcribe one channel; return segments, language, speech seconds, dropped count."""
        options = self._options(language, word_timestamps)
        if vocabulary:
            # Hotwords are added to the prompt of every 30 s window, unlike initial_prompt,
            # which conditions only the first window once condition_on_previous_text is off.
            options["hotwords"] = ", ".join(v.strip() for v in vocabulary if v.strip())
        try:
            if self.settings.whisper_channel_mode == "batched":
                from faster_whisper import BatchedInferencePipeline

                # The batched pipeline decodes every VAD chunk with the first temperature only.
                pipeline = BatchedInferencePipeline(self._whisper())
                raw_segments, info = pipeline.transcribe(audio, batch_size=8, **options)
            else:
                raw_segments, info = self._whisper(parallel).transcribe(audio, **options)
            raw = list(raw_segments)  # decoding happens while iterating
        except ModelError:
            raise
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"Whisper failed: {exc}") from exc
        segments = [
            Segment(
                start=round(float(s.start), 3),
                end=round(float(s.end), 3),
                text=s.text.strip(),
                speaker=speaker,
                avg_logprob=round(float(s.avg_logprob), 4),
                no_speech_prob=round(float(s.no_speech_prob), 4),
                compression_ratio=round(float(s.compression_ratio), 3),
                words=[
                    {
                        "start": round(float(w.start), 3),
                        "end": round(float(w.end), 3),
                        "word": w.word,
                        "probability": round(float(w.probability), 4),
                    }
                    for w in s.words
                ]
                if word_timestamps and s.words
                else None,
            )
            for s in raw
        ]
        decoded = len(segments)
        segments = drop_repetitions(drop_unlikely_speech(segments))
        speech = float(getattr(info, "duration_after_vad", 0.0) or 0.0)
        detected = info.language if segments else None
        return segments, detected, speech, decoded - len(segments)

    def transcribe(
        self,
        path: Path,
        *,
        language: str | None = None,
        channels: ChannelLayout = "mono",
        vocabulary: list[str] | None = None,
        word_timestamps: bool = False,
    ) -> TranscriptionResult:
        """Transcribe ``path`` locally.

        ``language`` ``None`` (or ``"auto"``) detects the language per channel;
        the transcript reports the language of the channel with the most
        speech. ``channels`` is ``"mono"`` (mix down, speakers by voice
        clustering when clear, else unknown) or a two-channel layout.
        ``vocabulary`` (company and product names) is given to Whisper as
        hotwords. Silence gives an empty transcript.
        Raises :class:`MediaError` for undecodable input and
        :class:`ModelError` when the model is missing or fails.
        """
        if language in ("auto", ""):
            language = None
        t0 = time.perf_counter()
        arrays = decode(Path(path), split_stereo=channels != "mono")
        if same_channels(arrays):
            # Both channels carry the same signal (a mono call saved as stereo): transcribe
            # once, speaker unknown, instead of inventing a second speaker.
            arrays, channels = arrays[:1], "mono"
        t1 = time.perf_counter()
        duration = max(len(a) for a in arrays) / SAMPLE_RATE
        segments: list[Segment] = []
        best_language, best_speech = language, -1.0
        dropped = 0
        cluster = channels == "mono" and self.settings.mono_speakers == "cluster"
        # Word timings let the diarization split a segment that spans a change of speaker.
        words = word_timestamps or cluster
        speakers = channel_speakers(channels)
        parallel = 2 if len(arrays) == 2 and self.settings.whisper_channel_mode == "threads" else 1
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            results = list(
                pool.map(
                    lambda job: self._channel(
                        job[0], job[1], language, vocabulary, words, parallel
                    ),
                    zip(arrays, speakers, strict=True),
                )
            )
        for segs, detected, speech, n_dropped in results:
            segments.extend(segs)
            dropped += n_dropped
            if detected and speech > best_speech:
                best_language, best_speech = detected, speech
        segments.sort(key=lambda s: (s.start, s.end))
        t2 = time.perf_counter()
        speaker_source: SpeakerSource = "unknown" if channels == "mono" else "channels"
        speaker_confidence: float | None = None
        if cluster:
            found = diarize(
                arrays[0],
                [(s.start, s.end) for s in segments],
                min_silhouette=self.settings.diarization_min_silhouette,
                first_speaker=self.settings.diarization_first_speaker,
            )
            speaker_confidence = found.silhouette
            if found.confident:
                segments = label_segments(segments, found.turns)
                speaker_source = "clustered"
            if not word_timestamps:
                segments = [replace(s, words=None) for s in segments]
        t3 = time.perf_counter()
        timings = {
            "decode_s": t1 - t0,
            "transcribe_s": t2 - t1,
            "diarize_s": t3 - t2,
            "total_s": t3 - t0,
            "rtf": (t3 - t0) / duration if duration else 0.0,
            # Segments removed by the loop / non-speech guards: a high count flags bad audio.
            "dropped_segments": float(dropped),
        }
        return TranscriptionResult(
            language=language or best_language,
            duration_s=duration,
            segments=segments,
            model=f"faster-whisper:{self.model_name}",
            timings=timings,
            speakers=speaker_source,
            speaker_confidence=speaker_confidence,
        )
