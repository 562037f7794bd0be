"""The situation and talking points of a brief, written by code from the account's records.

The ``compact`` brief design (the default with the local model) leaves the
model only the opening question. On two CPU cores the 1.5B model writes
about 13 grammar-bound tokens a second, so a whole draft took 45-110 s, and
most of its sentences restated the key facts with a number or date wrong.
These sentences say the same things correctly: each one rests on a single
set of records (one order, one year's orders, one note), so every number,
date and product code in it is checked against exactly the records it cites.

Interpretations are code's too, and only where code can compute them: "seit
über einem Jahr" from the order dates, "nur noch" when the latest year's
revenue is below the best year's.
"""

from __future__ import annotations

from datetime import date

from agent.brief.facts import fmt_date, fmt_money, money_field
from agent.brief.schema import ChurnHypothesis, Claim
from agent.catalogue.vocabulary import vocabulary
from agent.history.retrieval import AccountHistory, YearRevenue

STATUS_NAMES: dict[str, dict[str, str]] = {
    "de": {"insolvent": "insolvent", "lost": "verloren", "do_not_contact": "nicht kontaktieren"},
    "en": {"insolvent": "insolvent", "lost": "lost", "do_not_contact": "do not contact"},
}

T: dict[str, dict[str, str]] = {
    "de": {
        "gap_months": "mehreren Monaten",
        "gap_year": "über einem Jahr",
        "gap_years": "über zwei Jahren",
        "lapse": "{name} hat seit {gap} nicht mehr bestellt; die letzte Bestellung war am "
        "{day} (Auftrag {ext}, {amount}).",
        "volume": "Zwischen dem {first} und dem {last} hat der Kunde {n}-mal bestellt.",
        "best_year": "Das umsatzstärkste Jahr war {year} mit {amount} aus {n} {orders}.",
        "latest_lower": "{year} waren es nur noch {amount} aus {n} {orders}.",
        "latest_best": "{year} war mit {amount} aus {n} {orders} das umsatzstärkste Jahr.",
        "one_year": "Umsatz {year}: {amount} aus {n} {orders}.",
        "status": "Im CRM steht der Kunde auf „{status}“{reason}.",
        "complaint": "Offen ist noch eine Reklamation vom {day}: „{subject}“.",
        "reason": "Als Grund deutet am meisten auf {label} hin ({day}: „{quote}“).",
        "reason_undated": "Als Grund deutet am meisten auf {label} hin: „{quote}“.",
        "call": "Beim Rückgewinnungsanruf am {day} war das Ergebnis „{outcome}“{reasons}.",
        "call_reasons": "; genannt wurde: {reasons}",
        "tp_complaint": "Die Reklamation vom {day} ansprechen: Ist sie zur Zufriedenheit "
        "gelöst, und was hat sich seitdem geändert?",
        "tp_product": "Nach dem Bedarf an {sku} {desc} fragen – dem Artikel, den der Kunde "
        "am meisten gekauft hat.",
        "tp_decline": "Nach dem Rückgang seit {year} fragen: Hat sich der Bedarf verändert, "
        "oder kauft der Kunde inzwischen woanders?",
        "tp_task": "An die offene Aufgabe anknüpfen: {desc}.",
        "tp_call": "An das Gespräch vom {day} anknüpfen und fragen, was sich seitdem geändert hat.",
        "tp_contact": "Nach {name}{title} fragen und klären, wer heute einkauft.",
        "tp_default": "Fragen, wie der Kunde seinen Bedarf heute deckt.",
        "orders1": "Bestellung",
        "orders": "Bestellungen",
    },
    "en": {
        "gap_months": "several months",
        "gap_year": "over a year",
        "gap_years": "over two years",
        "lapse": "{name} has not ordered for {gap}; the last order was on {day} "
        "(order {ext}, {amount}).",
        "volume": "Between {first} and {last} the customer ordered {n} times.",
        "best_year": "The best year was {year} with {amount} from {n} {orders}.",
        "latest_lower": "In {year} it was only {amount} from {n} {orders}.",
        "latest_best": "{year} was the best year with {amount} from {n} {orders}.",
        "one_year": "Revenue {year}: {amount} from {n} {orders}.",
        "status": "The CRM status is “{status}”{reason}.",
        "complaint": "A complaint of {day} is still open: “{subject}”.",
        "reason": "The records point most to {label} ({day}: “{quote}”).",
        "reason_undated": "The records point most to {label}: “{quote}”.",
        "call": "The win-back call on {day} ended “{outcome}”{reasons}.",
        "call_reasons": "; reasons given: {reasons}",
        "tp_complaint": "Raise the complaint of {day}: was it settled to their satisfaction, "
        "and what has changed since?",
        "tp_product": "Ask about their need for {sku} {desc}, the item they bought most.",
        "tp_decline": "Ask about the decline since {year}: has the need changed, or do they "
        "buy elsewhere now?",
        "tp_task": "Pick up the open task: {desc}.",
        "tp_call": "Follow up on the conversation of {day} and ask what has changed since.",
        "tp_contact": "Ask for {name}{title} and find out who buys today.",
        "tp_default": "Ask how the customer covers their need today.",
        "orders1": "order",
        "orders": "orders",
    },
}


def clip(text: str | None, limit: int) -> str:
    """``text`` on one line, cut at a word boundary (a cut number would not be in the record)."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    if " " not in text[:limit]:  # one long first word: keep it whole rather than cut a number
        return text.split(" ", 1)[0] + " …"
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-–")
    return cut + " …"


#: Words of an item description that mean nothing when spoken without their numbers.
_STANDARDS = {"DIN", "ISO", "EN", "DIN-EN", "EN-ISO", "mm", "cm", "m", "l", "ml", "kg", "g", "Stk."}


def item_name(description: str) -> str:
    """An item's plain name for speech: no code, size, pack or standard ("Blindniet Alu/Stahl")."""
    head = description.split(", ")[0]
    words = [w for w in head.split() if not any(c.isdigit() for c in w) and w not in _STANDARDS]
    return " ".join(words) or head


def _months(since: date, until: date) -> int:
    """Whole months from ``since`` to ``until`` (18 days short of two years is 23)."""
    return (until.year - since.year) * 12 + until.month - since.month - (until.day < since.day)


def _year_words(year: YearRevenue, t: dict[str, str], currency: str, lang: str) -> dict[str, str]:
    n = len(year.order_ids)
    return {
        "year": str(year.year),
        "amount": fmt_money(year.amount, currency, lang),
        "n": str(n),
        "orders": t["orders1"] if n == 1 else t["orders"],
    }


def _claim(text: str, sources: list[str] | tuple[str, ...]) -> Claim:
    return Claim(text=text, sources=list(dict.fromkeys(sources)))


def _revenue(history: AccountHistory, lang: str) -> tuple[list[Claim], YearRevenue | None]:
    """Revenue sentences (best year, latest year) and the best year if revenue fell since."""
    t = T[lang]
    years = history.revenue_by_year
    if not years:
        return [], None
    currency = str(history.orders[0].fields.get("currency", "EUR")) if history.orders else "EUR"
    latest = years[-1]
    best = max(years, key=lambda y: y.amount)
    if len(years) == 1:
        return [
            _claim(t["one_year"].format(**_year_words(latest, t, currency, lang)), latest.order_ids)
        ], None
    if latest.amount >= best.amount:  # a tie with an earlier year is no decline
        return [
            _claim(
                t["latest_best"].format(**_year_words(latest, t, currency, lang)), latest.order_ids
            )
        ], None
    return [
        _claim(t["best_year"].format(**_year_words(best, t, currency, lang)), best.order_ids),
        _claim(
            t["latest_lower"].format(**_year_words(latest, t, currency, lang)), latest.order_ids
        ),
    ], best


def ev_is_status(hyp: ChurnHypothesis) -> bool:
    """The hypothesis rests only on the account's status (already its own sentence)."""
    return all(e.source.startswith("account:") for e in hyp.evidence)


def situation(history: AccountHistory, hyps: list[ChurnHypothesis], lang: str) -> list[Claim]:
    """Three to five sentences on where the account stands, each citing its records."""
    t = T[lang]
    account = history.account
    acc = [history.account_record.source_id]
    claims: list[Claim] = []
    if history.orders:
        last = history.orders[-1]
        assert last.day is not None
        months = _months(last.day, history.as_of)
        gap = t["gap_years"] if months >= 24 else t["gap_year"] if months >= 12 else t["gap_months"]
        currency = str(last.fields.get("currency", "EUR"))
        claims.append(
            _claim(
                t["lapse"].format(
                    name=account.name,
                    gap=gap,
                    day=fmt_date(last.day, lang),
                    ext=last.fields["external_id"],
                    amount=fmt_money(money_field(last.fields["total_amount"]), currency, lang),
                ),
                [*acc, last.source_id],
            )
        )
    if account.status.value != "active":
        reason = f" – {clip(account.status_reason, 90)}" if account.status_reason else ""
        status = STATUS_NAMES[lang].get(account.status.value, account.status.value)
        claims.append(_claim(t["status"].format(status=status, reason=reason), acc))
    revenue, _ = _revenue(history, lang)
    claims += revenue
    if history.open_complaints:
        note = history.open_complaints[0]
        assert note.day is not None
        subject = note.fields.get("subject") or note.fields.get("body")
        claims.append(
            _claim(
                t["complaint"].format(day=fmt_date(note.day, lang), subject=clip(str(subject), 90)),
                [note.source_id],
            )
        )
    elif hyps and hyps[0].evidence and not (account.status_reason and ev_is_status(hyps[0])):
        ev = hyps[0].evidence[0]
        claims.append(
            _claim(
                t["reason" if ev.day else "reason_undated"].format(
                    label=vocabulary().reason_name(hyps[0].code, lang),
                    day=fmt_date(ev.day, lang) if ev.day else "",
                    quote=clip(ev.quote, 110),
                ),
                [ev.source],
            )
        )
    if history.calls:
        call = history.calls[0]
        names = [vocabulary().reason_name(r, lang) for r in call.reasons]
        claims.append(
            _claim(
                t["call"].format(
                    day=fmt_date(call.day, lang) if call.day else "–",
                    outcome=vocabulary().outcome_name(call.outcome, lang),
                    reasons=t["call_reasons"].format(reasons=", ".join(names)) if names else "",
                ),
                [call.source_id],
            )
        )
    if len(claims) < 3 and history.orders:
        first, last = history.orders[0], history.orders[-1]
        assert first.day is not None and last.day is not None
        claims.insert(
            1,
            _claim(
                t["volume"].format(
                    first=fmt_date(first.day, lang),
                    last=fmt_date(last.day, lang),
                    n=len(history.orders),
                ),
                [r.source_id for r in history.orders],
            ),
        )
    return claims[:5]


def talking_points(history: AccountHistory, hyps: list[ChurnHypothesis], lang: str) -> list[Claim]:
    """Three to five concrete things to raise in the call, each citing what it rests on."""
    t = T[lang]
    points: list[Claim] = []
    if history.open_complaints:
        note = history.open_complaints[0]
        assert note.day is not None
        points.append(
            _claim(t["tp_complaint"].format(day=fmt_date(note.day, lang)), [note.source_id])
        )
    if hyps:
        top = hyps[0]
        point = vocabulary().reasons[top.code].point[lang]
        points.append(_claim(point, [e.source for e in top.evidence[:2]]))
    _, best = _revenue(history, lang)
    if best is not None:
        latest = history.revenue_by_year[-1]
        points.append(
            _claim(t["tp_decline"].format(year=best.year), [*best.order_ids, *latest.order_ids])
        )
    if history.top_products:
        product = history.top_products[0]
        points.append(
            _claim(
                t["tp_product"].format(sku=product.sku, desc=clip(product.description, 60)),
                product.line_ids,
            )
        )
    open_tasks = [r for r in history.tasks if r.fields.get("status") == "open"]
    if open_tasks:
        task = open_tasks[0]
        desc = clip(str(task.fields.get("description") or ""), 100).rstrip(".")
        points.append(_claim(t["tp_task"].format(desc=desc), [task.source_id]))
    elif (
        history.calls
        and history.calls[0].outcome in ("not_now", "follow_up")
        and history.calls[0].day
    ):
        call = history.calls[0]
        assert call.day is not None
        points.append(_claim(t["tp_call"].format(day=fmt_date(call.day, lang)), [call.source_id]))
    if len(points) < 3 and history.contacts:
        contact = history.contacts[0]
        title = f" ({contact.fields['title']})" if contact.fields.get("title") else ""
        points.append(
            _claim(
                t["tp_contact"].format(name=contact.fields["name"], title=title),
                [contact.source_id],
            )
        )
    if len(points) < 3:
        points.append(Claim(text=t["tp_default"]))
    return points[:5]
