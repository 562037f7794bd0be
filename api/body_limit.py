"""A cap on request bodies, applied before any parsing and before authentication.

FastAPI reads and buffers a JSON or form body before it resolves the route's
dependencies, the login check included, so without a cap anyone could make a
web process hold a body of any size in memory. :class:`BodyLimit` wraps the
ASGI app:

* a declared ``Content-Length`` above the cap is answered with 413 at once,
  without reading a byte of the body (and the connection is closed, so the
  server need not swallow the rest);
* a body without a length (chunked) is counted while the app reads it; the
  chunk that passes the cap ends the request with 413, whatever the app was
  about to answer. At most the cap plus one chunk is ever read.

The recording upload is exempt: it streams to disk with its own, larger
limit (``max_upload_mb``, checked per chunk in ``api/routes/recordings.py``).
The 413 goes through the app's one error mapping (:mod:`api.errors`), so it
looks like every other error (JSON for the API, a page for browsers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.errors import PayloadTooLargeError
from api.errors import winback_error


class _OverCap(Exception):
    """The body passed the cap while the app was reading it (never leaves this module)."""


class BodyLimit:
    """Refuse request bodies larger than ``limit_bytes`` with 413 (see the module docstring).

    ``exempt`` holds (method, path pattern) pairs of routes that enforce a
    limit of their own.
    """

    def __init__(
        self, app: ASGIApp, limit_bytes: int, exempt: Iterable[tuple[str, re.Pattern[str]]] = ()
    ) -> None:
        self.app = app
        self.limit = limit_bytes
        self.exempt = tuple(exempt)

    def _is_exempt(self, scope: Scope) -> bool:
        method, path = scope["method"], scope["path"]
        return any(method == m and pattern.fullmatch(path) for m, pattern in self.exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._is_exempt(scope):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, receive, send)
            return

        received = 0
        over = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    over = True
                    raise _OverCap
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:
                return  # the app's own answer to the cut-off body (e.g. a 400) is replaced
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _OverCap:
            pass
        except Exception:
            if not over:
                raise
        if over and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        mb = f"{self.limit / 1_000_000:g}"
        error = PayloadTooLargeError(
            f"The request body is larger than {mb} MB (setting max_body_mb)."
        )
        response = await winback_error(Request(scope, receive), error)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    """The declared body length, or None when absent or not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
