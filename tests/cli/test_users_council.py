"""``winback users add --role council``: the works council role from the CLI."""

from __future__ import annotations

from agent.auth import authenticate
from agent.crm.db import open_store
from agent.crm.models import Role
from tests.conftest import Cli


def test_add_a_council_member(sqlite_url: str, cli: Cli) -> None:
    db = ["--db", sqlite_url, "--tenant", "acme"]
    r = cli(["users", "add", "br.meier", "--role", "council", "--name",
             "Betriebsrat Meier", "--password-stdin", *db],
            input="betriebsrat 2026\n")  # fmt: skip
    assert r.code == 0, r.output
    assert "Added council" in r.output
    with open_store(sqlite_url).session() as session:
        principal = authenticate(session, "acme", "br.meier", "betriebsrat 2026")
    assert principal is not None and principal.role == Role.council
    assert not principal.sees_team  # no access to accounts, notes or transcripts


def test_unknown_role_lists_the_choices(sqlite_url: str, cli: Cli) -> None:
    r = cli(["users", "add", "x", "--role", "betriebsrat", "--name", "X",
             "--db", sqlite_url])  # fmt: skip
    assert r.code == 2
    assert "council" in r.output and "rep" in r.output
