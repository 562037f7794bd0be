"""``winback users``: add, set-password, token; and ``winback serve --help``."""

from __future__ import annotations

from agent.auth import authenticate, token_principal
from agent.crm.db import open_store
from tests.conftest import Cli


def test_add_set_password_and_token(sqlite_url: str, cli: Cli) -> None:
    db = ["--db", sqlite_url, "--tenant", "acme"]
    r = cli(["users", "add", "A.Keller", "--role", "rep", "--name", "Anna Keller",
             "--password-stdin", *db], input="erstes passwort\n")  # fmt: skip
    assert r.code == 0, r.output
    store = open_store(sqlite_url)
    with store.session() as session:
        assert authenticate(session, "acme", "a.keller", "erstes passwort") is not None
    r = cli(["users", "set-password", "a.keller", "--password-stdin", *db],
            input="zweites passwort\n")  # fmt: skip
    assert r.code == 0, r.output
    with store.session() as session:
        assert authenticate(session, "acme", "a.keller", "erstes passwort") is None
        assert authenticate(session, "acme", "a.keller", "zweites passwort") is not None
    r = cli(["users", "token", "a.keller", "--name", "crm", *db])
    assert r.code == 0, r.output
    token = r.out.strip().splitlines()[-1]
    with store.session() as session:
        principal = token_principal(session, token)
    assert principal is not None and principal.username == "a.keller"


def test_bad_input_is_a_clear_error(sqlite_url: str, cli: Cli) -> None:
    db = ["--db", sqlite_url, "--tenant", "acme"]
    for argv, code in (
        (["users", "add", "x", "--role", "boss", "--name", "X", *db], 2),
        (["users", "add", "bad name!", "--role", "rep", "--name", "X", *db], 2),
        (["users", "token", "nobody", "--name", "crm", *db], 4),
    ):
        assert cli(argv).code == code, argv


def test_short_password_is_refused(sqlite_url: str, cli: Cli) -> None:
    r = cli(["users", "add", "b", "--role", "manager", "--name", "B",
             "--password-stdin", "--db", sqlite_url], input="kurz\n")  # fmt: skip
    assert r.code != 0


def test_serve_help(cli: Cli) -> None:
    r = cli(["serve", "--help"])
    assert r.code == 0 and "--no-worker" in r.output
