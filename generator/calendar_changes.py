"""What changed for a calendar subscriber, between two versions of .ics files.

Both sides are read with icalendar (an independent parser, not our writer), and
events are matched by UID and RECURRENCE-ID, which depend only on the item's
slug (SPEC). An event is then added, moved (its start or end changed: shown in
the event's own zone, the way its series plans it), cancelled (removed, marked
CANCELLED, or one date excluded from a repeat), or changed in its details.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterator

import icalendar

EventKey = tuple[str, str]  # (UID, RECURRENCE-ID or "")


@dataclass(frozen=True)
class EventState:
    summary: str
    start: dt.date | dt.datetime
    end: dt.date | dt.datetime | None
    status: str
    rule: str
    excluded: frozenset  # EXDATE values
    details: tuple  # what else a subscriber sees: location, description, url


@dataclass(frozen=True)
class EventChange:
    kind: str  # "adds", "moves", "cancels", "changes", "removes"
    summary: str
    words: str  # the plain-words sentence, without the calendars
    calendars: tuple[str, ...]  # URLs of the calendars that carry it


def read_events(data: bytes) -> dict[EventKey, EventState]:
    calendar = icalendar.Calendar.from_ical(data)
    events: dict[EventKey, EventState] = {}
    for event in calendar.walk("VEVENT"):
        recurrence_id = event.get("RECURRENCE-ID")
        key = (str(event.get("UID", "")), recurrence_id.to_ical().decode() if recurrence_id else "")
        events[key] = EventState(
            summary=str(event.get("SUMMARY", "")),
            start=event.decoded("DTSTART"),
            end=event.decoded("DTEND") if event.get("DTEND") else None,
            status=str(event.get("STATUS", "CONFIRMED")).upper(),
            rule=event["RRULE"].to_ical().decode() if event.get("RRULE") else "",
            excluded=frozenset(_exdates(event)),
            details=tuple(str(event.get(name, "")) for name in ("LOCATION", "DESCRIPTION", "URL")),
        )
    return events


def _exdates(event) -> Iterator:
    found = event.get("EXDATE") or []
    for group in found if isinstance(found, list) else [found]:
        yield from (d.dt for d in group.dts)


def compare_events(old: dict[EventKey, EventState], new: dict[EventKey, EventState]) -> list[tuple[str, str, str]]:
    """(kind, summary, words) for every event that differs, in a stable order."""
    changes = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if before is None:
            changes.append(("adds", after.summary, f"adds {_quoted(after)} on {when(after.start, after.end)}"))
        elif after is None:
            changes.append(("removes", before.summary, f"removes {_quoted(before)} (was {when(before.start, before.end)})"))
        else:
            changes.extend(_differences(before, after))
    return changes


def _differences(before: EventState, after: EventState) -> list[tuple[str, str, str]]:
    name, found = _quoted(after), []
    if after.status == "CANCELLED" and before.status != "CANCELLED":
        found.append(("cancels", before.summary, f"cancels {_quoted(before)} on {when(after.start, after.end)}"))
    elif (before.start, before.end) != (after.start, after.end):
        found.append(("moves", after.summary, f"moves {name} {moved(before, after)}"))
    for day in sorted(after.excluded - before.excluded, key=str):
        found.append(("cancels", after.summary, f"cancels {name} on {when(day, None)} (one date of a repeat)"))
    if before.rule != after.rule:
        found.append(("changes", after.summary, f"changes how often {name} repeats: {before.rule or 'once'} → "
                                                f"{after.rule or 'once'}"))
    rest_before = (before.summary, before.status, before.details)
    rest_after = (after.summary, after.status, after.details)
    if not found and rest_before != rest_after:
        found.append(("changes", after.summary, f"changes the details of {name} on {when(after.start, after.end)}"))
    return found


def _quoted(state: EventState) -> str:
    return f'"{state.summary}"'


def when(start, end) -> str:
    """Fri 8 Jan 2027 10:00–11:00 PST: in the event's own zone, weekday always shown."""
    if not isinstance(start, dt.datetime):
        return f"{_day(start)} (all day)"
    text = f"{_day(start)} {start:%H:%M}"
    if isinstance(end, dt.datetime):
        text += f"–{end:%H:%M}" if end.date() == start.date() else f" – {_day(end)} {end:%H:%M}"
    return text + (f" {start.tzname()}" if start.tzinfo else "")


def moved(before: EventState, after: EventState) -> str:
    """'on Fri 8 Jan 2027 from 10:00 to 11:00 PST', or with both days when the day changed."""
    old, new = before.start, after.start
    if isinstance(old, dt.datetime) and isinstance(new, dt.datetime) and old.date() == new.date() \
            and old.tzname() == new.tzname() and old != new:
        return f"on {_day(new)} from {old:%H:%M} to {new:%H:%M} {new.tzname() or ''}".rstrip()
    return f"from {when(before.start, before.end)} to {when(after.start, after.end)}"


def _day(value: dt.date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"
