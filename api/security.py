"""Session cookies, CSRF tokens and security headers.

Sessions are stateless signed cookies (HMAC-SHA256 with the app's secret
key, stdlib only): ``user id . tenant id . expiry . password fingerprint .
signature``. The fingerprint is derived from the user's password hash, so
changing a password ends every session of that user without a session
table. The CSRF token of a session is an HMAC of the cookie's signature:
forms and JavaScript send it back (hidden field or ``X-CSRF-Token`` header)
and every state-changing request with a cookie must carry it. Requests with
a Bearer token carry no ambient authority and need no CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from agent.errors import ConfigError
from agent.settings import Settings

COOKIE_NAME = "winback_session"
LANG_COOKIE = "winback_lang"

#: Strict CSP: only our own scripts, styles and images; no inline script, no framing.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def load_secret_key(settings: Settings) -> bytes:
    """The key that signs cookies: from settings, or generated once into data_dir (0600)."""
    if settings.secret_key is not None:
        value = settings.secret_key.get_secret_value()
        if len(value) < 32:
            raise ConfigError("secret_key: use at least 32 characters (e.g. openssl rand -hex 32).")
        return value.encode()
    path: Path = settings.data_dir / "secret_key"
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: two processes starting at once must not both write a key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        key = path.read_text().strip()
    except FileExistsError:
        key = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"Cannot read or create the secret key file {path}: {exc}") from exc
    if len(key) < 32:
        raise ConfigError(f"The secret key in {path} is too short; delete the file to renew it.")
    return key.encode()


def fingerprint(password_hash: str | None) -> str:
    """A short, non-reversible digest of a password hash (ends sessions on change)."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SessionData:
    """What a valid session cookie says."""

    user_id: int
    tenant_id: int
    expires: int
    fingerprint: str
    signature: str


def _sign(key: bytes, payload: str) -> str:
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def make_session_cookie(
    key: bytes, user_id: int, tenant_id: int, password_hash: str | None, hours: float
) -> str:
    """Encode and sign a session for ``user_id`` valid for ``hours``."""
    expires = int(time.time() + hours * 3600)
    payload = f"{user_id}.{tenant_id}.{expires}.{fingerprint(password_hash)}"
    return f"{payload}.{_sign(key, payload)}"


def read_session_cookie(key: bytes, value: str | None) -> SessionData | None:
    """The session of a cookie value, or None when missing, forged, malformed or expired."""
    if not value or len(value) > 300:
        return None
    parts = value.split(".")
    if len(parts) != 5:
        return None
    payload, signature = ".".join(parts[:4]), parts[4]
    if not hmac.compare_digest(_sign(key, payload), signature):
        return None
    try:
        user_id, tenant_id, expires = int(parts[0]), int(parts[1]), int(parts[2])
    except ValueError:
        return None
    if expires < time.time():
        return None
    return SessionData(user_id, tenant_id, expires, parts[3], signature)


def csrf_token(key: bytes, session: SessionData) -> str:
    """The CSRF token bound to one session."""
    return _sign(key, "csrf:" + session.signature)


def csrf_ok(key: bytes, session: SessionData, token: str | None) -> bool:
    """True when ``token`` is the CSRF token of ``session``."""
    return bool(token) and hmac.compare_digest(csrf_token(key, session), token or "")
