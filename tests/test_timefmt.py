"""Times in words (render/timefmt.py): the strings visitors plan with."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from generator.content.models import Event
from generator.event_times import Occurrence
from generator.render.timefmt import (_long_date, _short_date, cadence_text, long_date, short_date, usual_slot_text,
                                      when_text, zone_label)


def at(text: str, zone: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def occurrence(start, end) -> Occurrence:
    event = Event(kind="events", slug="e", source="content/events/e.md", title="E", start=start)
    return Occurrence(event, start, end, start)


@pytest.mark.parametrize("moment, label", [
    (at("2026-12-04 10:00", "America/Los_Angeles"), "PST (UTC−8)"),
    (at("2026-07-03 10:00", "America/Los_Angeles"), "PDT (UTC−7)"),
    (at("2026-11-14 18:30", "Asia/Kolkata"), "IST (UTC+5:30)"),
    (at("2026-11-14 18:30", "Asia/Singapore"), "Singapore time (UTC+8)"),
    (at("2026-11-14 18:30", "America/Sao_Paulo"), "Sao Paulo time (UTC−3)"),
    (at("2026-11-14 18:30", "UTC"), "UTC"),
])
def test_zone_label_names_the_zone_and_its_offset(moment, label):
    assert zone_label(moment) == label


def test_an_event_across_a_clock_change_shows_both_offsets():
    start, end = at("2026-11-01 00:30", "America/Los_Angeles"), at("2026-11-01 03:00", "America/Los_Angeles")
    assert when_text(occurrence(start, end)) == "Sun 1 Nov 2026 · 00:30 PDT (UTC−7) – Sun 1 Nov 03:00 PST (UTC−8)"


def test_an_all_day_event_on_one_day():
    assert when_text(occurrence(dt.date(2027, 4, 26), dt.date(2027, 4, 27))) == "Mon 26 Apr 2027 (all day)"
    assert when_text(occurrence(dt.date(2026, 12, 31), dt.date(2027, 1, 2))) == "Thu 31 Dec 2026 – Fri 1 Jan 2027"


@pytest.mark.parametrize("rule, words", [
    ({"rule": "FREQ=WEEKLY;BYDAY=FR"}, "Every Friday"),
    ({"rule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE"}, "Every other Monday and Wednesday"),
    ({"rule": "FREQ=MONTHLY;BYDAY=-1FR", "until": dt.date(2027, 6, 30)},
     "Monthly, on the last Friday, until Wed 30 Jun 2027"),
    ({"rule": "FREQ=DAILY;INTERVAL=3"}, "Every 3 days"),
    ({"rule": "FREQ=MONTHLY;BYMONTHDAY=1,15;BYDAY=MO,TU"}, ""),  # beyond plain words: say nothing
    (None, ""),
])
def test_cadence_in_words(rule, words):
    assert cadence_text(rule) == words


def test_usual_slot_needs_most_sessions_to_agree():
    fridays = [at(f"2026-11-{d:02d} 10:00", "America/Los_Angeles") for d in (6, 13, 20, 27)]
    assert usual_slot_text(fridays) == "Usually Fridays at 10:00 Los Angeles time"
    assert usual_slot_text(fridays[:2]) == ""
    scattered = fridays[:2] + [at("2026-12-01 09:00", "America/Los_Angeles"), at("2026-12-02 09:00", "America/Los_Angeles")]
    assert usual_slot_text(scattered) == ""


def test_the_same_instant_shows_the_day_it_falls_on_in_each_zone():
    """Dates are memoized (timefmt._long_date): two aware datetimes of one instant
    are equal and hash alike, yet fall on different days in their zones. Each
    order of first use must give each zone's own day."""
    tokyo = at("2026-03-07 08:00", "Asia/Tokyo")
    los_angeles = tokyo.astimezone(ZoneInfo("America/Los_Angeles"))
    assert tokyo == los_angeles and hash(tokyo) == hash(los_angeles)
    for first, second in ((tokyo, los_angeles), (los_angeles, tokyo)):
        _long_date.cache_clear()
        _short_date.cache_clear()
        shown = {moment.tzinfo.key: (long_date(moment), short_date(moment)) for moment in (first, second)}
        assert shown == {"Asia/Tokyo": ("Sat 7 Mar 2026", "Sat 7 Mar"),
                         "America/Los_Angeles": ("Fri 6 Mar 2026", "Fri 6 Mar")}
    assert long_date(dt.date(2024, 2, 29)) == "Thu 29 Feb 2024"
