"""``winback plan``: the ranked win-back list, and ``winback plan daily``: calls per rep.

``winback plan --as-of 2011-12-09 --json`` prints the plan in the JSON
contract of :class:`agent.plan.Plan`; without ``--json`` it prints the top of
the list as a table with the excluded count and the Pareto cut-off.
``winback plan daily --days 5 --per-rep 2 --ics DIR`` plans the calls of the
next working days and writes one ``<username>.ics`` per rep.
``winback plan backtest --as-of D --horizon-months 6 --inactive-months 3``
ranks as of a past day and scores the ranking on the orders that followed
(:mod:`agent.plan.backtest`).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.cli.common import (
    DbOption,
    JsonOption,
    TenantOption,
    console,
    err_console,
    print_json,
    store_for,
)
from agent.crm.db import get_tenant
from agent.crm.models import Tenant
from agent.errors import ValidationError
from agent.plan import Plan, build_plan, daily_plan, pareto_curve, write_ics
from agent.plan.backtest import Backtest, run_backtest
from agent.plan.lapse import has_orders, validate_months
from agent.settings import get_settings

plan_app = typer.Typer(
    help="Rank lapsed customers for win-back calls and plan each rep's calls.",
    invoke_without_command=True,
)

NO_ORDERS = "No orders imported yet: import an order history first (see winback --help)."
TABLE_ROWS = 20

AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Plan as of this day, YYYY-MM-DD (default: today)."),
]
MonthsOption = Annotated[
    int | None,
    typer.Option(
        "--inactive-months", help="Months without an order that count as lapsed (default 12)."
    ),
]


def parse_day(value: str | None, option: str) -> date | None:
    """Parse a YYYY-MM-DD option value or raise :class:`ValidationError` naming the option."""
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{option}: {value!r} is not a date in the form YYYY-MM-DD") from None


def _positive(value: int | None, option: str) -> int | None:
    if value is not None and value < 1:
        raise ValidationError(f"{option} must be 1 or more, got {value}")
    return value


def _load_plan(session: Session, as_of: date, months: int) -> tuple[int | None, Plan]:
    """The plan of the current tenant; tenant id ``None`` when it has no orders yet.

    A database with orders but not of this tenant means a mistyped tenant:
    that is an error, not an empty plan.
    """
    settings = get_settings()
    tenant = session.scalar(select(Tenant).where(Tenant.slug == settings.tenant))
    if tenant is None and has_orders(session):
        get_tenant(session, settings.tenant)  # raises NotFoundError with guidance
    if tenant is None or not has_orders(session, tenant.id):
        empty = Plan(
            as_of=as_of,
            inactive_months=months,
            customers=[],
            pareto=pareto_curve([], settings.pareto_value_share),
        )
        return None, empty
    return tenant.id, build_plan(session, tenant.id, as_of, months)


def _resolve(
    db: str | None, tenant: str | None, as_of: str | None, months: int | None
) -> tuple[date, int]:
    day = parse_day(as_of, "--as-of") or date.today()
    _positive(months, "--inactive-months")
    settings, _ = store_for(db, tenant)
    return day, validate_months(settings.inactive_months if months is None else months)


def _print_table(plan: Plan, limit: int) -> None:
    table = Table(title=f"Win-back plan as of {plan.as_of} ({plan.inactive_months} months)")
    columns = ("Rank", "Customer", "ID", "Last order", "Score", "P(return)", "Exp. spend")
    for column in (*columns, "Exp. value", "Ease"):
        table.add_column(column, justify="right" if column != "Customer" else "left")
    for customer in plan.callable[:limit]:
        parts = customer.score_parts
        table.add_row(
            str(customer.rank),
            customer.name,
            customer.external_id,
            str(customer.last_order_date),
            f"{customer.score:.1f}",
            f"{parts.p_return:.0%}",
            f"{parts.expected_spend:,.2f}",
            f"{parts.expected_value:,.2f}",
            f"{parts.ease}" + ("" if parts.ease_known else "?"),
        )
    console.print(table)
    console.print("Expected value over the next 12 months = P(return) x expected spend.")
    if plan.callable:
        first = plan.callable[0]
        console.print(f"#1 {first.name}: {first.score_parts.explanation}", highlight=False)
    _print_model(plan)
    reasons = Counter(c.excluded for c in plan.customers if c.excluded)
    detail = ", ".join(f"{reason}: {count}" for reason, count in sorted(reasons.items()))
    console.print(
        f"Excluded (not called): {plan.excluded_count}" + (f" ({detail})" if detail else "")
    )
    pareto = plan.pareto
    console.print(
        f"Pareto cut-off: the first {pareto.cutoff_rank} of {len(plan.callable)} calls "
        f"({pareto.cutoff_share_of_calls:.0%}) reach {get_settings().pareto_value_share:.0%} "
        f"of the expected value {pareto.total_expected_value:,.2f}."
    )


def _print_model(plan: Plan) -> None:
    model = plan.model
    if model.kind == "prior":
        err_console.print(f"[yellow]{model.message}[/yellow]")
    elif model.kind == "bgnbd_gamma_gamma":
        console.print(
            f"Value model: BG/NBD + Gamma-Gamma fitted on {model.customers} customers "
            f"({model.repeat_customers} with a repeat purchase) in {model.fit_seconds:.2f} s."
        )
    learned = [s for s in plan.segments if s.outcomes or s.open]
    for segment in learned:
        console.print(
            f"Win-back chance {segment.segment}: {segment.chance:.0%} "
            f"(prior {segment.prior:.0%}; {segment.outcomes} decided outcomes, "
            f"{segment.reactivated} reactivated; {segment.open} open)"
        )


@plan_app.callback()
def plan(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    inactive_months: MonthsOption = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Show at most this many customers.")
    ] = None,
    json_output: JsonOption = False,
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Rank the lapsed customers for win-back calls (run without a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    _positive(limit, "--limit")
    day, months = _resolve(db, tenant, as_of, inactive_months)
    _, store = store_for()
    with store.session() as session:
        tenant_id, result = _load_plan(session, day, months)
    if tenant_id is None:
        err_console.print(NO_ORDERS)
    if json_output:
        data = result.model_dump(mode="json")
        if limit is not None:
            data["customers"] = data["customers"][:limit]
        print_json(data)
        return
    if result.customers:
        _print_table(result, limit or TABLE_ROWS)
    else:
        console.print(f"No lapsed customers as of {day} ({months} months without an order).")


@plan_app.command("daily")
def daily(
    days: Annotated[int, typer.Option("--days", help="Number of working days to plan.")] = 5,
    per_rep: Annotated[
        int | None, typer.Option("--per-rep", help="Calls per rep per day (default: settings).")
    ] = None,
    ics: Annotated[
        Path | None, typer.Option("--ics", help="Write <username>.ics per rep into this folder.")
    ] = None,
    as_of: AsOfOption = None,
    start: Annotated[
        str | None,
        typer.Option("--start", help="First day to plan (default: next working day after as-of)."),
    ] = None,
    inactive_months: MonthsOption = None,
    json_output: JsonOption = False,
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Plan each rep's win-back calls for the next working days (and export .ics files)."""
    _positive(days, "--days")
    _positive(per_rep, "--per-rep")
    first_day = parse_day(start, "--start")
    day, months = _resolve(db, tenant, as_of, inactive_months)
    _, store = store_for()
    with store.session() as session:
        tenant_id, result = _load_plan(session, day, months)
        if tenant_id is None:
            err_console.print(NO_ORDERS)
            if json_output:
                empty: dict[str, object] = {
                    "tenant_id": None,
                    "as_of": day.isoformat(),
                    "days": [],
                    "per_rep": per_rep,
                }
                print_json({**empty, "reps": [], "unassigned": [], "ics_files": []})
            return
        schedule = daily_plan(session, tenant_id, result, days, per_rep, first_day)
    files = write_ics(schedule, ics) if ics is not None else []
    if json_output:
        data = schedule.model_dump(mode="json")
        data["ics_files"] = [str(path) for path in files]
        print_json(data)
        return
    console.print(
        f"Win-back calls from {schedule.days[0]} to {schedule.days[-1]} "
        f"({len(schedule.days)} working days, up to {schedule.per_rep} per rep and day)"
    )
    for rep in schedule.reps:
        console.print(f"\n[bold]{rep.name}[/bold] ({rep.username}): {len(rep.calls)} calls")
        for call in rep.calls:
            console.print(
                f"  {call.start:%a %d.%m. %H:%M}  #{call.rank} {call.name} "
                f"(score {call.score:.1f}, last order {call.last_order_date})",
                highlight=False,
            )
    if schedule.unassigned:
        console.print(
            f"\n[yellow]{len(schedule.unassigned)} calls have no rep[/yellow] "
            "(no reps in this tenant): assign owners to plan them."
        )
        for candidate in schedule.unassigned:
            console.print(f"  #{candidate.rank} {candidate.name} ({candidate.external_id})")
    for path in files:
        console.print(f"Wrote {path}")


def _print_backtest(result: Backtest) -> None:
    console.print(
        f"Backtest as of {result.as_of}: {result.lapsed} ranked lapsed customers "
        f"({result.inactive_months} months inactive), {result.excluded} excluded; "
        f"window to {result.horizon_end} ({result.horizon_days} days): "
        f"{result.returners} returned with {result.realised_revenue:,.2f} net revenue."
    )
    for warning in result.warnings:
        err_console.print(f"[yellow]{warning}[/yellow]")
    table = Table(
        title="Top 10/20/30 % of each list",
        caption="V: share of the realised revenue, R: share of the returners",
    )
    table.add_column("Ranking")
    for head in ("V10", "V20", "V30", "R10", "R20", "R30", "AUC"):
        table.add_column(head, justify="right")

    def cell(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    for ranking in result.rankings:
        table.add_row(
            ranking.name,
            *(cell(v) for v in ranking.value_share.values()),
            *(cell(v) for v in ranking.returner_share.values()),
            "-" if ranking.auc is None else f"{ranking.auc:.3f}",
        )
    console.print(table)
    if result.reliability is None:
        return
    calibration = Table(title="Predicted return probability in deciles")
    for head in ("Customers", "Predicted", "Observed", "Gap", "Std. err."):
        calibration.add_column(head, justify="right")
    for row in result.reliability:
        calibration.add_row(
            str(row.customers),
            f"{row.predicted:.3f}",
            f"{row.observed:.3f}",
            f"{row.gap:+.3f}",
            f"{row.stderr:.3f}",
        )
    console.print(calibration)
    console.print(
        f"Mean predicted {result.mean_predicted:.3f}, observed {result.mean_observed:.3f}; "
        f"largest decile gap {result.max_calibration_gap:.3f}; "
        f"{result.deciles_within_005} of {len(result.reliability)} deciles within ±0.05, "
        f"{result.deciles_within_2se} within 2 standard errors."
    )


@plan_app.command("backtest")
def backtest(
    as_of: Annotated[str, typer.Option("--as-of", help="Rank as of this past day, YYYY-MM-DD.")],
    horizon_months: Annotated[
        int, typer.Option("--horizon-months", help="Months after --as-of to score against.")
    ] = 6,
    inactive_months: MonthsOption = None,
    json_output: JsonOption = False,
    db: DbOption = None,
    tenant: TenantOption = None,
) -> None:
    """Rank as of a past day and score the ranking on the orders that followed."""
    _positive(horizon_months, "--horizon-months")
    day, months = _resolve(db, tenant, as_of, inactive_months)
    settings, store = store_for()
    with store.session() as session:
        tenant_row = get_tenant(session, settings.tenant)
        result = run_backtest(session, tenant_row.id, day, horizon_months, months)
    if json_output:
        print_json(result.model_dump(mode="json"))
        return
    _print_backtest(result)


def register(app: typer.Typer) -> None:
    """Add ``winback plan`` to the main app."""
    app.add_typer(plan_app, name="plan")
