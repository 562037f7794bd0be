"""``winback demo``: load the demo tenant and show what the plan makes of it.

``winback demo seed`` (re-)creates the demo tenant and prints what it wrote;
plain ``winback demo`` does the same and then shows the top of the win-back
plan as of the demo's anchor day, with the Pareto cut-off and commands to try
next. Seeding replaces the previous demo tenant, so both can be run again.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from agent.cli.common import DbOption, JsonOption, console, print_json, store_for
from agent.crm.db import Store
from agent.demo import DEMO_AS_OF, DEMO_TENANT_SLUG, SeedStats, seed
from agent.settings import Settings

demo_app = typer.Typer(
    help="Load the demo tenant (a German industrial supplier) and show its win-back plan.",
    invoke_without_command=True,
)

TOP_CALLS = 10

SeedOption = Annotated[
    int, typer.Option("--seed", help="Random seed of the generated data (same seed, same data).")
]


def _seed(db: str | None, seed_value: int) -> tuple[Settings, Store, SeedStats]:
    settings, store = store_for(db)
    stats = seed(store, DEMO_TENANT_SLUG, seed=seed_value)
    from agent.auth import set_demo_passwords  # web login: demo users get demo_password

    set_demo_passwords(store, DEMO_TENANT_SLUG, settings.demo_password)
    return settings, store, stats


def _print_stats(stats: SeedStats, store: Store) -> None:
    verb = "Replaced" if stats.replaced else "Created"
    console.print(
        f"{verb} demo tenant [bold]{stats.tenant_slug}[/bold] in {store.url} "
        f"({stats.seconds:.1f} s):"
    )
    for kind, count in stats.counts().items():
        console.print(f"  {kind.replace('_', ' '):<12} {count:>6}")


@demo_app.callback()
def demo(
    ctx: typer.Context,
    db: DbOption = None,
    seed_value: SeedOption = 7,
) -> None:
    """Seed the demo tenant, then show the top win-back calls as of the demo day."""
    if ctx.invoked_subcommand is not None:
        return
    settings, store, stats = _seed(db, seed_value)
    _print_stats(stats, store)
    _print_plan(store, stats.tenant_id, settings)
    # The brief of the plan's top account (local model by default).
    from agent.cli.brief import show_demo_brief

    show_demo_brief(store, settings, DEMO_TENANT_SLUG, DEMO_AS_OF)
    db_part = f" --db {db}" if db else ""
    console.print("\nTry next:")
    console.print(
        f"  winback plan --as-of {DEMO_AS_OF} --tenant {DEMO_TENANT_SLUG}{db_part}", soft_wrap=True
    )
    console.print(
        f"  winback plan daily --as-of {DEMO_AS_OF} --tenant {DEMO_TENANT_SLUG}{db_part}",
        soft_wrap=True,
    )


@demo_app.command("seed")
def seed_command(
    db: DbOption = None,
    seed_value: SeedOption = 7,
    as_json: JsonOption = False,
) -> None:
    """(Re-)create the demo tenant and print how many rows were written."""
    _, store, stats = _seed(db, seed_value)
    if as_json:
        print_json({"tenant": stats.tenant_slug, "replaced": stats.replaced, **stats.counts()})
        return
    _print_stats(stats, store)


def _print_plan(store: Store, tenant_id: int, settings: Settings) -> None:
    """Print the top calls of the demo's plan and where the Pareto curve cuts the list."""
    # Imported here so that ``winback demo seed`` works even while the plan is broken.
    from agent.plan import build_plan

    with store.session() as session:
        plan = build_plan(session, tenant_id, DEMO_AS_OF, settings.inactive_months)
    table = Table(title=f"Top {TOP_CALLS} win-back calls as of {DEMO_AS_OF}")
    for column in ("Rank", "Customer", "Last order", "Score", "Exp. value €", "Ease"):
        table.add_column(column, justify="left" if column == "Customer" else "right")
    for customer in plan.callable[:TOP_CALLS]:
        parts = customer.score_parts
        table.add_row(
            str(customer.rank),
            customer.name,
            str(customer.last_order_date),
            f"{customer.score:.1f}",
            f"{parts.expected_value:,.0f}",
            str(parts.ease),
        )
    console.print(table)
    pareto = plan.pareto
    console.print(
        f"{len(plan.customers)} lapsed customers, {plan.excluded_count} excluded "
        f"(insolvent, lost, do not contact, follow-up agreed later), {len(plan.callable)} to call."
    )
    console.print(
        f"Pareto cut-off: the first {pareto.cutoff_rank} calls "
        f"({pareto.cutoff_share_of_calls:.0%} of the list) bring "
        f"{settings.pareto_value_share:.0%} of the expected value "
        f"({pareto.total_expected_value:,.0f} €)."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(demo_app, name="demo")
