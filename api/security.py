"""Session cookie names, CSRF tokens, the secret key and security headers.

The session cookie carries a random token of a server-side session
(:mod:`agent.sessions`), so ending the session on the server ends the
cookie. The CSRF token of a session is an HMAC, with the app's secret key,
of the session's stored token hash: forms and JavaScript send it back
(hidden field or ``X-CSRF-Token`` header) and every state-changing request
with a cookie must carry it. Requests with a Bearer token carry no ambient
authority and need no CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from agent.errors import ConfigError
from agent.settings import Settings

COOKIE_NAME = "winback_session"
LANG_COOKIE = "winback_lang"

#: Strict CSP: only our own scripts, styles, images and recordings; no inline script, no framing.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; "
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
    """The key that signs CSRF tokens: from settings, or generated once into data_dir (0600)."""
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


@dataclass(frozen=True)
class SessionData:
    """The server-side session a request's cookie belongs to (what CSRF tokens bind to)."""

    session_id: int
    user_id: int
    token_hash: str


def _sign(key: bytes, payload: str) -> str:
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def csrf_token(key: bytes, session: SessionData) -> str:
    """The CSRF token bound to one session."""
    return _sign(key, "csrf:" + session.token_hash)


def csrf_ok(key: bytes, session: SessionData, token: str | None) -> bool:
    """True when ``token`` is the CSRF token of ``session``."""
    return bool(token) and hmac.compare_digest(csrf_token(key, session), token or "")
