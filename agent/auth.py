"""Users, passwords and API tokens.

Passwords are hashed with the standard library's ``hashlib.scrypt`` (a
memory-hard KDF; no extra dependency) and stored as
``scrypt$n$r$p$salt$hash``. API tokens are random 32-byte secrets shown once;
only their SHA-256 is stored (a token has 256 bits of entropy, so a slow
hash adds nothing but latency on every API call). Every token has an
expiry (``api_token_days`` unless given) and can be revoked; a password
change ends the user's browser sessions, and deactivating a user ends their
sessions and revokes their tokens (:mod:`agent.sessions`). Both are used by
the CLI (``winback users``) and the web app (:mod:`api`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from agent.clock import as_utc
from agent.crm.db import Store, get_tenant
from agent.crm.models import ApiToken, Role, Tenant, User
from agent.errors import ConflictError, NotFoundError, ValidationError
from agent.sessions import end_all_sessions
from agent.settings import get_settings

#: scrypt cost: 2**14 * 8 * 128 bytes = 16 MiB and ~50 ms per hash on this machine.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
TOKEN_PREFIX = "wbt_"
MIN_PASSWORD = 8
MAX_PASSWORD = 200
#: Longest lifetime of an API token: a forgotten token must run out some day.
MAX_TOKEN_DAYS = 3650
_USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of ``password`` (refusing too short or too long ones)."""
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"password: at least {MIN_PASSWORD} characters are required.")
    if len(password) > MAX_PASSWORD:
        raise ValidationError(f"password: at most {MAX_PASSWORD} characters are allowed.")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches the stored hash; False for no or a malformed hash."""
    if not stored or len(password) > MAX_PASSWORD:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def hash_token(token: str) -> str:
    """The stored form of an API token (hex SHA-256)."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_username(username: str) -> str:
    """Normalise a username (lower case) and refuse unusual characters."""
    name = username.strip().lower()
    if not name or len(name) > 120 or not set(name) <= _USERNAME_CHARS:
        raise ValidationError("username: use 1-120 characters of a-z, 0-9, '.', '_', '-' or '@'.")
    return name


def find_user(session: Session, tenant_id: int, username: str) -> User:
    """The user ``username`` of the tenant, or :class:`NotFoundError`."""
    user = session.scalar(
        select(User).where(User.tenant_id == tenant_id, User.username == username.strip().lower())
    )
    if user is None:
        raise NotFoundError(f"User {username!r} does not exist in this tenant.")
    return user


def add_user(
    store: Store,
    tenant: str,
    username: str,
    role: str,
    name: str,
    password: str | None = None,
    email: str | None = None,
) -> User:
    """Create a user in ``tenant`` (created on first use); refuse a duplicate username."""
    from agent.crm.db import get_or_create_tenant

    name_ = check_username(username)
    try:
        role_ = Role(role)
    except ValueError as exc:
        raise ValidationError("role: use " + ", ".join(r.value for r in Role) + ".") from exc
    if not name.strip():
        raise ValidationError("name: give the person's full name.")
    hashed = hash_password(password) if password is not None else None
    with store.session() as session:
        tenant_row = get_or_create_tenant(session, tenant)
        exists = session.scalar(
            select(User.id).where(User.tenant_id == tenant_row.id, User.username == name_)
        )
        if exists is not None:
            raise ConflictError(f"User {name_!r} already exists in tenant {tenant!r}.")
        user = User(
            tenant_id=tenant_row.id,
            username=name_,
            name=name.strip()[:200],
            email=email,
            role=role_,
            password_hash=hashed,
        )
        session.add(user)
        session.flush()
        return user


def set_password(store: Store, tenant: str, username: str, password: str) -> int:
    """Replace the password of ``username`` and end their browser sessions; return how many.

    A changed password is often the answer to a suspected break-in, so no
    session opened with the old one may survive it.
    """
    hashed = hash_password(password)
    with store.session() as session:
        user = find_user(session, get_tenant(session, tenant).id, username)
        user.password_hash = hashed
        return end_all_sessions(session, user.id)


def _revoke_tokens(session: Session, user_id: int, name: str | None = None) -> int:
    query = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    if name is not None:
        query = query.where(ApiToken.name == name)
    result = session.execute(query.values(revoked_at=datetime.now(UTC)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Deactivated:
    """What deactivating a user ended."""

    sessions: int
    tokens: int


def deactivate_user(store: Store, tenant: str, username: str) -> Deactivated:
    """Lock ``username`` out: no login, every session ended, every API token revoked.

    The user's data and authorship stay; :func:`activate_user` lets them log
    in again (with new tokens: revoked ones stay revoked).
    """
    with store.session() as session:
        user = find_user(session, get_tenant(session, tenant).id, username)
        user.active = False
        return Deactivated(end_all_sessions(session, user.id), _revoke_tokens(session, user.id))


def activate_user(store: Store, tenant: str, username: str) -> None:
    """Let a deactivated user log in again."""
    with store.session() as session:
        find_user(session, get_tenant(session, tenant).id, username).active = True


def revoke_token(store: Store, tenant: str, username: str, name: str) -> int:
    """Revoke the user's active API tokens named ``name`` (or with that id); return how many."""
    with store.session() as session:
        user = find_user(session, get_tenant(session, tenant).id, username)
        count = _revoke_tokens(session, user.id, name.strip())
        if count == 0 and name.strip().isdigit():
            row = session.get(ApiToken, int(name))
            if row is not None and row.user_id == user.id and row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
                count = 1
    if count == 0:
        raise NotFoundError(f"User {username!r} has no active API token named {name!r}.")
    return count


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """The user's tokens that still work (not revoked, not expired), newest first."""
    now = datetime.now(UTC)
    rows = session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()
    return [row for row in rows if row.expires_at is None or as_utc(row.expires_at) > now]


def create_token(
    store: Store, tenant: str, username: str, name: str, days: int | None = None
) -> str:
    """Create an API token for ``username`` and return it (the only time it is visible).

    It expires after ``days`` (default: the ``api_token_days`` setting).
    """
    label = name.strip()
    if not label or len(label) > 120:
        raise ValidationError("name: give the token a name of 1-120 characters.")
    if days is None:
        days = get_settings().api_token_days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationError(f"days: a token lives 1-{MAX_TOKEN_DAYS} days.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(days=days)
    with store.session() as session:
        user = find_user(session, get_tenant(session, tenant).id, username)
        session.add(
            ApiToken(user_id=user.id, name=label, token_hash=hash_token(token), expires_at=expires)
        )
    return token


@dataclass(frozen=True)
class Principal:
    """The authenticated user of a request, detached from any database session."""

    user_id: int
    username: str
    name: str
    role: Role
    tenant_id: int
    tenant_slug: str
    language: str

    @property
    def is_manager(self) -> bool:
        """True for managers (the only role that approves notes)."""
        return self.role == Role.manager

    @property
    def sees_team(self) -> bool:
        """Managers and admins see every object of their tenant; reps only their own."""
        return self.role in (Role.manager, Role.admin)


def principal_of(session: Session, user: User) -> Principal:
    """Build the request principal of an (active) user."""
    tenant = session.get(Tenant, user.tenant_id)
    assert tenant is not None  # foreign key
    return Principal(
        user_id=user.id,
        username=user.username,
        name=user.name,
        role=user.role,
        tenant_id=user.tenant_id,
        tenant_slug=tenant.slug,
        language=user.language.value,
    )


def authenticate(session: Session, tenant: str, username: str, password: str) -> Principal | None:
    """The principal for a correct username/password in ``tenant``, else None."""
    tenant_row = session.scalar(select(Tenant).where(Tenant.slug == tenant.strip()))
    user = None
    if tenant_row is not None:
        user = session.scalar(
            select(User).where(
                User.tenant_id == tenant_row.id, User.username == username.strip().lower()
            )
        )
    if user is None or not user.active:
        # Spend the same time as a real check, so response times do not reveal usernames.
        verify_password(password, _DUMMY_HASH)
        return None
    if not verify_password(password, user.password_hash):
        return None
    return principal_of(session, user)


def token_principal(session: Session, token: str) -> Principal | None:
    """The principal owning an unrevoked, unexpired API token, else None; records its last use."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    now = datetime.now(UTC)
    if row.expires_at is not None and as_utc(row.expires_at) <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    last = row.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)  # SQLite returns naive UTC
    if last is None or (now - last).total_seconds() > 60:
        row.last_used_at = now  # at most once a minute: keeps read requests cheap
    return principal_of(session, user)


def set_demo_passwords(store: Store, tenant: str, password: str) -> int:
    """Give every user of the demo tenant without a password ``password``; return how many."""
    hashed = hash_password(password)
    with store.session() as session:
        tenant_id = get_tenant(session, tenant).id
        users = session.scalars(
            select(User).where(User.tenant_id == tenant_id, User.password_hash.is_(None))
        ).all()
        for user in users:
            user.password_hash = hashed
        return len(users)


_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
