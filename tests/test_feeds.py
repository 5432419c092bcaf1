"""Feeds subscribers can trust: parsed by a real client (feedparser), compared
byte for byte with goldens, and rebuilt from scratch sites through the real CLI."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from lxml import etree

from conftest import REPO, SAMPLE_NOW
from generator.render.feeds import absolutize_links
from generator.render.markup import first_paragraph_text
from generator.urls import output_path, tag_slug
from update_goldens import FEED_GOLDENS, GOLDEN, REFRESH_COMMAND
import update_goldens

BASE = "https://mlcollective.org/"
RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                    r"\d{4} \d\d:\d\d:\d\d [+-]\d{4}$")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
NS = {"atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/"}


def sample_feeds(out: Path) -> list[Path]:
    return sorted([out / "feed.xml", out / "atom.xml", out / "events" / "feed.xml",
                   *(out / "tags").glob("*/feed.xml")])


def parse(path: Path) -> feedparser.FeedParserDict:
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, f"{path}: {feed.get('bozo_exception')}"
    return feed


def entry_by_id(feed, suffix: str):
    return next(e for e in feed.entries if e.id.endswith(suffix))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("href", "src") and value is not None]


def links_in(html_text: str) -> list[str]:
    parser = _Links()
    parser.feed(html_text)
    return parser.urls


def all_links(feed) -> list[str]:
    urls = [feed.feed.link, *(link.href for link in feed.feed.get("links", []))]
    for entry in feed.entries:
        urls += [entry.link, *(a.get("href") for a in entry.get("authors", []) if a.get("href"))]
        for content in entry.get("content", []):
            urls += links_in(content.value)
    return urls


# ---------------------------------------------------------------- the sample site

def test_every_sample_feed_parses_cleanly_with_its_required_elements(sample_build):
    feeds = sample_feeds(sample_build)
    assert len(feeds) >= 5 and all(p.is_file() for p in feeds)
    for path in feeds:
        feed = parse(path)
        assert feed.version == ("atom10" if path.name == "atom.xml" else "rss20"), path
        assert feed.feed.title.startswith("ML Collective — "), path
        assert feed.feed.get("subtitle"), path
        assert feed.entries, path
        for entry in feed.entries:
            assert entry.title and entry.link and entry.id, (path, entry)
            assert entry.get("summary") and entry.content[0].value, (path, entry.title)


def test_rss_feeds_name_themselves_with_an_atom_self_link(sample_build):
    for path in sample_feeds(sample_build):
        root = etree.parse(str(path)).getroot()
        self_links = root.xpath("//atom:link[@rel='self']/@href", namespaces=NS)
        own_url = BASE + path.relative_to(sample_build).as_posix()
        assert [unquote(u) for u in self_links] == [own_url], path


def test_every_link_is_absolute_and_every_link_to_the_site_is_a_built_file(sample_build):
    checked = 0
    for path in sample_feeds(sample_build):
        for url in all_links(parse(path)):
            parts = urlsplit(url)
            assert parts.scheme in ("https", "http", "mailto"), f"{path}: relative link {url!r}"
            if url.startswith(BASE):
                target = sample_build / output_path("/" + url[len(BASE):].split("#")[0])
                assert target.is_file(), f"{path}: {url} is not a built file"
                checked += 1
    assert checked > 100


def test_item_ids_are_unique_tag_uris_in_every_feed(sample_build):
    for path in sample_feeds(sample_build):
        ids = [e.id for e in parse(path).entries]
        assert len(ids) == len(set(ids)), path
        assert all(re.fullmatch(r"tag:mlcollective\.org,2020:(posts|events)/[a-z0-9-]+", i) for i in ids), ids
    rss = etree.parse(str(sample_build / "feed.xml"))
    assert set(rss.xpath("//item/guid/@isPermaLink")) == {"false"}


def test_rss_dates_are_rfc_822_and_atom_dates_are_rfc_3339(sample_build):
    rss_dates = etree.parse(str(sample_build / "feed.xml")).xpath("//pubDate/text() | //lastBuildDate/text()")
    assert len(rss_dates) == 7
    for value in rss_dates:
        assert RFC822.match(value), value
        assert email.utils.parsedate_to_datetime(value).tzinfo is not None
    atom = etree.parse(str(sample_build / "atom.xml"))
    atom_dates = atom.xpath("//atom:updated/text() | //atom:published/text()", namespaces=NS)
    assert len(atom_dates) == 13
    for value in atom_dates:
        assert RFC3339.match(value), value
        assert dt.datetime.fromisoformat(value).tzinfo is not None


def test_post_feeds_are_newest_first_and_agree_with_each_other(sample_build):
    rss, atom = parse(sample_build / "feed.xml"), parse(sample_build / "atom.xml")
    assert [e.id for e in rss.entries] == [e.id for e in atom.entries]
    published = [dt.datetime(*e.published_parsed[:6]) for e in rss.entries]
    assert published == sorted(published, reverse=True)
    assert rss.entries[0].id.endswith("posts/see-you-at-neurips-2026")
    # The channel's date is the newest item's, never the build clock (2026-11-27).
    assert rss.feed.updated == "Mon, 16 Nov 2026 00:00:00 -0800"
    assert atom.feed.updated == "2026-11-16T00:00:00-08:00"


def test_post_items_carry_authors_tags_summary_and_the_full_content(sample_build):
    feed = parse(sample_build / "atom.xml")
    year = entry_by_id(feed, "posts/a-year-of-mlc")
    assert [a.name for a in year.authors] == ["王芳 (Wang Fang)", "ليلى حداد"]
    assert [t.term for t in year.tags] == ["community", "announcements", "dlct", "open-collab"]
    assert year.summary.startswith("One year ago today we turned a long-running reading group")
    assert "The pool is funded by two small grants" in year.content[0].value  # the footnote
    assert year.updated == "2021-06-21T00:00:00-07:00"
    how_to = entry_by_id(parse(sample_build / "feed.xml"), "posts/how-to-run-an-open-collab")
    content = how_to.content[0].value
    assert "<pre" in content and "def start_run(config: dict" in re.sub(r"<[^>]+>", "", content)
    assert '<a href="https://mlcollective.org/projects/"' in content
    assert how_to.summary.startswith("Practical advice from our first few open-collab projects")
    assert how_to.author == "Дарья Соколова, Jordan Ellis"
    rfps = entry_by_id(feed, "posts/call-for-rfp-volunteers")
    assert (rfps.published, rfps.updated) == ("2024-02-05T00:00:00-08:00", "2024-03-01T00:00:00-08:00")


def test_the_sample_draft_is_in_no_feed(sample_build):
    for path in sample_feeds(sample_build):
        text = path.read_text(encoding="utf-8")
        assert "2026-in-review" not in text and "ML Collective in 2026" not in text, path


def test_every_tag_with_posts_has_a_feed_of_exactly_those_posts(sample_build):
    by_tag: dict[str, set[str]] = {}
    for entry in parse(sample_build / "feed.xml").entries:
        for tag in entry.tags:
            by_tag.setdefault(tag.term, set()).add(entry.id)
    assert "dlct" in by_tag
    for tag, ids in by_tag.items():
        feed = parse(sample_build / "tags" / tag_slug(tag) / "feed.xml")
        assert feed.feed.title == f"ML Collective — posts tagged {tag}"
        assert {e.id for e in feed.entries} == ids
        assert feed.feed.link == f"{BASE}tags/{tag_slug(tag)}/"


def test_events_feed_titles_say_when_in_the_events_zone(sample_build):
    feed = parse(sample_build / "events" / "feed.xml")
    assert feed.feed.title == "ML Collective — Events"
    titles = {e.id.split("/")[-1]: e.title for e in feed.entries}
    assert titles["dlct-2026-12-04"] == "DLCT: Tokenisers and the Languages They Leave Behind — Fri 4 Dec 2026, 10:00 PST"
    assert titles["late-night-hack"].endswith("— Fri 18 Dec 2026, 22:30 CET")
    assert titles["iclr-2027-workshop"].endswith("— Mon 26 Apr 2027 – Tue 27 Apr 2027")
    assert titles["town-hall"] == "MLC Town Hall — monthly from Thu 8 Jan 2026, 09:00 PST"
    assert titles["dlct-2026-11-06"].endswith("— Fri 6 Nov 2026, 10:00 PST")  # after the DST change


def test_events_feed_content_says_when_where_who_and_which_papers(sample_build):
    feed = parse(sample_build / "events" / "feed.xml")
    session = entry_by_id(feed, "events/dlct-2026-12-04").content[0].value
    assert "<strong>When:</strong> Fri 4 Dec 2026 · 10:00–11:00 PST (UTC−8)" in session  # as on the event page
    assert '<a href="https://mlcollective.org/members/chinedu-okafor/"' in session
    assert '<a href="https://arxiv.org/abs/2609.12210"' in session and "Bamidele et al." in session
    assert '<a href="https://mlcollective.org/series/dlct/"' in session
    assert "<strong>Join:</strong>" in session
    hack = entry_by_id(feed, "events/late-night-hack").content[0].value
    assert "Fri 18 Dec 2026 · 22:30 – Sat 19 Dec 01:30 CET (UTC+1)" in hack
    assert "<strong>Where:</strong>" in hack
    town_hall = entry_by_id(feed, "events/town-hall").content[0].value
    assert "Monthly, on the second Thursday, until Wed 30 Jun 2027; 18 dates, the last on Thu 10 Jun 2027" in town_hall
    assert entry_by_id(feed, "events/dlct-2026-12-11").title.startswith("Cancelled: DLCT: ")


def test_events_feed_is_newest_first_by_start_and_carries_no_invented_dates(sample_build):
    path = sample_build / "events" / "feed.xml"
    feed = parse(path)
    slugs = [e.id.split("/")[-1] for e in feed.entries]
    assert slugs[:3] == ["iclr-2027-workshop", "dlct-2027-01-08", "late-night-hack"]
    assert slugs[-1] == "town-hall"  # first held in January 2026
    assert len(slugs) == len(list((REPO / "content" / "events").glob("*.md")))
    # Issue 13: each item is dated when it was announced (its file's first commit,
    # tests/test_history.py), the channel when an event last changed; not by the clock.
    assert all(e.published_parsed for e in feed.entries) and feed.feed.updated_parsed


@pytest.mark.parametrize("name", sorted(FEED_GOLDENS))
def test_sample_feed_matches_its_golden_file_byte_for_byte(sample_build, name):
    built = (sample_build / name).read_bytes()
    golden = (GOLDEN / FEED_GOLDENS[name]).read_bytes()
    assert built == golden, (f"{name} differs from tests/golden/{FEED_GOLDENS[name]}. If the change is intended, "
                             f"run `{REFRESH_COMMAND}` and review the diff.")


def test_golden_refresh_uses_the_tests_clock():
    assert update_goldens.SAMPLE_NOW == SAMPLE_NOW


# ---------------------------------------------------------------- scratch sites

def post(title: str, body: str = "Hello.", **fields: str) -> str:
    extra = "".join(f"{key}: {value}\n" for key, value in fields.items())
    return f"---\ntitle: {title}\n{extra}---\n{body}\n"


def feed_ids(out: Path, name: str = "feed.xml") -> list[str]:
    return [e.id for e in parse(out / name).entries]


def test_a_renamed_post_with_an_alias_keeps_its_item_id(make_site):
    site = make_site({"content/posts/2026-01-05-old-slug.md": post("Launch")})
    assert site.cli("build", "--now", SAMPLE_NOW).returncode == 0
    before = parse(site.output / "atom.xml").entries[0]
    (site.root / "content/posts/2026-01-05-old-slug.md").unlink()
    site.write("content/posts/2026-01-05-new-slug.md", post("Launch", aliases='["/posts/old-slug/"]'))
    result = site.cli("build", "--now", SAMPLE_NOW)
    assert result.returncode == 0, result.output
    for name in ("feed.xml", "atom.xml"):
        after = parse(site.output / name).entries[0]
        assert after.id == before.id == "tag:mlcollective.org,2020:posts/old-slug"
        assert after.link == "https://example.org/posts/new-slug/"


def test_feeds_are_byte_identical_across_builds_and_clocks(make_site):
    site = make_site({
        "content/posts/2026-01-05-one.md": post("One", tags="[a, b]", updated="2026-02-01"),
        "content/posts/2026-01-05-two.md": post("Two", tags="[b]"),
        "content/posts/2025-12-24-three.md": post("Three", tags="[a]"),
        "content/events/meetup.md": "---\ntitle: Meetup\nstart: 2026-03-01 18:00\n---\nCome.\n",
    })
    builds = []
    for index, now in enumerate(("2027-01-01T00:00:00Z", "2029-06-30T17:45:12Z")):
        out = site.root / f"out{index}"
        assert site.cli("build", "--out", str(out), "--now", now).returncode == 0
        builds.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*.xml") if p.name != "sitemap.xml"})
    assert len(builds[0]) == 5 and builds[0] == builds[1]
    # Same date, then slug: a fixed order whatever the files' order on disk.
    assert feed_ids(site.root / "out0")[:2] == ["tag:mlcollective.org,2020:posts/one",
                                                "tag:mlcollective.org,2020:posts/two"]


def test_a_future_post_appears_only_once_its_day_has_come_in_the_site_zone(make_site):
    site = make_site({"content/posts/2030-05-01-later.md": post("Later", tags="[x]"),
                      "content/posts/2030-01-01-earlier.md": post("Earlier", tags="[x]")})
    later = "tag:mlcollective.org,2020:posts/later"
    # 06:00 UTC on 1 May is still 30 April in Los Angeles, the site's zone.
    for now, shown in (("2030-04-30T12:00:00Z", False), ("2030-05-01T06:00:00Z", False),
                       ("2030-05-01T08:00:00Z", True)):
        assert site.cli("build", "--now", now).returncode == 0
        for name in ("feed.xml", "atom.xml", "tags/x/feed.xml"):
            assert (later in feed_ids(site.output, name)) is shown, (now, name)
    assert (site.output / "atom.xml").read_text().count("<updated>2030-05-01T00:00:00-07:00</updated>") == 2


def test_a_draft_appears_in_no_feed_even_in_a_drafts_preview(make_site):
    site = make_site({"content/posts/2026-01-05-secret.md": post("Secret", tags="[x]", draft="true"),
                      "content/posts/2026-01-04-public.md": post("Public", tags="[x]")})
    for flags in ((), ("--drafts",)):
        assert site.cli("build", "--now", SAMPLE_NOW, *flags).returncode == 0
        for name in ("feed.xml", "atom.xml", "tags/x/feed.xml"):
            assert feed_ids(site.output, name) == ["tag:mlcollective.org,2020:posts/public"], (flags, name)
    assert (site.output / "posts/secret/index.html").is_file()  # the preview does show it as a page


def test_a_date_only_post_is_published_at_midnight_in_the_site_zone_whatever_the_machine_zone(make_site):
    site = make_site({"content/posts/2026-03-10-tokyo.md": post("Tokyo")})
    site.write("site.yaml", "title: Test Collective\nbase_url: https://example.org\ntimezone: Asia/Tokyo\n")
    result = site.cli("build", "--now", SAMPLE_NOW, env={"TZ": "America/New_York"})
    assert result.returncode == 0, result.output
    rss = etree.parse(str(site.output / "feed.xml"))
    assert rss.xpath("//item/pubDate/text()") == ["Tue, 10 Mar 2026 00:00:00 +0900"]
    assert rss.xpath("//lastBuildDate/text()") == ["Tue, 10 Mar 2026 00:00:00 +0900"]
    assert parse(site.output / "atom.xml").entries[0].published == "2026-03-10T00:00:00+09:00"


def test_relative_links_in_a_post_body_come_out_absolute_even_under_a_base_path(make_site):
    body = ("[projects](/projects/) ![plot](plot.png) [sibling](../other/) [top](#results) "
            "[web](https://example.com/a?b=1&c=2) [mail](mailto:team@example.org)")
    site = make_site({"content/posts/2026-01-05-links.md": post("Links", body)})
    result = site.cli("build", "--now", SAMPLE_NOW, "--base-url", "https://example.org/pr-42/")
    assert result.returncode == 0, result.output
    for name in ("feed.xml", "atom.xml"):
        entry = parse(site.output / name).entries[0]
        assert links_in(entry.content[0].value) == [
            "https://example.org/pr-42/projects/", "https://example.org/pr-42/posts/links/plot.png",
            "https://example.org/pr-42/posts/other/", "https://example.org/pr-42/posts/links/#results",
            "https://example.com/a?b=1&c=2", "mailto:team@example.org"]
        assert entry.link == "https://example.org/pr-42/posts/links/"


def test_a_non_ascii_tag_gets_a_working_feed(make_site):
    site = make_site({"content/posts/2026-01-05-ml.md": post("機械学習の入門", tags="[機械学習]")})
    assert site.cli("build", "--now", SAMPLE_NOW).returncode == 0
    folder = site.output / "tags" / tag_slug("機械学習")
    feed = parse(folder / "feed.xml")
    assert feed.feed.title == "Test Collective — posts tagged 機械学習"
    assert [e.title for e in feed.entries] == ["機械学習の入門"]
    self_link = next(link.href for link in feed.feed.links if link.rel == "self")
    assert self_link.isascii() and unquote(self_link) == f"https://example.org/tags/{tag_slug('機械学習')}/feed.xml"
    assert (folder / "index.html").is_file()  # the channel link is a built page


def test_event_titles_give_an_offset_for_zones_without_letters_and_say_how_often(make_site):
    site = make_site({
        "content/events/singapore.md": "---\ntitle: Talk\nstart: 2027-02-01 10:00\ntimezone: Asia/Singapore\n---\n",
        "content/events/fortnightly.md": ("---\ntitle: Jam\nstart: 2027-01-04 18:00\nrecurrence:\n"
                                          "  rule: FREQ=WEEKLY;INTERVAL=2\n---\nEvery other Monday.\n"),
    })
    result = site.cli("build", "--now", SAMPLE_NOW)
    assert result.returncode == 0, result.output
    feed = parse(site.output / "events" / "feed.xml")
    assert [e.title for e in feed.entries] == ["Talk — Mon 1 Feb 2027, 10:00 UTC+8",
                                               "Jam — every 2 weeks from Mon 4 Jan 2027, 18:00 PST"]
    assert "with no end date" in feed.entries[1].content[0].value
    assert feed.entries[1].summary == "Every other Monday."


def test_feed_items_setting_caps_the_post_feeds(make_site):
    site = make_site({f"content/posts/2026-01-0{day}-p{day}.md": post(f"P{day}") for day in range(1, 6)})
    site.write("site.yaml", "title: T\nbase_url: https://example.org\ntimezone: UTC\nfeed_items: 2\n")
    assert site.cli("build", "--now", SAMPLE_NOW).returncode == 0
    assert feed_ids(site.output) == ["tag:mlcollective.org,2020:posts/p5", "tag:mlcollective.org,2020:posts/p4"]


def test_a_site_with_no_posts_still_serves_valid_empty_feeds(make_site):
    site = make_site()
    assert site.cli("build", "--now", SAMPLE_NOW).returncode == 0
    for name in ("feed.xml", "atom.xml", "events/feed.xml"):
        assert parse(site.output / name).entries == []
    assert b"2026-11-27" not in (site.output / "atom.xml").read_bytes()  # not the build clock


# ---------------------------------------------------------------- the HTML helpers

PAGE = "https://example.org/pr-42/posts/hello/"


@pytest.mark.parametrize("html_in, expected", [
    ('<a href="/pr-42/x/" rel="noopener">x</a>', '<a href="https://example.org/pr-42/x/" rel="noopener">x</a>'),
    ('<img alt="p" src="plot.png">', '<img alt="p" src="https://example.org/pr-42/posts/hello/plot.png">'),
    ('<a href="?a=1&amp;b=2">q</a>', '<a href="https://example.org/pr-42/posts/hello/?a=1&amp;b=2">q</a>'),
    ('<a href="//cdn.example.net/x">c</a>', '<a href="https://cdn.example.net/x">c</a>'),
    ('<a href="https://other.org/a?b=1&amp;c=2">o</a>', '<a href="https://other.org/a?b=1&amp;c=2">o</a>'),
    ('<a href="mailto:a@example.org">m</a>', '<a href="mailto:a@example.org">m</a>'),
    ('<a class="footnote-ref" href="#fn:1">1</a>', '<a class="footnote-ref" href="https://example.org/pr-42/posts/hello/#fn:1">1</a>'),
    # A value that looks like an attribute, or holds ">", is read as one value.
    ('<a title="x href=" href="y">t</a>', '<a title="x href=" href="https://example.org/pr-42/posts/hello/y">t</a>'),
    ('<img title="a>b" src="i.png">', '<img title="a>b" src="https://example.org/pr-42/posts/hello/i.png">'),
    # Text is never touched: "<" is always escaped in text by the sanitizer.
    ('<code>&lt;a href="/x"&gt;</code> src="/y"', '<code>&lt;a href="/x"&gt;</code> src="/y"'),
    ('<abbr title="/x">A</abbr><area href="/x">', '<abbr title="/x">A</abbr><area href="/x">'),
])
def test_absolutize_links_resolves_href_and_src_as_the_page_would(html_in, expected):
    assert absolutize_links(html_in, PAGE) == expected


def test_first_paragraph_text_is_plain_text_without_footnote_markers():
    html_in = ('<h2>Intro</h2>\n<p></p><p>Fish &amp; <em>chips</em>,\nhot'
               '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>.</p><p>Second.</p>')
    assert first_paragraph_text(html_in) == "Fish & chips, hot."
    assert first_paragraph_text("<ul><li>no paragraph</li></ul>") == ""
