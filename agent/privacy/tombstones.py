"""Erasure tombstones: keep an erased account or contact from coming back on re-import.

An erased subject usually still exists in the CRM or ERP the exports come
from, so the next import would recreate it. A tombstone blocks that while
storing nothing that identifies the subject: only an HMAC-SHA256 of
``tenant id + kind + external id`` under a secret salt. Without the salt
the hash cannot be tested against guessed customer numbers.

The salt comes from ``settings.erasure_salt``; when that is unset it is
generated once into ``<data_dir>/erasure_salt`` (mode 0600). In a
distributed setup every machine must use the same salt, so production sets
``WINBACK_ERASURE_SALT`` (``winback doctor`` warns otherwise).

Importers skip rows of erased subjects and count them
(``ImportStats.skipped_erased``) instead of failing: the source system keeps
exporting them, and refusing every future file would block all imports.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.crm.models import ErasureTombstone
from agent.errors import ConfigError, StorageError
from agent.settings import Settings, get_settings

SALT_FILE = "erasure_salt"
KINDS = ("account", "contact")


def salt_path(settings: Settings) -> Path:
    """Where the generated salt is kept when the settings give none."""
    return Path(settings.data_dir) / SALT_FILE


def erasure_salt(settings: Settings | None = None) -> bytes:
    """The tombstone salt: from settings, else read or created once in the data directory."""
    settings = settings or get_settings()
    if settings.erasure_salt is not None and settings.erasure_salt.get_secret_value():
        return settings.erasure_salt.get_secret_value().encode()
    path = salt_path(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes racing to create the salt must not both win.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StorageError(f"Cannot create the erasure salt file {path}: {exc}") from exc
    else:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32))
    try:
        value = path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise StorageError(f"Cannot read the erasure salt file {path}: {exc}") from exc
    if len(value) < 32:
        raise ConfigError(
            f"The erasure salt in {path} is empty or too short; restore it from a backup "
            "or set WINBACK_ERASURE_SALT (existing tombstones only match the old salt)."
        )
    return value.encode()


def identifier_hash(salt: bytes, tenant_id: int, kind: str, external_id: str) -> str:
    """HMAC-SHA256 (hex) of one subject's identity; the only thing a tombstone keeps."""
    if kind not in KINDS:
        raise ConfigError(f"Unknown tombstone kind {kind!r}; use one of {', '.join(KINDS)}.")
    message = f"{tenant_id}\x1f{kind}\x1f{external_id.strip()}".encode()
    return hmac.new(salt, message, hashlib.sha256).hexdigest()


def add_tombstone(
    session: Session, tenant_id: int, kind: str, external_id: str, salt: bytes | None = None
) -> str:
    """Record that ``external_id`` of ``kind`` was erased (idempotent); returns the hash."""
    digest = identifier_hash(salt or erasure_salt(), tenant_id, kind, external_id)
    exists = session.scalar(
        select(ErasureTombstone.id).where(
            ErasureTombstone.tenant_id == tenant_id,
            ErasureTombstone.kind == kind,
            ErasureTombstone.identifier_hash == digest,
        )
    )
    if exists is None:
        # Two concurrent erasures of one subject would hit the unique constraint; the
        # loser's transaction rolls back as a whole and a re-run finds nothing to do.
        session.add(ErasureTombstone(tenant_id=tenant_id, kind=kind, identifier_hash=digest))
    return digest


def erased_ids(session: Session, tenant_id: int, kind: str) -> Callable[[str], bool]:
    """A test ``external_id -> erased?`` for one tenant and kind, for importers.

    The tenant's tombstones are loaded once; each distinct id is hashed once
    (order files repeat customer ids thousands of times). With no tombstones
    the test is a constant ``False`` and costs nothing.
    """
    hashes = set(
        session.scalars(
            select(ErasureTombstone.identifier_hash).where(
                ErasureTombstone.tenant_id == tenant_id, ErasureTombstone.kind == kind
            )
        )
    )
    if not hashes:
        return lambda _external_id: False
    salt = erasure_salt()
    seen: dict[str, bool] = {}

    def check(external_id: str) -> bool:
        key = (external_id or "").strip()
        if not key:
            return False
        found = seen.get(key)
        if found is None:
            found = identifier_hash(salt, tenant_id, kind, key) in hashes
            seen[key] = found
        return found

    return check


def erased_rows(session: Session, tenant_id: int, import_kind: str) -> Callable[[dict], bool]:
    """A test ``row -> belongs to an erased subject?`` for the master-data importers.

    Accounts match on ``external_id``; contacts on their own ``external_id``
    or their account's; notes on ``account_external_id``.
    """
    accounts = erased_ids(session, tenant_id, "account")
    contacts = erased_ids(session, tenant_id, "contact")

    def check(row: dict) -> bool:
        own = str(row.get("external_id") or "")
        parent = str(row.get("account_external_id") or "")
        if import_kind == "accounts":
            return accounts(own)
        if import_kind == "contacts":
            return contacts(own) or accounts(parent)
        return accounts(parent)

    return check
