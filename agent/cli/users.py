"""``winback users``: add users, set passwords, API tokens, sessions, deactivation."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from agent.cli.common import (
    DbOption,
    JsonOption,
    TenantOption,
    console,
    err_console,
    print_json,
    store_for,
)
from agent.crm.models import Role
from agent.errors import ValidationError

users_app = typer.Typer(help="Users of the web app and the API.", no_args_is_help=True)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _password(from_stdin: bool, ask: bool) -> str | None:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise ValidationError("password: standard input was empty.")
        return value
    if not ask:
        return None
    first = typer.prompt("Password", hide_input=True)
    if first != typer.prompt("Repeat password", hide_input=True):
        raise ValidationError("password: the two entries differ.")
    return str(first)


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name, e.g. a.keller.")],
    role: Annotated[
        Role,
        typer.Option(
            "--role", help="rep, manager, admin, or council (works council: team overview only)."
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="Full name shown in the app.")],
    email: Annotated[str | None, typer.Option("--email")] = None,
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Add a user (without --password-stdin the user gets no password yet)."""
    from agent.auth import add_user

    settings, store = store_for(db, tenant)
    password = _password(password_stdin, ask=False)
    user = add_user(store, settings.tenant, username, role.value, name, password, email)
    console.print(f"Added {user.role.value} [bold]{user.username}[/bold] to {settings.tenant}.")
    if password is None:
        err_console.print("No password set yet: run 'winback users set-password'.")


@users_app.command("set-password")
def set_password(
    username: Annotated[str, typer.Argument()],
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Set a user's password (ends the user's browser sessions)."""
    from agent.auth import set_password as set_pw

    settings, store = store_for(db, tenant)
    password = _password(password_stdin, ask=True)
    assert password is not None
    ended = set_pw(store, settings.tenant, username, password)
    console.print(f"Password of {username} changed; {_n(ended, 'session')} ended.")


def _n(count: int, thing: str) -> str:
    return f"{count} {thing}" + ("" if count == 1 else "s")


@users_app.command("token")
def token(
    username: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. crm-sync.")],
    days: Annotated[
        int | None,
        typer.Option("--days", help="Days until it expires (default: setting api_token_days)."),
    ] = None,
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Create an API token for USERNAME and print it once (only its hash is stored)."""
    from agent.auth import create_token

    settings, store = store_for(db, tenant)
    value = create_token(store, settings.tenant, username, name, days)
    err_console.print("Store this token now; it cannot be shown again:")
    sys.stdout.write(value + "\n")


@users_app.command("revoke-token")
def revoke_token(
    username: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Argument(help="The token's name (or id, see 'users sessions').")],
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Revoke USERNAME's API tokens called NAME: they stop working at once."""
    from agent.auth import revoke_token as revoke

    settings, store = store_for(db, tenant)
    count = revoke(store, settings.tenant, username, name)
    console.print(f"Revoked {_n(count, 'API token')} of {username}.")


@users_app.command("deactivate")
def deactivate(
    username: Annotated[str, typer.Argument()],
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Lock USERNAME out: no login, every session ended, every API token revoked."""
    from agent.auth import deactivate_user

    settings, store = store_for(db, tenant)
    done = deactivate_user(store, settings.tenant, username)
    console.print(
        f"Deactivated {username}: {_n(done.sessions, 'session')} ended, "
        f"{_n(done.tokens, 'API token')} revoked."
    )


@users_app.command("activate")
def activate(
    username: Annotated[str, typer.Argument()],
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Let a deactivated USERNAME log in again (revoked tokens stay revoked)."""
    from agent.auth import activate_user

    settings, store = store_for(db, tenant)
    activate_user(store, settings.tenant, username)
    console.print(f"Activated {username}.")


@users_app.command("sessions")
def sessions(
    username: Annotated[str, typer.Argument()],
    end_all: Annotated[
        bool, typer.Option("--end-all", help="End every browser session of the user.")
    ] = False,
    end: Annotated[int | None, typer.Option("--end", help="End the session with this id.")] = None,
    db: DbOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """List USERNAME's browser sessions and API tokens, or end sessions."""
    from agent.auth import find_user, list_tokens
    from agent.crm.db import get_tenant
    from agent.errors import NotFoundError
    from agent.sessions import end_all_sessions, end_session, list_sessions

    settings, store = store_for(db, tenant)
    with store.session() as session:
        user = find_user(session, get_tenant(session, settings.tenant).id, username)
        if end_all:
            count = end_all_sessions(session, user.id)
            console.print(f"Ended {_n(count, 'session')} of {username}.")
            return
        if end is not None:
            if not end_session(session, user.id, end):
                raise NotFoundError(f"{username} has no session {end}.")
            console.print(f"Ended session {end} of {username}.")
            return
        found = list_sessions(session, user.id)
        tokens = list_tokens(session, user.id)
    if as_json:
        print_json({
            "active": user.active,
            "sessions": [vars(s) for s in found],
            "tokens": [{"id": t.id, "name": t.name, "created_at": t.created_at,
                        "last_used_at": t.last_used_at, "expires_at": t.expires_at}
                       for t in tokens],
        })  # fmt: skip
        return
    state = "active" if user.active else "deactivated"
    console.print(f"{username} ({state}): {_n(len(found), 'session')}, {_n(len(tokens), 'token')}")
    for s in found:
        console.print(
            f"  session {s.id}: since {s.created_at:%Y-%m-%d %H:%M}, last seen "
            f"{s.last_seen_at:%Y-%m-%d %H:%M}, expires {s.expires_at:%Y-%m-%d %H:%M} UTC, "
            f"{s.client_ip or '-'}, {s.user_agent or '-'}",
            highlight=False, markup=False,
        )  # fmt: skip
    for t in tokens:
        expires = f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never"
        used = f"{t.last_used_at:%Y-%m-%d}" if t.last_used_at else "never"
        console.print(f"  token {t.id} {t.name!r}: expires {expires}, last used {used}",
                      highlight=False, markup=False)  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``winback users`` to the CLI."""
    app.add_typer(users_app, name="users")
