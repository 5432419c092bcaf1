"""When events happen: zones, spans and recurrence expansion.

Recurrences are expanded in local wall-clock time and only then given their zone,
so a weekly 10:00 session stays at 10:00 local across daylight-saving changes
(RFC 5545 semantics). Pages, feeds and calendars all use these functions, so
"next session" means the same everywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil import rrule

from .content.models import Event
from .graph import Site

DEFAULT_DURATION = dt.timedelta(hours=1)
HORIZON = dt.timedelta(days=2 * 366)  # how far an open-ended rule is expanded past "now"


@dataclass(frozen=True)
class Occurrence:
    event: Event
    start: dt.datetime | dt.date  # aware datetime, or a date for all-day
    end: dt.datetime | dt.date  # aware datetime, or the exclusive end date for all-day
    original_start: dt.datetime | dt.date  # the rule's start (RECURRENCE-ID) for this occurrence

    @property
    def all_day(self) -> bool:
        return self.event.all_day

    def start_utc(self) -> dt.datetime:
        return as_utc(self.start)

    def end_utc(self) -> dt.datetime:
        return as_utc(self.end)


@lru_cache(maxsize=None)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_name(event: Event, site: Site) -> str:
    """SPEC: the event's timezone, else its series', else site.yaml's."""
    if event.timezone:
        return event.timezone
    series = site.series.get(event.series.slug) if event.series else None
    if series and series.timezone:
        return series.timezone
    return site.settings.timezone


def local_span(event: Event) -> tuple:
    """(start, end) in naive local time; for all-day events, dates with exclusive end."""
    if event.all_day:
        last = event.end or event.start
        return event.start, last + dt.timedelta(days=1)
    if event.end is not None:
        return event.start, event.end
    return event.start, event.start + (event.duration or DEFAULT_DURATION)


def localize(value: dt.datetime | dt.date, zone_key: str):
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=zone(zone_key))
    return value


def as_utc(value: dt.datetime | dt.date) -> dt.datetime:
    """All-day dates are read as midnight UTC, only for ordering."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)


def occurrences(event: Event, zone_key: str, now: dt.datetime) -> list[Occurrence]:
    """Every occurrence of the event, in order; open-ended rules stop at now + HORIZON."""
    start, end = local_span(event)
    length = end - start
    starts = [start]
    if event.recurrence:
        starts = _expand(event, start, now)
    return [Occurrence(event, localize(s, zone_key), localize(s + length, zone_key), localize(s, zone_key))
            for s in starts]


def _expand(event: Event, start, now: dt.datetime) -> list:
    recurrence = event.recurrence
    all_day = event.all_day
    dtstart = start if not all_day else dt.datetime.combine(start, dt.time())
    rule = rrule.rrulestr(recurrence["rule"], dtstart=dtstart)
    if "until" in recurrence:
        rule = rule.replace(until=dt.datetime.combine(recurrence["until"], dt.time(23, 59, 59)))
    elif "count" in recurrence:
        rule = rule.replace(count=recurrence["count"])
    limit = now.replace(tzinfo=None) + HORIZON
    starts = []
    for value in rule:
        if value > limit and rule._count is None and rule._until is None:
            break
        if value > limit + HORIZON * 10:  # bounded even for absurd rules
            break
        starts.append(value.date() if all_day else value)
    excluded = recurrence.get("except", ())
    starts = [s for s in starts if s not in excluded and _date_of(s) not in excluded]
    for extra in recurrence.get("extra", ()):
        if extra not in starts:
            starts.append(extra if not all_day else _date_of(extra))
    return sorted(starts, key=lambda s: s.isoformat())


def _date_of(value):
    return value.date() if isinstance(value, dt.datetime) else value


def site_occurrences(site: Site, now: dt.datetime) -> list[Occurrence]:
    """Every occurrence of every event, by start (UTC), then slug."""
    result = []
    for event in site.events.values():
        result.extend(occurrences(event, zone_name(event, site), now))
    return sorted(result, key=lambda o: (o.start_utc(), o.event.slug))


def is_past(occurrence: Occurrence, now: dt.datetime) -> bool:
    return occurrence.end_utc() <= now


def upcoming(site: Site, now: dt.datetime, limit: int | None = None) -> list[Occurrence]:
    found = [o for o in site_occurrences(site, now) if not is_past(o, now)]
    return found[:limit] if limit else found


def next_occurrence(event_occurrences: list[Occurrence], now: dt.datetime) -> Occurrence | None:
    return next((o for o in event_occurrences if not is_past(o, now)), None)
