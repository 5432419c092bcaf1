"""What a new session of a series looks like, learnt from the sessions it already has.

Series files carry no weekday or time: the sessions do. `mlcsite new event
--series dlct` takes the most common weekday and start time of the series'
sessions, their usual length and the location of the latest one, and the next
date on that weekday that has no session yet. Every choice is reported back
(`SessionDefaults.explain`) so that nothing is guessed silently.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .content.models import Event, Series
from .graph import Site

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class SessionDefaults:
    weekday: int | None  # 0 = Monday; None when the series has no timed session yet
    time: dt.time | None
    duration: dt.timedelta | None
    location: Any  # as the latest session wrote it, or None
    number: int | None  # the next session number of a numbered series
    taken_dates: frozenset[dt.date]
    sessions: int  # how many sessions the defaults were learnt from
    has_papers: bool  # sessions usually discuss papers (a reading group)

    def next_free_date(self, after: dt.date) -> dt.date | None:
        """The first day after `after` on the usual weekday with no session yet."""
        if self.weekday is None:
            return None
        day = after + dt.timedelta(days=1)
        day += dt.timedelta(days=(self.weekday - day.weekday()) % 7)
        while day in self.taken_dates:
            day += dt.timedelta(days=7)
        return day

    def explain(self) -> str:
        if self.weekday is None or self.time is None:
            return "the series has no timed session yet, so the time is a placeholder"
        return (f"the usual {WEEKDAYS[self.weekday]} {self.time:%H:%M} of its "
                f"{self.sessions} session{'s' if self.sessions != 1 else ''}")


def learn_session_defaults(site: Site, series: Series) -> SessionDefaults:
    sessions = [e for e in site.sessions_by_series.get(series.slug, []) if not e.recurrence]
    timed = [e for e in sessions if isinstance(e.start, dt.datetime) and e.status != "cancelled"]
    slot = _most_common([(e.start.weekday(), e.start.time()) for e in timed])
    length = _most_common([_length(e) for e in timed if _length(e) is not None])
    located = [e for e in sessions if e.location]
    numbers = [e.number for e in sessions if e.number is not None]
    return SessionDefaults(
        weekday=slot[0] if slot else None,
        time=slot[1] if slot else None,
        duration=length,
        location=located[-1].location if located else None,
        number=(max(numbers) + 1 if numbers else 1) if series.numbered else None,
        taken_dates=frozenset(_date(e.start) for e in sessions),
        sessions=len(timed),
        has_papers=sum(bool(e.papers) for e in sessions) * 2 > len(sessions),
    )


def _most_common(values: list) -> Any:
    """The most frequent value; among equals, the one seen last (the newest habit)."""
    if not values:
        return None
    counts = Counter(values)
    best = max(counts.values())
    return [v for v in values if counts[v] == best][-1]


def _length(event: Event) -> dt.timedelta | None:
    if event.end is not None and isinstance(event.end, dt.datetime):
        return event.end - event.start
    return event.duration


def _date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
