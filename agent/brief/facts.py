"""Deterministic key facts of a brief: numbers, dates, products and names, built by code.

Each :class:`~agent.brief.schema.KeyFact` gets a short id (``F1`` ...) that
the model cites, a sentence in the account's language, and the ids of the
records it was computed from, so the grounding checker can recompute it
(a year's revenue is the sum of the cited orders; a product's quantity is the
sum of the cited order lines).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from agent.brief.schema import KeyFact
from agent.errors import ValidationError
from agent.history.records import FieldValue
from agent.history.retrieval import AccountHistory

#: Labels per language. Kept here, next to the sentences that use them.
L: dict[str, dict[str, str]] = {
    "de": {
        "customer": "Kunde {name} (Kundennr. {ext})",
        "industry": ", Branche {industry}",
        "city": ", {city}",
        "owner": "; Betreuer: {owner}",
        "status": "Status im CRM: {status}",
        "status_reason": " – {reason}",
        "orders": "{n} Bestellungen zwischen {first} und {last}",
        "last_order": "Letzte Bestellung am {day} (Auftrag {ext}, {amount})",
        "revenue": "Umsatz {year}: {amount} aus {n} {orders}",
        "product": "Oft gekauft: {sku} {desc} – {qty} Einheiten, {amount} insgesamt",
        "cancellations": "{n} Stornierungen über zusammen {amount}",
        "complaint": "Offene Reklamation vom {day}: {subject}",
        "contact": "Ansprechpartner: {name}{title}{phone}",
        "call": "Früherer Rückgewinnungsanruf am {day}: Ergebnis {outcome}{reasons}",
        "call_reasons": "; genannte Gründe: {reasons}",
        "task": "Aufgabe ({status}): {desc}{due}",
        "due": ", fällig am {day}",
        "no_history": "Im CRM sind für {name} weder Bestellungen noch Notizen erfasst",
    },
    "en": {
        "customer": "Customer {name} (account no. {ext})",
        "industry": ", industry {industry}",
        "city": ", {city}",
        "owner": "; account owner: {owner}",
        "status": "CRM status: {status}",
        "status_reason": " – {reason}",
        "orders": "{n} orders between {first} and {last}",
        "last_order": "Last order on {day} (order {ext}, {amount})",
        "revenue": "Revenue {year}: {amount} from {n} {orders}",
        "product": "Often bought: {sku} {desc} – {qty} units, {amount} in total",
        "cancellations": "{n} cancellations totalling {amount}",
        "complaint": "Open complaint of {day}: {subject}",
        "contact": "Contact: {name}{title}{phone}",
        "call": "Earlier win-back call on {day}: outcome {outcome}{reasons}",
        "call_reasons": "; reasons given: {reasons}",
        "task": "Task ({status}): {desc}{due}",
        "due": ", due {day}",
        "no_history": "The CRM holds no orders and no notes for {name}",
    },
}


def fmt_date(day: date, language: str) -> str:
    """A date as a rep reads it: ``14.08.2025`` in German, ``2025-08-14`` in English."""
    return day.strftime("%d.%m.%Y") if language == "de" else day.isoformat()


def money_field(value: FieldValue) -> Decimal | float:
    """A record's money field (an order's ``total_amount``) as a number to format.

    Records hold every field as a :data:`FieldValue`; an amount that is not a
    number means the record book read the wrong column, so it is refused here
    rather than printed.
    """
    if isinstance(value, Decimal | int | float):
        return value
    raise ValidationError(f"Not an amount of money: {value!r}")


def fmt_money(amount: Decimal | float, currency: str, language: str) -> str:
    """Money with two decimals: ``12.345,67 €`` in German, ``EUR 12,345.67`` in English."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{value:,.2f}"
    if language == "de":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
        return f"{text} €" if currency == "EUR" else f"{text} {currency}"
    return f"{currency} {text}"


def fmt_qty(quantity: float, language: str) -> str:
    """A quantity without a pointless ``.0``."""
    if float(quantity).is_integer():
        text = f"{int(quantity):,}"
        return text.replace(",", ".") if language == "de" else text
    text = f"{quantity:,.2f}"
    if language == "de":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text


def _short(text: str | None, limit: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _orders_word(n: int, language: str) -> str:
    if language == "de":
        return "Bestellung" if n == 1 else "Bestellungen"
    return "order" if n == 1 else "orders"


def build_facts(history: AccountHistory, language: str, max_years: int = 3) -> list[KeyFact]:
    """The key facts of an account, in ``language``, each citing its records."""
    t = L[language]
    account = history.account
    acc_src = [history.account_record.source_id]
    facts: list[KeyFact] = []

    def add(topic: str, text: str, sources: list[str]) -> None:
        facts.append(KeyFact(id=f"F{len(facts) + 1}", topic=topic, text=text, sources=sources))

    owner = account.owner.name if account.owner else None
    text = t["customer"].format(name=account.name, ext=account.external_id)
    if account.industry:
        text += t["industry"].format(industry=account.industry)
    if account.city:
        text += t["city"].format(city=account.city)
    if owner:
        text += t["owner"].format(owner=owner)
    add("account", text, acc_src)
    if account.status.value != "active":
        text = t["status"].format(status=account.status.value)
        if account.status_reason:
            text += t["status_reason"].format(reason=_short(account.status_reason))
        add("status", text, acc_src)

    if history.is_empty:
        add("no_history", t["no_history"].format(name=account.name), acc_src)
        return facts

    currency = history.orders[0].fields.get("currency", "EUR") if history.orders else "EUR"
    if history.orders:
        first, last = history.orders[0], history.orders[-1]
        assert first.day and last.day
        add(
            "orders",
            t["orders"].format(
                n=len(history.orders),
                first=fmt_date(first.day, language),
                last=fmt_date(last.day, language),
            ),
            [r.source_id for r in history.orders],
        )
        add(
            "last_order",
            t["last_order"].format(
                day=fmt_date(last.day, language),
                ext=last.fields["external_id"],
                amount=fmt_money(money_field(last.fields["total_amount"]), str(currency), language),
            ),
            [last.source_id],
        )
    for year in history.revenue_by_year[-max_years:]:
        add(
            "revenue",
            t["revenue"].format(
                year=year.year,
                amount=fmt_money(year.amount, str(currency), language),
                n=len(year.order_ids),
                orders=_orders_word(len(year.order_ids), language),
            ),
            list(year.order_ids),
        )
    for product in history.top_products[:3]:
        add(
            "product",
            t["product"].format(
                sku=product.sku,
                desc=_short(product.description, 70),
                qty=fmt_qty(product.quantity, language),
                amount=fmt_money(product.amount, str(currency), language),
            ),
            list(product.line_ids),
        )
    if history.cancellations:
        total = sum(
            (abs(Decimal(str(r.fields["total_amount"]))) for r in history.cancellations),
            Decimal(0),
        )
        add(
            "cancellations",
            t["cancellations"].format(
                n=len(history.cancellations), amount=fmt_money(total, str(currency), language)
            ),
            [r.source_id for r in history.cancellations],
        )
    for note in history.open_complaints[:3]:
        assert note.day
        subject = note.fields.get("subject") or note.fields.get("body")
        add(
            "complaint",
            t["complaint"].format(day=fmt_date(note.day, language), subject=_short(str(subject))),
            [note.source_id],
        )
    for call in history.calls[:2]:
        reasons = t["call_reasons"].format(reasons=", ".join(call.reasons)) if call.reasons else ""
        day = fmt_date(call.day, language) if call.day else "?"
        add(
            "call",
            t["call"].format(day=day, outcome=call.outcome or "–", reasons=reasons),
            [call.source_id],
        )
    for task in [r for r in history.tasks if r.fields.get("status") == "open"][:2]:
        due = task.fields.get("due_date")
        add(
            "task",
            t["task"].format(
                status=task.fields["status"],
                desc=_short(str(task.fields["description"])),
                due=t["due"].format(day=fmt_date(due, language)) if isinstance(due, date) else "",
            ),
            [task.source_id],
        )
    for contact in history.contacts[:2]:
        title = f", {contact.fields['title']}" if contact.fields.get("title") else ""
        phone = f", {contact.fields['phone']}" if contact.fields.get("phone") else ""
        add(
            "contact",
            t["contact"].format(name=contact.fields["name"], title=title, phone=phone),
            [contact.source_id],
        )
    return facts
