"""The transcriber interface and its result types.

Every transcriber (local faster-whisper, OpenAI API, the test fake) returns
these small dataclasses, never a library's own objects, so the pipeline,
the store and the API do not depend on which engine ran.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, TypeGuard, get_args, runtime_checkable

#: How the channels of a recording map to speakers.
#: ``"mono"``: mix down, speakers unknown; ``"rep,customer"`` / ``"customer,rep"``:
#: two-channel recording, first channel first.
ChannelLayout = Literal["mono", "rep,customer", "customer,rep"]
Speaker = Literal["rep", "customer", "unknown"]
#: Where the segments' speakers come from. ``"channels"``: one channel per
#: speaker, certain. ``"clustered"``: a mono call split by voice clustering
#: (:mod:`agent.transcription.diarize`), usually right, ``speaker_confidence``
#: gives the separation. ``"unknown"``: one speaker label for the whole
#: text (every segment ``unknown``) - a consumer must not treat any line as
#: the customer's for certain; the analysis then applies its customer-only
#: rules to the whole text, with lower confidence.
SpeakerSource = Literal["channels", "clustered", "unknown"]
CHANNEL_LAYOUTS: tuple[ChannelLayout, ...] = get_args(ChannelLayout)


def is_channel_layout(value: object) -> TypeGuard[ChannelLayout]:
    """Whether ``value`` (a CLI option, a form field) names a channel layout."""
    return value in CHANNEL_LAYOUTS


def channel_speakers(channels: ChannelLayout) -> list[Speaker]:
    """Speakers of the channels in order: ``["unknown"]`` for mono."""
    if channels == "rep,customer":
        return ["rep", "customer"]
    if channels == "customer,rep":
        return ["customer", "rep"]
    return ["unknown"]


@dataclass(frozen=True)
class Segment:
    """One stretch of speech with its time span (seconds from the start)."""

    start: float
    end: float
    text: str
    speaker: Speaker = "unknown"
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    words: list[dict[str, Any]] | None = None
    #: Of the 30 s window the segment came from; above 2.4 the window's decoding looped.
    compression_ratio: float | None = None


@dataclass
class TranscriptionResult:
    """The result of transcribing one recording."""

    language: str | None
    duration_s: float
    segments: list[Segment]
    model: str
    timings: dict[str, float] = field(default_factory=dict)
    speakers: SpeakerSource = "unknown"
    speaker_confidence: float | None = None

    @property
    def text(self) -> str:
        """All segment texts in time order, joined by spaces."""
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by ``winback transcribe --json`` and the API."""
        return {
            "language": self.language,
            "duration_s": round(self.duration_s, 3),
            "model": self.model,
            "speakers": self.speakers,
            "speaker_confidence": self.speaker_confidence,
            "segments": [
                {k: v for k, v in asdict(s).items() if v is not None} for s in self.segments
            ],
            "text": self.text,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


@runtime_checkable
class Transcriber(Protocol):
    """Turns an audio file into a :class:`TranscriptionResult`.

    Implementations raise :class:`agent.errors.MediaError` for audio that
    cannot be decoded and :class:`agent.errors.ModelError` when the engine
    itself fails; they never return invented text for silence.
    """

    name: str

    def transcribe(
        self,
        path: Path,
        *,
        language: str | None = None,
        channels: ChannelLayout = "mono",
        vocabulary: list[str] | None = None,
        word_timestamps: bool = False,
    ) -> TranscriptionResult:
        """Transcribe ``path``; ``language=None`` means detect it."""
        ...
