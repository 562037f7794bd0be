"""``winback users``: add, set-password, token; and ``winback serve --help``."""

from __future__ import annotations

from typer.testing import CliRunner

from agent.auth import authenticate, token_principal
from agent.cli import app
from agent.crm.db import open_store

runner = CliRunner()


def test_add_set_password_and_token(sqlite_url: str) -> None:
    db = ["--db", sqlite_url, "--tenant", "acme"]
    r = runner.invoke(app, ["users", "add", "A.Keller", "--role", "rep", "--name", "Anna Keller",
                            "--password-stdin", *db], input="erstes passwort\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    store = open_store(sqlite_url)
    with store.session() as session:
        assert authenticate(session, "acme", "a.keller", "erstes passwort") is not None
    r = runner.invoke(app, ["users", "set-password", "a.keller", "--password-stdin", *db],
                      input="zweites passwort\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    with store.session() as session:
        assert authenticate(session, "acme", "a.keller", "erstes passwort") is None
        assert authenticate(session, "acme", "a.keller", "zweites passwort") is not None
    r = runner.invoke(app, ["users", "token", "a.keller", "--name", "crm", *db])
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    with store.session() as session:
        principal = token_principal(session, token)
    assert principal is not None and principal.username == "a.keller"


def test_bad_input_is_a_clear_error(sqlite_url: str) -> None:
    from agent.cli import main

    db = ["--db", sqlite_url, "--tenant", "acme"]
    for argv, code in (
        (["users", "add", "x", "--role", "boss", "--name", "X", *db], 2),
        (["users", "add", "bad name!", "--role", "rep", "--name", "X", *db], 2),
        (["users", "token", "nobody", "--name", "crm", *db], 4),
    ):
        try:
            main(argv)
        except SystemExit as exc:
            assert exc.code == code, argv
        else:
            raise AssertionError(f"{argv} did not fail")


def test_short_password_is_refused(sqlite_url: str) -> None:
    r = runner.invoke(app, ["users", "add", "b", "--role", "manager", "--name", "B",
                            "--password-stdin", "--db", sqlite_url], input="kurz\n")  # fmt: skip
    assert r.exit_code != 0


def test_serve_help() -> None:
    r = runner.invoke(app, ["serve", "--help"])
    assert r.exit_code == 0 and "--no-worker" in r.output
