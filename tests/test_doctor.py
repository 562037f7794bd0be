"""The checks of ``winback doctor`` against real and deliberately broken pieces."""

from __future__ import annotations

from pathlib import Path

from agent.crm.db import open_store
from agent.doctor import (
    check_audio_store,
    check_chroma,
    check_database,
    check_models,
    check_privacy,
    check_queue,
    healthy,
    run_checks,
)
from agent.settings import configure
from tests.calls.conftest import redis_available


def test_embedded_setup_is_healthy(sqlite_url: str) -> None:
    settings = configure(
        database_url=sqlite_url,
        chat_backend="fake",
        embeddings_backend="fake",
        transcriber_backend="fake",
    )
    open_store(sqlite_url)
    checks = run_checks(settings)
    assert healthy(checks), checks
    by_name = {c.name: c for c in checks}
    assert by_name["database"].status == "ok" and "schema" in by_name["database"].detail
    assert by_name["chat backend"].status == "warn"  # fake is for tests only


def test_database_missing_unmigrated_and_unreachable(tmp_path: Path, db_url: str) -> None:
    missing = check_database(configure(database_url=f"sqlite:///{tmp_path / 'none.db'}"))
    assert missing.status == "fail" and "db upgrade" in missing.hint
    # A reachable but empty database is not migrated.
    empty = check_database(configure(database_url=db_url))
    if db_url.startswith("sqlite"):
        assert empty.status == "fail"  # the file is not even created yet
    else:
        assert empty.status == "fail" and "db upgrade" in empty.hint
    open_store(db_url)
    assert check_database(configure(database_url=db_url)).status == "ok"
    down = check_database(configure(database_url="postgresql://postgres@127.0.0.1:1/x"))
    assert down.status == "fail" and "Start the database" in down.hint


def test_queue_redis_up_and_down() -> None:
    down = check_queue(configure(queue_backend="redis", redis_url="redis://127.0.0.1:1/0"))
    assert down.status == "fail" and "WINBACK_REDIS_URL" in down.hint
    if redis_available() is None:
        up = check_queue(configure(queue_backend="redis", redis_url="redis://127.0.0.1:6379/0"))
        assert up.status == "ok"
    assert check_queue(configure()).status == "ok"  # embedded SQLite queue


def test_unwritable_audio_dir_and_chroma_server_down(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    # A path below a regular file is unwritable even for root.
    bad = check_audio_store(configure(audio_dir=blocker / "audio"))
    assert bad.status == "fail" and "WINBACK_AUDIO_DIR" in bad.hint
    assert check_audio_store(configure()).status == "ok"
    down = check_chroma(configure(chroma_url="http://127.0.0.1:1"))
    assert down.status == "fail" and "chroma run" in down.hint
    assert check_chroma(configure()).status == "ok"


def test_local_only_refuses_remote_backends_and_missing_keys() -> None:
    checks = check_models(
        configure(
            chat_backend="openai",
            openai_api_key="k",
            local_only=True,
            embeddings_backend="fake",
            transcriber_backend="fake",
        )
    )
    chat = next(c for c in checks if c.name == "chat backend")
    assert chat.status == "fail" and "LOCAL_ONLY" in chat.hint
    checks = check_models(
        configure(transcriber_backend="openai", chat_backend="fake", embeddings_backend="fake")
    )
    transcriber = next(c for c in checks if c.name == "transcriber backend")
    assert transcriber.status == "fail" and "API_KEY" in transcriber.hint


def test_unknown_model_path_fails() -> None:
    checks = check_models(
        configure(
            local_chat_model="/nowhere/model.gguf",
            embeddings_backend="fake",
            transcriber_backend="fake",
        )
    )
    model = next(c for c in checks if c.name == "model chat")
    assert model.status == "fail"


def test_shared_database_without_salt_warns() -> None:
    checks = check_privacy(configure(database_url="postgresql://db.example/winback"))
    salt = next(c for c in checks if c.name == "erasure salt")
    assert salt.status == "warn" and "WINBACK_ERASURE_SALT" in salt.hint
    ok = check_privacy(configure(database_url="postgresql://x/y", erasure_salt="s" * 40))
    assert next(c for c in ok if c.name == "erasure salt").status == "ok"


def test_queue_check_never_shows_the_redis_password() -> None:
    down = check_queue(
        configure(queue_backend="redis", redis_url="redis://winback:s3cret-pw@127.0.0.1:1/0")
    )
    assert down.status == "fail"
    assert "s3cret-pw" not in down.detail and "winback:***@127.0.0.1:1" in down.detail
