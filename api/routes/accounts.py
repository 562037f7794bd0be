"""``/api/accounts``: list, detail with history, ownership assignment."""

from __future__ import annotations

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from agent.auth import Principal
from agent.crm.db import Store
from agent.crm.models import AccountStatus
from api.deps import CurrentUser, IdPath, SessionDep, StoreDep, TeamUser
from api.reads import run_read
from api.responses import raw_json_response
from api.schemas.accounts import AccountDetailOut, AccountOut, OwnerIn
from api.services.accounts import account_detail_json, account_out, assign_owner, list_accounts

router = APIRouter(prefix="/api/accounts", tags=["accounts"])


@router.get("", response_model=list[AccountOut], summary="List accounts")
def get_accounts(
    session: SessionDep,
    user: CurrentUser,
    q: str | None = Query(None, max_length=200, description="Part of the name or CRM number."),
    status: AccountStatus | None = None,
    owner: str | None = Query(None, max_length=120),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> list[AccountOut]:
    """Accounts the caller may see: a rep their own, managers and admins the tenant's."""
    rows = list_accounts(session, user, q=q, status=status, owner=owner, limit=limit, offset=offset)
    return [account_out(a) for a in rows]


def _detail_json(store: Store, user: Principal, account_id: int) -> bytes:
    with store.session() as session:
        return account_detail_json(session, user, account_id)


@router.get("/{account_id}", summary="Account with history", response_model=AccountDetailOut)
async def get_account_detail(account_id: IdPath, store: StoreDep, user: CurrentUser) -> Response:
    """The account, its order totals per year, notes, call notes, recordings, tasks, briefs."""
    # A hot read: async, its database work in one short read (api/reads.py).
    return raw_json_response(await run_read(store, _detail_json, user, account_id))


@router.put("/{account_id}/owner", response_model=AccountOut, summary="Assign the owner")
def put_owner(
    account_id: IdPath,
    session: SessionDep,
    user: TeamUser,
    body: OwnerIn = Body(
        openapi_examples={
            "assign": {"value": {"owner": "a.keller"}},
            "unassign": {"value": {"owner": None}},
        }
    ),  # fmt: skip
) -> AccountOut:
    """Managers and admins assign an account to a rep (null unassigns it)."""
    return account_out(assign_owner(session, user, account_id, body.owner))
