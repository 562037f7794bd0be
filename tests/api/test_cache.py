"""The web app's in-process cache: bounded, expiring, explicitly invalidated, thread-safe."""

from __future__ import annotations

import threading

import pytest

from agent.clock import ManualClock
from api.cache import Cache


def test_a_stored_value_is_served_until_it_is_ttl_seconds_old() -> None:
    clock = ManualClock()
    cache: Cache[str, int] = Cache(max_entries=10, ttl_s=5.0, clock=clock)
    cache.put("a", 1)
    clock.advance(4.9)
    assert cache.get("a") == 1
    clock.advance(0.1)
    assert cache.get("a") is None
    assert len(cache) == 0


def test_when_full_the_least_recently_used_entry_goes() -> None:
    cache: Cache[str, int] = Cache(max_entries=2, ttl_s=60.0, clock=ManualClock())
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recently used
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == (1, 3)
    assert len(cache) == 2


def test_discard_discard_where_and_clear_forget_entries() -> None:
    cache: Cache[tuple[str, int], str] = Cache(max_entries=10, ttl_s=60.0, clock=ManualClock())
    for tenant in (1, 2):
        for day in (1, 2):
            cache.put((f"t{tenant}", day), f"plan {tenant}/{day}")
    cache.discard(("t1", 1))
    cache.discard(("missing", 0))
    assert cache.get(("t1", 1)) is None
    assert cache.discard_where(lambda key, _: key[0] == "t2") == 2
    assert cache.get(("t2", 1)) is None and cache.get(("t1", 2)) == "plan 1/2"
    cache.clear()
    assert len(cache) == 0


def test_get_or_build_builds_a_missing_value_and_then_serves_it() -> None:
    clock = ManualClock()
    cache: Cache[str, str] = Cache(max_entries=10, ttl_s=5.0, clock=clock)
    builds: list[str] = []

    def build() -> str:
        builds.append("x")
        return f"value {len(builds)}"

    assert cache.get_or_build("k", build) == "value 1"
    assert cache.get_or_build("k", build) == "value 1"
    clock.advance(5.0)
    assert cache.get_or_build("k", build) == "value 2"
    assert len(builds) == 2


def test_an_entry_is_dated_from_when_its_build_started() -> None:
    """A value that took long to build reflects the data of its start: it expires from then."""
    clock = ManualClock()
    cache: Cache[str, str] = Cache(max_entries=10, ttl_s=5.0, clock=clock)

    def slow_build() -> str:
        clock.advance(4.0)
        return "plan"

    cache.get_or_build("k", slow_build)
    clock.advance(1.0)
    assert cache.get("k") is None


def test_a_failing_build_stores_nothing_and_the_next_caller_builds_again() -> None:
    cache: Cache[str, str] = Cache(max_entries=10, ttl_s=60.0, clock=ManualClock())

    def broken() -> str:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        cache.get_or_build("k", broken)
    assert cache.get("k") is None
    assert cache.get_or_build("k", lambda: "fine") == "fine"


def test_concurrent_misses_of_one_key_build_it_once() -> None:
    cache: Cache[str, int] = Cache(max_entries=10, ttl_s=60.0)
    started = threading.Event()
    release = threading.Event()
    builds: list[int] = []

    def build() -> int:
        builds.append(1)
        started.set()
        release.wait(timeout=10)
        return 42

    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(cache.get_or_build("k", build)))
    first.start()
    assert started.wait(timeout=10)
    others = [
        threading.Thread(target=lambda: results.append(cache.get_or_build("k", build)))
        for _ in range(4)
    ]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(timeout=10)
    assert results == [42] * 5
    assert builds == [1]


def test_none_is_refused_as_a_value_since_get_answers_none_for_a_miss() -> None:
    cache: Cache[str, int | None] = Cache(max_entries=1, ttl_s=1.0)
    with pytest.raises(ValueError):
        cache.put("k", None)


def test_a_cache_refuses_a_size_or_age_that_would_keep_nothing() -> None:
    with pytest.raises(ValueError):
        Cache(max_entries=0, ttl_s=1.0)
    with pytest.raises(ValueError):
        Cache(max_entries=1, ttl_s=0)
