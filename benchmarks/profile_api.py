"""CPU per request of the hot read endpoints, measured in-process (no network, no server).

Seeds the demo tenant (plus ``--notes`` draft call notes) in a temporary
SQLite database, builds the app with :func:`api.app.create_app` and calls
it as an ASGI application from one asyncio loop, the way uvicorn does, but
without sockets or HTTP parsing. For each endpoint it reports the process
CPU time per request over ``--requests`` requests after a warm-up. Unlike
requests/s on a shared machine, this figure hardly depends on other load.

``--profile plan|account|notes|health`` prints the top functions of a
cProfile run of that endpoint (cumulative time), for finding what to cut.

    .venv/bin/python benchmarks/profile_api.py [--requests 500] [--profile notes]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


async def call(app: Any, path: str, token: str) -> tuple[int, bytes]:
    """One GET through the ASGI app; returns status and body."""
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status, body = 0, bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, bytes(body)


async def measure(app: Any, path: str, token: str, requests: int) -> float:
    """CPU milliseconds per request of ``path`` (after a warm-up of 50 requests)."""
    for _ in range(50):
        status, body = await call(app, path, token)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status} {body[:200]!r}")
    started = time.process_time()
    for _ in range(requests):
        await call(app, path, token)
    return (time.process_time() - started) / requests * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--notes", type=int, default=60, help="Draft notes to seed.")
    parser.add_argument("--profile", choices=["plan", "account", "notes", "health"])
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="profile-api-"))
    os.environ.update(
        {
            "WINBACK_DATA_DIR": str(tmp / "data"),
            "WINBACK_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
            "WINBACK_TENANT": "demo",
            "WINBACK_CONFIG": str(tmp / "none.toml"),
            "WINBACK_LOG_LEVEL": "WARNING",
        }
    )
    import bench_api

    from agent.settings import get_settings
    from api.app import create_app

    manager, _rep, account = bench_api.prepare(dict(os.environ), args.notes)
    app = create_app(get_settings())
    paths = {
        "plan": "/api/plan?as_of=2026-11-03",
        "account": f"/api/accounts/{account}",
        "notes": "/api/notes?limit=50",
        "health": "/healthz",
    }
    loop = asyncio.new_event_loop()
    if args.profile:
        path = paths[args.profile]
        loop.run_until_complete(measure(app, path, manager, 10))
        profiler = cProfile.Profile()
        profiler.enable()
        loop.run_until_complete(measure(app, path, manager, args.requests))
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        return
    print(f"CPU per request in-process ({args.requests} requests each, manager token):")
    for name, path in paths.items():
        ms = loop.run_until_complete(measure(app, path, manager, args.requests))
        print(f"  {name:<8} {ms:6.3f} ms  {path}")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
