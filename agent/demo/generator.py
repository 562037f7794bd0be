"""Build the demo tenant deterministically: accounts, contacts, three years of orders, notes.

All randomness comes from one ``random.Random(seed)`` and all dates are
relative to the fixed anchor :data:`DEMO_AS_OF`, so the same seed gives the
same data on every machine and every day. The generator first decides each
account's story (active or lapsed, and why), then writes orders that fit the
story (volume fades out before a gradual churn) and finally the notes that a
CRM would hold for it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from agent.demo import scenarios as sc
from agent.demo.catalogue import INDUSTRY_GROUPS, PRICE_INCREASE_DATE, Product, products_in
from agent.demo.companies import (
    US_CITIES,
    Place,
    company_domain,
    company_name,
    contact_title,
    email_for,
    person_name,
    phone_for,
    pick_place,
)
from agent.demo.notes import NoteContext, make_notes
from agent.demo.records import (
    DemoAccount,
    DemoContact,
    DemoData,
    DemoLine,
    DemoOrder,
    DemoUser,
    Scenario,
)

T = TypeVar("T")

#: The day the demo data "is as of": no order or note lies after it.
DEMO_AS_OF = date(2026, 11, 2)
HISTORY_START = DEMO_AS_OF - timedelta(days=3 * 365)
DEMO_TENANT_SLUG = "demo"
DEMO_TENANT_NAME = "Schäfer Industriebedarf GmbH"
ACCOUNT_COUNT = 200
ENGLISH_SHARE = 0.15
MIN_ORDER, MAX_ORDER = Decimal("200"), Decimal("20000")

USERS = (
    DemoUser("a.keller", "Anna Keller", "a.keller@schaefer-industriebedarf.example", "rep"),
    DemoUser("m.brandt", "Markus Brandt", "m.brandt@schaefer-industriebedarf.example", "rep"),
    DemoUser("s.hoffmann", "Sabine Hoffmann", "s.hoffmann@schaefer-industriebedarf.example", "rep"),
    DemoUser("j.wagner", "Jan Wagner", "j.wagner@schaefer-industriebedarf.example", "rep"),
    DemoUser(
        "t.schaefer", "Thomas Schäfer", "t.schaefer@schaefer-industriebedarf.example", "manager"
    ),
    DemoUser("c.lorenz", "Claudia Lorenz", "c.lorenz@schaefer-industriebedarf.example", "admin"),
)
REPS = tuple(u.username for u in USERS if u.role == "rep")
#: The rep who looks after the export customers (English-speaking accounts).
EXPORT_REP = "j.wagner"
MANAGER = "t.schaefer"


def generate(seed: int = 7) -> DemoData:
    """Return the complete demo tenant for ``seed``.

    The result is identical for equal seeds and differs for different ones.
    Every account carries its hidden :class:`~agent.demo.records.Scenario`
    (the churn cause and the note that shows it), which evals use as ground
    truth. Nothing depends on the clock: dates are anchored at ``DEMO_AS_OF``.
    """
    rng = random.Random(seed)
    data = DemoData(seed, DEMO_TENANT_SLUG, DEMO_TENANT_NAME, DEMO_AS_OF, users=list(USERS))
    causes = _assign_causes(rng)
    used_names: set[str] = set()
    baskets: dict[str, list[Product]] = {}
    for index, cause in enumerate(causes):
        account, basket = _make_account(rng, index, cause, used_names)
        data.accounts.append(account)
        baskets[account.external_id] = basket
        data.contacts.extend(_make_contacts(rng, account))
    for account in data.accounts:
        data.orders.extend(_make_orders(rng, account, baskets[account.external_id]))
    _number_orders(data.orders)
    _set_statuses(rng, data.accounts)
    injected = _injection_targets(rng, data.accounts)
    for account in data.accounts:
        if account.scenario.lapsed and account.status == "active":
            # Some lapsed customers simply left no trace in the CRM: an honest unknown.
            account.scenario.silent = account.external_id not in injected and rng.random() < 0.15
    contacts = _group(data.contacts, lambda c: c.account_external_id)
    orders = _group(data.orders, lambda o: o.account_external_id)
    for account in data.accounts:
        data.notes.extend(
            make_notes(
                rng,
                account,
                contacts[account.external_id],
                orders[account.external_id],
                baskets[account.external_id],
                NoteContext(DEMO_AS_OF, MANAGER, inject=account.external_id in injected),
            )
        )
    _number_notes(data)
    return data


def _assign_causes(rng: random.Random) -> list[str | None]:
    """Decide which accounts lapse and why (largest-remainder split of the weights)."""
    lapsed = round(ACCOUNT_COUNT * rng.uniform(0.37, 0.43))
    total = sum(sc.CAUSE_WEIGHTS.values())
    exact = {c: lapsed * w / total for c, w in sc.CAUSE_WEIGHTS.items()}
    counts = {c: max(1, math.floor(v)) for c, v in exact.items()}
    by_remainder = sorted(exact, key=lambda c: exact[c] - math.floor(exact[c]), reverse=True)
    for cause in by_remainder[: max(0, lapsed - sum(counts.values()))]:
        counts[cause] += 1
    causes: list[str | None] = [c for c, n in counts.items() for _ in range(n)]
    causes += [None] * (ACCOUNT_COUNT - len(causes))
    rng.shuffle(causes)
    return causes


def _make_account(
    rng: random.Random, index: int, cause: str | None, used_names: set[str]
) -> tuple[DemoAccount, list[Product]]:
    english = rng.random() < ENGLISH_SHARE
    place = pick_place(rng, english)
    industry = rng.choice(sorted(INDUSTRY_GROUPS))
    name = company_name(rng, industry, place)
    while name in used_names:
        name = company_name(rng, industry, place)
    used_names.add(name)
    owner = EXPORT_REP if english and rng.random() < 0.7 else rng.choice(REPS)
    ease = rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 3, 3, 2))[0]
    if cause == "poor_treatment":
        ease = rng.choice((1, 2))
    elif cause == "service_neglect":
        ease = rng.choice((2, 3, 4))
    scenario = Scenario(lapsed=cause is not None, cause=cause)
    account = DemoAccount(
        external_id=f"K{10001 + index}",
        name=name,
        industry=industry,
        city=place.city,
        country=place.country,
        language=place.language,
        owner_username=owner,
        relationship_ease=ease,
        scenario=scenario,
    )
    groups = INDUSTRY_GROUPS[industry]
    basket: list[Product] = []
    for rank, group in enumerate(groups):
        items = products_in(group)
        basket += rng.sample(items, k=max(1, min(len(items), 4 - rank)))
    return account, basket


def _make_contacts(rng: random.Random, account: DemoAccount) -> list[DemoContact]:
    domain = company_domain(account.name)
    area = dict(US_CITIES).get(account.city, "")
    place = Place(account.city, account.country, account.language, area)
    contacts = []
    for n in range(rng.choices((1, 2, 3), weights=(4, 4, 2))[0]):
        first, surname, salutation = person_name(rng, account.language)
        contacts.append(
            DemoContact(
                external_id=f"{account.external_id}-P{n + 1}",
                account_external_id=account.external_id,
                name=f"{first} {surname}",
                title=contact_title(rng, account.language, n == 0, salutation in {"Frau", "Ms"}),
                email=email_for(first, surname, domain),
                phone=phone_for(rng, place),
                language=account.language,
                is_primary=n == 0,
            )
        )
    return contacts


def _group(rows: list[T], key: Callable[[T], str]) -> dict[str, list[T]]:
    grouped: dict[str, list[T]] = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return grouped


def _set_statuses(rng: random.Random, accounts: list[DemoAccount]) -> None:
    """Mark some lapsed accounts as not worth calling (step 1 of the method).

    Quotas per cause rather than dice, so every status occurs for every seed:
    most insolvency cases are insolvent, one competitor and one buyer-change
    case are lost for good, need-gone cases are lost, one badly treated
    customer asked not to be called again.
    """
    quota = {"competitor_offer": 1, "buyer_change": 1, "poor_treatment": 1, "need_gone": 9}
    by_cause = _group([a for a in accounts if a.scenario.cause], lambda a: a.scenario.cause or "")
    quota["insolvency"] = math.ceil(0.6 * len(by_cause.get("insolvency", [])))
    status_of = {
        "insolvency": ("insolvent", "insolvent"),
        "competitor_offer": ("lost", "lost"),
        "buyer_change": ("lost", "lost"),
        "need_gone": ("lost", "lost_need"),
        "poor_treatment": ("do_not_contact", "do_not_contact"),
    }
    for cause, (status, reason_key) in status_of.items():
        for account in by_cause.get(cause, [])[: quota[cause]]:
            assert account.last_order is not None
            changed = min(DEMO_AS_OF, account.last_order + timedelta(days=rng.randint(30, 200)))
            account.status = status
            account.status_reason = sc.STATUS_REASONS[reason_key][account.language]
            account.status_changed_at = datetime(
                changed.year, changed.month, changed.day, 10, tzinfo=UTC
            )


def _story_dates(rng: random.Random, account: DemoAccount) -> tuple[date, date]:
    """Return (first order, last order) fitting the account's story."""
    cause = account.scenario.cause
    if cause is None:
        last = DEMO_AS_OF - timedelta(days=rng.randint(0, 45))
    elif cause == "price_terms":
        # These customers left over the increase: they still bought after it took effect.
        last = PRICE_INCREASE_DATE + timedelta(days=rng.randint(20, 230))
    else:
        last = DEMO_AS_OF - timedelta(days=rng.randint(372, 900))
    if rng.random() < 0.75:
        first = HISTORY_START + timedelta(days=rng.randint(0, 40))
    else:
        first = HISTORY_START + timedelta(days=rng.randint(40, 500))
    first = min(first, last - timedelta(days=240))
    return max(first, HISTORY_START), last


def _make_orders(
    rng: random.Random, account: DemoAccount, basket: list[Product]
) -> list[DemoOrder]:
    """Write the account's orders between its first and last order date."""
    # Pareto-distributed yearly revenue: a few large customers carry most of it.
    annual = min(300_000.0, 3_000.0 * rng.paretovariate(1.05))
    per_year = max(3.0, min(36.0, 3 + annual / 9_000 + rng.uniform(-1, 2)))
    typical = annual / per_year
    first, last = _story_dates(rng, account)
    fade_days = rng.randint(90, 240) if account.scenario.cause in sc.GRADUAL_CAUSES else 0
    fade_start = last - timedelta(days=fade_days)
    days: list[date] = []
    day = first
    while day < last:
        days.append(day)
        progress = (day - fade_start).days / fade_days if fade_days and day > fade_start else 0.0
        gap = rng.expovariate(per_year / 365) * (1 + 1.5 * progress)
        day += timedelta(days=max(4, round(gap)))
    days.append(last)
    orders = []
    for day in days:
        progress = (day - fade_start).days / fade_days if fade_days and day > fade_start else 0.0
        value = typical * rng.lognormvariate(0, 0.35) * (1 - 0.6 * progress)
        orders.append(_make_order(rng, account, basket, day, value))
    account.first_order, account.last_order = days[0], days[-1]
    return orders


def _make_order(
    rng: random.Random, account: DemoAccount, basket: list[Product], day: date, value: float
) -> DemoOrder:
    target = Decimal(str(round(value, 2)))
    target = min(max(target, MIN_ORDER), MAX_ORDER * Decimal("0.85"))
    n_lines = max(1, min(len(basket), 6, 1 + int(float(target) / 1500) + rng.randint(-1, 1)))
    products = rng.sample(basket, k=n_lines)
    weights = [rng.uniform(0.5, 1.5) for _ in products]
    lines = []
    for n, (product, weight) in enumerate(zip(products, weights, strict=True)):
        price = product.price_on(day)
        share = target * Decimal(str(weight / sum(weights)))
        packs = max(1, round(share / (price * product.pack)))
        quantity = packs * product.pack
        amount = (price * quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        lines.append(
            DemoLine(n + 1, product.sku, product.description, float(quantity), price, amount)
        )
    total = sum((line.amount for line in lines), Decimal("0"))
    if total < MIN_ORDER:
        # Small orders are topped up to the minimum order value, as the shop does.
        first = lines[0]
        product_price = first.unit_price
        extra = math.ceil((MIN_ORDER - total) / product_price)
        topped = int(first.quantity) + extra
        amount = (product_price * topped).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        lines[0] = DemoLine(1, first.sku, first.description, float(topped), product_price, amount)
        total = sum((line.amount for line in lines), Decimal("0"))
    # Invoice dates carry no time of day; external ids are assigned once all orders exist.
    return DemoOrder("", account.external_id, datetime(day.year, day.month, day.day), lines, total)


def _number_orders(orders: list[DemoOrder]) -> None:
    """Give orders invoice numbers per year in date order, like ``DEMO-2024-000123``."""
    orders.sort(key=lambda o: (o.order_date, o.account_external_id))
    per_year: dict[int, int] = {}
    for order in orders:
        year = order.order_date.year
        per_year[year] = per_year.get(year, 0) + 1
        order.external_id = f"DEMO-{year}-{per_year[year]:06d}"


def _injection_targets(rng: random.Random, accounts: list[DemoAccount]) -> set[str]:
    """Pick one German and one English lapsed account for the prompt-injection e-mails."""
    targets = set()
    for language in ("de", "en"):
        pool = [
            a.external_id
            for a in accounts
            if a.scenario.lapsed and a.language == language and a.status == "active"
        ]
        if pool:
            targets.add(rng.choice(pool))
    return targets


def _number_notes(data: DemoData) -> None:
    """Number notes in date order and point each scenario at its notes' final ids."""
    data.notes.sort(key=lambda n: (n.occurred_at, n.account_external_id, n.subject))
    renamed = {}
    for number, note in enumerate(data.notes, start=1):
        renamed[note.external_id] = f"DEMO-N-{number:06d}"
        note.external_id = renamed[note.external_id]
    for account in data.accounts:
        scenario = account.scenario
        if scenario.key_note_id:
            scenario.key_note_id = renamed[scenario.key_note_id]
        if scenario.injection_note_id:
            scenario.injection_note_id = renamed[scenario.injection_note_id]
