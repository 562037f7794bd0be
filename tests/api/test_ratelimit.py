"""Rate limits on logins and uploads: in memory, in a SQLite file and in Redis (127.0.0.1:6379).

The web-level tests run once per shared backend: ``sqlite`` (the counter file
in data_dir, with ``queue_backend = sqlite``) and ``redis`` (``queue_backend
= redis`` with a key prefix of the test's own, deleted afterwards). The
attacks on the limits are in tests/security/test_login_limits.py.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.clock import ManualClock
from agent.crm.db import open_store
from agent.errors import RateLimitedError
from agent.settings import Settings, configure
from api.app import create_app
from api.counters import Hit, MemoryCounter, RedisCounter, SqliteCounter
from api.deps import forget_principals
from api.planning import forget_plans
from api.ratelimit import RateLimiter, build_limiter, limiter_of
from tests.api.conftest import bearer
from tests.api.world import PASSWORD, World, build_world
from tests.calls import media
from tests.calls.conftest import REDIS_URL, redis_available


class Clock:
    """A settable clock for the counters."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


#: The start of the next hour (also a minute boundary). Counter tests run on a clock there,
#: so Redis keys get an expiry in the (near) future, as in production.
HOUR = (int(time.time()) // 3600 + 1) * 3600


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the real Redis; its keys are deleted afterwards."""
    reason = redis_available()
    if reason:
        pytest.skip(reason)
    import redis

    prefix = f"wbtest:rl:{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def redis_counter(prefix: str, clock: Clock) -> RedisCounter:
    import redis

    return RedisCounter(redis.Redis.from_url(REDIS_URL), prefix, clock)


# --- counters ------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def counter_and_clock(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Any, Clock]:
    clock = Clock(HOUR)
    if request.param == "memory":
        return MemoryCounter(clock), clock
    if request.param == "sqlite":
        return SqliteCounter(tmp_path / "ratelimit.db", clock), clock
    prefix = request.getfixturevalue("redis_prefix")
    return redis_counter(prefix, clock), clock


def test_counts_in_fixed_windows(counter_and_clock: tuple[Any, Clock]) -> None:
    counter, clock = counter_and_clock
    clock.now = HOUR + 20
    hits = [counter.hit("k", 60) for _ in range(3)]
    assert [h.count for h in hits] == [1, 2, 3]
    assert hits[-1].retry_after == 40  # seconds until the minute ends
    clock.now += 30
    assert counter.hit("k", 60).count == 4  # same window
    assert counter.hit("other", 60).count == 1  # keys are separate
    clock.now += 10  # the next minute has begun: a new window, no reset needed
    fresh = counter.hit("k", 60)
    assert fresh.count == 1 and fresh.retry_after == 60


def test_retry_after_counts_down_to_the_window_end(counter_and_clock: tuple[Any, Clock]) -> None:
    counter, clock = counter_and_clock
    clock.now = HOUR + 3599.5  # half a second before the hour ends
    assert counter.hit("u", 3600).retry_after == 1  # at least one second
    clock.now += 1.0
    assert counter.hit("u", 3600).retry_after == 3600  # rounded up, in the new hour


def test_undo_takes_back_one_hit_only(counter_and_clock: tuple[Any, Clock]) -> None:
    counter, _ = counter_and_clock
    first = counter.hit("k", 60)
    counter.hit("k", 60)
    counter.undo(first)
    assert counter.hit("k", 60).count == 2  # 2 - 1 + 1


def test_redis_counters_are_shared_between_processes(redis_prefix: str) -> None:
    clock = Clock(HOUR + 5)
    web1, web2 = redis_counter(redis_prefix, clock), redis_counter(redis_prefix, clock)
    assert web1.hit("login", 60).count == 1
    assert web2.hit("login", 60).count == 2  # a second web process sees the first one's count


def test_redis_keys_expire_at_the_window_end(redis_prefix: str) -> None:
    import redis

    counter = redis_counter(redis_prefix, Clock(time.time()))
    for window in (60, 3600):
        hit = counter.hit("upload:1", window)
        ttl = redis.Redis.from_url(REDIS_URL).ttl(hit.key)
        # EXPIREAT one second after the window ends
        assert 0 < ttl <= window + 1 and abs(ttl - hit.retry_after) <= 2, (ttl, hit.retry_after)


def test_redis_undo_after_the_window_leaves_no_key(redis_prefix: str) -> None:
    import redis

    counter = redis_counter(redis_prefix, Clock(HOUR))
    gone = Hit(f"{redis_prefix}:login:60:1", 1, 1)  # a window whose key has expired
    counter.undo(gone)
    assert redis.Redis.from_url(REDIS_URL).exists(gone.key) == 0  # no stray -1 without TTL


def test_redis_down_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    counter = RedisCounter.from_url("redis://127.0.0.1:1/0", "wbtest")
    hit = counter.hit("login", 60)
    assert hit.count == 0
    counter.undo(hit)
    assert "Redis unavailable" in caplog.text


def test_sqlite_counters_are_shared_between_processes(tmp_path: Path) -> None:
    clock = Clock(HOUR + 5)
    web1 = SqliteCounter(tmp_path / "ratelimit.db", clock)
    web2 = SqliteCounter(tmp_path / "ratelimit.db", clock)
    assert web1.hit("login", 60).count == 1
    assert web2.hit("login", 60).count == 2


def test_sqlite_counters_forget_ended_windows(tmp_path: Path) -> None:
    import sqlite3

    clock = Clock(HOUR)
    counter = SqliteCounter(tmp_path / "ratelimit.db", clock)
    counter.hit("old", 60)
    clock.now += 3600  # an hour later the next hit sweeps the ended window away
    counter.hit("new", 60)
    with sqlite3.connect(tmp_path / "ratelimit.db") as conn:
        keys = [row[0] for row in conn.execute("SELECT key FROM counters")]
    assert len(keys) == 1 and keys[0].startswith("new:")


def test_unwritable_counter_file_lets_requests_through(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "file").write_text("")
    counter = SqliteCounter(tmp_path / "file" / "ratelimit.db")  # a path under a plain file
    hit = counter.hit("login", 60)
    assert hit.count == 0
    counter.undo(hit)
    assert "rate limit not applied" in caplog.text


def test_backend_follows_the_setting_and_the_queue_backend() -> None:
    assert isinstance(build_limiter(configure()).counter, SqliteCounter)  # shared by processes
    redis_settings = configure(queue_backend="redis", redis_url="redis://127.0.0.1:1/0")
    assert isinstance(build_limiter(redis_settings).counter, RedisCounter)
    assert isinstance(build_limiter(configure(ratelimit_backend="memory")).counter, MemoryCounter)
    pinned = configure(ratelimit_backend="redis", redis_url="redis://127.0.0.1:1/0")
    assert isinstance(build_limiter(pinned).counter, RedisCounter)


def test_limiter_messages_and_retry_after() -> None:
    settings = configure(login_limit_per_ip=2, login_limit_per_username=1, upload_limit_per_hour=1)
    limiter = RateLimiter(MemoryCounter(Clock(HOUR)), settings)
    limiter.login_attempt("10.0.0.1", "acme", "anna")
    with pytest.raises(RateLimitedError, match="for this user from this address") as exc:
        limiter.login_attempt("10.0.0.1", "acme", " ANNA ")  # same user, normalised
    assert exc.value.retry_after == 60
    limiter.login_attempt("10.0.0.2", "acme", "anna")  # the same user elsewhere: not limited
    with pytest.raises(RateLimitedError, match="from this address"):
        limiter.login_attempt("10.0.0.1", "acme", "carl")
    counted = limiter.upload(7)
    with pytest.raises(RateLimitedError, match="Try again in 60 min") as up:
        limiter.upload(7)
    assert up.value.retry_after == 3600 and up.value.http_status == 429
    limiter.upload(8)  # per user
    limiter.upload_not_accepted(counted)
    limiter.upload_not_accepted(None)  # limits off: nothing was counted


def test_disabled_limiter_never_refuses() -> None:
    limiter = RateLimiter(MemoryCounter(), configure(ratelimit_enabled=False))  # real clock
    for _ in range(100):
        limiter.login_attempt("ip", "t", "u")
        limiter.upload(1)


# --- the web app, per backend ------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def limited(
    request: pytest.FixtureRequest, sqlite_url: str
) -> Iterator[tuple[Settings, World, str]]:
    """Settings with small limits on the chosen backend, and the seeded world."""
    overrides: dict[str, Any] = {}
    if request.param == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        overrides = {
            "queue_backend": "redis",
            "redis_url": REDIS_URL,
            "queue_name": prefix.replace(":", "_"),
            "ratelimit_prefix": prefix,
        }
    settings = configure(
        database_url=sqlite_url, chat_backend="fake", embeddings_backend="fake",
        transcriber_backend="fake", max_upload_mb=2, login_limit_per_ip=4,
        login_limit_per_username=3, upload_limit_per_hour=2, **overrides,
    )  # fmt: skip
    world = build_world(open_store(settings.db_url))
    forget_plans()
    forget_principals()
    yield settings, world, request.param


def post_login(client: TestClient, username: str, password: str = "wrong password") -> Any:
    return client.post(
        "/login",
        data={"tenant": "acme", "username": username, "password": password},
        follow_redirects=False,
    )


def test_failed_logins_per_username_get_429(
    limited: tuple[Settings, World, str], clock: ManualClock
) -> None:
    settings, _, _ = limited
    with TestClient(create_app(settings, clock)) as client:
        assert [post_login(client, "rep1").status_code for _ in range(3)] == [401] * 3
        refused = post_login(client, "rep1", PASSWORD)  # even the right password: not checked
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "Zu viele Anmeldeversuche" in refused.text and "Sekunden" in refused.text
        assert "set-cookie" not in refused.headers
        client.cookies.set("winback_lang", "en")
        assert "Too many login attempts" in post_login(client, "rep1").text


def test_failed_logins_per_ip_get_429(
    limited: tuple[Settings, World, str], clock: ManualClock
) -> None:
    settings, _, _ = limited
    with TestClient(create_app(settings, clock)) as client:
        statuses = [post_login(client, name).status_code for name in ("a", "b", "c", "d", "e")]
        assert statuses == [401, 401, 401, 401, 429]  # 4 per IP, spread over usernames


def test_success_does_not_reset_the_ip_window(
    limited: tuple[Settings, World, str], clock: ManualClock
) -> None:
    settings, _, _ = limited
    with TestClient(create_app(settings, clock)) as client:
        for _ in range(6):  # successes do not use up the allowance (an office behind one NAT)
            assert post_login(client, "boss", PASSWORD).status_code == 303
        assert [post_login(client, n).status_code for n in ("x", "y", "z")] == [401] * 3
        # a colleague's correct login from the same address takes back only its own count
        assert post_login(client, "root", PASSWORD).status_code == 303
        assert post_login(client, "w").status_code == 401  # 4th failure: still allowed
        assert post_login(client, "root", PASSWORD).status_code == 429  # the window is full


def test_a_refused_login_is_allowed_again_when_the_window_ends(
    limited: tuple[Settings, World, str], clock: ManualClock
) -> None:
    settings, _, _ = limited
    with TestClient(create_app(settings, clock)) as client:
        assert [post_login(client, "rep1").status_code for _ in range(4)] == [401] * 3 + [429]
        clock.advance(59)
        assert post_login(client, "rep1").status_code == 429  # the same minute
        clock.advance(1)
        assert post_login(client, "rep1", PASSWORD).status_code == 303  # a new minute


def test_counts_are_shared_between_web_processes(
    limited: tuple[Settings, World, str], clock: ManualClock
) -> None:
    settings, _, _ = limited
    with (
        TestClient(create_app(settings, clock)) as web1,
        TestClient(create_app(settings, clock)) as web2,
    ):
        for _ in range(3):
            assert post_login(web1, "rep2").status_code == 401
        assert post_login(web2, "rep2").status_code == 429  # the second process sees the count


@pytest.fixture
def calls(tmp_path: Path) -> Iterator[bytes]:
    """Valid recordings, each with other content."""

    def make() -> Iterator[bytes]:
        for n in itertools.count():
            samples = media.tone(1.0, freq=200.0 + 11 * n)
            yield media.write_audio(tmp_path / f"call{n}.wav", samples).read_bytes()

    return make()


def upload(client: TestClient, world: World, user: str, body: bytes) -> Any:
    return client.post(
        f"/api/accounts/{world.objects[user].account}/recordings",
        params={
            "given_by": "Frau Huber",
            "method": "written",
            "given_at": "2026-11-20T10:00:00+01:00",
            "text_version": "v1",
        },  # fmt: skip
        content=body,
        headers={**bearer(world, user), "Content-Type": "audio/wav"},
    )


def test_uploads_per_user_get_429_json(
    limited: tuple[Settings, World, str], clock: ManualClock, calls: Iterator[bytes]
) -> None:
    settings, world, _ = limited
    with TestClient(create_app(settings, clock)) as client:
        statuses = [upload(client, world, "rep1", next(calls)).status_code for _ in range(2)]
        assert statuses == [202, 202]
        refused = upload(client, world, "rep1", next(calls))
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/json")
        assert "Too many uploads" in refused.json()["detail"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 3600
        assert upload(client, world, "rep2", next(calls)).status_code == 202  # own budget
        # refused before the body is read: the limiter saw exactly 3 uploads of rep1
        limiter = limiter_of(client.app)  # type: ignore[arg-type]
        assert limiter.counter.hit(f"upload:{world.users['rep1']}", 3600).count == 4


def test_redis_outage_keeps_login_working(sqlite_url: str) -> None:
    settings = configure(database_url=sqlite_url, queue_backend="redis",
                         redis_url="redis://127.0.0.1:1/0", login_limit_per_username=1)  # fmt: skip
    build_world(open_store(settings.db_url))
    forget_principals()
    with TestClient(create_app(settings)) as client:
        assert post_login(client, "rep1").status_code == 401
        assert post_login(client, "rep1").status_code == 401  # not limited: fail open
        assert post_login(client, "rep1", PASSWORD).status_code == 303
