"""The CRM notes of one demo account, written to fit its orders and its churn story.

Rules that keep the notes consistent with the orders (tests check them):
notes of a lapsed account are dated no later than its last order, except
follow-up calls and status notices (insolvency) which come after it; the
decisive note of a churn story lies up to about three months before the last
order; nothing is dated after the as-of day. Silent accounts get no notes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from agent.demo import note_templates as tpl
from agent.demo.catalogue import INCREASE_PERCENT, PRICE_INCREASE_ANNOUNCED, Product
from agent.demo.companies import person_name
from agent.demo.records import DemoAccount, DemoContact, DemoNote, DemoOrder

MONTHS = {
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "en": "January February March April May June July August September October November December",
}


@dataclass(frozen=True)
class NoteContext:
    """Settings of a note run: the as-of day, who writes internal notes, injection or not."""

    as_of: date
    manager: str
    inject: bool = False


class _Writer:
    """Collects an account's notes and fills template placeholders."""

    def __init__(
        self,
        rng: random.Random,
        account: DemoAccount,
        contacts: list[DemoContact],
        orders: list[DemoOrder],
        basket: list[Product],
        ctx: NoteContext,
    ) -> None:
        self.rng, self.account, self.contacts, self.orders = rng, account, contacts, orders
        self.basket, self.ctx = basket, ctx
        self.language = account.language
        self.notes: list[DemoNote] = []

    def month(self, day: date) -> str:
        return f"{MONTHS[self.language].split()[day.month - 1]} {day.year}"

    def values(self, day: date, contact: DemoContact) -> dict[str, object]:
        """Placeholder values for a note on ``day``; unused ones are simply ignored."""
        rng = self.rng
        product = rng.choice(self.basket)
        earlier = [o for o in self.orders if o.order_date.date() <= day]
        first, surname, _ = person_name(rng, self.language)
        competitors = tpl.COMPETITORS_EN if self.language == "en" else tpl.COMPETITORS
        cause = self.account.scenario.cause
        return {
            "contact": contact.name,
            "product": product.description.split(", ")[0],
            "days": rng.randint(10, 20) if cause == "delivery_speed" else rng.randint(5, 21),
            "percent": INCREASE_PERCENT[product.group]
            if cause == "price_terms"
            else rng.randint(8, 15),
            "competitor": rng.choice(competitors),
            "new_buyer": f"{first} {surname}",
            "month": self.month(day - timedelta(days=rng.randint(30, 90))),
            "order_ref": (earlier or self.orders)[-1].external_id,
            "former": tpl.FORMER_REP[self.language],
            "qty": rng.choice((50, 100, 200, 250, 500)),
        }

    def contact(self, primary: bool = False) -> DemoContact:
        if primary or self.rng.random() < 0.7:
            return self.contacts[0]
        return self.rng.choice(self.contacts)

    def add(self, template: tpl.NoteTemplate, day: date, author: str | None = None) -> str:
        """Write one note from ``template`` on ``day`` and return its temporary id."""
        day = min(day, self.ctx.as_of - timedelta(days=1))
        at = datetime(
            day.year, day.month, day.day, self.rng.randint(8, 17), self.rng.randint(0, 59)
        )
        external_id = f"{self.account.external_id}-tmp{len(self.notes)}"
        contact = self.contact()
        body = template.body.format(**self.values(day, contact))
        self.notes.append(
            DemoNote(
                external_id=external_id,
                account_external_id=self.account.external_id,
                contact_external_id=contact.external_id,
                author_username=author or self.account.owner_username,
                kind=template.kind,
                occurred_at=at,
                subject=template.subject,
                body=body,
                language=self.language,
            )
        )
        return external_id

    def between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, max(0, (end - start).days)))


def make_notes(
    rng: random.Random,
    account: DemoAccount,
    contacts: list[DemoContact],
    orders: list[DemoOrder],
    basket: list[Product],
    ctx: NoteContext,
) -> list[DemoNote]:
    """Return the notes of ``account`` with temporary ids (the generator renumbers them).

    Sets ``account.scenario.key_note_id`` (and ``injection_note_id``) to the
    temporary ids of the notes it writes for the churn story.
    """
    scenario = account.scenario
    if scenario.silent:
        return []
    assert account.first_order is not None and account.last_order is not None
    writer = _Writer(rng, account, contacts, orders, basket, ctx)
    first, last = account.first_order, account.last_order
    routine_end = last if scenario.lapsed else ctx.as_of - timedelta(days=1)
    for _ in range(rng.choices((0, 1, 2, 3, 4, 5), weights=(1, 3, 4, 3, 2, 1))[0]):
        writer.add(rng.choice(tpl.ROUTINE[account.language]), writer.between(first, routine_end))
    cause = scenario.cause
    if cause is None:
        return writer.notes
    key_day = max(first + timedelta(days=1), last - timedelta(days=rng.randint(7, 100)))
    if cause == "price_terms":
        key_day = max(key_day, PRICE_INCREASE_ANNOUNCED + timedelta(days=rng.randint(3, 20)))
        key_day = min(key_day, last)
    precursor = tpl.PRECURSORS.get(cause, {}).get(account.language)
    if precursor is not None and rng.random() < 0.6:
        if cause == "price_terms":
            writer.add(precursor, PRICE_INCREASE_ANNOUNCED, author=ctx.manager)
        elif (pre_day := key_day - timedelta(days=rng.randint(25, 120))) > first:
            writer.add(precursor, pre_day)
    author = ctx.manager if cause in {"service_neglect", "insolvency"} else None
    key = rng.choice(tpl.KEY_NOTES[cause][account.language])
    scenario.key_note_id = writer.add(key, key_day, author=author)
    if ctx.inject:
        day = writer.between(max(first, last - timedelta(days=200)), last)
        scenario.injection_note_id = writer.add(tpl.INJECTIONS[account.language], day)
    after_last = last + timedelta(days=rng.randint(20, 170))
    if account.status == "do_not_contact":
        writer.add(tpl.DO_NOT_CONTACT_NOTE[account.language], after_last)
    elif rng.random() < 0.5 and after_last < ctx.as_of:
        writer.add(rng.choice(tpl.FOLLOW_UPS[account.language]), after_last)
    if account.status == "insolvent" and account.status_changed_at is not None:
        notice = tpl.INSOLVENCY_NOTE[account.language]
        writer.add(notice, account.status_changed_at.date(), author=ctx.manager)
    return writer.notes
