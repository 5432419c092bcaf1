"""Our VTIMEZONEs give zoneinfo's UTC offset at every instant of the years they cover.

A scratch site with one event per zone, repeating yearly from 2024 to 2028, is
built through the real CLI; each event.ics is then read by readers that share
no code with the writer: Mozilla's ical.js in Node (tests/js/offsets.mjs) and
icalendar / recurring-ical-events (with the TZID renamed, so that they cannot
fall back on their own copy of the tz database). Checked: every transition
zoneinfo knows in those years, one minute before and one minute after, and
random instants; both as "what offset is in force at this instant" and as "which
instant does this local wall time name".
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

JS = Path(__file__).resolve().parent / "js"
UTC = dt.timezone.utc
FIRST_YEAR, LAST_YEAR = 2024, 2028
START = dt.datetime(FIRST_YEAR, 1, 2, tzinfo=UTC)  # a day in: 1 January local may still be December in UTC
END = dt.datetime(LAST_YEAR, 12, 31, tzinfo=UTC)
MINUTE = dt.timedelta(minutes=1)
ZONES = {
    "los-angeles": "America/Los_Angeles",
    "new-york": "America/New_York",
    "sao-paulo": "America/Sao_Paulo",  # no DST since 2019
    "santiago": "America/Santiago",  # changes at 24:00 local
    "havana": "America/Havana",  # changes at midnight
    "st-johns": "America/St_Johns",  # -03:30
    "asuncion": "America/Asuncion",  # DST abolished in 2024
    "nuuk": "America/Nuuk",  # standard offset moved in 2023
    "london": "Europe/London",
    "dublin": "Europe/Dublin",  # "daylight" in winter in the tz database
    "berlin": "Europe/Berlin",
    "cairo": "Africa/Cairo",  # DST back since 2023
    "lagos": "Africa/Lagos",  # never changes
    "casablanca": "Africa/Casablanca",  # an hour back for Ramadan, moving each year
    "jerusalem": "Asia/Jerusalem",
    "gaza": "Asia/Gaza",  # Ramadan rules, on Saturdays
    "tehran": "Asia/Tehran",  # +03:30, DST abolished 2022
    "kolkata": "Asia/Kolkata",
    "kathmandu": "Asia/Kathmandu",  # +05:45
    "adelaide": "Australia/Adelaide",  # +09:30 / +10:30
    "sydney": "Australia/Sydney",
    "lord-howe": "Australia/Lord_Howe",  # half-hour DST
    "auckland": "Pacific/Auckland",
    "chatham": "Pacific/Chatham",  # +12:45 / +13:45
    "apia": "Pacific/Apia",  # no DST since 2021
    "troll": "Antarctica/Troll",  # two hours of DST
}


def transitions(tz: ZoneInfo) -> list[dt.datetime]:
    """UTC instants in [START, END] where the offset changes, to the minute: an
    hourly scan, then minute by minute through the hour that changed."""
    found, hour = [], dt.timedelta(hours=1)
    at = START
    while at < END:
        if at.astimezone(tz).utcoffset() != (at + hour).astimezone(tz).utcoffset():
            minute = at
            while minute.astimezone(tz).utcoffset() == at.astimezone(tz).utcoffset():
                minute += MINUTE
            found.append(minute)
        at += hour
    return found


def check_instants(tz: ZoneInfo, seed: str) -> list[dt.datetime]:
    near = [t + d for t in transitions(tz) for d in (-MINUTE, dt.timedelta(0), MINUTE)]
    rng = random.Random(seed)
    minutes = int((END - START) / MINUTE)  # whole minutes: wall times are written to the minute
    anywhere = [START + rng.randrange(minutes) * MINUTE for _ in range(150)]
    return sorted(near + anywhere)


def instants_naming(wall: dt.datetime, tz: ZoneInfo) -> set[dt.datetime]:
    """Both readings of a wall time that occurs twice; one otherwise."""
    return {wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)}


@pytest.fixture(scope="module")
def calendars(tmp_path_factory) -> dict[str, Path]:
    from conftest import ScratchSite
    site = ScratchSite(tmp_path_factory.mktemp("vtimezones") / "site")
    for slug, tzid in ZONES.items():
        site.write(f"content/events/{slug}.md", f"""
            ---
            title: Yearly in {tzid}
            start: {FIRST_YEAR}-01-15 12:00
            timezone: {tzid}
            recurrence: {{rule: "FREQ=YEARLY", until: {LAST_YEAR}-12-31}}
            ---
            """)
    result = site.cli("build", "--now", "2026-06-01T00:00:00Z")
    assert result.returncode == 0, result.output
    return {tzid: site.output / "events" / slug / "event.ics" for slug, tzid in ZONES.items()}


def test_the_zones_really_have_odd_rules():
    """The list must exercise what it claims: many transitions, and offsets off the hour."""
    tzs = [ZoneInfo(name) for name in ZONES.values()]
    assert sum(len(transitions(tz)) for tz in tzs) > 150
    assert len(transitions(ZoneInfo("Africa/Casablanca"))) >= 8
    assert transitions(ZoneInfo("Africa/Lagos")) == []


def test_every_vtimezone_covers_the_years_from_their_start(calendars):
    for tzid, path in calendars.items():
        (vtimezone,) = icalendar.Calendar.from_ical(path.read_bytes()).walk("VTIMEZONE")
        assert str(vtimezone["TZID"]) == tzid
        first = min(o["DTSTART"].dt for o in vtimezone.subcomponents)
        assert first <= dt.datetime(FIRST_YEAR, 1, 1), tzid
        assert str(vtimezone["COMMENT"]).endswith(f"to {LAST_YEAR + 1}-01-01.")


@pytest.mark.parametrize("tzid", ZONES.values())
@pytest.mark.browser  # needs Node (ical.js)
def test_icaljs_reads_zoneinfos_offsets_and_wall_times(calendars, tzid):
    tz = ZoneInfo(tzid)
    instants = check_instants(tz, tzid)
    walls = [i.astimezone(tz).replace(tzinfo=None) for i in instants]
    checks = {tzid: {"instants": [int(i.timestamp()) for i in instants],
                     "walls": [[w.year, w.month, w.day, w.hour, w.minute] for w in walls]}}
    assert (JS / "node_modules" / "ical.js").exists(), "Run `npm ci --prefix tests/js` first (.ci/run does)."
    result = subprocess.run(["node", str(JS / "offsets.mjs"), str(calendars[tzid])], input=json.dumps(checks),
                            capture_output=True, text=True, timeout=60, check=True)
    read = json.loads(result.stdout)[tzid]
    wrong = [(i, seconds, i.astimezone(tz).utcoffset()) for i, seconds in zip(instants, read["offsets"])
             if seconds is None or dt.timedelta(seconds=seconds) != i.astimezone(tz).utcoffset()]
    assert not wrong, f"{tzid}: ical.js offset differs at (instant, ical.js seconds, zoneinfo): {wrong[:5]}"
    misplaced = [(w, dt.datetime.fromtimestamp(s, UTC)) for w, s in zip(walls, read["instants"])
                 if dt.datetime.fromtimestamp(s, UTC) not in instants_naming(w, tz)]
    assert not misplaced, f"{tzid}: ical.js places these wall times elsewhere: {misplaced[:5]}"


@pytest.mark.parametrize("tzid", ZONES.values())
def test_icalendar_reads_zoneinfos_offsets(calendars, tzid):
    tz = ZoneInfo(tzid)
    (vtimezone,) = icalendar.Calendar.from_ical(calendars[tzid].read_bytes()).walk("VTIMEZONE")
    theirs = vtimezone.to_tz(lookup_tzid=False)  # decoded from the file, not from their tz database
    wrong = [(i, i.astimezone(theirs).utcoffset(), i.astimezone(tz).utcoffset())
             for i in check_instants(tz, tzid) if i.astimezone(theirs).utcoffset() != i.astimezone(tz).utcoffset()]
    assert not wrong, f"{tzid}: icalendar offset differs at (instant, icalendar, zoneinfo): {wrong[:5]}"


@pytest.mark.parametrize("tzid", ZONES.values())
def test_recurring_ical_events_places_wall_times_where_zoneinfo_does(calendars, tzid):
    """One event per checked wall time, in a copy of the file whose TZID no
    tz database knows: the VTIMEZONE alone says where each lands."""
    tz, renamed = ZoneInfo(tzid), f"X-Under-Test-{tzid}"  # one name per zone: icalendar caches by TZID
    text = calendars[tzid].read_text(encoding="utf-8")
    vtimezone = text[text.index("BEGIN:VTIMEZONE"):text.index("END:VTIMEZONE")].replace(
        f"TZID:{tzid}", f"TZID:{renamed}")
    head = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{vtimezone}END:VTIMEZONE\r\n"
    walls = sorted({i.astimezone(tz).replace(tzinfo=None) for i in check_instants(tz, tzid)})
    events = "".join(f"BEGIN:VEVENT\r\nUID:{n}\r\nDTSTAMP:20260101T000000Z\r\n"
                     f"DTSTART;TZID={renamed}:{w:%Y%m%dT%H%M%S}\r\nDURATION:PT1M\r\nEND:VEVENT\r\n"
                     for n, w in enumerate(walls))
    calendar = icalendar.Calendar.from_ical(head + events + "END:VCALENDAR\r\n")
    found = {int(e["UID"]): e["DTSTART"].dt for e in recurring_ical_events.of(calendar).between(
        START - dt.timedelta(days=2), END + dt.timedelta(days=2))}
    assert len(found) == len(walls)
    misplaced = [(w, found[n].astimezone(UTC)) for n, w in enumerate(walls)
                 if found[n].astimezone(UTC) not in instants_naming(w, tz)]
    assert not misplaced, f"{tzid}: these wall times land elsewhere: {misplaced[:5]}"


@pytest.mark.parametrize("tzid", ZONES.values())
def test_year_by_year_scans_find_what_one_scan_of_the_years_finds(tzid):
    """vtimezone() takes each year's changes from a per-year memo: the same
    onsets, to the second, as one scan from the first 1 January to the last."""
    from generator.render import vtimezone as vtz
    tz = ZoneInfo(tzid)
    for first, last in ((2019, 2021), (FIRST_YEAR, LAST_YEAR), (1995, 1995)):
        whole = vtz.onsets(tz, vtz.year_start(tz, first), vtz.year_start(tz, last + 1))
        assert [o for year in range(first, last + 1) for o in vtz.onsets_of_year(tzid, year)] == whole
        start = vtz.year_start(tz, first)
        earlier = vtz.onsets(tz, start - vtz.LOOKBACK, start)
        plain = vtz.Onset(start, vtz.clock_at(tz, start), vtz.clock_at(tz, start))
        assert vtz.onset_in_force(tzid, first) == (earlier[-1] if earlier else plain)
