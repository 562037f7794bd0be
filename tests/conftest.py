"""Shared test fixtures.

* Every test gets its own data directory and fresh settings (no test touches
  the user's real ~/.local/share/winback).
* ``db_url`` runs a test on SQLite and on PostgreSQL (a fresh database per
  test, dropped afterwards). PostgreSQL tests skip with a reason when no
  server answers on localhost, except in CI where they must run.
* ``shared_dir`` points at ../shared; tests needing it skip when it is absent.
* ``cli`` runs the ``winback`` command line in-process, exactly as the
  console script does (the same error messages and exit codes).
* ``clock`` is a :class:`agent.clock.ManualClock` for components that read
  the time: a test moves it instead of sleeping.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.clock import ManualClock
from agent.crm import db as crm_db
from agent.crm.db import Store, open_store
from agent.settings import configure, set_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("WINBACK_SHARED_DIR", REPO_ROOT.parent / "shared"))
PG_ADMIN_URL = os.environ.get("WINBACK_TEST_PG", "postgresql://postgres@localhost:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    data_dir = tmp_path / "winback-data"
    monkeypatch.setenv("WINBACK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("WINBACK_CONFIG", str(tmp_path / "no-config.toml"))
    for key in ("WINBACK_DATABASE_URL", "WINBACK_TENANT"):
        monkeypatch.delenv(key, raising=False)
    # Pipeline tests stop at the transcript unless they ask for the analysis;
    # tests/analysis/test_draft.py runs the analyze step with it switched on.
    monkeypatch.setenv("WINBACK_ANALYZE_AFTER_TRANSCRIPTION", "false")
    # Workers started by tests would otherwise load the chat model at start (1 GB, 20 s
    # of CPU) beside what they test; tests/brief/test_warm_up.py tests the warm-up.
    monkeypatch.setenv("WINBACK_BRIEF_WARM_UP", "false")
    set_settings(None)
    yield
    set_settings(None)
    crm_db.close_all()


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}"


@pytest.fixture(scope="session")
def pg_admin() -> str:
    reason = _pg_available()
    if reason:
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return PG_ADMIN_URL


def make_pg_database(admin_url: str) -> tuple[str, str]:
    """Create a fresh PostgreSQL database; return (its URL, its name)."""
    import psycopg

    name = f"wb_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}", name


def drop_pg_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def pg_database(admin_url: str) -> Iterator[str]:
    """The URL of a fresh PostgreSQL database, dropped (after closing our engines) on exit."""
    url, name = make_pg_database(admin_url)
    try:
        yield url
    finally:
        crm_db.close_all()
        drop_pg_database(admin_url, name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with pg_database(request.getfixturevalue("pg_admin")) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL of an empty SQLite database (for tests that need only one backend)."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def store(db_url: str) -> Store:
    """The migrated store at ``db_url`` with settings pointing at it."""
    configure(database_url=db_url)
    return open_store(db_url)


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at the start of the next full hour of the real one.

    Rate-limit windows (a minute, an hour) then begin with the test, and the
    expiry times the counters give Redis keys lie in the future, as in production.
    """
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return ManualClock(start=hour)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder; tests needing it skip when it is absent."""
    if not SHARED_DIR.is_dir():
        if IN_CI:
            pytest.fail(f"../shared is missing at {SHARED_DIR} in CI")
        pytest.skip(f"shared data folder not found at {SHARED_DIR}")
    return SHARED_DIR


@dataclass(frozen=True)
class CliResult:
    """What one ``winback`` command left behind; unpacks as ``code, out, err``.

    ``err`` is a single line: rich wraps long messages at the console width,
    and no test should depend on where a terminal breaks a sentence.
    ``exception`` is the error ``main`` turned into the exit code, if any.
    """

    code: int
    out: str
    err: str
    exception: BaseException | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.code, self.out, self.err))

    @property
    def output(self) -> str:
        """Everything the user saw, standard output first."""
        return f"{self.out}{self.err}"


class Cli:
    """Runs the command line through ``agent.cli.main``, the console script's entry point.

    Going through ``main`` rather than the Typer app keeps the mapping of our
    exceptions to messages and exit codes under test, which is what a user meets.
    """

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self._capsys = capsys
        self._monkeypatch = monkeypatch

    def __call__(
        self, argv: list[str], *, input: str | None = None, terminal_width: int | None = None
    ) -> CliResult:
        """Run ``winback ARGV``; ``input`` is standard input, ``terminal_width`` the help's width.

        Both last until the end of the test, like any monkeypatch.
        """
        from agent.cli import main

        self._capsys.readouterr()  # what the test printed before is not the command's
        if input is not None:
            self._monkeypatch.setattr(sys, "stdin", io.StringIO(input))
        if terminal_width is not None:
            self._monkeypatch.setenv("COLUMNS", str(terminal_width))
        code, cause = 0, None
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            cause = exc.__context__  # main exits while handling our exception
        out, err = self._capsys.readouterr()
        return CliResult(code, out, " ".join(err.split()), cause)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The ``winback`` command line, run in-process with its output captured."""
    return Cli(capsys, monkeypatch)


_MODEL_PATHS = ("/chat/completions", "/completions", "/embeddings", "/audio/", "/responses")


@pytest.fixture(autouse=True)
def _no_network_models(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that reaches a network model unless marked ``allow_network_model``.

    Sockets to non-loopback addresses are refused in every test (the product is
    offline; PostgreSQL and Redis on localhost stay reachable). Real HTTP requests
    to model endpoints (chat, embeddings, audio) are refused even on loopback unless
    the test is marked; fake transports (``httpx.MockTransport``) are unaffected.
    """
    import ipaddress
    import socket

    import httpx

    allowed = request.node.get_closest_marker("allow_network_model") is not None

    def _loopback(address: object) -> bool:
        if not isinstance(address, tuple) or not address:
            return True  # AF_UNIX paths and the like
        host = str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _loopback(address):
            pytest.fail(f"test tried to open a network connection to {address!r}")
        return real_connect(self, address)  # type: ignore[arg-type]

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if not _loopback(address):
            pytest.fail(f"test tried to open a network connection to {address!r}")
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    if allowed:
        return

    def _check(req: httpx.Request) -> None:
        if any(p in req.url.path for p in _MODEL_PATHS):
            pytest.fail(
                f"test reached a network model at {req.url}; mark it "
                "@pytest.mark.allow_network_model or use the fakes in agent.testing"
            )

    def _guarded(real_send: Any) -> Any:
        def guarded_send(self: Any, req: Any) -> Any:
            _check(req)
            return real_send(self, req)

        return guarded_send

    def _guarded_async(real_send: Any) -> Any:
        async def guarded_send_async(self: Any, req: Any) -> Any:
            _check(req)
            return await real_send(self, req)

        return guarded_send_async

    # openai sends through httpx2 (a fork with the same transport API) in newer releases:
    # guard both, or a chat request would slip past.
    for module_name in ("httpx", "httpx2"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        sync, asynchronous = module.HTTPTransport, module.AsyncHTTPTransport
        real = (sync.handle_request, asynchronous.handle_async_request)
        monkeypatch.setattr(sync, "handle_request", _guarded(real[0]))
        monkeypatch.setattr(asynchronous, "handle_async_request", _guarded_async(real[1]))
