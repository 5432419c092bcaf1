"""A rebuild whose clock moved renders again only what the move changed.

Pages that say what is upcoming or past read the build clock (3,000 event and
member pages on a big site). Keyed by the instant, every build rendered them
all again, since its clock had moved a few seconds. They are keyed by the span
of instants in which every such decision stays the same (event_times.clock_period):
until an occurrence ends, or the UTC day turns (an open-ended rule lists its
occurrences from the start of the clock's day). Each rebuild here is compared,
file set and bytes, with a clean build at the same clock.
"""

from __future__ import annotations

import datetime as dt
import shutil

from conftest import SAMPLE_NOW
from generator import pipeline
from generator.cli import _parse_now
from generator.incremental import RenderCache
from test_watch import copy_sample_site, differences, tree

NOW = _parse_now(SAMPLE_NOW)  # Friday 27 November 2026, 12:00 UTC
UTC = dt.timezone.utc
# The DLCT session of 4 December 2026: 10:00 to 11:00 in Los Angeles, so it ends 19:00 UTC.
SESSION = "events/dlct-2026-12-04/index.html"
SESSION_ENDS = dt.datetime(2026, 12, 4, 19, 0, tzinfo=UTC)
FOREVER = """---
title: Forever weekly
start: 2026-01-02 10:00
timezone: UTC
recurrence: {rule: "FREQ=WEEKLY;BYDAY=FR"}
---
An open-ended rule: its calendar lists occurrences up to a horizon that moves with the clock.
"""


def rebuilt_at(root, out, cache, when) -> list[str]:
    """Rebuild at `when` with the cache; assert it equals a clean build; what it rendered."""
    result = pipeline.build(pipeline.Options(root=root, out=out, now=when), cache)
    assert not result.diagnostics.has_errors(), result.diagnostics.items
    clean = out.parent / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    assert not pipeline.build(pipeline.Options(root=root, out=clean, now=when)).diagnostics.has_errors()
    assert differences(tree(out), tree(clean)) == [], f"at {when}"
    return result.rendered


def test_a_clock_that_moved_within_its_period_renders_nothing_and_one_past_an_end_renders_again(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    (root / "content/events/forever.md").write_text(FOREVER, encoding="utf-8")
    out, cache = tmp_path / "out", RenderCache()
    assert rebuilt_at(root, out, cache, NOW)
    assert rebuilt_at(root, out, cache, NOW + dt.timedelta(minutes=1)) == []
    assert rebuilt_at(root, out, cache, NOW + dt.timedelta(hours=6)) == []  # still 27 November in UTC
    assert SESSION in rebuilt_at(root, out, cache, SESSION_ENDS - dt.timedelta(seconds=1))  # days later
    before = (out / SESSION).read_bytes()
    turned = rebuilt_at(root, out, cache, SESSION_ENDS)  # is_past: an occurrence is past from its end on
    assert SESSION in turned and "events/index.html" in turned
    assert (out / SESSION).read_bytes() != before
    assert rebuilt_at(root, out, cache, SESSION_ENDS + dt.timedelta(hours=4)) == []  # 23:00 UTC, same day
    next_day = rebuilt_at(root, out, cache, dt.datetime(2026, 12, 5, 0, 0, 1, tzinfo=UTC))
    assert "events/forever/event.ics" in next_day  # its horizon moved a day


def test_a_theme_that_prints_the_clock_shows_each_builds_instant(tmp_path):
    """A "built at" line in the base template: every page shows the instant, so
    every page is keyed by it."""
    root = copy_sample_site(tmp_path / "site")
    base = root / "templates/base.html"
    stamped = base.read_text(encoding="utf-8").replace("</body>", "<!-- built {{ now.isoformat() }} -->\n</body>")
    base.write_text(stamped, encoding="utf-8")
    out, cache = tmp_path / "out", RenderCache()
    rebuilt_at(root, out, cache, NOW)
    later = NOW + dt.timedelta(minutes=1)
    rendered = rebuilt_at(root, out, cache, later)
    assert "members/index.html" in rendered  # a page that does not read the clock otherwise
    assert f"built {later.isoformat()}" in (out / "members/index.html").read_text(encoding="utf-8")


def test_a_file_in_the_theme_folder_that_is_no_template_does_not_stamp_every_page(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    (root / "templates/logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe{{ now }}")  # not UTF-8: no template
    out, cache = tmp_path / "out", RenderCache()
    rebuilt_at(root, out, cache, NOW)
    assert rebuilt_at(root, out, cache, NOW + dt.timedelta(minutes=1)) == []
