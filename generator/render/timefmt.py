"""Times in words, the way people plan (DESIGN: "Time is shown the way people plan").

"Fri 8 Mar 2024 · 10:00–11:00 PST (UTC−8)": the weekday is always there, the
month is a word (never 03/08), and the zone carries its offset. Everything is
computed from the occurrence's own zone with zoneinfo, so a session after a
daylight-saving change shows its new offset.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from ..event_times import Occurrence

MINUS = "\u2212"  # a real minus sign: "UTC−8", not "UTC-8"
DASH = "\u2013"
DAY_NAMES = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
             "SA": "Saturday", "SU": "Sunday"}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last", -2: "second-to-last"}


def long_date(value: dt.date) -> str:
    """"Fri 8 Mar 2024": the day a date (or a datetime, in its own zone) falls on."""
    return _long_date(value.toordinal())


def short_date(value: dt.date) -> str:
    """"Fri 8 Mar", for the second date of a span in the same year."""
    return _short_date(value.toordinal())


# strftime costs about 9 µs a date, and a site shows the same few thousand days on
# every list row, page and feed entry: 80,000 calls in a 10,000-post build. Keyed by
# the day's ordinal, not the value: two aware datetimes of the same instant are equal
# (and hash alike) while they fall on different days in their zones.
@lru_cache(maxsize=8192)
def _long_date(day: int) -> str:
    value = dt.date.fromordinal(day)
    return f"{value:%a} {value.day} {value:%b %Y}"


@lru_cache(maxsize=8192)
def _short_date(day: int) -> str:
    value = dt.date.fromordinal(day)
    return f"{value:%a} {value.day} {value:%b}"


def utc_offset(value: dt.datetime) -> str:
    """"UTC−8", "UTC+5:30", "UTC+0"."""
    minutes = int(value.utcoffset().total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    sign = "+" if minutes >= 0 else MINUS
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(value: dt.datetime) -> str:
    """"PST (UTC−8)"; zones without a lettered abbreviation (Asia/Singapore is
    "+08") are named by their city instead: "Singapore time (UTC+8)"."""
    abbreviation = value.tzname() or ""
    if abbreviation == "UTC":
        return "UTC"
    if abbreviation[:1].isalpha():
        return f"{abbreviation} ({utc_offset(value)})"
    key = getattr(value.tzinfo, "key", "") or ""
    city = key.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} time ({utc_offset(value)})" if city else utc_offset(value)


def when_text(occurrence: Occurrence) -> str:
    """The occurrence in its own zone, e.g. "Fri 8 Mar 2024 · 10:00–11:00 PST (UTC−8)"."""
    start, end = occurrence.start, occurrence.end
    if occurrence.all_day:
        return _all_day_text(start, end - dt.timedelta(days=1))
    if end.utcoffset() != start.utcoffset():  # the clocks change during the event
        return (f"{long_date(start)} · {start:%H:%M} {zone_label(start)} {DASH} "
                f"{short_date(end)} {end:%H:%M} {zone_label(end)}")
    if end.date() != start.date():
        return f"{long_date(start)} · {start:%H:%M} {DASH} {short_date(end)} {end:%H:%M} {zone_label(start)}"
    return f"{long_date(start)} · {start:%H:%M}{DASH}{end:%H:%M} {zone_label(start)}"


def _all_day_text(first: dt.date, last: dt.date) -> str:
    if last <= first:
        return f"{long_date(first)} (all day)"
    if last.year == first.year:
        return f"{short_date(first)} {DASH} {long_date(last)}"
    return f"{long_date(first)} {DASH} {long_date(last)}"


def utc_stamp(value: dt.datetime | dt.date) -> str:
    """A valid HTML datetime: "2024-03-08T18:00:00Z" for a moment, "2024-03-08" for a day."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def cadence_text(recurrence: dict | None) -> str:
    """A recurrence rule in words: "Every Friday", "Monthly, on the second Thursday";
    "" when the rule is beyond plain words (the dates are listed anyway)."""
    if not recurrence:
        return ""
    parts = dict(p.split("=", 1) for p in str(recurrence.get("rule", "")).upper().split(";") if "=" in p)
    interval = int(parts.get("INTERVAL", "1")) if parts.get("INTERVAL", "1").isdigit() else 1
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    text = {"DAILY": lambda: _every(interval, "day", "days"),
            "WEEKLY": lambda: _weekly(interval, days),
            "MONTHLY": lambda: _monthly(interval, days),
            "YEARLY": lambda: _every(interval, "year", "years")}.get(parts.get("FREQ", ""), lambda: "")()
    until = recurrence.get("until")
    if text and isinstance(until, dt.date):
        text += f", until {long_date(until)}"
    return text


def _every(interval: int, one: str, many: str) -> str:
    return f"Every {one}" if interval == 1 else ("Every other " + one if interval == 2 else f"Every {interval} {many}")


def _weekly(interval: int, days: list[str]) -> str:
    names = [DAY_NAMES[d] for d in days if d in DAY_NAMES]
    if len(names) != len(days):
        return ""
    if not names:
        return _every(interval, "week", "weeks")
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    if interval == 1:
        return f"Every {listed}"
    return f"Every other {listed}" if interval == 2 else f"Every {interval} weeks on {listed}"


def _monthly(interval: int, days: list[str]) -> str:
    base = "Monthly" if interval == 1 else _every(interval, "month", "months")
    if len(days) != 1:
        return base if not days else ""
    number, name = days[0][:-2], DAY_NAMES.get(days[0][-2:])
    try:
        ordinal = ORDINALS.get(int(number))
    except ValueError:
        ordinal = None
    return f"{base}, on the {ordinal} {name}" if ordinal and name else ""


def usual_slot_text(starts: list[dt.datetime]) -> str:
    """"Usually Fridays at 10:00 Los Angeles time" when most timed sessions (at
    least three, three in four) share a weekday and local time; else ""."""
    timed = [s for s in starts if isinstance(s, dt.datetime)]
    if len(timed) < 3:
        return ""
    slots: dict[tuple[int, str, str], int] = {}
    for start in timed:
        slot = (start.weekday(), start.strftime("%H:%M"), getattr(start.tzinfo, "key", "") or "")
        slots[slot] = slots.get(slot, 0) + 1
    (weekday, clock, key), count = max(slots.items(), key=lambda pair: (pair[1], pair[0]))
    if count * 4 < len(timed) * 3:
        return ""
    day = list(DAY_NAMES.values())[weekday]
    city = key.rsplit("/", 1)[-1].replace("_", " ")
    return f"Usually {day}s at {clock}" + (f" {city} time" if city else "")
