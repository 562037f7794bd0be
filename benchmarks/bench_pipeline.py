"""Measure the call pipeline: upload to draft note, turnaround, queue overhead, throughput.

0. Upload to draft note through the API (``--note-only`` runs just this):
   ``winback serve`` with its embedded worker and the default analysis, a
   ~5-minute German two-channel call (de-003 + de-009 from
   ../shared/evals/audio, rep left, customer right) and the same call as an
   8 kHz mono phone recording (their ``.8k.flac`` versions), each POSTed to
   ``/api/accounts/{id}/recordings`` and polled until ``note_id`` is set.
   Prints upload->note seconds, x call length, the server's CPU seconds in
   that time and the load average. A short warm-up call of each kind loads
   the models first (a running server has them loaded). Target: <= 0.25x.
1. Turnaround: a ~5-minute two-channel call (rendered calls en-010 + the
   start of en-005 from ../shared/evals/audio, rep and customer on their
   own channels) is uploaded and processed by one embedded worker with the
   local Whisper base model on SQLite. Target: turnaround <= 0.25 x call length.
2. Queue overhead: round trip of a no-op task (enqueue -> executed) on the
   SQLite and the Redis queue with a running consumer, and the part of the
   pipeline's turnaround not spent inside a step. Target: <= 100 ms per job.
3. Throughput: N short calls (the JFK clip, each made unique) processed by
   ``winback worker --workers 2 --worker-type process --queue redis``.

    .venv/bin/python benchmarks/bench_pipeline.py [--skip-turnaround] [--calls 6]

Every figure is printed; the machine has 2 cores shared with other work,
so compare runs on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("WINBACK_SHARED_DIR", REPO.parent / "shared"))
JFK = REPO / "tests/fixtures/audio/jfk.flac"
CONSENT = {
    "given_by": "Benchmark",
    "method": "verbal_at_call_start",
    "given_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    "text_version": "bench-1",
}


def _decode(path: Path) -> np.ndarray:
    """All channels of ``path`` at 16 kHz as float32, shape (channels, n)."""
    container = av.open(str(path))
    stream = container.streams.audio[0]
    layout = "stereo" if stream.codec_context.channels >= 2 else "mono"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=16_000)
    parts = [out.to_ndarray() for f in container.decode(stream) for out in resampler.resample(f)]
    container.close()
    return np.concatenate(parts, axis=1)


def _write_wav(path: Path, samples: np.ndarray) -> Path:
    from tests.calls.media import write_audio

    return write_audio(path, samples)


def build_five_minute_call(target: Path, seconds: float = 300.0) -> Path:
    """en-010 followed by en-005, both two-channel, cut to ``seconds``."""
    audio = np.concatenate(
        [_decode(SHARED / "evals/audio/en-010.flac"), _decode(SHARED / "evals/audio/en-005.flac")],
        axis=1,
    )
    return _write_wav(target, audio[:, : int(seconds * 16_000)])


def build_german_calls(work: Path) -> dict[str, tuple[Path, str]]:
    """The 5-minute German call two-channel and as 8 kHz mono, plus 25 s warm-up cuts."""
    calls = ["de-003", "de-009"]
    stereo = np.concatenate([_decode(SHARED / f"evals/audio/{c}.flac") for c in calls], axis=1)
    mono = np.concatenate([_decode(SHARED / f"evals/audio/{c}.8k.flac") for c in calls], axis=1)
    phone = mono[:1, ::2]  # the 8 kHz original, upsampled by _decode: back to 8 kHz
    warm = int(25 * 16_000)
    from tests.calls.media import write_audio

    return {
        "warmup_two_channel": (_write_wav(work / "warm2.wav", stereo[:, -warm:]), "rep,customer"),
        "warmup_mono": (
            write_audio(work / "warm1.wav", phone[:, -warm // 2 :], rate=8_000),
            "mono",
        ),
        "two_channel": (_write_wav(work / "call2ch.wav", stereo), "rep,customer"),
        "mono_8k": (write_audio(work / "call1ch.wav", phone, rate=8_000), "mono"),
    }


def upload_to_note(work: Path) -> dict[str, dict[str, float]]:
    """Upload -> draft note through ``winback serve`` for the two-channel and the mono call."""
    import httpx

    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_api import cpu_seconds, free_port, prepare, wait_http

    data = work / "note"
    env = {
        **os.environ,
        "WINBACK_DATA_DIR": str(data / "data"),
        "WINBACK_DATABASE_URL": f"sqlite:///{data / 'bench.db'}",
        "WINBACK_TENANT": "demo",
        "WINBACK_CONFIG": str(work / "none.toml"),
    }
    data.mkdir(parents=True, exist_ok=True)
    os.environ.update({k: v for k, v in env.items() if k.startswith("WINBACK_")})
    _, rep, account = prepare(env, 0)
    calls = build_german_calls(work)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-c", "from agent.cli import main; main()", "serve", "--port", str(port)]
    log = (work / "serve.log").open("w")
    server = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    headers = {"Authorization": f"Bearer {rep}", "Content-Type": "audio/wav"}
    consent = {k: str(v) for k, v in CONSENT.items()}
    results: dict[str, dict[str, float]] = {}
    try:
        wait_http(f"{base}/healthz")
        for name, (path, channels) in calls.items():
            length = float(av.open(str(path)).duration or 0) / 1e6
            load = os.getloadavg()
            cpu0, started = cpu_seconds(server.pid), time.monotonic()
            r = httpx.post(
                f"{base}/api/accounts/{account}/recordings",
                params={**consent, "channels": channels, "filename": path.name},
                content=path.read_bytes(),
                headers=headers,
                timeout=120,
            )
            if r.status_code != 202:
                raise SystemExit(f"upload of {name} refused: {r.status_code} {r.text}")
            recording = r.json()["id"]
            while True:
                view = httpx.get(f"{base}/api/recordings/{recording}", headers=headers).json()
                if view["status"] == "failed":
                    raise SystemExit(f"{name} failed: {view}")
                if view.get("note_id"):
                    break
                if time.monotonic() - started > 3600:
                    raise SystemExit(f"{name}: no note after an hour")
                time.sleep(0.2)
            wall = time.monotonic() - started
            transcript = httpx.get(
                f"{base}/api/recordings/{recording}/transcript", headers=headers
            ).json()
            speakers = sorted({s.get("speaker") for s in transcript.get("segments", [])})
            results[name] = {
                "call_s": round(length, 1),
                "upload_to_note_s": round(wall, 1),
                "x_call": round(wall / length, 3),
                "server_cpu_s": round(cpu_seconds(server.pid) - cpu0, 1),
                "load_start": round(load[0], 2),
                "load_end": round(os.getloadavg()[0], 2),
                "segments": len(transcript.get("segments", [])),
                "speakers": ",".join(str(s) for s in speakers),  # type: ignore[dict-item]
                **{f"step_{j['step']}_s": round(j["duration_s"] or 0.0, 1) for j in view["jobs"]},
            }
            print(json.dumps({name: results[name]}), flush=True)
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    return results


def _setup(url: str, **overrides: object):  # type: ignore[no-untyped-def]
    from agent.crm.db import get_or_create_tenant, open_store
    from agent.crm.models import Account
    from agent.settings import configure

    settings = configure(database_url=url, **overrides)
    store = open_store(url)
    with store.session() as session:
        tenant = get_or_create_tenant(session, "default")
        session.add(Account(tenant_id=tenant.id, external_id="K-1", name="Bench GmbH"))
    return settings, store


def _wait(store, recording_ids: list[str], timeout: float) -> float:  # type: ignore[no-untyped-def]
    from agent.calls.status import get_recording

    pending = set(recording_ids)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for rid in list(pending):
            view = get_recording(store, "default", rid)
            if view.status == "failed":
                raise SystemExit(f"recording {rid} failed: {view.error}")
            if view.status == "transcribed" and all(j.status == "done" for j in view.jobs):
                pending.discard(rid)
        time.sleep(0.05)
    if pending:
        raise SystemExit(f"{len(pending)} recordings not done after {timeout} s")
    return time.monotonic()


def turnaround(work: Path) -> dict[str, float]:
    from agent.calls.intake import upload_recording
    from agent.calls.status import get_recording
    from agent.jobs.worker import embedded_worker
    from agent.transcription.registry import get_transcriber

    data = work / "turnaround"
    settings, store = _setup(f"sqlite:///{data / 'winback.db'}", data_dir=data)
    get_transcriber(settings)._whisper()  # type: ignore[attr-defined]  # load once, not timed
    call = build_five_minute_call(work / "call5min.wav")
    with embedded_worker(settings):
        started = time.monotonic()
        with call.open("rb") as fh:
            recording = upload_recording(store, settings, "K-1", fh, CONSENT)
        uploaded = time.monotonic()
        finished = _wait(store, [recording.id], timeout=3600)
    view = get_recording(store, "default", recording.id)
    steps = {j.step: j.duration_s or 0.0 for j in view.jobs}
    total = finished - started
    length = view.duration_s or 0.0
    return {
        "call_s": round(length, 1),
        "turnaround_s": round(total, 2),
        "turnaround_x_call": round(total / length, 3),
        "upload_s": round(uploaded - started, 2),
        **{f"step_{k}_s": round(v, 2) for k, v in steps.items()},
        "outside_steps_s": round(total - (uploaded - started) - sum(steps.values()), 3),
    }


def queue_overhead(settings, rounds: int = 50) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Round trip of the no-op ``ping`` task through a running consumer, in ms."""
    from huey.signals import SIGNAL_COMPLETE

    from agent.jobs.queue import PING_TASK, get_queue, task_for
    from agent.jobs.worker import embedded_worker

    huey = get_queue(settings)
    done: dict[str, float] = {}
    arrived = threading.Condition()

    @huey.signal(SIGNAL_COMPLETE)
    def _complete(signal_name, task, *args, **kwargs):  # type: ignore[no-untyped-def]
        with arrived:
            done[task.id] = time.perf_counter()
            arrived.notify_all()

    ping = task_for(huey, PING_TASK)
    latencies = []
    with embedded_worker(settings):
        time.sleep(0.5)
        for _ in range(rounds):
            sent = time.perf_counter()
            result = ping(time.time())
            task_id = result.id if result is not None else None
            with arrived:
                arrived.wait_for(lambda: len(done) > len(latencies), timeout=10)
            finished = done.get(task_id) if task_id else max(done.values())
            latencies.append((finished - sent) * 1000)
            time.sleep(0.01)
    huey.disconnect_signal(_complete, SIGNAL_COMPLETE)
    return {
        "median_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(sorted(latencies)[int(0.95 * len(latencies)) - 1], 1),
        "max_ms": round(max(latencies), 1),
    }


def throughput_redis(work: Path, calls: int) -> dict[str, float]:
    from agent.calls.intake import upload_recording
    from agent.jobs.queue import forget_queues

    data = work / "throughput"
    forget_queues()
    name = f"bench_{uuid.uuid4().hex[:8]}"
    url = f"sqlite:///{data / 'winback.db'}"
    settings, store = _setup(url, data_dir=data, queue_backend="redis", queue_name=name)
    jfk = _decode(JFK)
    ids = []
    for i in range(calls):
        # A different quiet tone per call makes every file unique (no dedupe).
        tone = 0.001 * np.sin(2 * np.pi * (200 + i) * np.arange(jfk.shape[1]) / 16_000)
        path = _write_wav(work / f"jfk{i}.wav", jfk + tone.astype(np.float32))
        with path.open("rb") as fh:
            ids.append(upload_recording(store, settings, "K-1", fh, CONSENT).id)
    env = {
        **os.environ,
        "WINBACK_DATA_DIR": str(data),
        "WINBACK_DATABASE_URL": url,
        "WINBACK_QUEUE_BACKEND": "redis",
        "WINBACK_QUEUE_NAME": name,
        "WINBACK_CONFIG": str(work / "none.toml"),
    }
    cmd = [sys.executable, "-c", "from agent.cli import main; main()", "worker"]
    cmd += ["--workers", "2", "--worker-type", "process"]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, start_new_session=True)
    try:
        finished = _wait(store, ids, timeout=1800)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        import redis

        client = redis.Redis.from_url(settings.redis_url)
        for key in client.scan_iter(match=f"*{name}*"):
            client.delete(key)
    wall = finished - started
    audio = calls * jfk.shape[1] / 16_000
    return {
        "calls": calls,
        "wall_s_incl_worker_start": round(wall, 1),
        "calls_per_min": round(calls / wall * 60, 2),
        "audio_s_per_wall_s": round(audio / wall, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-turnaround", action="store_true")
    parser.add_argument("--note-only", action="store_true", help="only upload -> draft note")
    parser.add_argument("--calls", type=int, default=6)
    args = parser.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="winback-bench-") as tmp:
        work = Path(tmp)
        os.environ["WINBACK_CONFIG"] = str(work / "none.toml")
        results["upload_to_note"] = upload_to_note(work)
        if args.note_only:
            print(json.dumps(results, indent=2))
            return
        if not args.skip_turnaround:
            results["turnaround"] = turnaround(work)
            print(json.dumps({"turnaround": results["turnaround"]}), flush=True)
        settings, _ = _setup(f"sqlite:///{work / 'q.db'}", data_dir=work / "q")
        results["queue_overhead_sqlite"] = queue_overhead(settings)
        print(json.dumps({"queue_overhead_sqlite": results["queue_overhead_sqlite"]}), flush=True)
        name = f"bench_ping_{uuid.uuid4().hex[:8]}"
        redis_settings = settings.model_copy(update={"queue_backend": "redis", "queue_name": name})
        from agent.settings import set_settings

        set_settings(redis_settings)
        results["queue_overhead_redis"] = queue_overhead(redis_settings)
        from agent.jobs.queue import get_queue

        get_queue(redis_settings).flush()  # leave no keys behind in Redis
        print(json.dumps({"queue_overhead_redis": results["queue_overhead_redis"]}), flush=True)
        results["throughput_redis_2_workers"] = throughput_redis(work, args.calls)
        print(json.dumps({"throughput": results["throughput_redis_2_workers"]}), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
