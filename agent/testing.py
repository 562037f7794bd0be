"""Fakes of the model layer for unit tests (ours and our users').

* :class:`FakeChatModel` - a LangChain chat model whose replies are queued
  with :meth:`~FakeChatModel.enqueue` and whose calls are recorded in
  :attr:`~FakeChatModel.history` (like simonw/llm's ``MockModel``).
* :class:`FakeEmbeddings` - deterministic, normalised vectors derived from a
  hash of the words, so equal texts embed equally and texts sharing words are
  closer than unrelated ones.
* :class:`FakeTranscriber` - returns queued transcripts, or one segment built
  from a fixed text.

They never touch a network or a model file and are selected in settings with
``chat_backend="fake"``, ``embeddings_backend="fake"``, ``transcriber_backend="fake"``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field, PrivateAttr

from agent.errors import ModelError
from agent.transcription.types import ChannelLayout, Segment, TranscriptionResult, channel_speakers


@dataclass
class FakeCall:
    """One call the fake chat model received."""

    messages: list[BaseMessage]
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        """All message texts joined, for easy assertions."""
        return "\n".join(str(m.content) for m in self.messages)


class FakeChatModel(BaseChatModel):
    """A chat model that replies with queued texts and records every call.

    Raises :class:`ModelError` when called with an empty queue, so a test
    that expected fewer calls fails loudly instead of getting an invented reply.
    A queued exception is raised by the call that takes it (a backend failure).
    """

    model_name: str = "fake-chat"
    replies: list[str | Exception] = Field(default_factory=list)
    _history: list[FakeCall] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "fake-chat"

    @property
    def history(self) -> list[FakeCall]:
        """The calls received so far, oldest first."""
        return self._history

    def enqueue(self, *replies: str | Exception) -> FakeChatModel:
        """Queue replies or exceptions; each call consumes the oldest one. Returns ``self``."""
        self.replies.extend(replies)
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._history.append(FakeCall(list(messages), dict(kwargs)))
        if not self.replies:
            raise ModelError("FakeChatModel has no queued reply; call enqueue() in the test.")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        text = reply
        prompt_tokens = sum(len(str(m.content).split()) for m in messages)
        message = AIMessage(
            content=text,
            usage_metadata=UsageMetadata(
                input_tokens=prompt_tokens,
                output_tokens=len(text.split()),
                total_tokens=prompt_tokens + len(text.split()),
            ),
            response_metadata={"model_name": self.model_name},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


_WORD = re.compile(r"\w+", re.UNICODE)


class FakeEmbeddings:
    """Deterministic bag-of-hashed-words embeddings (no model, no network)."""

    name = "fake"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in _WORD.findall(text.lower()) or [""]:
            digest = hashlib.sha256(word.encode("utf-8")).digest()
            idx = int.from_bytes(digest[:4], "little") % self.dim
            vec[idx] += 1.0 if digest[4] % 2 == 0 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0] = 1.0
            return vec
        return vec / norm

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an ``(n, dim)`` float32 array of L2-normalised vectors."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts]).astype(np.float32)


class FakeTranscriber:
    """A transcriber that returns queued transcripts or one fixed segment."""

    name = "fake"

    def __init__(self, text: str = "Guten Tag, hier ist die Firma Beispiel.") -> None:
        self.text = text
        self.queue: list[TranscriptionResult] = []
        self.calls: list[dict[str, Any]] = []

    def enqueue(self, *transcripts: TranscriptionResult) -> FakeTranscriber:
        """Queue transcripts to return, oldest first. Returns ``self``."""
        self.queue.extend(transcripts)
        return self

    def transcribe(
        self,
        path: Path,
        *,
        language: str | None = None,
        channels: ChannelLayout = "mono",
        vocabulary: list[str] | None = None,
        word_timestamps: bool = False,
    ) -> TranscriptionResult:
        """Record the call and return the next queued transcript (or the fixed one)."""
        self.calls.append(
            {
                "path": Path(path),
                "language": language,
                "channels": channels,
                "vocabulary": vocabulary,
                "word_timestamps": word_timestamps,
            }
        )
        if self.queue:
            return self.queue.pop(0)
        segment = Segment(0.0, 2.0, self.text, speaker=channel_speakers(channels)[0])
        return TranscriptionResult(language or "de", 2.0, [segment], model="fake")
