"""``winback doctor``: check every dependency of the configured setup and say what is wrong.

Each check returns a :class:`Check` with a status (``ok``, ``warn``,
``fail``), what was found, and for anything not ok a hint that says what to
do. Checks never raise and never change anything (the database is not
migrated, no model is assembled), and each network probe has a short
timeout, so the doctor also answers when half the setup is down.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from agent.settings import Settings

#: ``scheme://user:password@`` in any text: the password is replaced.
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")
MASK = "***"


def hide_passwords(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    return _URL_PASSWORD.sub(rf"\1{MASK}@", text)


Status = Literal["ok", "warn", "fail"]
TIMEOUT_S = 3
#: Free space below this in the audio store is a warning, below a tenth of it a failure.
MIN_FREE_BYTES = 1_000_000_000


@dataclass(frozen=True)
class Check:
    """The result of one check."""

    name: str
    status: Status
    detail: str
    hint: str = ""

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return asdict(self)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def check_database(settings: Settings) -> Check:
    """The database answers and its schema is at the newest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from agent.crm.db import alembic_config, normalise_url

    url = normalise_url(settings.db_url)
    try:
        parsed = make_url(url)
    except Exception as exc:  # noqa: BLE001
        return Check("database", "fail", _short(exc), "Fix WINBACK_DATABASE_URL.")
    shown = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return Check(
            "database", "fail", f"{shown}: file does not exist", "Run 'winback db upgrade'."
        )
    args = {"connect_timeout": TIMEOUT_S} if backend == "postgresql" else {}
    try:
        engine = create_engine(url, connect_args=args)
    except Exception as exc:  # noqa: BLE001
        return Check("database", "fail", _short(exc), "Fix WINBACK_DATABASE_URL.")
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    except Exception as exc:  # noqa: BLE001
        return Check(
            "database",
            "fail",
            f"{shown}: {_short(exc)}",
            "Start the database server or fix WINBACK_DATABASE_URL (host, port, user).",
        )
    finally:
        engine.dispose()
    if current != head:
        return Check(
            "database",
            "fail",
            f"{shown}: schema at {current or 'nothing'}, newest is {head}",
            "Run 'winback db upgrade'.",
        )
    return Check("database", "ok", f"{shown} (schema {head})")


def _writable(directory: Path) -> str | None:
    """None when a file can be created and removed in ``directory``, else the error."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".doctor-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        return _short(exc)
    return None


def check_queue(settings: Settings) -> Check:
    """The job queue backend: the SQLite file's directory is writable, or Redis answers."""
    if settings.queue_backend == "redis":
        import redis

        try:
            client = redis.Redis.from_url(
                settings.redis_url, socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S
            )
            client.ping()
        except Exception as exc:  # noqa: BLE001
            return Check(
                "queue",
                "fail",
                f"redis {hide_passwords(settings.redis_url)}: {_short(exc)}",
                "Start Redis or fix WINBACK_REDIS_URL; workers and uploads need it.",
            )
        return Check("queue", "ok", f"redis {hide_passwords(settings.redis_url)} answers")
    problem = _writable(settings.queue_path.parent)
    if problem:
        return Check(
            "queue", "fail", f"sqlite {settings.queue_path}: {problem}", "Fix WINBACK_QUEUE_FILE."
        )
    return Check("queue", "ok", f"sqlite {settings.queue_path}")


def check_chroma(settings: Settings) -> Check:
    """The history index: the Chroma server's heartbeat, or the embedded path is writable."""
    if settings.chroma_url:
        import httpx

        url = settings.chroma_url.rstrip("/") + "/api/v2/heartbeat"
        try:
            response = httpx.get(url, timeout=TIMEOUT_S)
            response.raise_for_status()
        except Exception as exc:  # noqa: BLE001
            return Check(
                "chroma",
                "fail",
                f"{settings.chroma_url}: {_short(exc)}",
                "Start 'chroma run --path DIR --host 127.0.0.1 --port 8001' or fix "
                "WINBACK_CHROMA_URL.",
            )
        return Check("chroma", "ok", f"server {settings.chroma_url} answers")
    path = Path(settings.data_dir) / "chroma"
    problem = _writable(path)
    if problem:
        return Check("chroma", "fail", f"{path}: {problem}", "Fix WINBACK_DATA_DIR permissions.")
    return Check("chroma", "ok", f"embedded at {path}")


def check_audio_store(settings: Settings) -> Check:
    """The audio store directory is writable and has free space."""
    path = settings.audio_path
    problem = _writable(path)
    if problem:
        return Check(
            "audio store",
            "fail",
            f"{path}: {problem}",
            "Make the directory writable for the Winback user or set WINBACK_AUDIO_DIR "
            "(on several machines: the same shared path, e.g. NFS).",
        )
    free = shutil.disk_usage(path).free
    detail = f"{path}, {free / 1e9:.1f} GB free"
    if free < MIN_FREE_BYTES // 10:
        return Check("audio store", "fail", detail, "Free disk space; uploads will be refused.")
    if free < MIN_FREE_BYTES:
        return Check("audio store", "warn", detail, "Less than 1 GB free: free disk space soon.")
    return Check("audio store", "ok", detail)


def _model_check(role: str, value: str, settings: Settings) -> Check:
    from agent import model_store

    name = f"model {role}"
    if value not in model_store.MODELS:
        if Path(value).expanduser().exists():
            return Check(name, "ok", f"{value} (path, not verified by checksum)")
        return Check(
            name, "fail", f"{value}: no such bundled model or path", f"Fix the {role} setting."
        )
    try:
        status = model_store.status(value, settings)
    except Exception as exc:  # noqa: BLE001
        return Check(name, "fail", f"{value}: {_short(exc)}", "Run 'winback models verify'.")
    if not status.packages_installed:
        return Check(
            name,
            "fail",
            f"{value}: {status.check}",
            "Install the model packages: pip install 'winback[local]'.",
        )
    if status.problems:
        return Check(
            name, "fail", f"{value}: {status.check}", "Run 'winback models verify' to rebuild it."
        )
    if not status.assembled:
        return Check(
            name,
            "warn",
            f"{value}: packages installed, not assembled yet",
            "Assembled and verified at first use; 'winback models verify' does it now.",
        )
    return Check(name, "ok", f"{value}: verified ({status.size_bytes / 1e6:.0f} MB)")


def _backend_check(role: str, backend: str, settings: Settings, local_model: str) -> list[Check]:
    name = f"{role} backend"
    if backend == "fake":
        return [
            Check(name, "warn", "fake (test backend)", f"Set WINBACK_{role.upper()}_BACKEND=local.")
        ]
    if backend == "openai":
        if settings.local_only:
            return [
                Check(
                    name,
                    "fail",
                    "openai, but local_only is set",
                    f"Set WINBACK_{role.upper()}_BACKEND=local or unset WINBACK_LOCAL_ONLY.",
                )
            ]
        key = settings.openai_api_key
        if not settings.openai_base_url and (key is None or not key.get_secret_value()):
            return [
                Check(
                    name,
                    "fail",
                    "openai without API key or base URL",
                    "Set WINBACK_OPENAI_API_KEY, or WINBACK_OPENAI_BASE_URL for a self-hosted "
                    "server.",
                )
            ]
        where = settings.openai_base_url or "api.openai.com"
        return [Check(name, "ok", f"openai at {where}")]
    return [Check(name, "ok", "local"), _model_check(role, local_model, settings)]


def check_models(settings: Settings) -> list[Check]:
    """Chat, embeddings and transcriber backends, and the local models they need."""
    checks = []
    checks += _backend_check("chat", settings.chat_backend, settings, settings.local_chat_model)
    checks += _backend_check("embeddings", settings.embeddings_backend, settings, "use-m-v3")
    checks += _backend_check(
        "transcriber", settings.transcriber_backend, settings, settings.whisper_model
    )
    return checks


def check_privacy(settings: Settings) -> list[Check]:
    """Local-only mode, the erasure salt, and the retention policies in effect."""
    from agent.privacy.retention import policies
    from agent.privacy.tombstones import salt_path

    checks = [
        Check("local only", "ok", "on" if settings.local_only else "off (remote models allowed)")
    ]
    if settings.erasure_salt is not None:
        checks.append(Check("erasure salt", "ok", "from settings"))
    elif settings.database_url and not settings.db_url.startswith("sqlite"):
        checks.append(
            Check(
                "erasure salt",
                "warn",
                f"generated per machine in {salt_path(settings)}",
                "With a shared database set WINBACK_ERASURE_SALT to the same secret everywhere, "
                "or re-imports on another machine are not blocked.",
            )
        )
    else:
        checks.append(Check("erasure salt", "ok", f"{salt_path(settings)}"))
    summary = ", ".join(f"{k}: {v}" for k, v in policies(settings).items())
    checks.append(Check("retention", "ok", summary))
    return checks


CHECKS: tuple[Callable[[Settings], Check | list[Check]], ...] = (
    check_database,
    check_queue,
    check_chroma,
    check_audio_store,
    check_models,
    check_privacy,
)


def run_checks(settings: Settings) -> list[Check]:
    """Run every check; an unexpected error in one becomes that check's failure."""
    results: list[Check] = []
    for check in CHECKS:
        try:
            found = check(settings)
        except Exception as exc:  # noqa: BLE001 - the doctor must always finish its round
            found = Check(
                check.__name__.removeprefix("check_"), "fail", _short(exc), "See the logs."
            )
        results.extend(found if isinstance(found, list) else [found])
    return results


def healthy(checks: list[Check]) -> bool:
    """True when no check failed (warnings are allowed)."""
    return all(c.status != "fail" for c in checks)
