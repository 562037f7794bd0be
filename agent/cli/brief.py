"""``winback brief ACCOUNT`` and ``winback index rebuild``.

``brief`` builds the pre-call brief of one account (by database id or
external id), stores it as the account's next version and prints it as
rendered Markdown, raw Markdown (``--markdown``), HTML (``--html``) or JSON
(``--json``). ``index rebuild`` re-creates the tenant's history index from
the CRM store.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import DbOption, JsonOption, TenantOption, console, err_console, store_for
from agent.crm.db import Store, get_tenant
from agent.errors import ValidationError
from agent.settings import Settings

if TYPE_CHECKING:
    from agent.brief.schema import Brief
    from agent.history.index import HistoryIndex

# The brief and history packages pull in LangChain and Chroma (seconds of
# start-up); they are imported inside the commands so that every other
# ``winback`` command starts fast.

index_app = typer.Typer(
    help="The history index (notes, calls, transcripts in Chroma).", no_args_is_help=True
)

AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Day the brief is written for (YYYY-MM-DD); default: today."),
]


def parse_day(value: str | None) -> date:
    """Parse ``--as-of``; a bad value is a :class:`ValidationError`, not a traceback."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"--as-of must be a date like 2026-11-02, got {value!r}") from None


def ensure_index(store: Store, settings: Settings, tenant: str) -> HistoryIndex:
    """Open the history index; build it first when the tenant has none yet."""
    from agent.history.index import open_index
    from agent.history.sync import rebuild

    index = open_index(settings)
    with store.session() as session:
        tenant_id = get_tenant(session, tenant).id
        if index.count(tenant_id) == 0:
            err_console.print("Building the history index for this tenant (first use) …")
            rebuild(session, index, tenant_id)
    return index


def make_brief(
    store: Store,
    settings: Settings,
    tenant: str,
    account: str,
    as_of: date,
    save: bool = True,
    index: HistoryIndex | None = None,
) -> Brief:
    """Generate (and by default store) the brief of ``account``, with its plan rank."""
    from agent.brief import generate_brief, save_brief
    from agent.plan import build_plan

    index = index or ensure_index(store, settings, tenant)
    with store.session() as session:
        tenant_id = get_tenant(session, tenant).id
        plan = build_plan(session, tenant_id, as_of)
        run = generate_brief(session, tenant, account, as_of=as_of, index=index, settings=settings)
        entry = next((c for c in plan.customers if c.account_id == run.brief.account_id), None)
        if entry is not None:
            run.brief.plan_rank = entry.rank
            run.brief.plan_score = entry.score
        if save:
            save_brief(session, run.brief)
    return run.brief


def print_brief(
    brief: Brief, *, as_json: bool = False, markdown: bool = False, as_html: bool = False
) -> None:
    """Print a brief in the chosen format (rendered Markdown by default)."""
    from rich.markdown import Markdown

    from agent.brief import to_html, to_json, to_markdown

    if as_json:
        sys.stdout.write(to_json(brief) + "\n")
    elif as_html:
        sys.stdout.write(to_html(brief))
    elif markdown:
        sys.stdout.write(to_markdown(brief))
    else:
        console.print(Markdown(to_markdown(brief)))


def brief(
    account: Annotated[str, typer.Argument(help="Account id or external id.")],
    json_out: JsonOption = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print raw Markdown.")] = False,
    as_html: Annotated[bool, typer.Option("--html", help="Print HTML.")] = False,
    as_of: AsOfOption = None,
    save: Annotated[bool, typer.Option("--save/--no-save", help="Store as a new version.")] = True,
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Prepare the pre-call brief of one account (facts by code, language by the model)."""
    day = parse_day(as_of)
    settings, store = store_for(db, tenant)
    result = make_brief(store, settings, settings.tenant, account, day, save=save)
    print_brief(result, as_json=json_out, markdown=markdown, as_html=as_html)


def _models_missing(settings: Settings) -> list[str]:
    """Bundled local models the brief needs that are not assembled yet."""
    from agent.model_store import MODELS, status

    wanted = []
    if settings.chat_backend == "local" and settings.local_chat_model in MODELS:
        wanted.append(settings.local_chat_model)
    if settings.embeddings_backend == "local":
        wanted.append("use-m-v3")
    return [name for name in wanted if not status(name, settings).assembled]


def show_demo_brief(store: Store, settings: Settings, tenant: str, as_of: date) -> None:
    """The demo's last step: print the brief of the plan's top account.

    Missing local weights are assembled from their packages on first use
    (with a progress bar), as everywhere else. A model error is reported as a
    message, since the plan shown before is still useful.
    """
    from agent.errors import WinbackError
    from agent.plan import build_plan

    with store.session() as session:
        top = build_plan(session, get_tenant(session, tenant).id, as_of).callable[:1]
    if not top:
        console.print("No lapsed customer to brief.")
        return
    missing = _models_missing(settings)
    if missing:
        console.print(
            f"\nFirst run: assembling the local models ({', '.join(missing)}) from their "
            "packages and checking their sha256; later runs start at once."
        )
    console.print(f"\nBrief for the top customer of the plan ({top[0].external_id}):")
    try:
        result = make_brief(store, settings, tenant, top[0].external_id, as_of)
    except WinbackError as exc:
        err_console.print(f"[red]No brief:[/red] {exc}", highlight=False)
        return
    print_brief(result)


@index_app.command("rebuild")
def index_rebuild(db: DbOption = None, tenant: TenantOption = None) -> None:
    """Re-create the tenant's history index from the CRM store."""
    from agent.history.index import open_index
    from agent.history.sync import rebuild

    settings, store = store_for(db, tenant)
    index = open_index(settings)
    with store.session() as session:
        tenant_id = get_tenant(session, settings.tenant).id
        count = rebuild(session, index, tenant_id)
    console.print(f"History index of tenant [bold]{settings.tenant}[/bold]: {count} chunks.")


def register(app: typer.Typer) -> None:
    """Add ``brief`` and ``index`` to the ``winback`` app."""
    app.command("brief")(brief)
    app.add_typer(index_app, name="index")
