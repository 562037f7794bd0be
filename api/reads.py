"""Short database reads of the hot endpoints: on the event loop for SQLite, else in a thread.

FastAPI runs every plain ``def`` endpoint and dependency in a worker thread.
For the polled read endpoints (plan, account, note list) that thread hop
cost about 1 ms of CPU per request on the 2-core test machine (waking the
thread and handing the GIL back and forth), more than the reads themselves
once their results are cached (0.2-0.5 ms). :func:`run_read` therefore runs
such a read directly on the event loop when the store is SQLite: in WAL mode
(:mod:`agent.crm.db`) readers never wait for writers, so a read does not
block the loop for longer than it computes. On PostgreSQL every query is a
network round trip, and the read runs in the threadpool as before.

Only reads with a small, bounded cost belong here; anything that may take
long (building a plan, parsing many new notes) goes to the threadpool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from fastapi.concurrency import run_in_threadpool

from agent.crm.db import Store

P = ParamSpec("P")
T = TypeVar("T")


def reads_inline(store: Store) -> bool:
    """Whether short reads of ``store`` run on the event loop (SQLite)."""
    return store.engine.dialect.name == "sqlite"


async def run_read(store: Store, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run the short read ``fn(*args, **kwargs)`` of ``store``: inline on SQLite, else threaded."""
    if reads_inline(store):
        return fn(*args, **kwargs)
    return await run_in_threadpool(fn, *args, **kwargs)
