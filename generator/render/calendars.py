"""iCalendar files (issue: event calendars that are right in every time zone)."""

from __future__ import annotations

from ..graph import Site
from .outputs import Output


def plan_calendars(site: Site) -> list[Output]:
    return []
