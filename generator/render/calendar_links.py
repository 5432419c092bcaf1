"""Links that put an event into someone's calendar: .ics, webcal:// and Google."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from ..event_times import Occurrence
from ..urls import absolute


def webcal_url(base_url: str, path: str) -> str:
    """webcal:// makes calendar apps subscribe instead of importing once."""
    url = absolute(base_url, path)
    return "webcal://" + url.split("://", 1)[1]


def google_calendar_url(occurrence: Occurrence, details: str, location: str = "") -> str:
    """A prefilled Google Calendar "add event" link, times in UTC."""
    if occurrence.all_day:
        dates = f"{occurrence.start:%Y%m%d}/{occurrence.end:%Y%m%d}"
    else:
        fmt = "%Y%m%dT%H%M%SZ"
        dates = f"{occurrence.start_utc():{fmt}}/{occurrence.end_utc():{fmt}}"
    query = {"action": "TEMPLATE", "text": occurrence.event.title, "dates": dates, "details": details}
    if location:
        query["location"] = location
    return "https://calendar.google.com/calendar/render?" + urlencode(query)
