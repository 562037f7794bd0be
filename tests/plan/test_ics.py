"""The .ics export parses back with icalendar and holds the right events."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from icalendar import Calendar

from agent.crm.db import Store, open_store
from agent.errors import ValidationError
from agent.plan import build_plan, daily_plan, write_ics
from agent.plan.daily import TIMEZONE, DailyPlan
from agent.plan.ics import event_uid, file_name
from agent.settings import configure
from tests.plan.conftest import Seeder

AS_OF = date(2011, 12, 9)


@pytest.fixture
def schedule(sqlite_url: str) -> DailyPlan:
    configure(database_url=sqlite_url)
    store: Store = open_store(sqlite_url)
    seed = Seeder(store)
    t = seed.tenant()
    anna = seed.user(t, "anna.schmidt")
    seed.user(t, "ben")
    for i in range(6):
        owner = anna if i < 2 else None
        account = seed.account(t, f"{12340 + i}", name=f"Bäckerei {i}", owner_id=owner, ease=4)
        seed.order(t, account, date(2010, 3, 1 + i), 250 + i)
    with store.session() as session:
        plan = build_plan(session, t, AS_OF, 12)
        return daily_plan(session, t, plan, days=2, per_rep=1)


def read(path: Path) -> Calendar:
    return Calendar.from_ical(path.read_bytes())


def test_one_file_per_rep_with_one_event_per_call(schedule: DailyPlan, tmp_path: Path) -> None:
    paths = write_ics(schedule, tmp_path / "cal")
    assert sorted(p.name for p in paths) == ["anna.schmidt.ics", "ben.ics"]
    for rep in schedule.reps:
        calendar = read(tmp_path / "cal" / file_name(rep.username))
        events = list(calendar.walk("VEVENT"))
        assert len(events) == len(rep.calls) == 2
        for event, call in zip(events, rep.calls, strict=True):
            assert str(event["SUMMARY"]) == f"Win-back: {call.name}"
            start = event.decoded("DTSTART")
            assert start == datetime.combine(call.day, time(9), tzinfo=TIMEZONE)
            assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
            assert (event.decoded("DTEND") - start).total_seconds() == 1800
            description = str(event["DESCRIPTION"])
            assert f"Rang {call.rank}" in description
            assert f"Brief: winback brief {call.external_id}" in description
            assert call.last_order_date.isoformat() in description
            assert "Punkte:" in description
            assert "Erwarteter Wert in den nächsten 12 Monaten: " in description
            assert str(event["UID"]) == event_uid(schedule.tenant_id, call.account_id)
        assert list(calendar.walk("VTIMEZONE"))


def test_reexport_keeps_uids_and_replaces_files(schedule: DailyPlan, tmp_path: Path) -> None:
    first = {p.name: read(p) for p in write_ics(schedule, tmp_path / "cal")}
    second = {p.name: read(p) for p in write_ics(schedule, tmp_path / "cal")}
    for name, calendar in first.items():
        uids = [str(e["UID"]) for e in calendar.walk("VEVENT")]
        assert uids == [str(e["UID"]) for e in second[name].walk("VEVENT")]
        assert len(set(uids)) == len(uids)
    assert sorted(p.name for p in (tmp_path / "cal").iterdir()) == ["anna.schmidt.ics", "ben.ics"]


def test_unsafe_usernames_become_safe_file_names() -> None:
    assert file_name("../evil/name") == "evil_name.ics"
    assert file_name("max@firma.de") == "max@firma.de.ics"
    with pytest.raises(ValidationError):
        file_name("///")
