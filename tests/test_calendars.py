"""The .ics files as subscribers' apps read them.

A scratch site is built through the real CLI; every calendar is parsed with
`icalendar`, expanded with `recurring_ical_events`, and also expanded by
Mozilla's ical.js in Node (tests/js), which trusts only the file's own
VTIMEZONEs. Both must give the instants computed here from zoneinfo.

Refresh the golden file after an intended change:
    UPDATE_GOLDENS=1 .venv/bin/python -m pytest tests/test_calendars.py -k golden
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

TESTS = Path(__file__).resolve().parent
JS = TESTS / "js"
GOLDEN = TESTS / "golden" / "calendar-reading-group.ics"
UTC = dt.timezone.utc
WINDOW = (dt.datetime(2025, 1, 1, tzinfo=UTC), dt.datetime(2029, 1, 1, tzinfo=UTC))
NOW = "2026-06-01T12:00:00Z"

SITE_FILES = {
    "content/members/ada.yaml": """
        name: Ada Lovelace
        links:
          email: ada@example.org
        """,
    "content/series/reading.yaml": """
        title: "Reading Group: Old and New"
        short: RG
        timezone: America/Los_Angeles
        organizers: [ada]
        join: {url: "https://example.org/join", note: "Open to all."}
        body: A weekly reading group.
        """,
    "content/series/jam.yaml": """
        title: Jam
        organizers: [{name: Grace Hopper}]
        """,
    "content/series/empty.yaml": """
        title: Nothing scheduled yet
        """,
    "content/events/weekly.md": """
        ---
        title: Weekly reading
        series: reading
        start: 2026-02-27 10:00
        duration: 1h
        recurrence: {rule: "FREQ=WEEKLY;BYDAY=FR", until: 2026-11-13}
        speakers: [ada]
        papers:
          - {title: "Attention, Again", url: "https://arxiv.org/abs/1", authors: "A. Author"}
        tags: [papers]
        ---
        Bring **questions**; see [the wiki](/wiki/) and <https://example.org/x>.
        """,
    "content/events/monthly.md": """
        ---
        title: Monthly town hall
        start: 2026-01-08 09:00
        recurrence:
          rule: "FREQ=MONTHLY;BYDAY=2TH"
          count: 8
          except: [2026-03-12]
          extra: ["2026-03-19 09:00"]
        location: {name: "Online (Zoom)", url: "https://example.org/zoom"}
        ---
        Monthly.
        """,
    "content/events/kolkata.md": """
        ---
        title: Delhi meetup
        start: 2026-11-14 18:30
        duration: 2h
        timezone: Asia/Kolkata
        ---
        """,
    "content/events/lord-howe.md": """
        ---
        title: Island seminar
        start: 2026-03-29 10:00
        timezone: Australia/Lord_Howe
        recurrence: {rule: "FREQ=WEEKLY;BYDAY=SU", until: 2027-04-11}
        ---
        """,
    "content/events/conference.md": """
        ---
        title: Conference, three days
        start: 2026-12-10
        end: 2026-12-12
        timezone: Asia/Singapore
        status: tentative
        ---
        """,
    "content/events/night-hack.md": """
        ---
        title: Night hack
        series: jam
        start: 2026-12-18 22:30
        duration: 3h
        timezone: Europe/Berlin
        ---
        """,
    "content/events/cancelled-session.md": """
        ---
        title: A session that will not happen
        series: reading
        start: 2026-12-04 10:00
        status: cancelled
        ---
        Cancelled: the speaker is travelling.
        """,
}
CALENDAR_URLS = ("calendar.ics", "series/reading/calendar.ics", "series/jam/calendar.ics", *(
    f"events/{Path(name).stem}/event.ics" for name in SITE_FILES if name.startswith("content/events/")))


def wall(day: dt.date, hour: int, minute: int, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def every(first: dt.date, last: dt.date, step: dt.timedelta) -> list[dt.date]:
    days = []
    while first <= last:
        days.append(first)
        first += step
    return days


def expected_occurrences() -> dict[str, list[tuple]]:
    """UID → [(start, end)] in UTC (dates for all-day), from zoneinfo."""
    la, week = "America/Los_Angeles", dt.timedelta(weeks=1)
    monthly_days = [dt.date(2026, 1, 8), dt.date(2026, 2, 12), dt.date(2026, 3, 19), dt.date(2026, 4, 9),
                    dt.date(2026, 5, 14), dt.date(2026, 6, 11), dt.date(2026, 7, 9), dt.date(2026, 8, 13)]
    hour = dt.timedelta(hours=1)
    return {
        "events-weekly@mlcollective.org": [(wall(d, 10, 0, la), wall(d, 10, 0, la) + hour)
                                           for d in every(dt.date(2026, 2, 27), dt.date(2026, 11, 13), week)],
        # count 8 counts the excepted 12 March; the extra 19 March is added on top
        "events-monthly@mlcollective.org": [(wall(d, 9, 0, la), wall(d, 9, 0, la) + hour) for d in monthly_days],
        "events-kolkata@mlcollective.org": [(dt.datetime(2026, 11, 14, 13, 0, tzinfo=UTC),
                                             dt.datetime(2026, 11, 14, 15, 0, tzinfo=UTC))],
        "events-lord-howe@mlcollective.org": [
            (wall(d, 10, 0, "Australia/Lord_Howe"), wall(d, 10, 0, "Australia/Lord_Howe") + hour)
            for d in every(dt.date(2026, 3, 29), dt.date(2027, 4, 11), week)],  # three DST changes
        "events-conference@mlcollective.org": [(dt.date(2026, 12, 10), dt.date(2026, 12, 13))],
        "events-night-hack@mlcollective.org": [(dt.datetime(2026, 12, 18, 21, 30, tzinfo=UTC),
                                                dt.datetime(2026, 12, 19, 0, 30, tzinfo=UTC))],
        "events-cancelled-session@mlcollective.org": [(dt.datetime(2026, 12, 4, 18, 0, tzinfo=UTC),
                                                       dt.datetime(2026, 12, 4, 19, 0, tzinfo=UTC))],
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """The scratch site built twice, into two folders."""
    from conftest import ScratchSite  # the helper behind make_site, for a module-wide site
    site = ScratchSite(tmp_path_factory.mktemp("calendars") / "site")
    for rel, text in SITE_FILES.items():
        site.write(rel, text)
    outputs = []
    for name in ("first", "second"):
        out = site.root / name
        result = site.cli("build", "--out", str(out), "--now", NOW)
        assert result.returncode == 0, result.output
        outputs.append(out)
    return outputs[0], outputs[1]


def python_expansion(path: Path) -> list[tuple]:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    found = []
    for event in recurring_ical_events.of(calendar).between(*WINDOW):
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        if isinstance(start, dt.datetime):
            start, end = start.astimezone(UTC), end.astimezone(UTC)
        found.append((str(event["UID"]), start, end))
    return sorted(found, key=lambda row: (row[0], str(row[1])))


def icaljs_expansion(paths: list[Path]) -> dict[str, list[tuple]]:
    node_modules = JS / "node_modules" / "ical.js"
    assert node_modules.exists(), "Run `npm ci --prefix tests/js` first (.ci/run does)."
    window = [w.isoformat().replace("+00:00", "Z") for w in WINDOW]
    result = subprocess.run(["node", str(JS / "expand.mjs"), *window, *map(str, paths)],
                            capture_output=True, text=True, timeout=60, check=True)
    parsed = json.loads(result.stdout)
    return {path: sorted(((row["uid"], _js_time(row["start"]), _js_time(row["end"])) for row in rows),
                         key=lambda row: (row[0], str(row[1])))
            for path, rows in parsed.items()}


def _js_time(text: str):
    if "T" not in text:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def flatten(expected: dict[str, list[tuple]], uids) -> list[tuple]:
    rows = [(uid, start, end) for uid in uids for start, end in expected[uid]]
    return sorted(rows, key=lambda row: (row[0], str(row[1])))


@pytest.mark.browser
def test_both_clients_expand_every_calendar_to_the_zoneinfo_instants(built):
    out, _ = built
    expected = expected_occurrences()
    series_uids = ["events-weekly@mlcollective.org", "events-cancelled-session@mlcollective.org"]
    wanted = {"calendar.ics": list(expected), "series/reading/calendar.ics": series_uids,
              "series/jam/calendar.ics": ["events-night-hack@mlcollective.org"]}
    for url in CALENDAR_URLS:
        if url.startswith("events/"):
            wanted[url] = [f"events-{url.split('/')[1]}@mlcollective.org"]
    by_js = icaljs_expansion([out / url for url in CALENDAR_URLS])
    for url, uids in wanted.items():
        want = flatten(expected, uids)
        assert python_expansion(out / url) == want, url
        assert by_js[str(out / url)] == want, url


def test_weekly_session_is_18z_in_winter_and_17z_in_summer(built):
    out, _ = built
    starts = {row[1] for row in python_expansion(out / "series/reading/calendar.ics")}
    assert dt.datetime(2026, 3, 6, 18, 0, tzinfo=UTC) in starts
    assert dt.datetime(2026, 3, 13, 17, 0, tzinfo=UTC) in starts
    assert dt.datetime(2026, 10, 30, 17, 0, tzinfo=UTC) in starts
    assert dt.datetime(2026, 11, 6, 18, 0, tzinfo=UTC) in starts


def test_recurrence_is_written_as_rfc_5545_asks(built):
    out, _ = built
    text = (out / "events/weekly/event.ics").read_bytes().decode()
    unfolded = text.replace("\r\n ", "")
    # UNTIL in UTC when DTSTART has a TZID: the end of 13 November in Los Angeles (PST)
    assert "RRULE:FREQ=WEEKLY;UNTIL=20261114T075959Z;BYDAY=FR\r\n" in unfolded
    assert "DTSTART;TZID=America/Los_Angeles:20260227T100000\r\n" in unfolded
    monthly = (out / "events/monthly/event.ics").read_bytes().decode()
    assert "EXDATE;TZID=America/Los_Angeles:20260312T090000\r\n" in monthly
    assert "RDATE;TZID=America/Los_Angeles:20260319T090000\r\n" in monthly
    conference = (out / "events/conference/event.ics").read_bytes().decode()
    assert "DTSTART;VALUE=DATE:20261210\r\n" in conference
    assert "DTEND;VALUE=DATE:20261213\r\n" in conference  # exclusive: the SPEC's `end` is the last day


def test_events_carry_what_a_subscriber_needs(built):
    out, _ = built
    calendar = icalendar.Calendar.from_ical((out / "calendar.ics").read_bytes())
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    weekly = events["events-weekly@mlcollective.org"]
    assert str(weekly["URL"]) == "https://example.org/events/weekly/"
    assert str(weekly["STATUS"]) == "CONFIRMED"
    assert weekly["CATEGORIES"].cats == ["RG", "papers"]
    assert str(weekly["ORGANIZER"]) == "mailto:ada@example.org"
    assert weekly["ORGANIZER"].params["CN"] == "Ada Lovelace"
    description = str(weekly["DESCRIPTION"])
    for part in ("Speaker: Ada Lovelace", "- Attention, Again — A. Author", "https://arxiv.org/abs/1",
                 "Join: https://example.org/join", "Bring questions; see the wiki (https://example.org/wiki/)",
                 "Event page: https://example.org/events/weekly/"):
        assert part in description
    assert "**" not in description and "<" not in description
    cancelled = events["events-cancelled-session@mlcollective.org"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["SUMMARY"]) == "Cancelled: A session that will not happen"
    assert "Join:" not in str(cancelled["DESCRIPTION"])
    assert str(events["events-conference@mlcollective.org"]["STATUS"]) == "TENTATIVE"
    assert str(events["events-monthly@mlcollective.org"]["LOCATION"]) == "Online (Zoom), https://example.org/zoom"
    # RFC 5546 PUBLISH wants an organizer: without an email address, the series page
    # (a CAL-ADDRESS is any URI); without series organizers, the site itself.
    hack = events["events-night-hack@mlcollective.org"]["ORGANIZER"]
    assert (str(hack), hack.params["CN"]) == ("https://example.org/series/jam/", "Grace Hopper")
    kolkata = events["events-kolkata@mlcollective.org"]["ORGANIZER"]
    assert (str(kolkata), kolkata.params["CN"]) == ("https://example.org/", "Test Collective")


def test_a_series_without_events_is_still_a_valid_calendar(built):
    out, _ = built
    calendar = icalendar.Calendar.from_ical((out / "series/empty/calendar.ics").read_bytes())
    assert calendar.walk("VEVENT") == []
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Los_Angeles"]


def test_calendar_properties_name_the_site(built):
    out, _ = built
    names = {"calendar.ics": "Test Collective — Events",
             "series/reading/calendar.ics": "Test Collective — Reading Group: Old and New",
             "events/kolkata/event.ics": "Test Collective — Delhi meetup"}
    for url, name in names.items():
        calendar = icalendar.Calendar.from_ical((out / url).read_bytes())
        assert str(calendar["X-WR-CALNAME"]) == name and str(calendar["NAME"]) == name
        assert str(calendar["VERSION"]) == "2.0" and str(calendar["METHOD"]) == "PUBLISH"
        assert str(calendar["CALSCALE"]) == "GREGORIAN" and str(calendar["PRODID"])
        assert str(calendar["X-WR-TIMEZONE"]) == "America/Los_Angeles"
        text = (out / url).read_bytes().decode()
        assert "REFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n" in text and "X-PUBLISHED-TTL:PT12H\r\n" in text


def test_every_tzid_used_has_its_vtimezone(built):
    out, _ = built
    for url in CALENDAR_URLS:
        data = (out / url).read_bytes()
        calendar = icalendar.Calendar.from_ical(data)
        used = set(re.findall(r";TZID=([^:;]+)", data.decode().replace("\r\n ", "")))
        defined = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
        assert used == defined, url
        assert calendar.get_missing_tzids() == set(), url
    main = icalendar.Calendar.from_ical((out / "calendar.ics").read_bytes())
    assert {str(tz["TZID"]) for tz in main.walk("VTIMEZONE")} == {
        "America/Los_Angeles", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/Berlin"}


def test_uids_are_unique_and_the_same_in_every_file_and_build(built):
    first, second = built
    uids_by_file = {}
    for out in (first, second):
        for url in CALENDAR_URLS:
            calendar = icalendar.Calendar.from_ical((out / url).read_bytes())
            uids = [str(e["UID"]) for e in calendar.walk("VEVENT")]
            assert len(uids) == len(set(uids)), url
            uids_by_file.setdefault(url, uids)
            assert uids_by_file[url] == uids
    everything = set(uids_by_file["calendar.ics"])
    assert set(uids_by_file["series/reading/calendar.ics"]) <= everything
    for url in CALENDAR_URLS:
        if url.startswith("events/"):
            assert uids_by_file[url] == [f"events-{url.split('/')[1]}@mlcollective.org"]


def test_files_are_byte_identical_across_builds_with_crlf_and_folded_lines(built):
    first, second = built
    for url in CALENDAR_URLS:
        data = (first / url).read_bytes()
        assert data == (second / url).read_bytes(), url
        assert data.endswith(b"END:VCALENDAR\r\n")
        lines = data.split(b"\r\n")[:-1]
        assert all(b"\n" not in line and b"\r" not in line for line in lines), url
        assert max(len(line) for line in lines) <= 75, url
        data.decode("utf-8")  # folding never splits a character


def test_the_series_calendar_matches_its_golden_file(built):
    """Bytes that subscribers' apps store: any change here must be deliberate."""
    data = (built[0] / "series/reading/calendar.ics").read_bytes()
    if os.environ.get("UPDATE_GOLDENS"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_bytes(data)
    assert data == GOLDEN.read_bytes(), "Refresh with: UPDATE_GOLDENS=1 .venv/bin/python -m pytest " \
                                        "tests/test_calendars.py -k golden (and review the diff)"


@pytest.mark.browser
def test_the_sample_sites_calendars_parse_and_expand(sample_build):
    urls = ["calendar.ics", *sorted(p.relative_to(sample_build).as_posix()
                                    for p in sample_build.glob("*/*/*.ics"))]
    assert "series/dlct/calendar.ics" in urls and "events/town-hall/event.ics" in urls
    by_js = icaljs_expansion([sample_build / url for url in urls])
    for url in urls:
        by_python = python_expansion(sample_build / url)
        assert by_python, url
        assert by_js[str(sample_build / url)] == by_python, url
    town_hall = [row for row in python_expansion(sample_build / "calendar.ics")
                 if row[0] == "events-town-hall@mlcollective.org"]
    starts = [row[1] for row in town_hall]
    assert dt.datetime(2026, 7, 16, 16, 0, tzinfo=UTC) in starts  # the extra date, 09:00 PDT
    assert not any(s.date() == dt.date(2026, 7, 9) for s in starts)  # the exception


def test_an_open_ended_rule_covers_the_horizon_and_depends_on_the_clock(make_site):
    from generator.pipeline import Options, plan_site
    site = make_site({"content/events/forever.md": """
        ---
        title: Forever weekly
        start: 2026-01-02 10:00
        recurrence: {rule: "FREQ=WEEKLY;BYDAY=FR"}
        ---
        """, "content/events/once.md": """
        ---
        title: Once
        start: 2026-01-03 10:00
        ---
        """})
    plan = plan_site(Options(root=site.root, now=dt.datetime(2026, 6, 1, tzinfo=UTC)))
    inputs = {o.url: o.inputs for o in plan.outputs if o.kind == "calendar"}
    assert "clock" in inputs["/events/forever/event.ics"] and "clock" in inputs["/calendar.ics"]
    assert inputs["/events/once/event.ics"] == {"content/events/once.md", "site.yaml"}
    result = site.cli("build", "--now", "2026-06-01T00:00:00Z")
    assert result.returncode == 0, result.output
    calendar = icalendar.Calendar.from_ical((site.output / "events/forever/event.ics").read_bytes())
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert str(vtimezone["COMMENT"]) == "This timezone only works from 2026-01-01 to 2029-01-01."
    assert "UNTIL" not in calendar.walk("VEVENT")[0]["RRULE"]  # subscribers' apps repeat it for ever


def test_a_calendar_made_of_serialized_components_is_what_icalendar_writes(built):
    """calendars.with_components splices each VEVENT's and VTIMEZONE's bytes (made
    once per build) into a calendar: the same bytes as icalendar writing the whole."""
    from generator.render.calendars import with_components
    paths = sorted(built[0].rglob("*.ics"))
    assert len(paths) > 3
    for path in paths:
        parsed = icalendar.Calendar.from_ical(path.read_bytes())
        whole = parsed.to_ical()
        assert whole == path.read_bytes(), path  # what we publish is icalendar's writing of it
        parts = [component.to_ical() for component in parsed.subcomponents]
        parsed.subcomponents = []
        assert with_components(parsed, parts) == whole, path
