"""Authorization on every object: tenants are isolated, reps see only their own.

The rules, in one place:

* an object of another tenant does not exist for the caller (404, the same
  answer as for an id that was never used, so existence does not leak);
* managers and admins see and change every object of their tenant;
* a rep sees and changes an object only when they own its account
  (``accounts.owner_id``); someone else's object of the same tenant is 403;
* only managers review notes (:data:`api.deps.ManagerUser`).

Briefs, recordings, notes and tasks all belong to an account, so "own"
always means "on an account the rep owns".
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from agent.auth import Principal
from agent.crm.models import Account, CallNote, CallRecording, StoredBrief, Task
from agent.errors import NotFoundError, PermissionDeniedError

T = TypeVar("T", Account, StoredBrief, CallNote, CallRecording, Task)
_WHAT = {Account: "Account", StoredBrief: "Brief", CallNote: "Call note",
         CallRecording: "Recording", Task: "Task"}  # fmt: skip


def check_account(user: Principal, tenant_id: int | None, owner_id: int | None) -> None:
    """Raise unless the user may see an account of ``tenant_id`` owned by ``owner_id``.

    ``tenant_id`` None means the account does not exist. For reads that select
    the account's columns instead of loading the ORM object.
    """
    if tenant_id is None or tenant_id != user.tenant_id:
        raise NotFoundError("Account not found.")
    if not user.sees_team and owner_id != user.user_id:
        raise PermissionDeniedError("This account belongs to another rep.")


def _check_account(session: Session, user: Principal, account: Account | None) -> Account:
    if account is None:
        raise NotFoundError("Account not found.")
    check_account(user, account.tenant_id, account.owner_id)
    return account


def get_account(session: Session, user: Principal, account_id: int) -> Account:
    """The account ``account_id`` if the user may see it (404 / 403 otherwise)."""
    return _check_account(session, user, session.get(Account, account_id))


def get_owned(session: Session, user: Principal, model: type[T], object_id: Any) -> T:
    """An object with an ``account_id`` (brief, recording, note, task) the user may see."""
    row = session.get(model, object_id)
    what = _WHAT[model]
    if row is None or row.tenant_id != user.tenant_id:
        raise NotFoundError(f"{what} {object_id} not found.")
    if not user.sees_team:
        account = session.get(Account, row.account_id)  # type: ignore[attr-defined]
        if account is None or account.owner_id != user.user_id:
            raise PermissionDeniedError(f"{what} {object_id} belongs to another rep's account.")
    return row


def scoped(query: Select[Any], user: Principal, model: type[Any]) -> Select[Any]:
    """Restrict a query on ``model`` to the user's tenant and, for reps, own accounts."""
    query = query.where(model.tenant_id == user.tenant_id)
    if user.sees_team:
        return query
    if model is Account:
        return query.where(Account.owner_id == user.user_id)
    return query.join(Account, Account.id == model.account_id).where(
        Account.owner_id == user.user_id
    )
