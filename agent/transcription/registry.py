"""Choose the transcriber by name (``settings.transcriber_backend``)."""

from __future__ import annotations

from collections.abc import Callable

from agent.errors import ConfigError
from agent.settings import Settings, get_settings
from agent.transcription.types import Transcriber


def _local(settings: Settings) -> Transcriber:
    from agent.transcription.local import LocalWhisperTranscriber

    return LocalWhisperTranscriber(settings)


def _openai(settings: Settings) -> Transcriber:
    from agent.transcription.openai_api import OpenAITranscriber

    return OpenAITranscriber(settings)


def _fake(settings: Settings) -> Transcriber:
    from agent.testing import FakeTranscriber

    return FakeTranscriber()


#: Backend name -> factory taking the settings.
TRANSCRIBERS: dict[str, Callable[[Settings], Transcriber]] = {
    "local": _local,
    "openai": _openai,
    "fake": _fake,
}


def get_transcriber(settings: Settings | None = None) -> Transcriber:
    """Return the transcriber selected by ``settings.transcriber_backend``.

    The local model is loaded lazily on the first ``transcribe`` call, so
    building a transcriber is cheap. Raises :class:`ConfigError` for an
    unknown backend or one that ``local_only`` forbids.
    """
    settings = settings or get_settings()
    try:
        factory = TRANSCRIBERS[settings.transcriber_backend]
    except KeyError:
        known = ", ".join(sorted(TRANSCRIBERS))
        raise ConfigError(
            f"Unknown transcriber backend {settings.transcriber_backend!r}; choose one of: {known}."
        ) from None
    return factory(settings)
