"""Recurrence expansion: the instants pages, feeds and calendars all rely on.

Expectations are computed here from zoneinfo (the tz database), or written out
as literals where a human can check them against a world clock.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from generator.content.fields import Ref
from generator.content.models import Event, Series
from generator.event_times import (HORIZON, as_utc, is_past, localize, next_occurrence, occurrences,
                                   recurrence_plan, site_occurrences, unmatched_excepts, zone_name)
from generator.graph import Site
from generator.settings import Settings

UTC = dt.timezone.utc
LA = "America/Los_Angeles"
NOW = dt.datetime(2026, 1, 1, tzinfo=UTC)


def make_event(start, *, slug="session", end=None, duration=None, recurrence=None, **fields) -> Event:
    return Event(kind="events", slug=slug, source=f"content/events/{slug}.md", title=slug.title(), start=start,
                 end=end, duration=duration, recurrence=recurrence, **fields)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def local_to_utc(day: dt.date, at: dt.time, zone: str) -> dt.datetime:
    """The oracle: a wall time in a zone, as zoneinfo reads it, in UTC."""
    return dt.datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def starts(event: Event, zone: str = LA, now: dt.datetime = NOW) -> list:
    return [o.start_utc() if not o.all_day else o.start for o in occurrences(event, zone, now)]


def fridays(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def test_weekly_session_keeps_its_local_time_across_both_us_dst_changes():
    event = make_event(dt.datetime(2026, 2, 27, 10, 0), recurrence={"rule": "FREQ=WEEKLY;BYDAY=FR",
                                                                      "until": dt.date(2026, 11, 13)})
    found = starts(event)
    days = fridays(dt.date(2026, 2, 27), dt.date(2026, 11, 13))
    assert found == [local_to_utc(day, dt.time(10), LA) for day in days]
    by_day = dict(zip(days, found))
    assert by_day[dt.date(2026, 3, 6)] == utc(2026, 3, 6, 18)  # PST: before 8 March
    assert by_day[dt.date(2026, 3, 13)] == utc(2026, 3, 13, 17)  # PDT
    assert by_day[dt.date(2026, 10, 30)] == utc(2026, 10, 30, 17)  # still PDT
    assert by_day[dt.date(2026, 11, 6)] == utc(2026, 11, 6, 18)  # PST from 1 November
    assert all(o.end_utc() - o.start_utc() == dt.timedelta(hours=1) for o in occurrences(event, LA, NOW))


def test_until_is_an_inclusive_local_date():
    rule = "FREQ=WEEKLY;BYDAY=FR"
    on_the_day = make_event(dt.datetime(2026, 3, 6, 23, 30), recurrence={"rule": rule, "until": dt.date(2026, 3, 20)})
    day_before = make_event(dt.datetime(2026, 3, 6, 23, 30), recurrence={"rule": rule, "until": dt.date(2026, 3, 19)})
    assert [o.start.date() for o in occurrences(on_the_day, LA, NOW)] == fridays(dt.date(2026, 3, 6), dt.date(2026, 3, 20))
    assert [o.start.date() for o in occurrences(day_before, LA, NOW)] == fridays(dt.date(2026, 3, 6), dt.date(2026, 3, 13))
    # In the .ics, the end of 20 March in Los Angeles (PDT) is 21 March 06:59:59Z.
    plan = recurrence_plan(on_the_day, LA)
    assert localize(plan.until, LA).astimezone(UTC) == utc(2026, 3, 21, 6, 59, 59)


def test_count_counts_occurrences_including_the_start():
    event = make_event(dt.datetime(2026, 1, 2, 10, 0), recurrence={"rule": "FREQ=WEEKLY;BYDAY=FR", "count": 3})
    assert starts(event) == [local_to_utc(dt.date(2026, 1, d), dt.time(10), LA) for d in (2, 9, 16)]


def test_count_written_inside_the_rule_text_is_honoured():
    event = make_event(dt.datetime(2026, 1, 2, 10, 0), recurrence={"rule": "FREQ=WEEKLY;BYDAY=FR;COUNT=2"})
    assert len(occurrences(event, LA, NOW)) == 2


def test_a_start_off_the_rule_is_the_first_occurrence_and_counts():
    # Thursday 1 January, rule on Fridays: Thursday, then two Fridays.
    event = make_event(dt.datetime(2026, 1, 1, 10, 0), recurrence={"rule": "FREQ=WEEKLY;BYDAY=FR", "count": 3})
    assert [o.start.date() for o in occurrences(event, LA, NOW)] == [
        dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 9)]
    plan = recurrence_plan(event, LA)
    assert plan.dtstart == dt.datetime(2026, 1, 2, 10, 0) and plan.count == 2
    assert plan.added == (dt.datetime(2026, 1, 1, 10, 0),)


def test_monthly_rule_with_a_date_exception_and_an_extra_date():
    event = make_event(dt.datetime(2026, 1, 8, 9, 0), recurrence={
        "rule": "FREQ=MONTHLY;BYDAY=2TH", "until": dt.date(2026, 9, 30),
        "except": [dt.date(2026, 7, 9)], "extra": [dt.datetime(2026, 7, 16, 9, 0)]})
    days = [dt.date(2026, 1, 8), dt.date(2026, 2, 12), dt.date(2026, 3, 12), dt.date(2026, 4, 9),
            dt.date(2026, 5, 14), dt.date(2026, 6, 11), dt.date(2026, 7, 16), dt.date(2026, 8, 13),
            dt.date(2026, 9, 10)]
    assert starts(event) == [local_to_utc(day, dt.time(9), LA) for day in days]
    assert unmatched_excepts(event, LA) == []


def test_except_with_a_date_time_removes_only_that_occurrence():
    event = make_event(dt.datetime(2026, 1, 5, 9, 0), recurrence={
        "rule": "FREQ=DAILY;BYHOUR=9,15", "count": 6, "except": [dt.datetime(2026, 1, 6, 15, 0)]})
    assert [o.start.replace(tzinfo=None) for o in occurrences(event, LA, NOW)] == [
        dt.datetime(2026, 1, 5, 9), dt.datetime(2026, 1, 5, 15), dt.datetime(2026, 1, 6, 9),
        dt.datetime(2026, 1, 7, 9), dt.datetime(2026, 1, 7, 15)]


def test_a_session_moved_within_its_day_keeps_the_moved_time():
    event = make_event(dt.datetime(2026, 1, 2, 10, 0), recurrence={
        "rule": "FREQ=WEEKLY;BYDAY=FR", "count": 3, "except": [dt.date(2026, 1, 9)],
        "extra": [dt.datetime(2026, 1, 9, 15, 0), dt.date(2026, 1, 20)]})
    assert [o.start.replace(tzinfo=None) for o in occurrences(event, LA, NOW)] == [
        dt.datetime(2026, 1, 2, 10), dt.datetime(2026, 1, 9, 15), dt.datetime(2026, 1, 16, 10),
        dt.datetime(2026, 1, 20, 10)]  # a date-only extra is at the event's own start time


def test_an_exception_that_matches_nothing_is_reported():
    event = make_event(dt.datetime(2026, 1, 2, 10, 0), recurrence={
        "rule": "FREQ=WEEKLY;BYDAY=FR", "count": 4, "except": [dt.date(2026, 1, 8), dt.date(2026, 1, 9)]})
    assert unmatched_excepts(event, LA) == [dt.date(2026, 1, 8)]


def test_all_day_rule_gives_dates_with_exclusive_ends():
    event = make_event(dt.date(2026, 12, 10), end=dt.date(2026, 12, 11),
                       recurrence={"rule": "FREQ=YEARLY", "count": 3, "except": [dt.date(2027, 12, 10)]})
    found = occurrences(event, "Asia/Singapore", NOW)
    assert [(o.start, o.end) for o in found] == [
        (dt.date(2026, 12, 10), dt.date(2026, 12, 12)), (dt.date(2028, 12, 10), dt.date(2028, 12, 12))]
    assert all(o.all_day for o in found)


def test_an_all_day_event_begins_and_ends_at_midnight_in_its_own_zone():
    event = make_event(dt.date(2027, 4, 26), end=dt.date(2027, 4, 27))
    (occurrence,) = occurrences(event, "Asia/Singapore", NOW)
    assert occurrence.start_utc() == utc(2027, 4, 25, 16)  # midnight in Singapore (+08:00)
    assert occurrence.end_utc() == utc(2027, 4, 27, 16)
    assert not is_past(occurrence, utc(2027, 4, 27, 15, 59))
    assert is_past(occurrence, utc(2027, 4, 27, 16))


def test_a_time_in_the_spring_gap_is_read_with_the_offset_before_it():
    # 02:30 does not exist in Los Angeles on 8 March 2026: RFC 5545 reads it as
    # 02:30 PST = 10:30Z, which is 03:30 PDT on the clock.
    event = make_event(dt.datetime(2026, 3, 1, 2, 30), recurrence={"rule": "FREQ=WEEKLY", "count": 3})
    found = occurrences(event, LA, NOW)
    assert [o.start_utc() for o in found] == [utc(2026, 3, 1, 10, 30), utc(2026, 3, 8, 10, 30),
                                              utc(2026, 3, 15, 9, 30)]
    assert found[1].start.hour == 3 and found[1].start.minute == 30  # pages show the real wall time


def test_a_time_in_the_autumn_fold_means_the_first_of_the_two():
    event = make_event(dt.datetime(2026, 11, 1, 1, 30))
    (occurrence,) = occurrences(event, LA, NOW)
    assert occurrence.start_utc() == utc(2026, 11, 1, 8, 30)  # 01:30 PDT, not 01:30 PST
    assert occurrence.end_utc() == utc(2026, 11, 1, 10, 30)  # 02:30 PST: two real hours


def test_every_occurrence_lasts_as_long_as_the_first_even_across_a_dst_change():
    # Saturdays 23:00 for four wall-clock hours; on 31 October the clocks fall back mid-event.
    event = make_event(dt.datetime(2026, 10, 24, 23, 0), duration=dt.timedelta(hours=4),
                       recurrence={"rule": "FREQ=WEEKLY", "count": 3})
    found = occurrences(event, LA, NOW)
    assert [o.end_utc() - o.start_utc() for o in found] == [dt.timedelta(hours=4)] * 3
    assert found[1].end.replace(tzinfo=None) == dt.datetime(2026, 11, 1, 2, 0)  # PST wall clock


def test_lord_howe_half_hour_dst_change():
    zone = "Australia/Lord_Howe"
    event = make_event(dt.datetime(2026, 3, 29, 10, 0), recurrence={"rule": "FREQ=WEEKLY", "until": dt.date(2026, 4, 12)})
    # Sundays; the clocks go from +11:00 back to +10:30 at 02:00 on Sunday 5 April.
    assert starts(event, zone) == [utc(2026, 3, 28, 23), utc(2026, 4, 4, 23, 30), utc(2026, 4, 11, 23, 30)]


def test_kolkata_has_a_fixed_half_hour_offset():
    event = make_event(dt.datetime(2026, 11, 14, 18, 30), duration=dt.timedelta(hours=2))
    (occurrence,) = occurrences(event, "Asia/Kolkata", NOW)
    assert (occurrence.start_utc(), occurrence.end_utc()) == (utc(2026, 11, 14, 13), utc(2026, 11, 14, 15))


def test_an_open_ended_rule_stops_at_the_horizon_but_keeps_extras():
    far = dt.datetime(2031, 6, 6, 10, 0)
    event = make_event(dt.datetime(2026, 1, 2, 10, 0), recurrence={"rule": "FREQ=WEEKLY", "extra": [far]})
    found = occurrences(event, LA, NOW)
    assert found[-1].start.replace(tzinfo=None) == far
    assert found[-2].start_utc() <= NOW + HORIZON < found[-2].start_utc() + dt.timedelta(weeks=1)
    assert recurrence_plan(event, LA).open_ended


def test_past_and_next_occurrence_use_the_end_in_utc():
    series = Series(kind="series", slug="rg", source="content/series/rg.yaml", title="RG", timezone="Asia/Kolkata")
    event = make_event(dt.datetime(2026, 1, 2, 10, 0), series=Ref("series", "rg", None),
                       recurrence={"rule": "FREQ=WEEKLY", "count": 3})
    site = Site(settings=Settings(title="T", base_url="https://example.org/", timezone=LA),
                series={"rg": series}, events={"session": event})
    assert zone_name(event, site) == "Asia/Kolkata"
    during_second = local_to_utc(dt.date(2026, 1, 9), dt.time(10, 30), "Asia/Kolkata")
    found = [o for o in site_occurrences(site, during_second) if not is_past(o, during_second)]
    assert [o.start.date() for o in found] == [dt.date(2026, 1, 9), dt.date(2026, 1, 16)]
    assert next_occurrence(occurrences(event, "Asia/Kolkata", NOW), during_second) == found[0]
    assert as_utc(dt.date(2026, 1, 1), "Asia/Kolkata") == utc(2025, 12, 31, 18, 30)
