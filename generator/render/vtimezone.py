"""A VTIMEZONE from the tz database, for the years a calendar covers.

RFC 5545 §3.6.5: an observance's DTSTART is the local time of its onset read
in the offset in force *before* it (TZOFFSETFROM): Los Angeles springs forward
at 02:00 (-0800) and falls back at 02:00 (-0700). icalendar's from_tzinfo
writes spring onsets in the new offset (03:00), an hour late for every reader
that converts instants; so the onsets are found here, from zoneinfo itself.

Each onset is its own observance, without RDATE or RRULE: ical.js (Thunderbird,
Nextcloud) skips an observance's DTSTART when it has RDATEs, and Outlook reads
no RDATE in a VTIMEZONE; single onsets are read alike by every client.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar

UTC = dt.timezone.utc
# No zone changes its clock twice within this step in the years calendars cover
# (the closest pair, Morocco's Ramadan pause, is weeks apart).
SCAN_STEP = dt.timedelta(hours=6)
LOOKBACK_YEARS = 3
LOOKBACK = dt.timedelta(days=LOOKBACK_YEARS * 366)  # a little more than the years: the memo's scans cover them


@dataclass(frozen=True)
class Clock:
    """What a zone's clocks read like from some instant on."""
    offset: dt.timedelta
    name: str
    dst: dt.timedelta  # zoneinfo's, negative for Dublin's winter

    @property
    def daylight(self) -> bool:
        return bool(self.dst)


@dataclass(frozen=True)
class Onset:
    at: dt.datetime  # the UTC instant the clock changes
    before: Clock
    after: Clock


def vtimezone(tzid: str, first_year: int, last_year: int) -> icalendar.Timezone:
    """The zone from 1 January of the first year to 1 January after the last."""
    component = icalendar.Timezone()
    component.add("TZID", tzid)
    component.add("COMMENT", f"This timezone only works from {first_year}-01-01 to {last_year + 1}-01-01.")
    changes = (onset for year in range(first_year, last_year + 1) for onset in onsets_of_year(tzid, year))
    for onset in [onset_in_force(tzid, first_year), *changes]:
        component.add_component(_observance(onset))
    return component


def year_start(tz: ZoneInfo, year: int) -> dt.datetime:
    return dt.datetime(year, 1, 1, tzinfo=tz).astimezone(UTC)


# Scanning a year takes ~1,500 clock readings, and a site's calendars (one per
# event, series and site) cover the same few years again and again: each
# (zone, year) is scanned once per process. The scans of consecutive years
# meet at 1 January and together find what one scan of them all finds.
@lru_cache(maxsize=4096)
def onsets_of_year(tzid: str, year: int) -> tuple[Onset, ...]:
    """The changes in (1 January of `year`, 1 January after], local time."""
    tz = ZoneInfo(tzid)
    return tuple(onsets(tz, year_start(tz, year), year_start(tz, year + 1)))


@lru_cache(maxsize=4096)
def onset_in_force(tzid: str, year: int) -> Onset:
    """The last change before 1 January of `year`, so that readers which derive a
    standard offset from an observance's TZOFFSETFROM (dateutil) see the true one;
    a zone that has not changed for LOOKBACK starts with a plain observance then."""
    tz = ZoneInfo(tzid)
    start = year_start(tz, year)
    back = year - LOOKBACK_YEARS  # LOOKBACK is these whole years and a few days before them
    earlier = [*onsets(tz, start - LOOKBACK, year_start(tz, back)),
               *(onset for y in range(back, year) for onset in onsets_of_year(tzid, y))]
    if earlier:
        return earlier[-1]
    clock = clock_at(tz, start)
    return Onset(start, clock, clock)


def _reading(tz: ZoneInfo, instant: dt.datetime) -> tuple[dt.timedelta, str, dt.timedelta]:
    """A Clock's fields: scans compare these and make Clocks only for the changes."""
    local = instant.astimezone(tz)
    return local.utcoffset(), local.tzname(), local.dst()


def clock_at(tz: ZoneInfo, instant: dt.datetime) -> Clock:
    return Clock(*_reading(tz, instant))


def onsets(tz: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[Onset]:
    """Every change of offset, name or daylight flag in (start, end], to the second."""
    found = []
    low, reading = start, _reading(tz, start)
    while low < end:
        high = min(low + SCAN_STEP, end)
        later = _reading(tz, high)
        if later != reading:
            at = _first_instant_reading(tz, later, low, high)
            found.append(Onset(at, Clock(*reading), Clock(*later)))
            reading = later
        low = high
    return found


def _first_instant_reading(tz: ZoneInfo, reading: tuple, low: dt.datetime, high: dt.datetime) -> dt.datetime:
    """Bisect (low, high], where the clock changes once, to the first second it reads `reading`."""
    second = dt.timedelta(seconds=1)
    while high - low > second:
        middle = low + (high - low) // 2
        middle -= dt.timedelta(microseconds=middle.microsecond)
        if middle <= low:
            break
        if _reading(tz, middle) == reading:
            high = middle
        else:
            low = middle
    return high


def _daylight(onset: Onset) -> bool:
    """DAYLIGHT for a summer-time clock that is ahead of the standard one. The tz
    database flags Dublin's winter and Morocco's Ramadan hour as (negative)
    daylight time; readers expect daylight time to be the later clock (dateutil
    derives the standard offset from it), so a seasonal change forward opens
    daylight time and a change back opens standard time."""
    before, after = onset.before, onset.after
    if before.offset == after.offset:
        return after.dst > dt.timedelta(0)
    return after.offset > before.offset and (before.daylight or after.daylight)


def _observance(onset: Onset) -> icalendar.cal.Component:
    observance = icalendar.TimezoneDaylight() if _daylight(onset) else icalendar.TimezoneStandard()
    # the onset as local time in the offset before it (RFC 5545 §3.6.5), floating
    observance.add("DTSTART", (onset.at + onset.before.offset).replace(tzinfo=None))
    observance.add("TZOFFSETFROM", onset.before.offset)
    observance.add("TZOFFSETTO", onset.after.offset)
    observance.add("TZNAME", onset.after.name)
    return observance
