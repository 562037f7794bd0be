"""Winback's own exception hierarchy.

Library code raises these; ``api/`` maps them to HTTP status codes in one
place and the CLI maps them to messages and exit codes. Every message is meant
to be read by a person and says what to do about the problem.
"""

from __future__ import annotations


class WinbackError(Exception):
    """Base class of every error Winback raises on purpose."""

    #: Process exit code the CLI uses for this kind of error.
    exit_code: int = 1
    #: HTTP status the API uses for this kind of error.
    http_status: int = 500


class ConfigError(WinbackError):
    """The settings are wrong or incomplete (bad URL, missing key, unknown backend)."""

    exit_code = 78
    http_status = 500


class NotFoundError(WinbackError):
    """A referenced object (account, recording, note, file) does not exist."""

    exit_code = 4
    http_status = 404


class ValidationError(WinbackError):
    """Input was rejected; the message names the field (and row) and the reason."""

    exit_code = 2
    http_status = 422


class ImportRowError(ValidationError):
    """One or more rows of an import file are bad; nothing was imported.

    ``problems`` holds ``(line_number, field, reason)`` tuples so that callers
    can show all of them, not only the first.
    """

    def __init__(self, message: str, problems: list[tuple[int, str, str]] | None = None):
        super().__init__(message)
        self.problems: list[tuple[int, str, str]] = problems or []


class FieldErrors(ValidationError):
    """One or more fields of an edit are bad; nothing was stored.

    ``problems`` holds ``(field, code, message)`` tuples: ``field`` is the
    path of the value (``summary``, ``churn_reasons.1.evidence``), ``code``
    names the UI text that explains it in the user's language, ``message``
    says it in English for API clients. A form shows every problem next to
    its field and keeps what the user typed.
    """

    def __init__(self, problems: list[tuple[str, str, str]]):
        first = problems[0] if problems else ("request", "invalid", "invalid")
        super().__init__(f"Invalid value for {first[0]}: {first[2]}")
        self.problems: list[tuple[str, str, str]] = problems


class ConsentError(WinbackError):
    """A recording was offered without a valid consent record."""

    exit_code = 2
    http_status = 422


class MediaError(WinbackError):
    """Audio could not be decoded, is corrupt, or breaks a size/duration limit."""

    exit_code = 2
    http_status = 415


class PayloadTooLargeError(MediaError):
    """An upload exceeds the configured size or duration limit."""

    http_status = 413


class StorageError(WinbackError):
    """The audio store or another storage backend failed (disk full, permissions)."""

    exit_code = 74
    http_status = 507


class ModelError(WinbackError):
    """A model (chat, embeddings, transcriber) is missing, broken or failed."""

    exit_code = 69
    http_status = 503


class ModelIntegrityError(ModelError):
    """Local model weights are missing or their checksum does not match."""


class ModelEndpointError(ModelError):
    """The chat endpoint failed the request: unreachable, no answer in time, an error status.

    Raised once the backend's own bounded retries are spent (within twice
    ``WINBACK_OPENAI_TIMEOUT_S``). Asking the same endpoint again at once
    cannot help, so the structured-output loop does not re-ask after it.
    """


class ModelAnswerError(ModelError):
    """The model gave no usable answer this time: it refused, was cut off, or was rate limited.

    Asking again may succeed, so the structured-output loop re-asks within its
    bound (after a rate limit only once ``Retry-After`` has passed).
    """


class StructuredOutputError(ModelError):
    """The chat model did not produce valid structured output within the retries.

    ``last_output`` carries the last raw completion for review and debugging.
    """

    def __init__(self, message: str, last_output: str | None = None):
        super().__init__(message)
        self.last_output = last_output


class PermissionDeniedError(WinbackError):
    """The current user may not do this (wrong role or not the owner)."""

    exit_code = 77
    http_status = 403


class ConflictError(WinbackError):
    """The request conflicts with the current state (e.g. reviewing a note twice)."""

    exit_code = 2
    http_status = 409


class RateLimitedError(WinbackError):
    """Too many requests of one kind (logins, uploads) in the current time window.

    ``retry_after`` is the number of seconds until the window ends; the API
    sends it as the ``Retry-After`` header.
    """

    exit_code = 75
    http_status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class QuotaExceededError(RateLimitedError):
    """A user reached a quota on model work (queued briefs, audio minutes a day).

    ``code`` names the UI text that explains it in the user's language
    (:mod:`api.i18n`), ``values`` fills that text; ``retry_after`` is when
    trying again can succeed.
    """

    def __init__(self, message: str, retry_after: int, code: str, **values: object):
        super().__init__(message, retry_after)
        self.code = code
        self.values = values
