"""Engine and session handling for the CRM store, and schema migrations.

``open_store(url)`` is the one way code gets at the database: it creates the
engine (with SQLite pragmas for foreign keys, WAL and a busy timeout), runs
Alembic migrations up to head once per URL and process, and returns a
:class:`Store` whose ``session()`` is a context manager that commits on
success and rolls back on any error, so a failed operation leaves the
database as it was.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from agent.crm.models import Tenant
from agent.errors import ConfigError, NotFoundError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; SQLite parent directories are created."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"Invalid database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    raise ConfigError(
        f"Unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql://"
    )


def alembic_config(engine: Engine) -> Config:
    # Alembic is imported on first use: it costs a second of start-up for
    # every CLI command, and only the first open of a database needs it.
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


#: Pauses before trying a migration again whose connection the server dropped.
MIGRATE_RETRY_DELAYS_S: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 4.0)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent).

    A connection the server drops mid-way (a failover, a pooler restart, an
    administrator's ``pg_terminate_backend``) is tried again on a new one:
    each try is one transaction, so a dropped one leaves nothing behind, and a
    worker starting during such a moment does not exit. A database that
    cannot be reached at all is reported at once as :class:`ConfigError`.
    """
    from alembic import command

    for delay in (*MIGRATE_RETRY_DELAYS_S, None):
        try:
            with engine.begin() as connection:
                cfg = alembic_config(engine)
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
            return
        except OperationalError as exc:
            if delay is None or not exc.connection_invalidated:
                raise ConfigError(f"Cannot open database {engine.url!r}: {exc.orig}") from exc
            log.warning(
                "migration: the database dropped the connection, trying again: %s", exc.orig
            )
            time.sleep(delay)


@dataclass
class Store:
    """A migrated database with a session factory."""

    engine: Engine
    factory: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits at the end, rolls back on any exception."""
        session = self.factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


_stores: dict[str, Store] = {}
_lock = threading.Lock()


def open_store(url: str) -> Store:
    """Open (and migrate once per process) the database at ``url``."""
    key = normalise_url(url)
    with _lock:
        store = _stores.get(key)
        if store is None:
            engine = make_engine(key)
            migrate(engine)
            store = Store(engine=engine, factory=sessionmaker(engine, expire_on_commit=False))
            _stores[key] = store
        return store


def close_all() -> None:
    """Dispose every engine opened by :func:`open_store` (tests, shutdown)."""
    with _lock:
        for store in _stores.values():
            store.dispose()
        _stores.clear()


def get_or_create_tenant(session: Session, slug: str, name: str | None = None) -> Tenant:
    """Return the tenant ``slug``, creating it on first use."""
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        tenant = Tenant(slug=slug, name=name or slug)
        session.add(tenant)
        session.flush()
    return tenant


def get_tenant(session: Session, slug: str) -> Tenant:
    """Return the tenant ``slug`` or raise :class:`NotFoundError`."""
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFoundError(
            f"Tenant {slug!r} does not exist yet: import data or run 'winback demo seed' first."
        )
    return tenant
