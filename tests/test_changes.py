"""`mlcsite diff OLD NEW`: the change report a reviewer reads on a pull request,
from two real builds of a scratch site, with calendars read back by icalendar."""

from __future__ import annotations

import shutil

import pytest

CLOCK = {"SOURCE_DATE_EPOCH": "1795780800"}  # Fri 27 Nov 2026 12:00 UTC

SERIES = """\
title: "Deep Learning: Classics and Trends"
short: DLCT
timezone: America/Los_Angeles
join:
  url: https://example.org/dlct
"""


def session(title: str, start: str, extra: str = "") -> str:
    return f'---\ntitle: "{title}"\nseries: dlct\nstart: {start}\n{extra}---\nAbout it.\n'


@pytest.fixture
def before(make_site):
    site = make_site({
        "content/series/dlct.yaml": SERIES,
        "content/members/ada.yaml": "name: Ada\nrole: Host\n",
        "content/events/dlct-2027-01-08.md": session("DLCT: Old Classics", "2027-01-08 10:00"),
        "content/events/dlct-2026-12-11.md": session("DLCT: Sparse Things", "2026-12-11 10:00"),
        "content/events/jam.md": ('---\ntitle: Jam\nstart: 2026-12-03 09:00\nlocation: Online\n'
                                  'recurrence: {rule: "FREQ=WEEKLY;BYDAY=TH", count: 4}\n---\n'),
    })
    result = site.cli("build", "--out", str(site.root / "old"), env=CLOCK)
    assert result.returncode == 0, result.output
    return site


def rebuild(site) -> None:
    result = site.cli("build", "--out", str(site.root / "new"), env=CLOCK)
    assert result.returncode == 0, result.output


def test_a_session_added_moved_and_cancelled_is_told_in_plain_words(before):
    site = before
    site.write("content/events/dlct-2027-01-15.md", session("DLCT: New Paper", "2027-01-15 10:00"))
    site.write("content/events/dlct-2027-01-08.md", session("DLCT: Old Classics", "2027-01-08 11:00"))
    site.write("content/events/dlct-2026-12-11.md", session("DLCT: Sparse Things", "2026-12-11 10:00",
                                                            "status: cancelled\n"))
    rebuild(site)
    result = site.cli("diff", "old", "new")
    assert result.returncode == 0, result.output
    text = result.stdout
    assert "  Adds 1 page: /events/dlct-2027-01-15/\n" in text
    assert "  Adds 1 calendar: /events/dlct-2027-01-15/event.ics\n" in text
    assert ("  Changes 4 calendars: /calendar.ics, /events/dlct-2026-12-11/event.ics, "
            "/events/dlct-2027-01-08/event.ics, /series/dlct/calendar.ics\n") in text
    events = text.split("Calendar events:\n\n")[1].split("\n\n")[0].splitlines()
    assert events == [
        '  Cancels "DLCT: Sparse Things" on Fri 11 Dec 2026 10:00–11:00 PST '
        "(in /calendar.ics, /events/dlct-2026-12-11/event.ics, /series/dlct/calendar.ics)",
        '  Moves "DLCT: Old Classics" on Fri 8 Jan 2027 from 10:00 to 11:00 PST '
        "(in /calendar.ics, /events/dlct-2027-01-08/event.ics, /series/dlct/calendar.ics)",
        '  Adds "DLCT: New Paper" on Fri 15 Jan 2027 10:00–11:00 PST '
        "(in /calendar.ics, /events/dlct-2027-01-15/event.ics, /series/dlct/calendar.ics)",
    ]
    assert "Removes" not in text


def test_the_markdown_report_is_the_pull_request_comment(before):
    site = before
    site.write("content/events/dlct-2027-01-15.md", session("DLCT: New Paper", "2027-01-15 10:00"))
    rebuild(site)
    result = site.cli("diff", "old", "new", "--format", "markdown")
    lines = result.stdout.splitlines()
    assert lines[0] == "## What this change does to the site"
    assert "- Adds 1 page: `/events/dlct-2027-01-15/`" in lines
    assert ('- Adds "DLCT: New Paper" on Fri 15 Jan 2027 10:00–11:00 PST (in `/calendar.ics`, '
            "`/events/dlct-2027-01-15/event.ics`, `/series/dlct/calendar.ics`)") in lines


def test_one_date_dropped_from_a_repeat_is_a_cancellation(before):
    site = before
    site.write("content/events/jam.md", ('---\ntitle: Jam\nstart: 2026-12-03 09:00\nlocation: Online\n'
                                         'recurrence: {rule: "FREQ=WEEKLY;BYDAY=TH", count: 4, '
                                         'except: [2026-12-10]}\n---\n'))
    rebuild(site)
    text = site.cli("diff", "old", "new").stdout
    assert '  Cancels "Jam" on Thu 10 Dec 2026 09:00 PST (one date of a repeat)' in text


def test_a_removed_session_and_feed_item_are_named(before):
    site = before
    (site.root / "content/events/dlct-2026-12-11.md").unlink()
    rebuild(site)
    text = site.cli("diff", "old", "new").stdout
    assert "  Removes 1 page: /events/dlct-2026-12-11/\n" in text
    assert '  Removes "DLCT: Sparse Things" (was Fri 11 Dec 2026 10:00–11:00 PST)' in text
    assert '  Drops "DLCT: Sparse Things' in text and "(in /events/feed.xml)" in text


def test_two_builds_of_the_same_content_have_nothing_to_report(before):
    site = before
    rebuild(site)
    result = site.cli("diff", "old", "new")
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "Nothing: the built site is byte for byte the same."


def test_diff_needs_two_folders(before):
    shutil.rmtree(before.root / "old")
    result = before.cli("diff", "old", "output")
    assert result.returncode == 2 and "old is not a folder" in result.stderr
