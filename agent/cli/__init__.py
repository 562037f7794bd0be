"""The ``winback`` command line.

Each command group lives in its own module and is registered here. Errors of
our own type become a red message and the error's exit code; anything else
becomes a short "internal error" message with the log file's path, never a
traceback on the user's screen.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import typer

from agent.cli.common import err_console
from agent.errors import ImportRowError, WinbackError
from agent.logs import configure_cli_logging
from agent.settings import get_settings

app = typer.Typer(
    name="winback",
    help="Win back lapsed B2B customers: plan calls, brief reps, turn recordings into CRM notes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Command groups, one module each, registered in the order of a user's day:
# load data, plan, brief, calls, review, then operations.
from agent.cli import (  # noqa: E402
    analyze,
    brief,
    calls,
    db,
    demo,
    doctor,
    eval,
    imports,
    models,
    notes,
    plan,
    privacy,
    serve,
    transcribe,
    users,
    worker,
)

for _module in (
    demo,
    imports,
    plan,
    brief,
    calls,
    worker,
    transcribe,
    analyze,
    notes,
    eval,
    serve,
    users,
    privacy,
    doctor,
    models,
    db,
):
    _module.register(app)


def _log_crash() -> Path | None:
    try:
        log_dir = get_settings().data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "crash.log"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(traceback.format_exc())
            fh.write("\n")
        return path
    except Exception:  # noqa: BLE001 - logging must never mask the original error
        return None


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``winback`` console script."""
    configure_cli_logging()  # serve and worker reconfigure it for a service
    try:
        # With standalone_mode=False click returns the code of a typer.Exit
        # instead of exiting; pass it on so `raise typer.Exit(2)` fails the process.
        result = app(args=argv, standalone_mode=False)
        if isinstance(result, int) and result != 0:
            sys.exit(result)
    except ImportRowError as exc:
        err_console.print(f"[red]Error:[/red] {exc}", highlight=False)
        for line, field, reason in exc.problems[:50]:
            err_console.print(f"  line {line}, field {field}: {reason}", highlight=False)
        if len(exc.problems) > 50:
            err_console.print(f"  … and {len(exc.problems) - 50} more problems", highlight=False)
        sys.exit(exc.exit_code)
    except WinbackError as exc:
        err_console.print(f"[red]Error:[/red] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("Aborted.")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last line of defence: no tracebacks for users
        # Typer ships its own copy of click; usage errors have show() and exit_code.
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        path = _log_crash()
        where = f" Details were written to {path}." if path else ""
        err_console.print(f"[red]Internal error:[/red] {type(exc).__name__}: {exc}.{where}")
        sys.exit(70)
