"""Speech to text behind one interface (see :mod:`agent.transcription.types`)."""

from agent.transcription.registry import TRANSCRIBERS, get_transcriber
from agent.transcription.types import Segment, Transcriber, Transcript

__all__ = ["TRANSCRIBERS", "Segment", "Transcriber", "Transcript", "get_transcriber"]
