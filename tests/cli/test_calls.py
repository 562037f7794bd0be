"""``winback calls upload|status|transcript`` and ``winback worker`` as a user runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.calls.jobs import STEPS
from agent.crm.db import open_store
from tests import factories as make
from tests.calls import media
from tests.conftest import Cli


@pytest.fixture
def cli_db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database with account K-1001 and the package's fake transcriber."""
    monkeypatch.setenv("WINBACK_TRANSCRIBER_BACKEND", "fake")
    with open_store(sqlite_url).session() as session:
        make.account(session, make.tenant(session), "K-1001", name="Bäckerei Huber")
    return sqlite_url


def consent_args() -> list[str]:
    when = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    return [
        "--consent-by", "Herr Huber",
        "--consent-method", "verbal_at_call_start",
        "--consent-at", when,
        "--consent-text-version", "de-2025.1",
    ]  # fmt: skip


def test_upload_wait_then_status_and_transcript(cli_db: str, tmp_path: Path, cli: Cli) -> None:  # type: ignore[no-untyped-def]
    call = media.write_audio(tmp_path / "call.wav", media.tone(2.0, channels=2))
    argv = ["calls", "upload", "K-1001", str(call), *consent_args(), "--db", cli_db]
    code, out, err = cli([*argv, "--wait", "--json"])
    assert code == 0, err
    recording = json.loads(out)
    assert recording["status"] == "transcribed" and recording["progress"] == 1.0
    rid = recording["id"]

    code, out, err = cli(["calls", "transcript", rid, "--json", "--db", cli_db])
    assert code == 0, err
    transcript = json.loads(out)
    assert transcript["text"] == "Guten Tag, hier ist die Firma Beispiel."
    assert transcript["segments"][0]["speaker"] == "rep"

    code, out, err = cli(["calls", "status", rid, "--json", "--db", cli_db])
    assert code == 0, err
    assert [j["status"] for j in json.loads(out)["jobs"]] == ["done"] * len(STEPS)
    code, out, err = cli(["calls", "status", "--db", cli_db])
    assert code == 0 and rid in out  # the table never cuts the id
    code, out, err = cli(["calls", "status", "--json", "--db", cli_db])
    assert [(r["id"], r["status"]) for r in json.loads(out)] == [(rid, "transcribed")]

    # The same file again: same recording, reported as already uploaded.
    code, out, err = cli([*argv, "--json"])
    assert code == 0, err
    again = json.loads(out)
    assert again["id"] == rid and again["duplicate"] is True


def test_upload_without_wait_is_queued(cli_db: str, tmp_path: Path, cli: Cli) -> None:  # type: ignore[no-untyped-def]
    call = media.tone_wav(tmp_path / "call.wav")
    code, out, err = cli(["calls", "upload", "K-1001", str(call), *consent_args(), "--db", cli_db])
    assert code == 0, err
    assert "queued" in out
    rid = out.split("Recording ")[1].split()[0]
    code, out, err = cli(["calls", "transcript", rid, "--json", "--db", cli_db])
    assert code == 4 and "no transcript yet" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("drop", "words"),
    [
        ("--consent-by", "name the person"),
        ("--consent-method", "method is missing"),
        ("--consent-at", "time is missing"),
        ("--consent-text-version", "text version is missing"),
    ],
)
def test_upload_without_consent_is_refused(  # type: ignore[no-untyped-def]
    cli_db: str, tmp_path: Path, cli: Cli, drop: str, words: str
) -> None:
    args = consent_args()
    at = args.index(drop)
    del args[at : at + 2]
    call = media.tone_wav(tmp_path / "call.wav")
    code, out, err = cli(["calls", "upload", "K-1001", str(call), *args, "--db", cli_db])
    assert code == 2 and words in err and "Traceback" not in err


def test_bad_files_and_unknown_accounts_give_clear_errors(  # type: ignore[no-untyped-def]
    cli_db: str, tmp_path: Path, cli: Cli
) -> None:
    page = media.html_as_mp3(tmp_path / "call.mp3")
    base = ["calls", "upload"]
    code, _, err = cli([*base, "K-1001", str(page), *consent_args(), "--db", cli_db])
    assert code == 2 and "call.mp3 is not a readable audio file" in err
    call = media.tone_wav(tmp_path / "call.wav")
    code, _, err = cli([*base, "K-9", str(call), *consent_args(), "--db", cli_db])
    assert code == 4 and "Account 'K-9' does not exist" in err
    code, _, err = cli(
        [*base, "K-1001", str(tmp_path / "nope.wav"), *consent_args(), "--db", cli_db]
    )
    assert code == 4 and "nope.wav" in err and "exist" in err
    code, _, err = cli(["calls", "status", "0" * 32, "--db", cli_db])
    assert code == 4 and "does not exist" in err
    code, _, err = cli(["worker", "--queue", "rabbit", "--db", cli_db])
    assert code == 2 and "use sqlite or redis" in err
