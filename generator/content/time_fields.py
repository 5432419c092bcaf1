"""Field types for time: dates, local date-times, durations, zones and repeat rules.

Each parses the contributor's text itself (YAML leaves dates as text, see
yaml_source.py), so an impossible date gets a message that names the month.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import zoneinfo
from functools import lru_cache
from typing import Any

from dateutil import rrule

from ..diagnostics import did_you_mean
from .fields import INVALID, FieldContext, FieldType, field_label
from .yaml_source import Path

_DURATION_RE = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?\Z")


def _parse_date(text: str, ctx: FieldContext, path: Path) -> Any:
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if not match:
        return None
    year, month, day = map(int, match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        if not 1 <= month <= 12:
            return ctx.error(path, f"{text} is not a date: there is no month {month}.",
                             "Dates are written YYYY-MM-DD, year first.")
        days = calendar.monthrange(year, month)[1]
        name = dt.date(year, month, 1).strftime("%B")
        return ctx.error(path, f"{text} is not a date: {name} {year} has {days} days.",
                         "Check the day of the month.")


def _parse_time(text: str, ctx: FieldContext, path: Path) -> Any:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not match:
        return None
    hour, minute = map(int, match.groups())
    if hour > 23 or minute > 59:
        return ctx.error(path, f"{text} is not a time of day.", "Use the 24-hour clock, 00:00 to 23:59.")
    return dt.time(hour, minute)


class Date(FieldType):
    describe = "a date like 2024-03-08"
    example = "2024-03-08"

    def check(self, value, ctx, path):
        if not isinstance(value, str):
            return self.wrong_type(value, ctx, path)
        parsed = _parse_date(value.strip(), ctx, path)
        if parsed is None:
            return ctx.error(path, f'"{value}" is not a date written YYYY-MM-DD.', "Write it like 2024-03-08.")
        return parsed


class DateTime(FieldType):
    """A local date-time `YYYY-MM-DD HH:MM`; with `allow_date`, also a bare date."""

    def __init__(self, *, allow_date: bool = False) -> None:
        self.allow_date = allow_date
        self.describe = ("a local date and time like 2024-03-08 10:00, or a date for an all-day event"
                         if allow_date else "a local date and time like 2024-03-08 10:00")
        self.example = "2024-03-08 10:00"

    def check(self, value, ctx, path):
        if not isinstance(value, str):
            return self.wrong_type(value, ctx, path)
        text = " ".join(value.replace("T", " ").split())
        date_text, _, time_text = text.partition(" ")
        day = _parse_date(date_text, ctx, path)
        if day is INVALID:
            return INVALID
        if day is not None and not time_text and self.allow_date:
            return day
        when = _parse_time(time_text, ctx, path) if day is not None else None
        if when is INVALID:
            return INVALID
        if day is None or when is None:
            return ctx.error(path, f'"{value}" is not {self.describe}.',
                             "Write the date, a space, then the 24-hour time: 2024-03-08 10:00.")
        return dt.datetime.combine(day, when)


class Duration(FieldType):
    describe = "a duration like 90m, 2h or 1h30m"
    example = "1h30m"

    def check(self, value, ctx, path):
        if isinstance(value, int) and not isinstance(value, bool):
            return ctx.error(path, f"{field_label(path)} is a bare number ({value}).",
                             f"Add the unit: {value}m for minutes or {value}h for hours.")
        if not isinstance(value, str):
            return self.wrong_type(value, ctx, path)
        match = _DURATION_RE.match(value.strip().replace(" ", ""))
        if not match or not any(match.groups()):
            return ctx.error(path, f'"{value}" is not {self.describe}.', "Use h for hours and m for minutes.")
        hours, minutes = (int(g or 0) for g in match.groups())
        if hours == minutes == 0:
            return ctx.error(path, f"{field_label(path)} is zero.", "Give the event a length, e.g. 1h.")
        return dt.timedelta(hours=hours, minutes=minutes)


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class TimeZone(FieldType):
    describe = "a time zone name like America/Los_Angeles"
    example = "America/Los_Angeles"

    def check(self, value, ctx, path):
        if not isinstance(value, str):
            return self.wrong_type(value, ctx, path)
        if value not in _zone_names():
            hint = did_you_mean(value, _zone_names()) or (
                "Use an IANA name like Europe/London or Asia/Kolkata; "
                "abbreviations such as PST or CET are ambiguous.")
            return ctx.error(path, f'"{value}" is not a time zone name.', hint)
        return value


_FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY")


class RRule(FieldType):
    describe = 'a repeat rule like "FREQ=WEEKLY;BYDAY=FR"'
    example = "FREQ=WEEKLY;BYDAY=FR"

    def check(self, value, ctx, path):
        if not isinstance(value, str):
            return self.wrong_type(value, ctx, path)
        rule = value.strip().removeprefix("RRULE:")
        freq = re.search(r"(?:^|;)FREQ=([^;]*)", rule.upper())
        if freq and freq.group(1) not in _FREQUENCIES:
            return ctx.error(path, f"FREQ={freq.group(1)} is not a repeat frequency.",
                             "Use DAILY, WEEKLY, MONTHLY or YEARLY; for every other week write FREQ=WEEKLY;INTERVAL=2.")
        if "DTSTART" in rule.upper():
            return ctx.error(path, "The rule must not contain DTSTART.", "The event's start is its `start` field.")
        try:
            parsed = rrule.rrulestr(rule, dtstart=dt.datetime(2000, 1, 1))
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            reason = str(exc).strip() or "it does not follow RFC 5545"
            return ctx.error(path, f'"{value}" is not a valid repeat rule: {reason}.',
                             'Write it like FREQ=WEEKLY;BYDAY=FR or FREQ=MONTHLY;BYDAY=2TH.')
        if next(iter(parsed), None) is None:  # e.g. BYMONTH=13: valid syntax, no dates ever
            return ctx.error(path, f'The repeat rule "{value}" never happens on any date.',
                             "Check the BY… parts (months 1-12, days 1-31, weekdays MO-SU).")
        if not rule.upper().startswith("FREQ=") and ";FREQ=" not in rule.upper():
            return ctx.error(path, f'"{value}" has no FREQ part.', "Start it with FREQ=WEEKLY (or DAILY, MONTHLY, YEARLY).")
        return rule
