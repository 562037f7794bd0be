"""Measure the API's read endpoints while a transcription runs in a worker process.

Setup (all on loopback, in a temporary directory): the demo tenant on
SQLite, an API token for the manager and one for a rep, ``winback serve
--no-worker`` as the server process and ``winback worker`` as a separate
worker process that transcribes a long recording (the JFK clip repeated,
with the local Whisper model unless ``--fake-transcriber``). While the
transcription runs, ``--clients`` threads with keep-alive connections
request the plan, an account and the note list in turn for ``--seconds``.

Prints requests/s and latency percentiles per endpoint and in total, and
whether the transcription was running for the whole window.
Targets (issue #7): >= 300 requests/s, p99 <= 100 ms.

    .venv/bin/python benchmarks/bench_api.py [--seconds 15] [--clients 8]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
JFK = REPO / "tests" / "fixtures" / "audio" / "jfk.flac"
WINBACK = [sys.executable, "-c", "from agent.cli import main; main()"]


def long_recording(path: Path, repeats: int) -> float:
    """Write the JFK clip ``repeats`` times as 16 kHz mono WAV (a little noise keeps it unique)."""
    import av

    with av.open(str(JFK)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        chunks = [
            f.to_ndarray().reshape(-1)
            for frame in container.decode(audio=0)
            for f in resampler.resample(frame)
        ]
    clip = np.concatenate(chunks).astype(np.int16)
    rng = np.random.default_rng(int(time.time()))
    audio = np.concatenate([clip] * repeats)
    audio = np.clip(audio + rng.integers(-2, 3, audio.shape), -32768, 32767).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(audio.tobytes())
    return len(audio) / 16000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(env: dict[str, str]) -> tuple[str, str, int]:
    """Seed the demo tenant; return a manager token, a rep token and one of the rep's accounts."""
    from sqlalchemy import select

    from agent.auth import create_token
    from agent.crm.db import open_store
    from agent.crm.models import Account, User
    from agent.demo import seed
    from agent.settings import configure

    settings = configure(database_url=env["WINBACK_DATABASE_URL"], tenant="demo")
    store = open_store(settings.db_url)
    seed(store, "demo")
    manager = create_token(store, "demo", "t.schaefer", "bench")
    rep = create_token(store, "demo", "a.keller", "bench")
    with store.session() as session:
        rep_id = session.scalar(select(User.id).where(User.username == "a.keller"))
        account = session.scalar(select(Account.id).where(Account.owner_id == rep_id).limit(1))
    assert account is not None
    return manager, rep, int(account)


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def status(base: str, token: str, recording: str) -> str:
    r = httpx.get(
        f"{base}/api/recordings/{recording}", headers={"Authorization": f"Bearer {token}"}
    )
    return str(r.json()["status"])


def load(base: str, paths: list[tuple[str, str]], seconds: float, clients: int) -> dict:
    """Run ``clients`` keep-alive threads over ``paths`` for ``seconds``; collect latencies."""
    results: dict[str, list[float]] = {name: [] for name, _ in paths}
    errors: list[str] = []
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def worker(offset: int, token: str) -> None:
        local: dict[str, list[float]] = {name: [] for name, _ in paths}
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
            i = offset
            while time.monotonic() < stop:
                name, path = paths[i % len(paths)]
                i += 1
                started = time.perf_counter()
                r = c.get(path)
                local[name].append(time.perf_counter() - started)
                if r.status_code != 200:
                    errors.append(f"{path}: {r.status_code}")
        with lock:
            for name, values in local.items():
                results[name].extend(values)

    threads = [threading.Thread(target=worker, args=(n, TOKENS[n % 2])) for n in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"results": results, "errors": errors, "elapsed": time.monotonic() - began}


TOKENS: list[str] = []


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=24, help="JFK clips in the recording.")
    parser.add_argument("--fake-transcriber", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    env = {
        **os.environ,
        "WINBACK_DATA_DIR": str(tmp / "data"),
        "WINBACK_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
        "WINBACK_TENANT": "demo",
        "WINBACK_CONFIG": str(tmp / "none.toml"),
    }
    if args.fake_transcriber:
        env["WINBACK_TRANSCRIBER_BACKEND"] = "fake"
    os.environ.update({k: v for k, v in env.items() if k.startswith("WINBACK_")})
    manager, rep, account = prepare(env)
    TOKENS.extend([manager, rep])
    audio = tmp / "long.wav"
    duration = long_recording(audio, args.repeats)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*WINBACK, "serve", "--no-worker", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
    )
    worker = subprocess.Popen(
        [*WINBACK, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_http(f"{base}/login")
        consent = {
            "given_by": "Bench",
            "method": "written",
            "text_version": "v1",
            "given_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        }
        r = httpx.post(
            f"{base}/api/accounts/{account}/recordings",
            params=consent,
            content=audio.read_bytes(),
            timeout=120,
            headers={"Authorization": f"Bearer {rep}", "Content-Type": "audio/wav"},
        )
        r.raise_for_status()
        recording = r.json()["id"]
        deadline = time.monotonic() + 120
        while status(base, rep, recording) in ("queued",) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # let decoding finish, so the window covers transcription
        state_before = status(base, rep, recording)
        paths = [
            ("plan", "/api/plan?as_of=2026-11-03"),
            ("account", f"/api/accounts/{account}"),
            ("notes", "/api/notes?limit=50"),
        ]
        # warm-up (plan cache, connections), not counted
        load(base, paths, 1.0, 2)
        cpu_before = cpu_seconds(server.pid)
        run = load(base, paths, args.seconds, args.clients)
        cpu_used = cpu_seconds(server.pid) - cpu_before
        state_after = status(base, rep, recording)
    finally:
        server.terminate()
        worker.terminate()
        server.wait(10)
        worker.wait(10)

    everything = [v for values in run["results"].values() for v in values]
    print(
        f"recording: {duration:.0f} s of audio, transcriber "
        f"{'fake' if args.fake_transcriber else 'local Whisper'} in a separate worker process"
    )
    print(f"recording status at start/end of the window: {state_before} / {state_after}")
    print(f"{args.clients} clients, {run['elapsed']:.1f} s, errors: {len(run['errors'])}")
    for name, values in run["results"].items():
        print(
            f"  {name:<8} {len(values) / run['elapsed']:7.1f} req/s  p50 {pct(values, 0.5):6.1f} ms"
            f"  p95 {pct(values, 0.95):6.1f} ms  p99 {pct(values, 0.99):6.1f} ms"
        )
    total_rps = len(everything) / run["elapsed"]
    print(
        f"  {'total':<8} {total_rps:7.1f} req/s  p50 {pct(everything, 0.5):6.1f} ms  "
        f"p95 {pct(everything, 0.95):6.1f} ms  p99 {pct(everything, 0.99):6.1f} ms  "
        f"mean {statistics.mean(everything) * 1000:.1f} ms"
    )
    print(
        f"targets: >= 300 req/s {'met' if total_rps >= 300 else 'NOT met'}, "
        f"p99 <= 100 ms {'met' if pct(everything, 0.99) <= 100 else 'NOT met'}"
    )
    # Less sensitive to other load on a shared machine: the server's own CPU per request.
    per_request_ms = cpu_used / max(len(everything), 1) * 1000
    print(
        f"server CPU: {per_request_ms:.2f} ms per request -> about "
        f"{1000 / per_request_ms:.0f} req/s per free core; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores during the run"
    )
    if run["errors"]:
        print("first errors:", run["errors"][:5])


if __name__ == "__main__":
    main()
