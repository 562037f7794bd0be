"""Finding accounts and contacts by the references users type.

Users name an account by its CRM number (external id) or by Winback's own
database id; both are resolved here, always inside one tenant, so another
tenant's rows can never be reached by guessing ids.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.crm.models import Account, Contact
from agent.errors import NotFoundError, ValidationError


def find_account(
    session: Session, tenant_id: int, ref: str | int, *, by_id: bool = True
) -> Account:
    """The tenant's account with external id ``ref``, else with database id ``ref``.

    An all-digit reference is tried as an external id first (CRMs often use
    numeric customer numbers), then as a database id. An empty reference is
    a :class:`ValidationError`; an unknown one a :class:`NotFoundError`.
    With ``by_id=False`` only the external id counts (erasure and export,
    where a mistaken match must not be possible).
    """
    text = str(ref).strip()
    if not text:
        raise ValidationError("No account given: pass the account's CRM number or id.")
    account = session.scalar(
        select(Account).where(Account.tenant_id == tenant_id, Account.external_id == text)
    )
    if account is None and by_id and text.isdigit():
        candidate = session.get(Account, int(text))
        if candidate is not None and candidate.tenant_id == tenant_id:
            account = candidate
    if account is None:
        raise NotFoundError(f"Account {text!r} does not exist in this tenant.")
    return account


def find_contact(session: Session, tenant_id: int, external_id: str) -> Contact:
    """The tenant's contact with ``external_id``, or :class:`NotFoundError`."""
    contact = session.scalar(
        select(Contact).where(Contact.tenant_id == tenant_id, Contact.external_id == external_id)
    )
    if contact is None:
        raise NotFoundError(f"Contact {external_id!r} does not exist in this tenant.")
    return contact
