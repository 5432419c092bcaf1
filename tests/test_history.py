"""Dates from the site's git history, as subscribers' apps and crawlers read them.

A scratch site becomes a git repository with scripted commits (GIT_AUTHOR_DATE /
GIT_COMMITTER_DATE), is built through the real CLI, and its outputs are read by
independent parsers: feedparser for feeds, icalendar for calendars, lxml for the
sitemap and the post page. Also: a build outside git is deterministic and never
uses the wall clock, a shallow clone is reported, and a cached (watch) build
that sees only a new commit equals a clean one.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time
from pathlib import Path

import feedparser
import icalendar
import pytest
import yaml
from lxml import etree, html

from conftest import REPO, ScratchSite
from generator import pipeline
from generator.history import SourceDates, _dates_from_log
from generator.incremental import RenderCache

UTC = dt.timezone.utc
NOW = "2026-11-27T12:00:00Z"
SITEMAP = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
POST = """
    ---
    title: {title}
    date: 2026-03-02
    ---
    A post about $\\eta_t$.
    """
EVENT = """
    ---
    title: {title}
    start: {start}
    timezone: Europe/Berlin
    status: {status}
    ---
    A talk.
    """
# Scripted history, oldest first: (UTC time, message, {file: text or None to delete}).
MARCH_1, MARCH_10, APRIL_2, MAY_5 = "2026-03-01T09:00:00Z", "2026-03-10T16:30:00Z", "2026-04-02T08:15:00Z", \
    "2026-05-05T20:00:00Z"


def git(root: Path, *args: str, when: str | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org"}
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout


def commit(site: ScratchSite, when: str, files: dict[str, str | None]) -> None:
    for rel, text in files.items():
        if text is None:
            (site.root / rel).unlink()
        else:
            site.write(rel, text)
    git(site.root, "add", "-A")
    git(site.root, "commit", "-q", "-m", f"edit at {when}", when=when)


def stamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def history_site(tmp_path_factory) -> ScratchSite:
    """Announced 1 March; the post edited 10 March; the talk rescheduled 2 April
    and cancelled 5 May; the old slug renamed on 10 March."""
    site = ScratchSite(tmp_path_factory.mktemp("history") / "site")
    git(site.root, "init", "-q")
    commit(site, MARCH_1, {
        "content/posts/2026-03-02-hello.md": POST.format(title="Hello"),
        "content/events/talk.md": EVENT.format(title="A talk", start="2026-06-10 18:00", status="confirmed"),
        "content/events/old-name.md": EVENT.format(title="Renamed", start="2026-07-01 18:00", status="confirmed"),
        "content/events/stable.md": EVENT.format(title="Stable", start="2026-08-01 18:00", status="confirmed"),
    })
    commit(site, MARCH_10, {"content/posts/2026-03-02-hello.md": POST.format(title="Hello, edited")})
    git(site.root, "mv", "content/events/old-name.md", "content/events/new-name.md")
    git(site.root, "commit", "-q", "-m", "rename", when=MARCH_10)
    return site


def clone_site(source: ScratchSite, root: Path, ignore=None) -> ScratchSite:
    site = ScratchSite.__new__(ScratchSite)  # a copy, .git included: not a fresh scratch site
    site.root = root
    shutil.copytree(source.root, root, ignore=ignore)
    return site


def build(site: ScratchSite, out: Path, env: dict | None = None) -> Path:
    result = site.cli("build", "--out", str(out), "--now", NOW, env=env)
    assert result.returncode == 0, result.output
    return out


def vevent(out: Path, slug: str) -> icalendar.Event:
    (event,) = icalendar.Calendar.from_ical((out / "events" / slug / "event.ics").read_bytes()).walk("VEVENT")
    return event


def test_an_event_is_created_when_first_committed_and_modified_when_last(history_site, tmp_path):
    out = build(history_site, tmp_path / "before")
    talk = vevent(out, "talk")
    assert talk["CREATED"].dt == stamp(MARCH_1)
    assert talk["DTSTAMP"].dt == talk["LAST-MODIFIED"].dt == stamp(MARCH_1)
    assert int(talk["SEQUENCE"]) == 1  # confirmed, never edited
    renamed = vevent(out, "new-name")  # the rename keeps the history of the old name
    assert (renamed["CREATED"].dt, renamed["LAST-MODIFIED"].dt) == (stamp(MARCH_1), stamp(MARCH_10))


def test_sequence_rises_when_rescheduled_and_when_cancelled(history_site, tmp_path):
    site = clone_site(history_site, tmp_path / "site")
    sequences, stamps = [], []
    for when, start, status in ((None, "2026-06-10 18:00", "confirmed"), (APRIL_2, "2026-06-17 18:00", "confirmed"),
                                (MAY_5, "2026-06-17 18:00", "cancelled")):
        if when:
            commit(site, when, {"content/events/talk.md": EVENT.format(title="A talk", start=start, status=status)})
        talk = vevent(build(site, tmp_path / f"out-{len(sequences)}"), "talk")
        sequences.append(int(talk["SEQUENCE"]))
        stamps.append(talk["LAST-MODIFIED"].dt)
        assert talk["CREATED"].dt == stamp(MARCH_1)
    assert sequences == sorted(set(sequences)), sequences  # strictly rising
    assert stamps == [stamp(MARCH_1), stamp(APRIL_2), stamp(MAY_5)]


def test_events_feed_items_are_dated_when_announced(history_site, tmp_path):
    out = build(history_site, tmp_path / "out")
    feed = feedparser.parse((out / "events" / "feed.xml").read_bytes())
    published = {e.id.split("/")[-1]: dt.datetime(*e.published_parsed[:6], tzinfo=UTC) for e in feed.entries}
    assert published == {"talk": stamp(MARCH_1), "new-name": stamp(MARCH_1), "stable": stamp(MARCH_1)}
    assert dt.datetime(*feed.feed.updated_parsed[:6], tzinfo=UTC) == stamp(MARCH_10)  # the rename


def test_a_post_edited_after_it_was_committed_is_updated_everywhere(history_site, tmp_path):
    out = build(history_site, tmp_path / "out")
    (entry,) = feedparser.parse((out / "atom.xml").read_bytes()).entries
    assert stamp(entry.updated) == stamp(MARCH_10)
    assert entry.published == "2026-03-02T00:00:00-08:00"  # its date, in the site's zone
    page = html.fromstring((out / "posts" / "hello" / "index.html").read_bytes())
    assert [t.get("datetime") for t in page.xpath("//p[@class='byline']/time")] == ["2026-03-02", "2026-03-10"]
    assert "Updated on Tue 10 Mar 2026" in " ".join(page.xpath("string(//p[@class='byline'])").split())
    sitemap = etree.parse(str(out / "sitemap.xml"))
    lastmod = sitemap.xpath("//s:url[s:loc='https://example.org/posts/hello/']/s:lastmod/text()", namespaces=SITEMAP)
    assert [stamp(v) for v in lastmod] == [stamp(MARCH_10)]


def test_front_matter_dates_override_history(history_site, tmp_path):
    site = clone_site(history_site, tmp_path / "site")
    commit(site, APRIL_2, {
        "content/posts/2026-03-02-hello.md": POST.format(title="Hello").replace("date:", "updated: 2026-03-20\n    date:"),
        "content/events/stable.md": EVENT.format(title="Stable", start="2026-08-01 18:00", status="confirmed")
        .replace("status:", "announced: 2026-02-14\n    status:"),
    })
    out = build(site, tmp_path / "out")
    (entry,) = feedparser.parse((out / "atom.xml").read_bytes()).entries
    assert entry.updated == "2026-03-20T00:00:00-07:00"
    stable = vevent(out, "stable")
    assert stable["CREATED"].dt == dt.datetime(2026, 2, 14, 8, 0, tzinfo=UTC)  # midnight in Los Angeles
    assert stable["LAST-MODIFIED"].dt == stamp(APRIL_2)


def test_an_uncommitted_file_takes_source_date_epoch_then_its_own_date(history_site, tmp_path):
    site = clone_site(history_site, tmp_path / "site")
    site.write("content/events/draft-talk.md", EVENT.format(title="New", start="2026-09-01 18:00",
                                                            status="tentative"))
    with_epoch = vevent(build(site, tmp_path / "epoch", env={"SOURCE_DATE_EPOCH": "1780000000"}), "draft-talk")
    assert with_epoch["CREATED"].dt == with_epoch["DTSTAMP"].dt == dt.datetime.fromtimestamp(1780000000, UTC)
    without = vevent(build(site, tmp_path / "plain", env={"SOURCE_DATE_EPOCH": ""}), "draft-talk")
    assert "CREATED" not in without  # unknown: not invented
    assert without["DTSTAMP"].dt == dt.datetime(2026, 9, 1, 16, 0, tzinfo=UTC)  # its first start
    committed = vevent(tmp_path / "plain", "talk")
    assert committed["CREATED"].dt == stamp(MARCH_1)  # SOURCE_DATE_EPOCH does not replace history


def test_outside_git_two_builds_are_identical_and_never_use_the_wall_clock(history_site, tmp_path):
    site = clone_site(history_site, tmp_path / "exported", ignore=shutil.ignore_patterns(".git"))
    first = build(site, tmp_path / "one", env={"SOURCE_DATE_EPOCH": ""})
    time.sleep(1.1)  # a wall-clock second would now show
    second = build(site, tmp_path / "two", env={"SOURCE_DATE_EPOCH": ""})
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert [p for p in files if (first / p).read_bytes() != (second / p).read_bytes()] == []
    talk = vevent(first, "talk")
    assert talk["DTSTAMP"].dt == dt.datetime(2026, 6, 10, 16, 0, tzinfo=UTC)  # its first start, not today
    assert b"<lastmod>" not in (first / "sitemap.xml").read_bytes()  # no date is known: none is invented


def test_a_shallow_clone_is_reported(history_site, tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{history_site.root}", str(clone))
    shallow = ScratchSite.__new__(ScratchSite)
    shallow.root = clone
    built = shallow.cli("build", "--out", str(tmp_path / "out"), "--now", NOW)
    assert built.returncode == 0, built.output
    assert "shallow git clone" in built.output and "--unshallow" in built.output
    full = history_site.cli("build", "--out", str(tmp_path / "out2"), "--now", NOW)
    assert full.returncode == 0 and "shallow git clone" not in full.output


def test_the_deploy_workflow_checks_out_the_whole_history():
    """A shallow checkout (the action's default) would date every file by the last commit."""
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8"))
    checkout = next(s for s in workflow["jobs"]["build"]["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0


def test_a_commit_alone_reaches_a_cached_build(history_site, tmp_path):
    """The watcher's cache must see a new commit even though no byte changed."""
    root = tmp_path / "site"
    shutil.copytree(history_site.root, root)
    options = pipeline.Options(root=root, out=tmp_path / "cached", now=stamp(NOW))
    cache = RenderCache()
    assert not pipeline.build(options, cache).diagnostics.has_errors()
    git(root, "commit", "-q", "--allow-empty", "-m", "nothing", when=APRIL_2)
    (root / "content/events/talk.md").write_text((root / "content/events/talk.md").read_text() + "\nMore.\n")
    git(root, "commit", "-q", "-am", "more", when=MAY_5)
    (root / "content/events/talk.md").write_text((root / "content/events/talk.md").read_text()[:-len("\nMore.\n")])
    git(root, "commit", "-q", "-am", "back", when="2026-05-06T00:00:00Z")  # same bytes as first built
    rebuilt = pipeline.build(options, cache)
    assert "events/talk/event.ics" in rebuilt.rendered
    clean = tmp_path / "clean"
    assert not pipeline.build(pipeline.Options(root=root, out=clean, now=stamp(NOW))).diagnostics.has_errors()
    differing = [p for p in clean.rglob("*") if p.is_file()
                 and p.read_bytes() != (options.output_dir / p.relative_to(clean)).read_bytes()]
    assert differing == []


def test_the_log_parser_follows_renames_and_forgets_deleted_names():
    day = lambda n: dt.datetime(2026, 1, n, tzinfo=UTC)  # noqa: E731
    log = "".join([
        f"@@{int(day(5).timestamp())}\0\nA\0content/a.md\0",  # a new file takes the deleted name
        f"@@{int(day(4).timestamp())}\0\nD\0content/a.md\0",
        f"@@{int(day(3).timestamp())}\0\nR087\0content/b.md\0content/c.md\0M\0content/a.md\0",
        f"@@{int(day(1).timestamp())}\0\nA\0content/a.md\0A\0content/b.md\0",
    ])
    assert _dates_from_log(log) == {"content/a.md": SourceDates(day(5), day(5)),
                                    "content/c.md": SourceDates(day(1), day(3))}
