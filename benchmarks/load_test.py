"""Load test: 50 reps browse and upload while 2 managers review; loopback only.

Setup, all in a temporary directory on 127.0.0.1: the demo tenant on
SQLite, ``--reps`` rep users (``lt.rep01`` ...) who share the demo accounts
round-robin, ``--managers`` managers, an API token each; ``winback serve
--no-worker [--workers N]`` as the server and ``winback worker`` as a
separate queue worker process.

To keep the run bounded, the worker uses the **fake transcriber and the fake
chat backend** (and fake embeddings): every recording goes through the real
queue, pipeline, database writes and note store, but no model runs. The
figures are therefore the web app's and the queue's, not Whisper's (see
benchmarks/bench_api.py and bench_pipeline.py for those). The analysis runs the
``decomposed`` design, whose fake chat model has no answers queued, so the
analysis of an uploaded call ends as a ``failed`` draft (which the rep sees);
the managers' review queue is seeded with ``--drafts`` (default 3 per rep)
realistic ``pending_review`` drafts.

Users (locust, headless, in this process, ``--seconds`` long):

* a rep opens the today page and the plan (``/today``, ``/api/plan``), one of
  their accounts (``/accounts/{id}``, ``/api/accounts/{id}``), their notes
  (``/api/notes``), and now and then uploads a short recording with consent:
  the JFK clip (tests/fixtures/audio/jfk.flac, first ``--clip-seconds``) as WAV,
  made unique per upload so the server's duplicate check does not fold them;
* a manager opens the review queue (``/review``, ``/api/notes?status=
  pending_review``), reads a pending note and approves it (a 409 when the
  other manager was faster counts as an expected conflict, not an error).

Reports requests/s, p50/p95/p99 per request type, the HTTP status counts,
the number of 5xx answers (target: zero), uploads accepted, and the queue
drain time: from the end of the load until every accepted recording is
analysed into a draft note (or failed).

    .venv/bin/python benchmarks/load_test.py [--seconds 60] [--reps 50] [--managers 2] [--json]
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import wave
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gevent

# Importing locust patches the standard library for gevent (the project's modules are
# imported later, inside the functions that need them).
from locust import FastHttpUser, between, task
from locust.env import Environment

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
JFK = REPO / "tests" / "fixtures" / "audio" / "jfk.flac"
WINBACK = [sys.executable, "-c", "from agent.cli import main; main()"]
DONE_STATES = ("analyzed", "failed")
MAX_SECONDS = 900

#: Filled by main() before the users start; read by the users (same process).
CONTEXT: dict[str, Any] = {}
STATUS: Counter[int] = Counter()
RECORDINGS: list[str] = []
UPLOADS: Counter[str] = Counter()
APPROVALS: Counter[str] = Counter()


def clip_pcm(seconds: float) -> bytes:
    """The first ``seconds`` of the JFK clip as 16 kHz mono 16-bit PCM."""
    import av
    import numpy as np

    with av.open(str(JFK)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        chunks = [
            f.to_ndarray().reshape(-1)
            for frame in container.decode(audio=0)
            for f in resampler.resample(frame)
        ]
    pcm = np.concatenate(chunks).astype(np.int16)[: int(seconds * 16000)]
    return bytes(pcm.tobytes())


def unique_wav(pcm: bytes, n: int) -> bytes:
    """A WAV of ``pcm`` whose first samples encode ``n`` (inaudible; a distinct file each time)."""
    marked = n.to_bytes(8, "little") + pcm[8:]
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(marked)
    return out.getvalue()


class RepUser(FastHttpUser):
    """A rep: today's calls, an account, own notes; uploads a recording now and then."""

    wait_time = between(1, 4)

    def on_start(self) -> None:
        self.token, self.accounts, self.callable = CONTEXT["reps"].pop()
        self.auth = {"Authorization": f"Bearer {self.token}"}

    def _get(self, path: str, name: str) -> None:
        self.client.get(path, headers=self.auth, name=name)

    @task(3)
    def today(self) -> None:
        self._get("/today", "/today")

    @task(2)
    def plan(self) -> None:
        self._get("/api/plan", "/api/plan")

    @task(3)
    def account_page(self) -> None:
        self._get(f"/accounts/{random.choice(self.accounts)}", "/accounts/[id]")

    @task(2)
    def account_api(self) -> None:
        self._get(f"/api/accounts/{random.choice(self.accounts)}", "/api/accounts/[id]")

    @task(1)
    def notes(self) -> None:
        self._get("/api/notes?limit=20", "/api/notes")

    @task(1)
    def upload(self) -> None:
        consent = {
            "given_by": "Kunde (Lasttest)",
            "method": "verbal_at_call_start",
            "text_version": "v1",
            "given_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        }
        body = unique_wav(CONTEXT["pcm"], next(CONTEXT["counter"]))
        with self.client.post(
            f"/api/accounts/{random.choice(self.callable)}/recordings",
            params=consent,
            data=body,
            headers={**self.auth, "Content-Type": "audio/wav"},
            name="/api/accounts/[id]/recordings",
            catch_response=True,
        ) as response:
            if response.status_code in (200, 202):
                RECORDINGS.append(response.json()["id"])
                UPLOADS["accepted"] += 1
            else:
                UPLOADS[f"refused {response.status_code}"] += 1


class ManagerUser(FastHttpUser):
    """A manager: the review queue, a pending note, its approval."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.index, self.token = CONTEXT["managers"].pop()
        self.auth = {"Authorization": f"Bearer {self.token}"}

    @task(2)
    def review_page(self) -> None:
        self.client.get("/review", headers=self.auth, name="/review")

    @task(4)
    def review(self) -> None:
        response = self.client.get(
            "/api/notes?status=pending_review&limit=50",
            headers=self.auth,
            name="/api/notes (review)",
        )
        if response.status_code != 200:
            return
        # Managers split the queue by id, so they rarely race for the same note.
        mine = [
            n["id"] for n in response.json() if n["id"] % CONTEXT["manager_count"] == self.index
        ]
        if not mine:
            return
        note_id = random.choice(mine)
        self.client.get(f"/api/notes/{note_id}", headers=self.auth, name="/api/notes/[id]")
        with self.client.post(
            f"/api/notes/{note_id}/approve",
            json={"comment": "Lasttest"},
            headers=self.auth,
            name="/api/notes/[id]/approve",
            catch_response=True,
        ) as answer:
            if answer.status_code == 409:  # approved meanwhile, or nothing to approve
                APPROVALS["conflict (409)"] += 1
                answer.success()
            elif answer.status_code == 200:
                APPROVALS["approved"] += 1


def on_request(response: Any = None, **_: Any) -> None:
    """Count every HTTP status (locust's failures do not separate 4xx from 5xx)."""
    status = getattr(response, "status_code", None)
    STATUS[int(status) if status else 0] += 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(
    db_url: str, reps: int, managers: int, drafts: int
) -> tuple[list[tuple[str, list[int], list[int]]], list[str]]:
    """Seed the demo tenant and drafts, create users and tokens, share the accounts."""
    from bench_api import seed_notes
    from sqlalchemy import select

    from agent.auth import add_user, create_token
    from agent.crm.db import get_tenant, open_store
    from agent.crm.models import DO_NOT_CALL, Account, Role, User
    from agent.demo import seed

    store = open_store(db_url)
    seed(store, "demo")
    seed_notes(store, "demo", drafts)
    rep_names = [f"lt.rep{n:02d}" for n in range(1, reps + 1)]
    manager_names = [f"lt.manager{n}" for n in range(1, managers + 1)]
    for name in rep_names:
        add_user(store, "demo", name, "rep", f"Lasttest {name}")
    for name in manager_names:
        add_user(store, "demo", name, "manager", f"Lasttest {name}")
    accounts: dict[str, list[int]] = {name: [] for name in rep_names}
    # Uploads go to accounts a rep may call: one marked do-not-call refuses a recording (409).
    callable_: dict[str, list[int]] = {name: [] for name in rep_names}
    with store.session() as session:
        tenant_id = get_tenant(session, "demo").id
        ids = {
            u.username: u.id
            for u in session.scalars(
                select(User).where(User.tenant_id == tenant_id, User.role == Role.rep)
            )
        }
        for n, account in enumerate(
            session.scalars(
                select(Account).where(Account.tenant_id == tenant_id).order_by(Account.id)
            )
        ):
            owner = rep_names[n % reps]
            account.owner_id = ids[owner]
            accounts[owner].append(account.id)
            if account.status not in DO_NOT_CALL:
                callable_[owner].append(account.id)
    rep_logins = [
        (create_token(store, "demo", n, "load test"), accounts[n], callable_[n]) for n in rep_names
    ]
    manager_tokens = [create_token(store, "demo", n, "load test") for n in manager_names]
    return rep_logins, manager_tokens


def wait_http(url: str, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server at {url} did not start (see its log)")


def pending_recordings(db_url: str, ids: list[str]) -> tuple[int, Counter[str]]:
    """How many of ``ids`` are not done yet, and the count of every recording state."""
    from sqlalchemy import select

    from agent.crm.db import open_store
    from agent.crm.models import CallRecording

    states: Counter[str] = Counter()
    with open_store(db_url).session() as session:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = session.execute(
                select(CallRecording.status).where(CallRecording.id.in_(chunk))
            ).scalars()
            states.update(state.value for state in rows)
    return sum(n for state, n in states.items() if state not in DONE_STATES), states


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help=f"Load time (max {MAX_SECONDS}).")
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--managers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="winback serve --workers N.")
    parser.add_argument("--clip-seconds", type=float, default=5.0, help="Audio per upload.")
    parser.add_argument("--drafts", type=int, default=None, help="Drafts to review (3 per rep).")
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument(
        "--think", default="1,4", help="Think time MIN,MAX seconds between a user's requests "
        "(reps; managers 1,3). '0,0.5' turns the browsing load into a stress test.",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")
    args = parser.parse_args()
    if not 0 < args.seconds <= MAX_SECONDS:
        raise SystemExit(f"--seconds: use 1 to {MAX_SECONDS}.")
    if args.reps < 1 or args.managers < 1:
        raise SystemExit("--reps and --managers: at least 1 each.")
    try:
        think_min, think_max = (float(x) for x in args.think.split(","))
    except ValueError:
        raise SystemExit("--think: give MIN,MAX in seconds, e.g. 1,4.") from None
    if not 0 <= think_min <= think_max <= 60:
        raise SystemExit("--think: 0 <= MIN <= MAX <= 60.")
    RepUser.wait_time = between(think_min, think_max)

    tmp = Path(tempfile.mkdtemp(prefix="load-test-"))
    db_url = f"sqlite:///{tmp / 'load.db'}"
    env = {
        **os.environ,
        "WINBACK_DATA_DIR": str(tmp / "data"),
        "WINBACK_DATABASE_URL": db_url,
        "WINBACK_TENANT": "demo",
        "WINBACK_CONFIG": str(tmp / "none.toml"),
        "WINBACK_TRANSCRIBER_BACKEND": "fake",
        "WINBACK_CHAT_BACKEND": "fake",
        "WINBACK_EMBEDDINGS_BACKEND": "fake",
        # A chat design, so the fake chat model ends each analysis at once (the learned
        # design would first train its classifiers for the fake embeddings).
        "WINBACK_ANALYSIS_DESIGN": "decomposed",
        "WINBACK_ANALYZE_AFTER_TRANSCRIPTION": "true",
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith("WINBACK_")})
    from agent.settings import set_settings

    set_settings(None)
    drafts = args.drafts if args.drafts is not None else 3 * args.reps
    reps, managers = prepare(db_url, args.reps, args.managers, drafts)
    CONTEXT.update(
        reps=reps,
        managers=list(enumerate(managers)),
        manager_count=len(managers),
        pcm=clip_pcm(args.clip_seconds),
        counter=itertools.count(1),
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = (tmp / "server.log").open("wb")
    worker_log = (tmp / "worker.log").open("wb")
    serve = [*WINBACK, "serve", "--no-worker", "--port", str(port), "--workers", str(args.workers)]
    server = subprocess.Popen(serve, env=env, stdout=server_log, stderr=subprocess.STDOUT)
    worker = subprocess.Popen([*WINBACK, "worker"], env=env, stdout=worker_log, stderr=worker_log)
    try:
        wait_http(f"{base}/healthz")
        RepUser.fixed_count, ManagerUser.fixed_count = args.reps, args.managers
        environment = Environment(user_classes=[RepUser, ManagerUser], host=base)
        environment.events.request.add_listener(on_request)
        runner = environment.create_local_runner()
        users = args.reps + args.managers
        load_avg_before = os.getloadavg()[0]
        began = time.monotonic()
        runner.start(users, spawn_rate=max(10, users / 5))
        gevent.sleep(args.seconds)
        runner.quit()
        load_ended = time.monotonic()
        elapsed = load_ended - began
        load_avg_after = os.getloadavg()[0]
        drain_deadline = load_ended + args.drain_timeout
        left, states = pending_recordings(db_url, RECORDINGS)
        while left and time.monotonic() < drain_deadline:
            gevent.sleep(0.5)
            left, states = pending_recordings(db_url, RECORDINGS)
        drain_s = time.monotonic() - load_ended if not left else None
    finally:
        stop(server)
        stop(worker)
        server_log.close()
        worker_log.close()

    stats = environment.stats
    rows = []
    for entry in sorted(stats.entries.values(), key=lambda e: e.name):
        rows.append(
            {
                "name": f"{entry.method} {entry.name}",
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "rps": round(entry.num_requests / elapsed, 2),
                "p50_ms": entry.get_response_time_percentile(0.5),
                "p95_ms": entry.get_response_time_percentile(0.95),
                "p99_ms": entry.get_response_time_percentile(0.99),
            }
        )
    total = stats.total
    summary = {
        "users": {"reps": args.reps, "managers": args.managers},
        "server_workers": args.workers,
        "think_s": args.think,
        "seconds": round(elapsed, 1),
        "requests": total.num_requests,
        "rps": round(total.num_requests / elapsed, 1),
        "p50_ms": total.get_response_time_percentile(0.5),
        "p95_ms": total.get_response_time_percentile(0.95),
        "p99_ms": total.get_response_time_percentile(0.99),
        "failures": total.num_failures,
        "status": {str(k): v for k, v in sorted(STATUS.items())},
        "server_errors_5xx": sum(v for k, v in STATUS.items() if k >= 500),
        "connection_errors": STATUS.get(0, 0),
        "uploads": dict(UPLOADS),
        "approvals": dict(APPROVALS),
        "recording_states": dict(states),
        "queue_drain_s": round(drain_s, 1) if drain_s is not None else None,
        "load_average": [round(load_avg_before, 2), round(load_avg_after, 2)],
        "per_request": rows,
        "logs": str(tmp),
        "errors": [
            f"{e.method} {e.name}: {e.error} x{e.occurrences}" for e in stats.errors.values()
        ],
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(
        f"{args.reps} reps + {args.managers} managers for {elapsed:.0f} s against "
        f"winback serve --workers {args.workers} (fake transcriber/chat in a separate worker), "
        f"think time {args.think} s"
    )
    print(f"{'request':<38} {'count':>6} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'fail':>5}")
    for row in rows:
        print(
            f"{row['name']:<38} {row['requests']:>6} {row['rps']:>7.2f} {row['p50_ms']:>6.0f} "
            f"{row['p95_ms']:>6.0f} {row['p99_ms']:>6.0f} {row['failures']:>5}"
        )
    print(
        f"{'total':<38} {summary['requests']:>6} {summary['rps']:>7.1f} {summary['p50_ms']:>6.0f} "
        f"{summary['p95_ms']:>6.0f} {summary['p99_ms']:>6.0f} {summary['failures']:>5}  (ms)"
    )
    print(f"HTTP status counts: {summary['status']}; 5xx: {summary['server_errors_5xx']}")
    print(f"uploads: {summary['uploads']}; approvals: {summary['approvals']}")
    drained = (
        f"{drain_s:.1f} s" if drain_s is not None else f"NOT drained in {args.drain_timeout} s"
    )
    print(f"queue drain after the load: {drained}; recording states {summary['recording_states']}")
    print(f"load average before/after: {summary['load_average']}; logs in {tmp}")
    if summary["errors"]:
        print("errors:", *summary["errors"][:10], sep="\n  ")


if __name__ == "__main__":
    main()
