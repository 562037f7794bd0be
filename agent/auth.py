"""Users, passwords and API tokens.

Passwords are hashed with the standard library's ``hashlib.scrypt`` (a
memory-hard KDF; no extra dependency) and stored as
``scrypt$n$r$p$salt$hash``. API tokens are random 32-byte secrets shown once;
only their SHA-256 is stored (a token has 256 bits of entropy, so a slow
hash adds nothing but latency on every API call). Both are used by the CLI
(``winback users``) and the web app (:mod:`api`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.crm.db import Store, get_tenant
from agent.crm.models import ApiToken, Role, Tenant, User
from agent.errors import ConflictError, NotFoundError, ValidationError

#: scrypt cost: 2**14 * 8 * 128 bytes = 16 MiB and ~50 ms per hash on this machine.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
TOKEN_PREFIX = "wbt_"
MIN_PASSWORD = 8
MAX_PASSWORD = 200
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


def set_password(store: Store, tenant: str, username: str, password: str) -> None:
    """Replace the password of ``username`` (which also ends their browser sessions)."""
    hashed = hash_password(password)
    with store.session() as session:
        user = find_user(session, get_tenant(session, tenant).id, username)
        user.password_hash = hashed


def create_token(store: Store, tenant: str, username: str, name: str) -> str:
    """Create an API token for ``username`` and return it (the only time it is visible)."""
    label = name.strip()
    if not label or len(label) > 120:
        raise ValidationError("name: give the token a name of 1-120 characters.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.session() as session:
        user = find_user(session, get_tenant(session, tenant).id, username)
        session.add(ApiToken(user_id=user.id, name=label, token_hash=hash_token(token)))
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
    password_hash: str | None = None

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
        password_hash=user.password_hash,
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
    """The principal owning an unrevoked API token, else None; records its last use."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    now = datetime.now(UTC)
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
