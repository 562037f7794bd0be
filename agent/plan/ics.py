"""iCalendar export of the daily plan: one ``<username>.ics`` file per rep.

Each planned call becomes one VEVENT of 30 minutes in Europe/Berlin time with
the account in the summary and the facts a rep needs in the description
(rank, score and its parts, last order, and the command that opens the
brief). UIDs are derived from the tenant and the account only, so exporting
again after re-planning replaces the events in the rep's calendar instead of
duplicating them (an account is planned at most once per plan).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from icalendar import Calendar, Event

from agent.errors import StorageError, ValidationError
from agent.plan.daily import DailyPlan, PlannedCall, RepPlan

PRODID = "-//Winback//Win-back call plan//DE"
UID_DOMAIN = "winback.local"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._@-]+")


def event_uid(tenant_id: int, account_id: int) -> str:
    """The stable UID of the win-back call event for one account."""
    return f"winback-call-{tenant_id}-{account_id}@{UID_DOMAIN}"


def file_name(username: str) -> str:
    """``<username>.ics``, with characters unsafe in file names replaced by ``_``."""
    safe = _SAFE_NAME.sub("_", username).strip("._")
    if not safe:
        raise ValidationError(f"cannot make a file name from username {username!r}")
    return f"{safe}.ics"


def describe(call: PlannedCall) -> str:
    """The event description: rank, score and its parts, last order, brief command."""
    parts = call.score_parts
    points = ", ".join(f"{name} {value:g}" for name, value in parts.points.items())
    lines = [
        f"Rang {call.rank} · Score {call.score:g}/100"
        + (" · innerhalb des Pareto-Schnitts" if call.within_pareto else ""),
        f"Letzte Bestellung: {call.last_order_date.isoformat()} ({parts.how_long_ago})",
        f"Umsatz netto: {parts.revenue:,.2f} · Bestellungen: {parts.frequency}"
        f" · Kundenbeziehung seit {parts.tenure_days} Tagen",
        f"Beziehung (1-5): {parts.ease}" + ("" if parts.ease_known else " (nicht bewertet)"),
        parts.explanation,
        f"Punkte: {points}",
        "",
        f"Brief: winback brief {call.external_id}",
    ]
    return "\n".join(lines)


def rep_calendar(tenant_id: int, rep: RepPlan, stamp: datetime | None = None) -> Calendar:
    """Build the calendar of one rep's planned calls."""
    stamp = stamp or datetime.now(UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Win-back: {rep.name}")
    for call in rep.calls:
        event = Event()
        event.add("uid", event_uid(tenant_id, call.account_id))
        event.add("dtstamp", stamp)
        event.add("dtstart", call.start)
        event.add("dtend", call.end)
        event.add("summary", f"Win-back: {call.name}")
        event.add("description", describe(call))
        event.add("categories", ["Win-back"])
        calendar.add_component(event)
    # Embed VTIMEZONE for Europe/Berlin so clients without the tz database agree.
    calendar.add_missing_timezones()
    return calendar


def write_ics(plan: DailyPlan, directory: Path | str) -> list[Path]:
    """Write ``<username>.ics`` for every rep of ``plan`` into ``directory``; return the paths.

    Reps without calls still get a (valid, empty) calendar so a subscribed
    feed does not break. Unassigned calls get no calendar. Files are written
    to a temporary name and renamed, so a reader never sees half a file.
    """
    target = Path(directory).expanduser()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create calendar directory {target}: {exc}") from exc
    if not target.is_dir():
        raise StorageError(f"{target} is not a directory")
    stamp = datetime.now(UTC)
    written: list[Path] = []
    names: set[str] = set()
    for rep in plan.reps:
        name = file_name(rep.username)
        if name in names:  # two usernames sanitised to the same file name
            name = f"{Path(name).stem}-{rep.user_id}.ics"
        names.add(name)
        path = target / name
        temporary = path.with_suffix(".ics.tmp")
        try:
            temporary.write_bytes(rep_calendar(plan.tenant_id, rep, stamp).to_ical())
            temporary.replace(path)
        except OSError as exc:
            raise StorageError(f"cannot write calendar {path}: {exc}") from exc
        written.append(path)
    return written
