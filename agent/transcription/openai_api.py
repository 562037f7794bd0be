"""The ``openai`` transcriber: the OpenAI audio transcription API.

Used only when configured (``transcriber_backend="openai"`` and a key or a
self-hosted base URL) and never when ``local_only`` is set. Two-channel
recordings are split locally and each channel is sent as its own 16 kHz WAV,
so speaker labels work the same as with the local transcriber.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from agent.errors import ModelError
from agent.settings import Settings, get_settings
from agent.transcription.audio import SAMPLE_RATE, decode, same_channels, to_wav_bytes
from agent.transcription.guards import drop_repetitions
from agent.transcription.types import (
    ChannelLayout,
    Segment,
    Speaker,
    TranscriptionResult,
    channel_speakers,
)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


class OpenAITranscriber:
    """Transcription through ``client.audio.transcriptions.create`` (verbose JSON)."""

    name = "openai"

    def __init__(self, settings: Settings | None = None, client: Any = None) -> None:
        from agent.llm.openai import openai_credentials

        self.settings = settings or get_settings()
        base_url, key = openai_credentials(self.settings, "transcriber")
        if client is None:
            import openai

            client = openai.OpenAI(
                base_url=base_url,
                api_key=key.get_secret_value(),
                timeout=self.settings.openai_timeout_s,
                max_retries=self.settings.openai_max_retries,
            )
        self._client = client
        self.model = self.settings.openai_transcription_model

    def _channel(
        self, wav: bytes, speaker: Speaker, language: str | None, vocabulary: list[str] | None
    ) -> tuple[list[Segment], str | None]:
        args: dict[str, Any] = {
            "model": self.model,
            "file": ("audio.wav", wav, "audio/wav"),
            "response_format": "verbose_json",
            "timestamp_granularities": ["segment"],
        }
        if language:
            args["language"] = language
        if vocabulary:
            args["prompt"] = "Vocabulary: " + ", ".join(vocabulary)
        try:
            resp = self._client.audio.transcriptions.create(**args)
        except Exception as exc:  # noqa: BLE001 - network/API errors become our type
            raise ModelError(f"Transcription request failed: {type(exc).__name__}: {exc}") from exc
        segments = [
            Segment(
                start=float(_get(s, "start", 0.0)),
                end=float(_get(s, "end", 0.0)),
                text=str(_get(s, "text", "")).strip(),
                speaker=speaker,
                avg_logprob=_get(s, "avg_logprob"),
                no_speech_prob=_get(s, "no_speech_prob"),
            )
            for s in (_get(resp, "segments") or [])
        ]
        if not segments and str(_get(resp, "text", "")).strip():
            text = str(_get(resp, "text")).strip()
            duration = float(_get(resp, "duration", 0.0) or 0.0)
            segments = [Segment(0.0, duration, text, speaker=speaker)]
        lang = _get(resp, "language")
        return drop_repetitions(segments), lang

    def transcribe(
        self,
        path: Path,
        *,
        language: str | None = None,
        channels: ChannelLayout = "mono",
        vocabulary: list[str] | None = None,
        word_timestamps: bool = False,
    ) -> TranscriptionResult:
        """Transcribe ``path`` with the API; same contract as the local transcriber."""
        if language in ("auto", ""):
            language = None
        t0 = time.perf_counter()
        arrays = decode(Path(path), split_stereo=channels != "mono")
        if same_channels(arrays):
            # Both channels carry the same signal (a mono call saved as stereo): transcribe
            # once, speaker unknown, instead of inventing a second speaker.
            arrays, channels = arrays[:1], "mono"
        duration = max(len(a) for a in arrays) / SAMPLE_RATE
        segments: list[Segment] = []
        detected: str | None = None
        for audio, speaker in zip(arrays, channel_speakers(channels), strict=True):
            segs, lang = self._channel(to_wav_bytes(audio), speaker, language, vocabulary)
            segments.extend(segs)
            detected = detected or (lang if segs else None)
        segments.sort(key=lambda s: (s.start, s.end))
        total = time.perf_counter() - t0
        return TranscriptionResult(
            language=language or detected,
            duration_s=duration,
            segments=segments,
            model=f"openai:{self.model}",
            timings={"total_s": total, "rtf": total / duration if duration else 0.0},
            speakers="unknown" if channels == "mono" else "channels",
        )
