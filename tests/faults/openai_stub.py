"""A scripted OpenAI-compatible chat server on loopback, for fault tests.

``OpenAIStub`` answers ``POST /v1/chat/completions`` from a script of
:class:`Reply` objects, one per request in arrival order: a rate limit (429
with ``Retry-After``), a server error (500), a hang longer than the client's
timeout, a text that is not JSON, JSON with unknown codes, a refusal, or a
valid answer. When the script is used up, :attr:`OpenAIStub.default` answers
(a valid answer unless a test sets another). Each request is recorded with
its arrival time, so tests can measure the gaps the client left between
retries.

A valid answer is built for the schema the client asked for (the analysis
asks several questions, each with its own ``response_format`` name), so a
test scripts only the faults and lets the stub answer the rest.

It runs in a thread of the test process (``http.server``); worker
subprocesses reach it by URL.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Valid answers per schema name (the pydantic class names in agent/analysis/decomposed.py).
VALID_ANSWERS: dict[str, dict[str, Any]] = {
    "OutcomeReply": {"outcome": "follow_up", "sentiment": "neutral", "expectations": ""},
    "ReasonsReply": {"reasons": []},
    "StepsReply": {"steps": [{"type": "send_offer", "owner": "rep", "turn": 1, "when": ""}]},
    "SummaryReply": {"summary": "Kunde begrüßt; ein Angebot folgt."},
}

#: JSON that parses but names codes outside the taxonomy (per schema name).
UNKNOWN_CODES: dict[str, dict[str, Any]] = {
    "OutcomeReply": {"outcome": "maybe_later", "sentiment": "grumpy"},
    "ReasonsReply": {"reasons": [{"code": "bad_weather", "turn": 1}]},
    "StepsReply": {"steps": [{"type": "send_flowers", "owner": "rep"}]},
}

REFUSAL_TEXT = "I'm sorry, but I can't help with analysing this conversation."


@dataclass(frozen=True)
class Reply:
    """One scripted response.

    ``kind`` is ``valid``, ``text`` (``content`` as the message), ``unknown_codes``,
    ``refusal`` (the API's ``refusal`` field, content null), ``length`` (content cut
    off at the token limit), ``status`` (an HTTP error with ``status`` and
    ``headers``) or ``hang`` (no answer for ``hang_s`` seconds, then a valid one).
    """

    kind: str = "valid"
    content: str = ""
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    hang_s: float = 0.0


def valid() -> Reply:
    return Reply("valid")


def text(content: str) -> Reply:
    return Reply("text", content=content)


def not_json() -> Reply:
    return text('{"outcome": "follow_up", "sentiment": ')  # cut off mid-object


def unknown_codes() -> Reply:
    return Reply("unknown_codes")


def refusal_text() -> Reply:
    """A refusal written as the message text (what most self-hosted servers do)."""
    return text(REFUSAL_TEXT)


def refusal() -> Reply:
    """A refusal in OpenAI's ``refusal`` field, with no content."""
    return Reply("refusal", content=REFUSAL_TEXT)


def cut_at_length() -> Reply:
    """Content cut off because the token limit was reached (``finish_reason: length``)."""
    return Reply("length")


def rate_limited(retry_after: float = 1) -> Reply:
    return Reply("status", status=429, headers=(("Retry-After", f"{retry_after:g}"),))


def server_error() -> Reply:
    return Reply("status", status=500)


def hang(seconds: float) -> Reply:
    return Reply("hang", hang_s=seconds)


@dataclass
class Request:
    """What the stub received: arrival time (monotonic), schema name, reply kind."""

    at: float
    schema: str
    kind: str
    body: dict[str, Any] = field(repr=False, default_factory=dict)


class OpenAIStub:
    """The server; use as a context manager or call :meth:`start`/:meth:`stop`."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.default = valid()
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control --------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the stub first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def enqueue(self, *replies: Reply) -> OpenAIStub:
        """Append replies to the script; each request takes the oldest one."""
        with self._lock:
            self.script.extend(replies)
        return self

    def gaps(self) -> list[float]:
        """Seconds between consecutive requests."""
        times = [r.at for r in self.requests]
        return [b - a for a, b in zip(times, times[1:], strict=False)]

    def wait_for_requests(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` requests have arrived (bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return True
            time.sleep(0.05)
        return False

    def start(self) -> OpenAIStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return None

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                schema = ((body.get("response_format") or {}).get("json_schema") or {}).get(
                    "name", ""
                )
                with stub._lock:
                    reply = stub.script.pop(0) if stub.script else stub.default
                    stub.requests.append(Request(time.monotonic(), schema, reply.kind, body))
                stub._answer(self, reply, schema, body)

            def _send(
                self, status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()
            ) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers:
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout) before the answer came

        self._release.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="openai-stub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hanging requests and shut the server down."""
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- answers ------------------------------------------------------------------

    def _answer(self, handler: Any, reply: Reply, schema: str, body: dict[str, Any]) -> None:
        if reply.kind == "status":
            handler._send(
                reply.status,
                {"error": {"message": f"stub says {reply.status}", "type": "stub_error"}},
                reply.headers,
            )
            return
        if reply.kind == "hang" and self._release.wait(reply.hang_s):
            return  # stopped while hanging: send nothing
        finish = "stop"
        content: str | None
        refusal: str | None = None
        if reply.kind == "text":
            content = reply.content
        elif reply.kind == "unknown_codes":
            content = json.dumps(UNKNOWN_CODES.get(schema, {"unexpected": True}))
        elif reply.kind == "refusal":
            content, refusal = None, reply.content
        elif reply.kind == "length":
            full = json.dumps(VALID_ANSWERS.get(schema, {}))
            content, finish = full[: max(1, len(full) // 2)], "length"
        else:
            content = json.dumps(VALID_ANSWERS.get(schema, {}), ensure_ascii=False)
        handler._send(200, completion(body.get("model", "stub"), content, refusal, finish))


def completion(
    model: str, content: str | None, refusal: str | None = None, finish: str = "stop"
) -> dict[str, Any]:
    """A ``chat.completion`` object as the OpenAI API returns it."""
    return {
        "id": f"chatcmpl-stub-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": finish,
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
