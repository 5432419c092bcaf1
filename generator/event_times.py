"""When events happen: zones, spans and recurrence expansion.

Pages, feeds and calendars all use these functions, so "next session" means the
same everywhere, and the .ics files say what the pages say. The rules follow
RFC 5545, so that calendar apps expanding our RRULEs agree with us:

- Recurrences are expanded in local wall-clock time and only then given their
  zone, so a weekly 10:00 session stays at 10:00 local across daylight-saving
  changes.
- A local time that does not exist (in a spring-forward gap) is read with the
  offset before the gap, so 02:30 becomes 03:30 daylight time; a local time that
  happens twice (fall-back) means the first of the two (RFC 5545 §3.3.5). This is
  Python's `fold=0`; `localize` then shows the real wall time.
- Every occurrence of a recurring event lasts the same exact time as the first
  (RFC 5545 §3.8.5.3, when the length is given by DTEND, as our .ics files do).
- The event's `start` is always its first occurrence and counts towards `count`,
  even if the rule alone would not produce it (a Thursday start for a Friday
  rule). Clients disagree about such a DTSTART (RFC 5545 calls it undefined:
  ical.js drops it, python's recurring_ical_events adds it), so the plan anchors
  the rule at its first own start and lists the written start as an extra date.
- `until` is an inclusive date: the rule may produce occurrences up to the end of
  that local day.
- `except` with a date removes the rule's occurrence(s) on that local date; with
  a date-time, the occurrence at exactly that local time (rule or `extra`).
  `extra` adds occurrences; a date-only extra is at the event's own start time.
  (In the .ics: EXDATE and RDATE, in the event's zone.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Iterable
from zoneinfo import ZoneInfo

from dateutil import rrule

from .content.models import Event
from .graph import Site

DEFAULT_DURATION = dt.timedelta(hours=1)
HORIZON = dt.timedelta(days=2 * 366)  # how far an open-ended rule is expanded past "now"
MAX_OCCURRENCES = 5000  # bounds absurd rules (FREQ=MINUTELY for a year) without failing the build
END_OF_DAY = dt.time(23, 59, 59)
UTC = dt.timezone.utc


@dataclass(frozen=True)
class Occurrence:
    event: Event
    start: dt.datetime | dt.date  # aware datetime, or a date for all-day
    end: dt.datetime | dt.date  # aware datetime, or the exclusive end date for all-day
    original_start: dt.datetime | dt.date  # the rule's start (RECURRENCE-ID) for this occurrence
    zone: str = "UTC"  # IANA name of the event's zone: where an all-day date begins and ends

    @property
    def all_day(self) -> bool:
        return self.event.all_day

    def start_utc(self) -> dt.datetime:
        return as_utc(self.start, self.zone)

    def end_utc(self) -> dt.datetime:
        return as_utc(self.end, self.zone)


@dataclass(frozen=True)
class RecurrencePlan:
    """An event's recurrence, resolved once, in naive local time of its zone.

    Both the expansion here and the RRULE/EXDATE/RDATE lines of the .ics files
    are made from this, so they cannot disagree."""

    rule: str  # the RRULE without UNTIL and COUNT
    dtstart: dt.datetime | dt.date
    until: dt.datetime | dt.date | None  # last local moment (datetime) or last date (all-day)
    count: int | None
    excluded: tuple  # local starts removed (EXDATE)
    added: tuple  # local starts added (RDATE)

    @property
    def open_ended(self) -> bool:
        return self.until is None and self.count is None


@lru_cache(maxsize=None)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_name(event: Event, site: Site) -> str:
    """SPEC: the event's timezone, else its series', else site.yaml's."""
    if event.timezone:
        return event.timezone
    series = site.series_of(event)
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
    """Naive local date-time → aware, showing the real wall time (see module doc
    for gaps and folds). Dates stay dates."""
    if not isinstance(value, dt.datetime):
        return value
    tz = zone(zone_key)
    return value.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def as_utc(value: dt.datetime | dt.date, zone_key: str = "UTC") -> dt.datetime:
    """A date is read as the start of that day in `zone_key`."""
    if not isinstance(value, dt.datetime):
        value = localize(dt.datetime.combine(value, dt.time()), zone_key)
    return value.astimezone(UTC)


def first_occurrence(event: Event, zone_key: str) -> Occurrence:
    """The event as written: its `start` (for a recurring event, the first
    session), in its zone. Needs no clock."""
    start, end = local_span(event)
    return Occurrence(event, localize(start, zone_key), localize(end, zone_key), localize(start, zone_key), zone_key)


def occurrences(event: Event, zone_key: str, now: dt.datetime) -> list[Occurrence]:
    """Every occurrence of the event, in order; open-ended rules stop HORIZON after
    the start of the clock's UTC day (horizon_start)."""
    start, end = local_span(event)
    plan = recurrence_plan(event, zone_key)
    if plan is None:
        return [first_occurrence(event, zone_key)]
    length = end - start
    if event.all_day:
        return [Occurrence(event, s, s + length, s, zone_key) for s in expand(plan, zone_key, now)]
    # The exact (not wall-clock) length of the rule's first instance, as DTEND gives it.
    exact = as_utc(localize(plan.dtstart + length, zone_key)) - as_utc(localize(plan.dtstart, zone_key))
    result = []
    for local_start in expand(plan, zone_key, now):
        begin = localize(local_start, zone_key)
        result.append(Occurrence(event, begin, (begin.astimezone(UTC) + exact).astimezone(zone(zone_key)),
                                 begin, zone_key))
    return result


def recurrence_plan(event: Event, zone_key: str) -> RecurrencePlan | None:
    """The event's recurrence in local time, or None for a one-off event (also
    when the rule adds nothing to the start)."""
    recurrence = event.recurrence
    if not recurrence or not recurrence.get("rule"):
        return None
    parts, rule_until, rule_count = _split_rule(recurrence["rule"])
    if "until" in recurrence or "count" in recurrence:  # the fields win over the rule text
        until, count = recurrence.get("until"), recurrence.get("count")
    else:
        until, count = rule_until, rule_count
    until = _local_until(until, zone_key, event.all_day)
    rule = ";".join(parts)
    written = _as_datetime(event.start)
    anchor = next(iter(_rule(rule, written, until, None)), None)
    added = {_at_start_time(value, event.start) for value in recurrence.get("extra", ())}
    if anchor != written:  # the start is not one of the rule's own: see the module doc
        if anchor is None or count == 1:
            return None
        count = count - 1 if count else None
        added.add(event.start)
    dtstart = anchor if isinstance(event.start, dt.datetime) else anchor.date()
    excluded = _excluded(recurrence.get("except", ()), _rule(rule, dtstart, until, count), event.start)
    return RecurrencePlan(rule, dtstart, until, count, tuple(sorted(excluded, key=_sort_key)),
                          tuple(sorted(added - excluded, key=_sort_key)))


def _excluded(excepts, generated: rrule.rrule, start) -> set:
    """A date-time removes that start; a date removes what the rule (or the
    written start) gives on that date, so an `extra` moved within the day stays."""
    all_day = not isinstance(start, dt.datetime)
    excluded = set()
    for value in excepts:
        if isinstance(value, dt.datetime) and not all_day:
            excluded.add(value)
            continue
        day = _date_of(value)
        excluded.update(_starts_on(generated, day, all_day))
        if _date_of(start) == day:
            excluded.add(start)
    return excluded


def expand(plan: RecurrencePlan, zone_key: str, now: dt.datetime) -> list:
    """The plan's local starts, in order: the rule's, plus `added`, minus `excluded`."""
    limit = None
    if plan.open_ended:
        limit = horizon_start(now).astimezone(zone(zone_key)).replace(tzinfo=None) + HORIZON
    all_day = not isinstance(plan.dtstart, dt.datetime)
    starts = set()
    for value in islice(_rule(plan.rule, plan.dtstart, plan.until, plan.count), MAX_OCCURRENCES):
        if limit is not None and value > limit:
            break
        starts.add(value.date() if all_day else value)
    starts.update(plan.added)  # written out by hand: never cut by the horizon
    starts.difference_update(plan.excluded)
    return sorted(starts, key=_sort_key)


def unmatched_excepts(event: Event, zone_key: str) -> list:
    """`except` values that remove nothing: usually a typo or a wrong weekday."""
    plan = recurrence_plan(event, zone_key)
    if plan is None:
        return []
    generated = _rule(plan.rule, plan.dtstart, plan.until, plan.count)
    written = {event.start, *(_at_start_time(v, event.start) for v in event.recurrence.get("extra", ()))}
    missing = []
    for value in event.recurrence.get("except", ()):
        if isinstance(value, dt.datetime) and not event.all_day:
            hit = value in written or value in _starts_on(generated, value.date(), False)
        else:
            hit = bool(_excluded([value], generated, event.start))
        if not hit:
            missing.append(value)
    return missing


def _split_rule(text: str) -> tuple[list[str], dt.date | dt.datetime | None, int | None]:
    """A rule written with UNTIL or COUNT inside: take them out, so that the
    `until`/`count` fields and the rule text mean the same thing."""
    parts, until, count = [], None, None
    for part in text.strip().removeprefix("RRULE:").split(";"):
        key, _, value = part.partition("=")
        key = key.strip().upper()
        if key == "UNTIL":
            until = _parse_until(value.strip())
        elif key == "COUNT":
            count = int(value) if value.strip().isdigit() else None
        elif part.strip():
            parts.append(f"{key}={value.strip().upper()}")
    return parts, until, count


def _parse_until(value: str) -> dt.date | dt.datetime | None:
    for fmt, kind in (("%Y%m%dT%H%M%SZ", "utc"), ("%Y%m%dT%H%M%S", "local"), ("%Y%m%d", "date")):
        try:
            parsed = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=UTC) if kind == "utc" else parsed if kind == "local" else parsed.date()
    return None


def _local_until(until, zone_key: str, all_day: bool):
    """`until` as the last local moment the rule may produce (or the last date)."""
    if until is None:
        return None
    if isinstance(until, dt.datetime) and until.tzinfo is not None:
        until = until.astimezone(zone(zone_key)).replace(tzinfo=None)
    if all_day:
        return _date_of(until)
    return until if isinstance(until, dt.datetime) else dt.datetime.combine(until, END_OF_DAY)


def _rule(rule: str, dtstart, until, count) -> rrule.rrule:
    # Made once per rule and bounds: a build asks for each event's rule up to
    # seven times (its plan twice, its check, its calendars), and parsing it was
    # most of that. The reprs are in the key: equal aware datetimes in two zones
    # are equal, yet give different rules. An rrule is not changed by its users
    # (replace and iteration make new objects; rrulestr does not cache by default).
    return _rule_made(rule, repr(dtstart), repr(until), count, dtstart, until)


@lru_cache(maxsize=4096)
def _rule_made(rule: str, dtstart_text: str, until_text: str, count, dtstart, until) -> rrule.rrule:
    parsed = rrule.rrulestr(rule, dtstart=_as_datetime(dtstart))
    if until is not None:
        return parsed.replace(until=until if isinstance(until, dt.datetime) else dt.datetime.combine(until, END_OF_DAY))
    return parsed.replace(count=count) if count else parsed


def _starts_on(generated: rrule.rrule, day: dt.date, all_day: bool) -> set:
    """What the rule produces on one local date."""
    found = generated.between(dt.datetime.combine(day, dt.time()), dt.datetime.combine(day, END_OF_DAY), inc=True)
    return {v.date() for v in found} if all_day else set(found)


def _as_datetime(value) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())


def _at_start_time(value, dtstart):
    """A date at the event's own start time; for an all-day event, just the date."""
    if not isinstance(dtstart, dt.datetime):
        return _date_of(value)
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dtstart.time())


def _date_of(value):
    return value.date() if isinstance(value, dt.datetime) else value


def _sort_key(value) -> str:
    return value.isoformat()


def site_occurrences(site: Site, now: dt.datetime) -> list[Occurrence]:
    """Every occurrence of every event, by start (UTC), then slug."""
    result = []
    for event in site.events.values():
        result.extend(occurrences(event, zone_name(event, site), now))
    return sorted(result, key=lambda o: (o.start_utc(), o.event.slug))


def horizon_start(now: dt.datetime) -> dt.datetime:
    """Where an open-ended rule's expansion is measured from: the start of the
    clock's UTC day, so that the occurrences listed change once a day, not at
    every build (clock_period)."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def clock_period(occurrence_lists: Iterable[list[Occurrence]], now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The span of instants around `now` in which every decision the clock makes
    is the one it makes at `now`, given every event's occurrences: which are
    past (is_past: each turns at its end) and which an open-ended rule lists (its
    horizon turns with the UTC day, horizon_start). Pages that read the clock
    render the same bytes for any clock in it (incremental.py keys the clock by
    it): without that, every build rendered the 3,000 event and member pages of
    a big site again, because its clock had moved a few seconds."""
    low = horizon_start(now)
    high = low + dt.timedelta(days=1)
    for found in occurrence_lists:
        for occurrence in found:
            end = occurrence.end_utc()
            if end <= now:
                low = max(low, end)
            else:
                high = min(high, end)
    return low, high


def is_past(occurrence: Occurrence, now: dt.datetime) -> bool:
    return occurrence.end_utc() <= now


def next_occurrence(event_occurrences: list[Occurrence], now: dt.datetime) -> Occurrence | None:
    return next((o for o in event_occurrences if not is_past(o, now)), None)
