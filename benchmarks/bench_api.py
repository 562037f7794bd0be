"""Measure the API's read endpoints while a transcription runs in a worker process.

Setup (all on loopback, in a temporary directory): the demo tenant on
SQLite with ``--notes`` draft call notes, an API token for the manager and
one for a rep, ``winback serve --no-worker [--workers N]`` as the server and
``winback worker`` as a separate process that transcribes a long recording
(the JFK clip repeated, with the local Whisper model unless
``--fake-transcriber``; ``--fake-transcriber`` is for a quick check only).

Two phases run while the transcription runs:

1. **CPU per request, per endpoint**: each endpoint alone for ``--cpu-seconds``
   with two connections; the server's process CPU time divided by the
   requests served. This figure hardly depends on other load on the machine.
2. **Throughput and latency**: plan, account and note list in turn for
   ``--seconds`` over ``--clients`` keep-alive connections, alternating the
   manager's and the rep's token: requests/s and p50/p95/p99.

The load generator is ``wrk`` when installed (``apt-get install wrk``; it
uses far less CPU than Python threads, which would compete with the server
for the two cores); without it the script says so and falls back to Python
threads. The load average (``uptime``) is printed next to every figure,
because the machine may be shared. Targets: >= 300 requests/s,
p99 <= 100 ms.

    .venv/bin/python benchmarks/bench_api.py [--seconds 15] [--clients 8] [--workers 1]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
JFK = REPO / "tests" / "fixtures" / "audio" / "jfk.flac"
WINBACK = [sys.executable, "-c", "from agent.cli import main; main()"]
TARGET_RPS, TARGET_P99_MS = 300, 100


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


def seed_notes(store: Any, tenant: str, count: int) -> int:
    """Store ``count`` draft call notes (a realistic analysis each) on the tenant's accounts."""
    from sqlalchemy import select

    from agent.analysis.analyzer import AnalysisResult
    from agent.analysis.notes import store_draft
    from agent.analysis.schema import CallAnalysis
    from agent.crm.db import get_tenant
    from agent.crm.models import Account

    analysis = CallAnalysis.model_validate(
        {
            "language": "de",
            "summary": "Der Kunde bemängelt wiederholten Lieferverzug und wartet auf ein Angebot. "
            * 4,
            "churn_reasons": [
                {"code": "delivery_reliability", "evidence": "ständig zu spät", "confidence": 0.9},
                {"code": "price_terms", "evidence": "zu teuer geworden", "confidence": 0.6},
            ],
            "outcome": "follow_up",
            "next_steps": [
                {"type": "send_offer", "description": "Angebot", "due_date": "2026-11-27"},
                {"type": "fix_issue", "description": "Lieferkette prüfen"},
            ],
            "sentiment": "neutral",
            "warnings": ["Bench note."],
        }
    )
    result = AnalysisResult(
        status="ok",
        analysis=analysis,
        model="bench",
        design="bench",
        latency_s=1.0,
        last_output="{" + "x" * 3000 + "}",
    )
    with store.session() as session:
        tenant_id = get_tenant(session, tenant).id
        accounts = session.scalars(
            select(Account).where(Account.tenant_id == tenant_id).order_by(Account.id)
        ).all()
        for n in range(count):
            store_draft(
                session, tenant_id, accounts[n % len(accounts)], result, call_date=date(2026, 11, 2)
            )
    return count


def prepare(env: dict[str, str], notes: int) -> tuple[str, str, int]:
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
    seed_notes(store, "demo", notes)
    manager = create_token(store, "demo", "t.schaefer", "bench")
    rep = create_token(store, "demo", "a.keller", "bench")
    with store.session() as session:
        rep_id = session.scalar(select(User.id).where(User.username == "a.keller"))
        account = session.scalar(
            select(Account.id).where(Account.owner_id == rep_id).order_by(Account.id).limit(1)
        )
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


def load_threads(
    base: str, paths: list[tuple[str, str]], tokens: list[str], seconds: float, clients: int
) -> dict[str, Any]:
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

    threads = [
        threading.Thread(target=worker, args=(n, tokens[n % len(tokens)])) for n in range(clients)
    ]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    everything = [v for values in results.values() for v in values]
    return {
        "requests": len(everything),
        "elapsed": elapsed,
        "errors": len(errors),
        "first_errors": errors[:5],
        "p50": pct(everything, 0.5),
        "p95": pct(everything, 0.95),
        "p99": pct(everything, 0.99),
        "mean": statistics.mean(everything) * 1000 if everything else 0.0,
        "per_path": {
            name: (len(v) / elapsed, pct(v, 0.5), pct(v, 0.95), pct(v, 0.99))
            for name, v in results.items()
        },
    }


#: wrk script: rotate over the paths and tokens, count non-200 answers, print percentiles.
WRK_LUA = """
local paths = {%(paths)s}
local tokens = {%(tokens)s}
local counter = 0
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  bad = 0
end
function request()
  counter = counter + 1
  local path = paths[(counter %% #paths) + 1]
  local token = tokens[(math.floor(counter / #paths) %% #tokens) + 1]
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + t:get("bad") end
  io.write(string.format("RESULT %%d %%f %%d %%f %%f %%f %%f\\n",
    summary.requests, summary.duration / 1e6, bad_total + summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.mean / 1000))
end
"""


def load_wrk(
    base: str, paths: list[tuple[str, str]], tokens: list[str], seconds: float, clients: int
) -> dict[str, Any]:
    """The same load as :func:`load_threads`, generated by ``wrk`` (one thread, N connections)."""
    script = WRK_LUA % {
        "paths": ", ".join(f'"{p}"' for _, p in paths),
        "tokens": ", ".join(f'"{t}"' for t in tokens),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
             "-s", fh.name, base],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(fh.name)
    match = re.search(r"^RESULT (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$", out, re.M)
    if match is None:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    n, elapsed, bad, p50, p95, p99, mean = (float(x) for x in match.groups())
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": int(n),
        "elapsed": elapsed,
        "errors": int(bad),
        "first_errors": [errors.group(1)] if errors else [],
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "mean": mean,
        "per_path": {},
    }


def tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (uvicorn ``--workers`` runs the app in children)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):  # the process ended meanwhile
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (Linux /proc), in seconds."""
    total = 0.0
    for p in tree_pids(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def load_average() -> str:
    """The 1-minute load average, as ``uptime`` shows it."""
    return f"load {os.getloadavg()[0]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="Mixed-load window.")
    parser.add_argument("--cpu-seconds", type=float, default=5, help="Per-endpoint CPU window.")
    parser.add_argument("--clients", type=int, default=8, help="Connections of the mixed load.")
    parser.add_argument("--workers", type=int, default=1, help="winback serve --workers N.")
    parser.add_argument("--notes", type=int, default=60, help="Draft notes to seed.")
    parser.add_argument("--repeats", type=int, default=24, help="JFK clips in the recording.")
    parser.add_argument("--fake-transcriber", action="store_true", help="Quick check only.")
    parser.add_argument("--threads", action="store_true", help="Python threads, not wrk.")
    parser.add_argument(
        "--worker-nice", type=int, default=0, help="Run the worker at this nice level (0-19)."
    )
    args = parser.parse_args()

    use_wrk = not args.threads and shutil.which("wrk") is not None
    if not args.threads and not use_wrk:
        print("wrk is not installed (apt-get install wrk): falling back to Python threads,")
        print("which compete with the server for CPU; the req/s figure will be lower.")
    load = load_wrk if use_wrk else load_threads

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
    manager, rep, account = prepare(env, args.notes)
    tokens = [manager, rep]
    audio = tmp / "long.wav"
    duration = long_recording(audio, args.repeats)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = [*WINBACK, "serve", "--no-worker", "--port", str(port), "--workers", str(args.workers)]
    # The server logs as configured (one access line per request, as in production) to a file.
    server_log = (tmp / "server.log").open("w")
    server = subprocess.Popen(serve, env=env, stdout=server_log, stderr=subprocess.STDOUT)
    worker = subprocess.Popen(
        [*WINBACK, "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=(lambda: os.nice(args.worker_nice)) if args.worker_nice else None,
    )
    paths = [
        ("plan", "/api/plan?as_of=2026-11-03"),
        ("account", f"/api/accounts/{account}"),
        ("notes", "/api/notes?limit=50"),
    ]
    per_endpoint: list[tuple[str, float, dict[str, Any], str]] = []
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
        worker_cpu_before, window_began = cpu_seconds(worker.pid), time.monotonic()
        # warm-up (plan cache, connections), not counted
        load(base, paths, tokens, 1.0, 2)
        for name, path in paths:
            before = cpu_seconds(server.pid)
            run = load(base, [(name, path)], [manager], args.cpu_seconds, 2)
            used = cpu_seconds(server.pid) - before
            per_endpoint.append((name, used / max(run["requests"], 1) * 1000, run, load_average()))
        cpu_before = cpu_seconds(server.pid)
        run = load(base, paths, tokens, args.seconds, args.clients)
        cpu_used = cpu_seconds(server.pid) - cpu_before
        mixed_load = load_average()
        worker_cores = (cpu_seconds(worker.pid) - worker_cpu_before) / (
            time.monotonic() - window_began
        )
        state_after = status(base, rep, recording)
    finally:
        server.terminate()
        worker.terminate()
        server.wait(20)
        worker.wait(20)
        server_log.close()

    print(
        f"recording: {duration:.0f} s of audio, transcriber "
        f"{'fake' if args.fake_transcriber else 'local Whisper'} in a separate worker process "
        f"(nice {args.worker_nice}; used {worker_cores:.2f} cores during the windows)"
    )
    print(f"server log: {tmp / 'server.log'}")
    print(f"recording status at start/end of the windows: {state_before} / {state_after}")
    print(
        f"server: winback serve --workers {args.workers}; load generator: "
        f"{'wrk' if use_wrk else 'Python threads'}; {os.cpu_count()} cores"
    )
    print("CPU per request, one endpoint at a time (2 connections):")
    for name, ms, r, loadavg in per_endpoint:
        print(
            f"  {name:<8} {ms:5.2f} ms CPU/request  {r['requests'] / r['elapsed']:7.1f} req/s  "
            f"p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  errors {r['errors']}  ({loadavg})"
        )
    total_rps = run["requests"] / run["elapsed"]
    print(f"mixed load: {args.clients} connections, {run['elapsed']:.1f} s, errors {run['errors']}")
    for name, (rps, p50, p95, p99) in run["per_path"].items():
        print(
            f"  {name:<8} {rps:7.1f} req/s  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms"
        )
    print(
        f"  {'total':<8} {total_rps:7.1f} req/s  p50 {run['p50']:6.1f} ms  "
        f"p95 {run['p95']:6.1f} ms  p99 {run['p99']:6.1f} ms  mean {run['mean']:.1f} ms  "
        f"({mixed_load})"
    )
    print(
        f"targets: >= {TARGET_RPS} req/s {'met' if total_rps >= TARGET_RPS else 'NOT met'}, "
        f"p99 <= {TARGET_P99_MS} ms {'met' if run['p99'] <= TARGET_P99_MS else 'NOT met'}"
    )
    per_request_ms = cpu_used / max(run["requests"], 1) * 1000
    print(
        f"server CPU under the mixed load: {per_request_ms:.2f} ms per request -> about "
        f"{1000 / max(per_request_ms, 1e-6):.0f} req/s per free core"
    )
    if run["first_errors"]:
        print("first errors:", run["first_errors"])


if __name__ == "__main__":
    main()
