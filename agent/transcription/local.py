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

Two-channel recordings are split, each channel transcribed on its own and
labelled ``rep``/``customer`` by the channel layout; the segments are merged
by start time. Mono recordings keep speaker ``unknown``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from agent.errors import ModelError
from agent.model_store import MODELS, cpu_threads, resolve_model_path
from agent.settings import Settings, get_settings
from agent.transcription.audio import SAMPLE_RATE, decode, same_channels
from agent.transcription.guards import drop_repetitions, drop_unlikely_speech
from agent.transcription.types import ChannelLayout, Segment, Speaker, Transcript

_MODELS: dict[tuple[str, int], Any] = {}
_MODELS_LOCK = threading.Lock()


def load_whisper(model_dir: Path, threads: int) -> Any:
    """Load (once per process) a ``faster_whisper.WhisperModel`` on CPU with int8."""
    key = (str(model_dir), threads)
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
                    local_files_only=True,  # never reach the Hugging Face hub
                )
            except (RuntimeError, ValueError, OSError) as exc:
                raise ModelError(f"faster-whisper could not load {model_dir}: {exc}") from exc
        return _MODELS[key]


def channel_speakers(channels: ChannelLayout) -> list[Speaker]:
    """Speakers of the channels in order: ``["unknown"]`` for mono."""
    if channels == "mono":
        return ["unknown"]
    first, second = channels.split(",")
    return [first, second]  # type: ignore[list-item]


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
        self._model: Any = None

    def _whisper(self) -> Any:
        if self._model is None:
            path = resolve_model_path(self.settings.whisper_model, self.settings)
            self._model = load_whisper(path, cpu_threads(self.settings))
        return self._model

    def _channel(
        self,
        audio: np.ndarray,
        speaker: Speaker,
        language: str | None,
        vocabulary: list[str] | None,
        word_timestamps: bool,
    ) -> tuple[list[Segment], str | None, float, int]:
        """Transcribe one channel; return segments, language, speech seconds, dropped count."""
        options: dict[str, Any] = {
            "language": language,
            "beam_size": self.beam_size,
            "vad_filter": True,
            "condition_on_previous_text": False,
            "compression_ratio_threshold": 2.4,
            "log_prob_threshold": -1.0,
            "no_speech_threshold": 0.6,
            "word_timestamps": word_timestamps,
        }
        if vocabulary:
            # Hotwords are added to the prompt of every 30 s window, unlike initial_prompt,
            # which conditions only the first window once condition_on_previous_text is off.
            options["hotwords"] = ", ".join(v.strip() for v in vocabulary if v.strip())
        try:
            raw_segments, info = self._whisper().transcribe(audio, **options)
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
    ) -> Transcript:
        """Transcribe ``path`` locally.

        ``language`` ``None`` (or ``"auto"``) detects the language per channel;
        the transcript reports the language of the channel with the most
        speech. ``channels`` is ``"mono"`` (mix down, speaker unknown) or a
        two-channel layout. ``vocabulary`` (company and product names) is
        given to Whisper as hotwords. Silence gives an empty transcript.
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
        for audio, speaker in zip(arrays, channel_speakers(channels), strict=True):
            segs, detected, speech, n_dropped = self._channel(
                audio, speaker, language, vocabulary, word_timestamps
            )
            segments.extend(segs)
            dropped += n_dropped
            if detected and speech > best_speech:
                best_language, best_speech = detected, speech
        segments.sort(key=lambda s: (s.start, s.end))
        t2 = time.perf_counter()
        timings = {
            "decode_s": t1 - t0,
            "transcribe_s": t2 - t1,
            "total_s": t2 - t0,
            "rtf": (t2 - t0) / duration if duration else 0.0,
            # Segments removed by the loop / non-speech guards: a high count flags bad audio.
            "dropped_segments": float(dropped),
        }
        return Transcript(
            language=language or best_language,
            duration_s=duration,
            segments=segments,
            model=f"faster-whisper:{self.model_name}",
            timings=timings,
        )
