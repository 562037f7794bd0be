"""Manager pages: review queue and actions, analytics, team overview, account ownership."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from agent.analysis.notes import list_notes
from agent.crm.models import Account, CallNote, NoteStatus, Role, User
from agent.errors import FieldErrors
from agent.plan.scoring import euro, percent
from api import charts
from api.access import get_owned
from api.deps import (
    IdPath,
    ManagerUser,
    SessionDep,
    SettingsDep,
    TeamUser,
    TeamViewer,
    check_csrf,
)
from api.i18n import translator
from api.note_form import attach_errors, changes_from_editor, editor_from_form
from api.note_view import render_note
from api.services.accounts import assign_owner, list_accounts
from api.services.analytics import compute, team_totals
from api.services.notes import approve_note, edit_note, note_detail, reject_note
from api.services.plan import plan_day, tenant_plan_model
from api.views import code_namer, page_language, read_form, render

router = APIRouter(include_in_schema=False)


@router.get("/review")
def review_queue(request: Request, session: SessionDep, user: TeamUser) -> Response:
    """Draft notes waiting for a manager, oldest first."""
    pending = list_notes(session, user.tenant_id, NoteStatus.pending_review, 200, viewer=user)
    notes = list(reversed(pending))
    failed = list_notes(session, user.tenant_id, NoteStatus.failed, 50, viewer=user)
    notes += failed
    names = {a.id: a.name for a in session.scalars(
        select(Account).where(Account.id.in_({n.account_id for n in notes}))
    )}  # fmt: skip
    return render(request, "notes.html", notes=notes, names=names, queue=True)


async def _form(request: Request) -> dict[str, str]:
    form = await read_form(request)
    check_csrf(request, form.get("csrf"))
    return form


@router.post("/notes/{note_id}/approve")
async def approve(
    note_id: IdPath, request: Request, session: SessionDep, user: ManagerUser
) -> Response:
    """Approve from the note page."""
    form = await _form(request)
    approve_note(session, user, note_id, form.get("comment") or None)
    return RedirectResponse(f"/notes/{note_id}", status_code=303)


@router.post("/notes/{note_id}/reject")
async def reject(
    note_id: IdPath, request: Request, session: SessionDep, user: ManagerUser
) -> Response:
    """Reject with a reason from the note page."""
    form = await _form(request)
    reject_note(session, user, note_id, form.get("reason", ""))
    return RedirectResponse(f"/notes/{note_id}", status_code=303)


@router.post("/notes/{note_id}/edit")
async def edit(
    note_id: IdPath, request: Request, session: SessionDep, user: ManagerUser
) -> Response:
    """Save the review form (and approve, with ``action=approve``).

    A form with problems comes back with them and the typed values, approved
    or not.
    ``action=add_step`` (the "add a step" button without JavaScript) shows the
    form again with one more blank row and saves nothing.
    """
    form = await _form(request)
    note = get_owned(session, user, CallNote, note_id)
    data = note_detail(session, note).model_dump(mode="json")
    editor = editor_from_form(data, form)
    if form.get("action") == "add_step":
        return render_note(request, session, note, editor)
    changes: dict[str, object] | None = None
    try:
        changes = changes_from_editor(editor, data, approving=form.get("action") == "approve")
        if changes:
            edit_note(session, user, note_id, changes)
    except FieldErrors as exc:
        attach_errors(editor, exc, changes)
        return render_note(request, session, note, editor, status_code=422)
    if form.get("action") == "approve":
        approve_note(session, user, note_id, form.get("comment") or None)
    return RedirectResponse(f"/notes/{note_id}", status_code=303)


@router.get("/analytics")
def analytics(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: TeamUser,
    as_of: date | None = Query(None),
) -> Response:
    """Charts: churn reasons by month, internal share, funnel, Pareto curve; the plan's model."""
    day = plan_day(as_of)
    data = compute(session, user.tenant_id, day)
    model = tenant_plan_model(session, user, day)
    lang = page_language(request)
    t, name = translator(lang), code_namer(lang)
    ie = data.internal_external
    total = ie.internal + ie.external
    reasons = data.churn_reasons
    svg = {
        "reasons": charts.stacked_bars(
            t("reasons_over_time"), reasons.months,
            {name("reason", code): values for code, values in reasons.series.items()},
            x_title=t("axis_month"), y_title=t("axis_reason_count"),
        ),
        "share": charts.share_bar(
            t("internal_external"),
            [(t("internal"), ie.internal / total), (t("external"), ie.external / total)]
            if total else [],
        ),
        "funnel": charts.funnel(
            t("funnel"), [(t("funnel_" + s.stage), s.accounts) for s in data.funnel],
            scale_note=t("funnel_log_scale"),
        ),
        "pareto": charts.pareto(
            t("pareto"), list(data.pareto.points),
            data.pareto.cutoff_rank,
            x_title=t("axis_calls_ranked"), y_title=t("axis_value_share"),
        ),
    }  # fmt: skip
    share_pct = round(settings.pareto_value_share * 100)
    return render(
        request,
        "analytics.html",
        data=data,
        svg=svg,
        share_pct=share_pct,
        model=model,
        euro=euro,
        percent=percent,
        coaching=bool((settings.coaching_agreement or "").strip()),
    )


@router.get("/team")
def team(
    request: Request,
    session: SessionDep,
    user: TeamViewer,
    as_of: date | None = Query(None),
    months: int = Query(12, ge=1, le=60),
) -> Response:
    """The works council view: team totals per month, no per-rep figures, no sentiment."""
    data = team_totals(session, user.tenant_id, plan_day(as_of), months)
    t = translator(page_language(request))
    series = {code: [row.churn_reasons[code] for row in data.by_month]
              for code in data.totals.churn_reasons}  # fmt: skip
    name = code_namer(page_language(request))
    chart = charts.stacked_bars(
        t("reasons_over_time"), data.months,
        {name("reason", c): v for c, v in series.items() if any(v)},
        x_title=t("axis_month"), y_title=t("axis_reason_count"),
    )  # fmt: skip
    return render(request, "team.html", data=data, chart=chart)


@router.get("/accounts")
def accounts_page(
    request: Request,
    session: SessionDep,
    user: TeamUser,
    q: str | None = Query(None, max_length=200),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> Response:
    """All accounts with their owner; managers and admins assign owners here."""
    accounts = list_accounts(session, user, q=q, limit=100, offset=offset)
    reps = session.scalars(
        select(User).where(User.tenant_id == user.tenant_id, User.role == Role.rep,
                           User.active.is_(True)).order_by(User.username)
    ).all()  # fmt: skip
    return render(request, "accounts.html", accounts=accounts, reps=reps, q=q or "", offset=offset)


@router.post("/accounts/{account_id}/owner")
async def set_owner(
    account_id: IdPath, request: Request, session: SessionDep, user: TeamUser
) -> Response:
    """Assign an account to a rep from the accounts page."""
    form = await _form(request)
    assign_owner(session, user, account_id, form.get("owner") or None)
    back = form.get("back", "/accounts")
    return RedirectResponse(back if back.startswith("/accounts") else "/accounts", status_code=303)


__all__ = ["router", "CallNote"]
