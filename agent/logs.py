"""Logging for the CLI, ``winback serve`` and ``winback worker``: text or JSON lines.

:func:`configure_logging` installs one handler on the root logger that
writes either readable text or one JSON object per line
(``settings.log_format``). Every line carries the *log context* of the code
that wrote it: the request id of an API request, the job and recording id
of a pipeline step. The context lives in a :mod:`contextvars` variable, so
it follows a request into the threadpool and never leaks into another
request or job; :func:`log_context` sets it for a block.

A JSON line looks like::

    {"time": "2025-05-02T09:14:03.512Z", "level": "INFO", "logger": "winback.http",
     "message": "GET /api/notes/{note_id} 200 12.4ms", "request_id": "3f2a...",
     "method": "GET", "route": "/api/notes/{note_id}", "status": 200,
     "duration_ms": 12.4, "user_id": 7}
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import IO, Any, Literal

from agent.settings import Settings

#: Which kind of process logs: a CLI command or a long-running service (serve, worker).
ProcessRole = Literal["cli", "service"]

_context: ContextVar[Mapping[str, Any]] = ContextVar(
    "winback_log_context", default=MappingProxyType({})
)

#: Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
) | {"message", "asctime", "taskName"}

#: Keys that the formatters write themselves (an ``extra`` may not overwrite them), and
#: extras not worth a field (uvicorn's copy of the message with terminal colours).
_RESERVED = frozenset({"time", "level", "logger", "message", "exception", "color_message"})

#: Marks the handler installed here, so a second call replaces it instead of adding one.
_HANDLER_NAME = "winback"


# --- log context --------------------------------------------------------------


def current_context() -> dict[str, Any]:
    """The fields bound to log lines written here and now (request id, job id, ...)."""
    return dict(_context.get())


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to every log line written inside the block (``None`` values skipped)."""
    merged = {**_context.get(), **{k: v for k, v in fields.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def bind(**fields: Any) -> None:
    """Add ``fields`` to the current context until the enclosing :func:`log_context` ends.

    For values that become known inside a block, such as the job id once a
    step is claimed. Outside any :func:`log_context` the binding lasts as
    long as the current task or thread's context.
    """
    _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})


class ContextFilter(logging.Filter):
    """Copies the log context onto each record (``record.context``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.context = _context.get()
        return True


# --- formatters -----------------------------------------------------------------


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = dict(getattr(record, "context", None) or {})
    for key, value in vars(record).items():
        if key not in _STANDARD_ATTRS and key != "context" and key not in _RESERVED:
            fields[key] = value
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context, extras."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC)
        data: dict[str, Any] = {
            "time": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(_extras(record))
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            data["exception"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``[time] LEVEL logger: message [key=value ...]`` with the context appended."""

    def __init__(self, timestamps: bool) -> None:
        prefix = "%(asctime)s " if timestamps else ""
        super().__init__(f"{prefix}%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = dict(getattr(record, "context", None) or {})
        if fields:
            pairs = " ".join(f"{k}={v}" for k, v in fields.items())
            first, newline, rest = text.partition("\n")
            text = f"{first} [{pairs}]{newline}{rest}"
        return text


# --- configuration ----------------------------------------------------------------


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the moment of writing.

    Like :data:`logging.lastResort`: a handler that kept the stream of the
    moment it was made would write into a closed stream after the stream
    was swapped (test runners, CliRunner).
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


def level_for(settings: Settings | None, role: ProcessRole) -> int:
    """The log level in effect: the setting, else WARNING for the CLI, INFO for services."""
    name = settings.log_level if settings is not None else None
    if name is None:
        name = "INFO" if role == "service" else "WARNING"
    return logging.getLevelNamesMapping()[name]


def configure_logging(
    settings: Settings | None,
    role: ProcessRole = "cli",
    *,
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Send all logging to ``stream`` (default stderr) in the configured format and level.

    ``role`` picks the defaults: ``cli`` writes short text lines at WARNING
    (a user's terminal), ``service`` adds timestamps and logs at INFO (serve
    and worker). Calling it again (``winback serve`` after the CLI's start)
    replaces the handler installed before. Returns the handler (tests).
    """
    fmt = settings.log_format if settings is not None else "text"
    handler: logging.StreamHandler = (
        logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    )
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else TextFormatter(timestamps=role == "service")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == _HANDLER_NAME:
            root.removeHandler(old)
            old.close()
    root.addHandler(handler)
    level = level_for(settings, role)
    root.setLevel(level)
    # Below DEBUG, two chatty libraries stay at WARNING: Alembic reports its migration
    # context on every readiness probe, Huey every task (the pipeline logs each step).
    for name in ("alembic", "huey"):
        logging.getLogger(name).setLevel(logging.WARNING if level > logging.DEBUG else level)
    # Uvicorn's own loggers propagate to ours; its access log is replaced by
    # the app's (api/app.py), which knows the route template and the user.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers = []
    access.propagate = False
    return handler


def configure_cli_logging() -> None:
    """Logging for a CLI command, from the settings if they load (else the defaults).

    A broken setting must not stop the CLI before it can report that very
    problem as a readable message, so loading errors fall back to defaults.
    """
    from agent.settings import get_settings

    try:
        settings: Settings | None = get_settings()
    except Exception:  # noqa: BLE001 - the command reports the settings error itself
        settings = None
    configure_logging(settings, "cli")
