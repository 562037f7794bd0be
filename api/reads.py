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

A read on the loop must never wait for a connection of the app's pool:
requests served in threads hold those connections, and FastAPI closes their
sessions from the loop, so a loop waiting for the pool would wait for itself
(a load test found exactly that: 30 s stalls, then 500s). Reads on the loop
therefore get their own engine (:func:`loop_store`); the loop runs one read
at a time, so it only ever uses one connection of it.

Only reads with a small, bounded cost belong here; anything that may take
long (building a plan, parsing many new notes) goes to the threadpool.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from agent.crm.db import Store, make_engine

P = ParamSpec("P")
T = TypeVar("T")

#: Per engine of an app's store (weakly: it goes when that engine goes, e.g. in tests).
_loop_stores: weakref.WeakKeyDictionary[Engine, Store] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def reads_inline(store: Store) -> bool:
    """Whether short reads of ``store`` run on the event loop (SQLite)."""
    return store.engine.dialect.name == "sqlite"


def loop_store(store: Store) -> Store:
    """A store on the same database with its own engine, for reads on the event loop."""
    with _lock:
        found = _loop_stores.get(store.engine)
        if found is None:
            # Already migrated: the app's store opened the database.
            engine = make_engine(store.engine.url.render_as_string(hide_password=False))
            found = Store(engine=engine, factory=sessionmaker(engine, expire_on_commit=False))
            _loop_stores[store.engine] = found
        return found


async def run_read(
    store: Store, fn: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run the short read ``fn(store, *args, **kwargs)``: on the loop for SQLite, else threaded.

    On the loop, ``fn`` gets :func:`loop_store` instead of ``store``.
    """
    if reads_inline(store):
        return fn(loop_store(store), *args, **kwargs)
    return await run_in_threadpool(fn, store, *args, **kwargs)
