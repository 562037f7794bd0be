"""Speech to text behind one interface (see :mod:`agent.transcription.types`)."""

from agent.transcription.registry import TRANSCRIBERS, get_transcriber
from agent.transcription.types import Segment, Transcriber, TranscriptionResult

__all__ = ["TRANSCRIBERS", "Segment", "Transcriber", "TranscriptionResult", "get_transcriber"]
