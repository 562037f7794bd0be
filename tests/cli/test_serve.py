"""``winback serve --workers N``: N web processes, the embedded queue worker once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from agent.auth import add_user, create_token
from agent.crm.db import get_tenant, open_store
from tests import factories as make
from tests.conftest import Cli

JFK = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "jfk.flac"


def test_help_names_processes_and_queue_threads(cli: Cli) -> None:
    r = cli(["serve", "--help"], terminal_width=200)
    assert r.code == 0
    assert "--workers" in r.output and "--queue-threads" in r.output
    r = cli(["serve", "--workers", "0"])
    assert r.code == 2  # a clear usage error, no traceback


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found.update(int(c) for c in (task / "children").read_text().split())
    return found


@pytest.mark.slow
def test_two_web_processes_and_one_queue_worker(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    store = open_store(db)
    add_user(store, "acme", "rep1", "rep", "Rep Eins")
    token = create_token(store, "acme", "rep1", "test")
    with store.session() as session:
        account_id = make.account(
            session, get_tenant(session, "acme"), "K1", name="Kunde", owner_id=1
        ).id
    port = _free_port()
    env = {
        **os.environ,
        "WINBACK_TRANSCRIBER_BACKEND": "fake",
        "WINBACK_CHAT_BACKEND": "fake",
        "WINBACK_EMBEDDINGS_BACKEND": "fake",
    }
    server = subprocess.Popen(
        [sys.executable, "-c", "from agent.cli import main; main()", "serve", "--workers", "2",
         "--port", str(port), "--db", db, "--tenant", "acme"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise AssertionError("the server did not start")
        # Two web processes (plus multiprocessing's resource tracker) under the supervisor.
        web = [
            pid
            for pid in _children(server.pid)
            if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()
        ]
        assert len(web) == 2
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            assert client.get(f"/api/accounts/{account_id}").status_code == 200
            consent = {
                "given_by": "Kunde",
                "method": "written",
                "text_version": "v1",
                "given_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            }
            r = client.post(
                f"/api/accounts/{account_id}/recordings",
                params=consent,
                content=JFK.read_bytes(),
                headers={"Content-Type": "audio/flac"},
            )
            assert r.status_code == 202, r.text
            recording = r.json()["id"]
            # The queue worker of the supervisor processes it (no separate worker runs);
            # the tests' settings stop the pipeline at the transcript.
            done = ("transcribed", "analyzed")
            deadline = time.monotonic() + 90
            state = "queued"
            while time.monotonic() < deadline and state not in (*done, "failed"):
                time.sleep(0.5)
                state = client.get(f"/api/recordings/{recording}").json()["status"]
            assert state in done, state
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert "2 web processes" in output and "in the supervising process" in output
    assert server.returncode == 0, output[-2000:]
