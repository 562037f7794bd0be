"""Rate limits on logins and uploads: fixed time windows, counted in Redis or in memory.

Two limits protect the login form against password guessing: failed logins
per client IP (``login_limit_per_ip``) and per username
(``login_limit_per_username``), each per minute. A third one caps recording
uploads per user and hour (``upload_limit_per_hour``). Over a limit the
request gets HTTP 429 with a ``Retry-After`` header: the API as JSON (via
:class:`agent.errors.RateLimitedError`), the login form re-rendered with a
message.

Counting uses fixed windows: the key of a counter contains the number of the
current window (``unix time // window``), so a window needs no reset, it
simply ends. With ``queue_backend = "redis"`` the counters live in Redis
(``INCR`` plus ``EXPIREAT`` at the end of the window), so every web process
on every machine shares them; otherwise they live in the memory of the one
web process. A fixed window lets a client spend up to twice the limit
across a window boundary; for limits meant to slow guessing down that is
acceptable and much simpler than a sliding log.

Login attempts are counted *before* the password is checked, so parallel
guesses cannot slip past the limit, and the password of a refused attempt is
never checked (the answer reveals nothing). A successful login then takes
back its own two counts, and only those: failures of other people behind the
same IP (an office NAT) still count, but the legitimate logins of that office
do not use up the allowance.

If Redis is unreachable the limiter lets requests through and logs a
warning: logins keep working when the queue server hiccups, and ``winback
doctor`` / readiness report the outage. Client IP and username are stored
only as truncated SHA-256 digests, so the counters hold no personal data in
clear.

Behind a reverse proxy the client IP comes from ``X-Forwarded-For``, which
uvicorn applies only for the proxies in ``FORWARDED_ALLOW_IPS`` (default
127.0.0.1; see docs/deploy.md).
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import FastAPI, Request

from agent.errors import RateLimitedError
from agent.settings import Settings

log = logging.getLogger(__name__)

LOGIN_WINDOW_S = 60
UPLOAD_WINDOW_S = 3600


@dataclass(frozen=True)
class Hit:
    """The state of a counter right after counting one request."""

    key: str
    count: int
    retry_after: int


class Counter(Protocol):
    """Counts requests per key in fixed windows of ``window_s`` seconds."""

    def hit(self, key: str, window_s: int) -> Hit:
        """Count one request for ``key`` in the current window and return the new count."""
        ...

    def undo(self, hit: Hit) -> None:
        """Take back one earlier ``hit`` (if its window has not ended)."""
        ...


def _window(now: float, window_s: int) -> tuple[int, int]:
    """The current window's number and the whole seconds until it ends (at least 1)."""
    number = int(now // window_s)
    return number, max(1, math.ceil((number + 1) * window_s - now))


class MemoryCounter:
    """Counters in this process's memory (one web process: the embedded setup)."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, window_s: int) -> Hit:
        number, retry_after = _window(self._clock(), window_s)
        full = f"{key}:{window_s}:{number}"
        with self._lock:
            if len(self._counts) > 50_000:
                self._forget_ended()
            count = self._counts.get(full, 0) + 1
            self._counts[full] = count
        return Hit(full, count, retry_after)

    def undo(self, hit: Hit) -> None:
        with self._lock:
            count = self._counts.get(hit.key)
            if count is not None:
                self._counts[hit.key] = max(0, count - 1)

    def _forget_ended(self) -> None:
        now = self._clock()
        for full in list(self._counts):
            _, window_s, number = full.rsplit(":", 2)
            if int(number) < int(now // int(window_s)):
                del self._counts[full]


#: Decrement a counter only while it exists: an undo after the window ended must not
#: leave a key with -1 and no expiry behind.
_UNDO_SCRIPT = """
if redis.call('exists', KEYS[1]) == 1 then
  return redis.call('decr', KEYS[1])
end
return 0
"""


class RedisCounter:
    """Counters in Redis, shared by every web process that uses the same server and prefix."""

    def __init__(self, client: Any, prefix: str, clock: Callable[[], float] = time.time):
        self._client = client
        self._prefix = prefix
        self._clock = clock
        self._undo = client.register_script(_UNDO_SCRIPT)

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisCounter:
        """A counter on the Redis server at ``url`` with short timeouts (fail fast)."""
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        return cls(client, prefix)

    def hit(self, key: str, window_s: int) -> Hit:
        import redis

        now = self._clock()
        number, retry_after = _window(now, window_s)
        full = f"{self._prefix}:{key}:{window_s}:{number}"
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.incr(full)
            # Idempotent: every hit sets the same expiry, one second after the window ends.
            pipe.expireat(full, (number + 1) * window_s + 1)
            count = int(pipe.execute()[0])
        except redis.RedisError as exc:
            log.warning("rate limit not applied, Redis unavailable: %s", exc)
            return Hit(full, 0, retry_after)
        return Hit(full, count, retry_after)

    def undo(self, hit: Hit) -> None:
        import redis

        if hit.count == 0:
            return  # never counted (Redis was down)
        try:
            self._undo(keys=[hit.key])
        except redis.RedisError as exc:
            log.warning("rate limit undo failed, Redis unavailable: %s", exc)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LoginAttempt:
    """The counts one login attempt added (taken back when the password was right)."""

    hits: tuple[Hit, ...]


class RateLimiter:
    """The limits of the web app, applied with one :class:`Counter`."""

    def __init__(self, counter: Counter, settings: Settings):
        self.counter = counter
        self.enabled = settings.ratelimit_enabled
        self.login_per_ip = settings.login_limit_per_ip
        self.login_per_username = settings.login_limit_per_username
        self.uploads_per_hour = settings.upload_limit_per_hour

    def login_attempt(self, ip: str, tenant: str, username: str) -> LoginAttempt:
        """Count a login attempt; raise :class:`RateLimitedError` when IP or username is over.

        Call it before checking the password, and :meth:`login_succeeded` after
        a correct one.
        """
        if not self.enabled:
            return LoginAttempt(())
        by_ip = self.counter.hit(f"login-ip:{_digest(ip)}", LOGIN_WINDOW_S)
        if by_ip.count > self.login_per_ip:
            raise RateLimitedError(
                f"Too many login attempts from this address: at most {self.login_per_ip} "
                f"per minute. Try again in {by_ip.retry_after} s.",
                by_ip.retry_after,
            )
        name = _digest(tenant.strip(), username.strip().lower())
        by_name = self.counter.hit(f"login-user:{name}", LOGIN_WINDOW_S)
        if by_name.count > self.login_per_username:
            raise RateLimitedError(
                f"Too many login attempts for this user: at most {self.login_per_username} "
                f"per minute. Try again in {by_name.retry_after} s.",
                by_name.retry_after,
            )
        return LoginAttempt((by_ip, by_name))

    def login_succeeded(self, attempt: LoginAttempt) -> None:
        """Take back the counts of a successful attempt (and nobody else's)."""
        for hit in attempt.hits:
            self.counter.undo(hit)

    def upload(self, user_id: int) -> None:
        """Count an upload of ``user_id``; raise :class:`RateLimitedError` when over the limit."""
        if not self.enabled:
            return
        hit = self.counter.hit(f"upload:{user_id}", UPLOAD_WINDOW_S)
        if hit.count > self.uploads_per_hour:
            minutes = math.ceil(hit.retry_after / 60)
            raise RateLimitedError(
                f"Too many uploads: at most {self.uploads_per_hour} recordings per hour per "
                f"user. Try again in {minutes} min.",
                hit.retry_after,
            )


def build_limiter(settings: Settings) -> RateLimiter:
    """The limiter for ``settings``: Redis counters with the Redis queue, else in memory."""
    counter: Counter
    if settings.queue_backend == "redis":
        counter = RedisCounter.from_url(settings.redis_url, settings.ratelimit_prefix)
    else:
        counter = MemoryCounter()
    return RateLimiter(counter, settings)


def limiter_of(app: FastAPI) -> RateLimiter:
    """The app's limiter, built on first use from the app's settings."""
    limiter: RateLimiter | None = getattr(app.state, "ratelimiter", None)
    if limiter is None:
        limiter = build_limiter(app.state.settings)
        app.state.ratelimiter = limiter
    return limiter


def client_ip(request: Request) -> str:
    """The client address (uvicorn applies X-Forwarded-For of trusted proxies)."""
    return request.client.host if request.client else "unknown"
