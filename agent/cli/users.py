"""``winback users``: add users, set passwords, create API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from agent.cli.common import DbOption, TenantOption, console, err_console, store_for
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
    set_pw(store, settings.tenant, username, password)
    console.print(f"Password of {username} changed.")


@users_app.command("token")
def token(
    username: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. crm-sync.")],
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Create an API token for USERNAME and print it once (only its hash is stored)."""
    from agent.auth import create_token

    settings, store = store_for(db, tenant)
    value = create_token(store, settings.tenant, username, name)
    err_console.print("Store this token now; it cannot be shown again:")
    sys.stdout.write(value + "\n")


def register(app: typer.Typer) -> None:
    """Add ``winback users`` to the CLI."""
    app.add_typer(users_app, name="users")
