"""Rate limits on logins and uploads: fixed time windows, counted in Redis, SQLite or memory.

Logins are limited so that guessing is slow and yet no attacker can lock a
user out from somewhere else:

* per client address, any username: ``login_limit_per_ip`` failures a minute
  (one address spraying many usernames);
* per username *and* client address: ``login_limit_per_username`` a minute
  and ``login_limit_per_username_hour`` an hour. An attacker who guesses one
  user's password is stopped at their own address; the user, logging in
  from anywhere else, is not affected;
* per username from all addresses: ``login_limit_global_per_hour`` an hour,
  the slower global backoff against guessing from many addresses. It is
  larger than what one address may try in an hour (the settings enforce
  it), and only attempts that passed the per-address limits count towards
  it, so one client can never reach it.

An IPv6 client counts by its /64 network, which one host usually holds
whole. A third kind of limit caps accepted recording uploads per user and
hour (``upload_limit_per_hour``); an upload that fails (refused, too large,
not audio, a duplicate) takes its count back. Over a limit the request gets
HTTP 429 with ``Retry-After``: the API as JSON (via
:class:`agent.errors.RateLimitedError`), the login form re-rendered with a
message.

The counters (:mod:`api.counters`) count in fixed windows and live where
every web process sees them (``ratelimit_backend``): in Redis with the Redis
queue (every machine shares them), else in a SQLite file in ``data_dir``
that all web processes of this machine share (``winback serve --workers
N``); ``memory`` counts in one process only. The windows follow the app's
:class:`agent.clock.Clock`, so a test ends a window by moving a
:class:`agent.clock.ManualClock` rather than by sleeping.

Login attempts are counted *before* the password is checked, so parallel
guesses cannot slip past the limit, and the password of a refused attempt is
never checked (the answer reveals nothing). A successful login then takes
back its own counts, and only those: failures of other people behind the
same address (an office NAT) still count, but the legitimate logins of that
office do not use up the allowance.

If Redis or the counter file is unavailable the limiter lets requests
through (the counters log a warning): logins keep working when a dependency
hiccups, and ``winback doctor`` / readiness report the outage. Client
addresses and usernames are stored only as truncated SHA-256 digests, so the
counters hold no personal data in clear.

The client address is the TCP peer. Only a peer listed in
``trusted_proxies`` may name another one in ``X-Forwarded-For`` (applied by
the app itself, see :func:`api.app.create_app`); from anyone else the header
is ignored, and a warning is logged once so an operator who forgot the
setting behind a proxy notices.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
from dataclasses import dataclass

from fastapi import FastAPI, Request

from agent.clock import SYSTEM, Clock
from agent.errors import RateLimitedError
from agent.settings import Settings
from api.counters import Counter, Hit, MemoryCounter, RedisCounter, SqliteCounter

log = logging.getLogger(__name__)

LOGIN_WINDOW_S = 60
HOUR_S = 3600
UPLOAD_WINDOW_S = HOUR_S


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def client_key(ip: str) -> str:
    """The unit one client is counted by: its IPv4 address, or its IPv6 /64 network."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip  # not an address (a test client's name): counted as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


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
        self.login_per_username_hour = settings.login_limit_per_username_hour
        self.login_global_per_hour = settings.login_limit_global_per_hour
        self.uploads_per_hour = settings.upload_limit_per_hour

    def login_attempt(self, ip: str, tenant: str, username: str) -> LoginAttempt:
        """Count a login attempt; raise :class:`RateLimitedError` when a limit is reached.

        Call it before checking the password, and :meth:`login_succeeded` after
        a correct one. The checks run from the narrowest to the widest, and
        an attempt refused by a narrow one is not counted by the wider ones.
        """
        if not self.enabled:
            return LoginAttempt(())
        client = _digest(client_key(ip))
        by_ip = self.counter.hit(f"login-ip:{client}", LOGIN_WINDOW_S)
        if by_ip.count > self.login_per_ip:
            raise RateLimitedError(
                f"Too many login attempts from this address: at most {self.login_per_ip} "
                f"per minute. Try again in {by_ip.retry_after} s.",
                by_ip.retry_after,
            )
        name = _digest(tenant.strip(), username.strip().lower())
        pair = _digest(name, client)
        hits = [by_ip]
        for window, limit in (
            (LOGIN_WINDOW_S, self.login_per_username),
            (HOUR_S, self.login_per_username_hour),
        ):
            hit = self.counter.hit(f"login-user:{pair}", window)
            hits.append(hit)
            if hit.count > limit:
                per = "minute" if window == LOGIN_WINDOW_S else "hour"
                raise RateLimitedError(
                    f"Too many login attempts for this user from this address: at most {limit} "
                    f"per {per}. Try again in {_wait(hit.retry_after)}.",
                    hit.retry_after,
                )
        everywhere = self.counter.hit(f"login-user-all:{name}", HOUR_S)
        if everywhere.count > self.login_global_per_hour:
            # Not evaluated, so not held against this address: a user who waits out a
            # distributed attack is not limited further by the attempts they were refused.
            for hit in hits:
                self.counter.undo(hit)
            raise RateLimitedError(
                f"Too many failed logins for this user from several addresses: at most "
                f"{self.login_global_per_hour} per hour. Try again in "
                f"{_wait(everywhere.retry_after)}.",
                everywhere.retry_after,
            )
        return LoginAttempt((*hits, everywhere))

    def login_succeeded(self, attempt: LoginAttempt) -> None:
        """Take back the counts of a successful attempt (and nobody else's)."""
        for hit in attempt.hits:
            self.counter.undo(hit)

    def upload(self, user_id: int) -> Hit | None:
        """Count an upload of ``user_id``; raise :class:`RateLimitedError` when over the limit.

        Returns the count to hand to :meth:`upload_not_accepted` when the
        upload then fails or turns out to be a duplicate (None when limits are off).
        """
        if not self.enabled:
            return None
        hit = self.counter.hit(f"upload:{user_id}", UPLOAD_WINDOW_S)
        if hit.count > self.uploads_per_hour:
            raise RateLimitedError(
                f"Too many uploads: at most {self.uploads_per_hour} recordings per hour per "
                f"user. Try again in {_wait(hit.retry_after)}.",
                hit.retry_after,
            )
        return hit

    def upload_not_accepted(self, hit: Hit | None) -> None:
        """Take back the count of an upload that stored no new recording."""
        if hit is not None:
            self.counter.undo(hit)


def _wait(seconds: int) -> str:
    """A waiting time as people say it: seconds up to two minutes, then minutes."""
    return f"{seconds} s" if seconds <= 120 else f"{math.ceil(seconds / 60)} min"


def build_limiter(settings: Settings, clock: Clock = SYSTEM) -> RateLimiter:
    """The limiter for ``settings`` with the counters of ``ratelimit_backend``.

    The counters window by wall-clock seconds (every process and machine agrees
    on them), read from ``clock``.
    """

    def seconds() -> float:
        return clock.now().timestamp()

    backend = settings.ratelimit_backend
    if backend == "auto":
        backend = "redis" if settings.queue_backend == "redis" else "sqlite"
    counter: Counter
    if backend == "redis":
        counter = RedisCounter.from_url(settings.redis_url, settings.ratelimit_prefix, seconds)
    elif backend == "sqlite":
        counter = SqliteCounter(settings.data_dir / "ratelimit.db", seconds)
    else:
        counter = MemoryCounter(seconds)
    return RateLimiter(counter, settings)


def limiter_of(app: FastAPI) -> RateLimiter:
    """The app's limiter, built on first use from the app's settings and clock."""
    limiter: RateLimiter | None = getattr(app.state, "ratelimiter", None)
    if limiter is None:
        limiter = build_limiter(app.state.settings, app.state.clock)
        app.state.ratelimiter = limiter
    return limiter


_warned_untrusted = False


def client_ip(request: Request) -> str:
    """The client address: the TCP peer, or what a trusted proxy said (see the module doc)."""
    global _warned_untrusted
    settings: Settings = request.app.state.settings
    if (
        not settings.trusted_proxies
        and not _warned_untrusted
        and ("x-forwarded-for" in request.headers)
    ):
        _warned_untrusted = True
        log.warning(
            "X-Forwarded-For from %s ignored: it is not in trusted_proxies. Behind a reverse "
            "proxy set WINBACK_TRUSTED_PROXIES to its address, or every client shares its "
            "login limits.",
            request.client.host if request.client else "unknown",
        )
    return request.client.host if request.client else "unknown"
