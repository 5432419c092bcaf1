"""Checks that need the graph and event expansion: mistakes in recurrences
that parse fine but do not do what the contributor meant."""

from __future__ import annotations

import datetime as dt

from .diagnostics import Diagnostics
from .event_times import recurrence_plan, unmatched_excepts, zone_name
from .graph import Site


def check_recurrences(site: Site, diagnostics: Diagnostics) -> None:
    for event in site.events.values():
        if not event.recurrence:
            continue
        zone = zone_name(event, site)
        where = event.where("recurrence")
        for value in unmatched_excepts(event, zone):
            shown = value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else value.isoformat()
            diagnostics.warning(where, f"recurrence.except lists {shown}, but no session happens then.",
                                "Check the date against the rule (weekday, time); remove it if it is stale.")
        plan = recurrence_plan(event, zone)
        if plan is not None and plan.dtstart != event.start:
            diagnostics.warning(event.where("start"), f"The start ({event.start:%a %Y-%m-%d}) is not a day the repeat rule "
                                "picks; it is kept as an extra session.",
                                "Set `start` to the first real session, or add the day to the rule.")
