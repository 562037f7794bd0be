"""A real Chroma server process on loopback for fault tests (started and stopped by pid)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

START_TIMEOUT_S = 40.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_binary() -> str:
    found = Path(sys.executable).with_name("chroma")
    if found.is_file():
        return str(found)
    path = shutil.which("chroma")
    if path is None:
        pytest.skip("the chroma CLI (from the chromadb package) is not installed")
    return path


class ChromaServer:
    """``chroma run --path DIR --host 127.0.0.1 --port N`` that can be stopped and restarted."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = path.with_suffix(".log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server and wait (bounded) for its heartbeat."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv, loopback only
                [
                    chroma_binary(),
                    "run",
                    "--path",
                    str(self.path),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"chroma run exited early; see {self.log}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        pytest.fail(f"chroma run did not answer within {START_TIMEOUT_S} s; see {self.log}")

    def stop(self) -> None:
        """Terminate the server process this object started (and only that one)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None
