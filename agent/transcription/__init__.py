"""Speech to text behind one interface (see :mod:`agent.transcription.types`)."""

from agent.transcription.types import Segment, Transcriber, Transcript

__all__ = ["Segment", "Transcriber", "Transcript"]
