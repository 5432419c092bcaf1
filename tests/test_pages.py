"""The pages visitors see, read back with an HTML parser (lxml): what each kind of
page shows, time zones, the build clock, escaping, base paths and determinism.

The sample site is built once (conftest `sample_build`, clock 2026-11-27 12:00 UTC);
a small "tricky" scratch site covers what the sample content does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest

from conftest import REPO, SAMPLE_NOW, ScratchSite, run_mlcsite

PREVIEW = "https://example.org/pr-42/"


def page(out: Path, url: str) -> lxml.html.HtmlElement:
    path = out / url.strip("/") / "index.html" if not url.endswith(".html") else out / url.lstrip("/")
    return lxml.html.fromstring(path.read_bytes())


def text(element) -> str:
    return " ".join(element.text_content().split())


def section(doc, heading_id: str):
    found = doc.xpath(f'//section[@aria-labelledby="{heading_id}"]')
    assert found, f"no section {heading_id}"
    return found[0]


def hrefs(element) -> list[str]:
    return [a.get("href") for a in element.iter("a")]


def build(root: Path, out: Path, *args: str) -> Path:
    result = run_mlcsite("build", "--out", str(out), *args, cwd=root)
    assert result.returncode == 0, result.output
    return out


# The sample site -----------------------------------------------------------

def test_member_page_lists_their_talks_projects_posts_and_series(sample_build):
    doc = page(sample_build, "/members/samuel-mensah/")
    assert doc.xpath("//h1/span/@dir") == ["auto"]  # isolated: an Arabic name keeps the page's alignment
    assert "/events/dlct-2026-10-30/" in hrefs(section(doc, "Talks"))
    assert "/projects/yoruba-qa/" in hrefs(section(doc, "Projects"))
    organizer = page(sample_build, "/members/mateo-fernandez/")
    assert "/series/dlct/" in hrefs(section(organizer, "Organizes"))
    assert "/rfps/loss-spikes-small-scale/" in hrefs(section(organizer, "Rfps"))


def test_member_page_shows_labelled_links_and_an_initials_avatar(sample_build):
    doc = page(sample_build, "/members/layla-haddad/")
    labels = [text(a) for a in doc.xpath('//ul[@class="link-list"]//a')]
    assert labels == ["Website", "GitHub", "LinkedIn", "Email"]
    assert doc.xpath('//ul[@class="link-list"]//a[starts-with(@href, "mailto:")]/@href') == ["mailto:layla@example.org"]
    assert text(doc.xpath('//*[contains(@class,"avatar-initials")]')[0]) == "لح"


def test_members_index_lists_active_members_then_alumni(sample_build):
    doc = page(sample_build, "/members/")
    active, alumni = hrefs(section(doc, "Active")), hrefs(section(doc, "Alumni"))
    assert "/members/miriam-katz/" in alumni and "/members/miriam-katz/" not in active
    assert "/members/ananya-sharma/" in active and len(active) == 13


@pytest.mark.parametrize("url, when", [
    ("/events/dlct-2026-12-04/", "Fri 4 Dec 2026 · 10:00–11:00 PST (UTC−8)"),
    ("/events/dlct-2026-10-30/", "Fri 30 Oct 2026 · 10:00–11:00 PDT (UTC−7)"),
    ("/events/delhi-chapter-meetup-2026-11/", "Sat 14 Nov 2026 · 18:30–20:30 IST (UTC+5:30)"),
    ("/events/late-night-hack/", "Fri 18 Dec 2026 · 22:30 – Sat 19 Dec 01:30 CET (UTC+1)"),
    ("/events/iclr-2027-workshop/", "Mon 26 Apr – Tue 27 Apr 2027"),
])
def test_event_time_is_written_in_the_events_own_zone(sample_build, url, when):
    time = page(sample_build, url).xpath('//dl[@class="facts"]//time')[0]
    assert text(time) == when


def test_event_time_carries_its_utc_instant_for_the_visitors_clock(sample_build):
    time = page(sample_build, "/events/dlct-2026-12-04/").xpath('//dl[@class="facts"]//time')[0]
    assert (time.get("datetime"), time.get("data-end"), time.get("data-zone")) == \
        ("2026-12-04T18:00:00Z", "2026-12-04T19:00:00Z", "America/Los_Angeles")


def test_cancelled_session_stays_visible_and_says_so(sample_build):
    doc = page(sample_build, "/events/dlct-2026-12-11/")
    assert text(doc.xpath('//p[contains(@class,"banner-cancelled")]')[0]).startswith("Cancelled.")
    assert not doc.xpath('//section[@aria-labelledby="Add-to-calendar"]')
    data = json_ld(doc)
    assert data["eventStatus"] == "https://schema.org/EventCancelled"
    row = [tr for tr in page(sample_build, "/series/dlct/").xpath("//tr") if "dlct-2026-12-11" in lxml.html.tostring(tr, encoding=str)]
    assert row and "Cancelled" in text(row[0])


def test_tentative_event_has_a_banner(sample_build):
    doc = page(sample_build, "/events/iclr-2027-workshop/")
    assert "Tentative" in text(doc.xpath('//p[contains(@class,"banner-tentative")]')[0])


def test_event_page_offers_calendar_links_and_neighbouring_sessions(sample_build):
    doc = page(sample_build, "/events/dlct-2026-12-04/")
    links = hrefs(section(doc, "Add-to-calendar"))
    assert "/events/dlct-2026-12-04/event.ics" in links
    google = next(h for h in links if h.startswith("https://calendar.google.com/"))
    assert "dates=20261204T180000Z%2F20261204T190000Z" in google
    assert "webcal://mlcollective.org/series/dlct/calendar.ics" in links
    assert doc.xpath('//nav[@class="pager"]/a[@rel="prev"]/@href') == ["/events/dlct-2026-11-20/"]
    assert doc.xpath('//nav[@class="pager"]/a[@rel="next"]/@href') == ["/events/dlct-2026-12-11/"]


def test_event_json_ld_names_status_mode_location_and_performers(sample_build):
    data = json_ld(page(sample_build, "/events/neurips-2026-social/"))
    assert data["@type"] == "Event" and data["startDate"] == "2026-12-09T19:30:00-08:00"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["location"]["address"].startswith("1450 Marina Park Way")
    speaker = json_ld(page(sample_build, "/events/dlct-2026-12-04/"))["performer"][0]
    assert speaker["url"] == "https://mlcollective.org/members/chinedu-okafor/"


def test_events_index_puts_upcoming_first_and_a_recurring_event_at_its_next_date(sample_build):
    doc = page(sample_build, "/events/")
    upcoming = hrefs(section(doc, "Upcoming"))
    past = hrefs(section(doc, "Past"))
    assert upcoming.index("/events/dlct-2026-12-04/") < upcoming.index("/events/neurips-2026-social/")
    assert "/events/dlct-2026-11-20/" in past and "/events/dlct-2026-11-20/" not in upcoming
    town_hall = [li for li in section(doc, "Upcoming").iter("li") if "/events/town-hall/" in hrefs(li)][0]
    assert "Thu 10 Dec 2026" in text(town_hall) and "Monthly, on the second Thursday" in text(town_hall)
    assert [text(h) for h in section(doc, "Past").iter("h3")] == ["2026"]


def test_series_page_highlights_the_next_session_and_offers_subscriptions(sample_build):
    doc = page(sample_build, "/series/dlct/")
    assert text(doc.xpath('//p[@class="cadence"]')[0]) == "Usually Fridays at 10:00 Los Angeles time"
    assert hrefs(doc.xpath('//div[@class="highlight"]')[0])[1] == "/events/dlct-2026-12-04/"
    upcoming = text(section(doc, "Upcoming"))
    assert "Tokenisers" in upcoming and "Chinedu Okafor" in upcoming
    subscribe = hrefs(section(doc, "Subscribe"))
    assert "webcal://mlcollective.org/series/dlct/calendar.ics" in subscribe
    assert "/series/dlct/calendar.ics" in subscribe and "/events/feed.xml" in subscribe
    assert doc.xpath('//link[@rel="alternate" and @type="text/calendar"]/@href') == \
        ["/calendar.ics", "/series/dlct/calendar.ics"]


def test_project_page_shows_authors_in_order_with_outside_people_linked(sample_build):
    doc = page(sample_build, "/projects/yoruba-qa/")
    authors = doc.xpath('//header[@class="item-header"]//span[@class="person"]/a')
    assert [a.text for a in authors][:3] == ["Chinedu Okafor", "Samuel Mensah", "Adébáyọ̀ Ògúnlẹ́yẹ"]
    assert authors[2].get("href") == "https://adebayo.example.org"
    assert "@misc{okafor2025yorubaqa" in text(doc.xpath('//pre[@id="Bibtex"]')[0])
    assert doc.xpath('//button[@data-copy="Bibtex"]')[0].get("hidden") is not None  # shown by the script
    assert json_ld(doc)["@type"] == "ScholarlyArticle"


def test_equal_contribution_is_marked_and_explained(sample_build):
    doc = page(sample_build, "/projects/loss-landscape-atlas/")
    assert len(doc.xpath('//header//sup[@class="equal"]')) == 2
    assert text(doc.xpath('//p[@id="Equal-note"]')[0]) == "* Equal contribution."


def test_projects_index_groups_by_year_and_links_each_tag(sample_build):
    doc = page(sample_build, "/projects/")
    years = [text(h) for h in doc.xpath("//main//h2")]
    assert years == sorted(years, reverse=True) and years[0] == "2026"
    assert "/tags/datasets/" in hrefs(doc.xpath('//nav[@class="filters"]')[0])


def test_home_shows_mission_next_events_latest_posts_featured_projects_and_open_rfps(sample_build):
    doc = page(sample_build, "/")
    assert "A lab for anyone who needs one" in text(doc.xpath('//p[@class="lede"]')[0])
    cards = doc.xpath('//section[@aria-labelledby="Coming-up"]//article')
    assert len(cards) == 3 and "/events/dlct-2026-12-04/" in hrefs(cards[0])
    posts = section(doc, "Latest-posts").xpath('.//li')
    assert len(posts) == 3 and "/posts/see-you-at-neurips-2026/" in hrefs(posts[0])
    assert "Our NeurIPS 2026 social is on" in text(posts[0])
    featured = section(doc, "Featured-projects").xpath('.//p[@class="row-title"]/a/@href')
    assert featured == ["/projects/loss-landscape-atlas/", "/projects/yoruba-qa/", "/projects/sparse-proxy-sweeps/"]
    assert "/rfps/loss-spikes-small-scale/" in hrefs(section(doc, "Open-rfps"))
    assert json_ld(doc)["@type"] == "Organization"


def test_drafts_are_not_listed(sample_build):
    assert not (sample_build / "posts" / "2026-in-review").exists()
    assert "/posts/2026-in-review/" not in hrefs(page(sample_build, "/posts/"))


def test_post_page_links_authors_tags_and_feeds(sample_build):
    doc = page(sample_build, "/posts/a-year-of-mlc/")
    header = doc.xpath('//header[@class="item-header"]')[0]
    assert "/members/wang-fang/" in hrefs(header) and "/tags/community/" in hrefs(header)
    footer = doc.xpath('//footer[@class="item-footer"]')[0]
    assert "/feed.xml" in hrefs(footer) and "/tags/open-collab/" in hrefs(footer)
    assert json_ld(doc)["@type"] == "BlogPosting"


def test_tag_page_links_its_own_feed(sample_build):
    doc = page(sample_build, "/tags/community/")
    assert doc.xpath('//link[@rel="alternate" and contains(@href, "/tags/")]/@href') == ["/tags/community/feed.xml"]
    assert "/posts/a-year-of-mlc/" in hrefs(section(doc, "Tag-posts"))


def test_rfps_index_lists_open_ones_first(sample_build):
    doc = page(sample_build, "/rfps/")
    ids = [h.get("id") for h in doc.xpath("//main//h2")]
    assert ids[0] == "Open" and ids == sorted(ids, key=["Open", "Taken", "Done"].index)
    rfp = page(sample_build, "/rfps/gradient-noise-curriculum/")
    assert section(rfp, "First-plot") is not None


def test_nested_free_page_and_alias_redirect(sample_build):
    assert text(page(sample_build, "/wiki/getting-started/").xpath("//h1")[0]) == "Getting Started with MLC"
    redirect = page(sample_build, "/neurips-social/")
    assert redirect.xpath('//meta[@http-equiv="refresh"]/@content') == ["0; url=/events/neurips-2026-social/"]
    assert redirect.xpath('//link[@rel="canonical"]/@href') == ["https://mlcollective.org/events/neurips-2026-social/"]


def test_navigation_marks_the_current_page_and_section(sample_build):
    nav = page(sample_build, "/events/dlct-2026-12-04/").xpath('//nav[@class="site-nav"]')[0]
    assert nav.xpath('.//a[@aria-current]/@href') == ["/events/"]
    titles = [text(a) for a in nav.iter("a")]
    assert titles[-2:] == ["Code of Conduct", "Open Collaboration"] and titles.count("About") == 1
    about = page(sample_build, "/about/").xpath('//nav[@class="site-nav"]//a[@aria-current="page"]/@href')
    assert about == ["/about/"]


def test_every_page_has_title_description_canonical_social_tags_and_feeds(sample_build):
    for path in sample_build.rglob("index.html"):
        doc = lxml.html.fromstring(path.read_bytes())
        if doc.xpath('//meta[@http-equiv="refresh"]'):
            continue  # an alias
        where = path.relative_to(sample_build)
        assert doc.findtext(".//title").endswith("ML Collective"), where
        assert doc.xpath('//meta[@name="description"]/@content')[0].strip(), where
        canonical = doc.xpath('//link[@rel="canonical"]/@href')
        assert canonical and canonical[0].startswith("https://mlcollective.org/"), where
        for name in ("og:title", "og:description", "og:url", "og:image"):
            assert doc.xpath(f'//meta[@property="{name}"]/@content'), (where, name)
        assert doc.xpath('//meta[@name="twitter:card"]/@content'), where
        feeds = doc.xpath('//link[@rel="alternate"]/@href')
        assert {"/feed.xml", "/atom.xml", "/events/feed.xml", "/calendar.ics"} <= set(feeds), where


def json_ld(doc) -> dict:
    scripts = doc.xpath('//script[@type="application/ld+json"]')
    assert len(scripts) == 1
    return json.loads(scripts[0].text)


# Builds with other options -----------------------------------------------------

def test_base_url_keeps_every_link_under_its_path(tmp_path):
    out = build(REPO, tmp_path / "out", "--now", SAMPLE_NOW, "--base-url", PREVIEW)
    checked = 0
    for path in out.rglob("*.html"):
        doc = lxml.html.fromstring(path.read_bytes())
        for element, attribute, link, _ in doc.iterlinks():
            if link.startswith("/"):
                assert link.startswith("/pr-42/"), (path.relative_to(out), element.tag, link)
                checked += 1
        for canonical in doc.xpath('//link[@rel="canonical"]/@href | //meta[@property="og:image"]/@content'):
            assert canonical.startswith(PREVIEW), (path.relative_to(out), canonical)
    assert checked > 1000
    assert "url=/pr-42/events/neurips-2026-social/" in (out / "neurips-social" / "index.html").read_text()


def test_two_builds_of_the_same_input_are_byte_identical(sample_build, tmp_path):
    again = build(REPO, tmp_path / "again", "--now", SAMPLE_NOW)
    first = {p.relative_to(sample_build): p.read_bytes() for p in sample_build.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [path for path in first if first[path] != second[path]] == []


def test_upcoming_and_past_follow_the_build_clock(tmp_path):
    out = build(REPO, tmp_path / "later", "--now", "2026-12-05T00:00:00Z")
    doc = page(out, "/events/")
    assert "/events/dlct-2026-12-04/" in hrefs(section(doc, "Past"))
    assert "/events/dlct-2026-12-04/" not in hrefs(section(doc, "Upcoming"))
    home = page(out, "/").xpath('//section[@aria-labelledby="Coming-up"]//article')
    assert "/events/lagos-chapter-meetup-2026-12/" in hrefs(home[0])
    assert not any("/events/dlct-2026-12-04/" in hrefs(card) for card in home)
    event = page(out, "/events/dlct-2026-12-04/")
    assert event.xpath('//p[contains(@class,"banner-past")]')


# A scratch site for what the sample does not cover ---------------------------

TRICKY = {
    "content/members/ada.yaml": "name: Ada Lovelace\nphoto: images/ada.png\n",
    "content/posts/2026-11-20-curly.md": """\
        ---
        title: "{{ 7*7 }} and <b>not bold</b>"
        authors: [ada]
        tags: [news]
        ---
        Body says {{ 7*7 }} and {% if true %}stays{% endif %}.
        """,
    "content/posts/2026-11-28-scheduled.md": """\
        ---
        title: Scheduled for later
        authors: [ada]
        tags: [news]
        ---
        Not yet.
        """,
    "content/projects/outside.md": """\
        ---
        title: With outside people
        authors:
          - slug: ada
            equal: true
          - {name: Linked Person, url: "https://linked.example/", equal: true}
          - {name: Unlinked Person}
        ---
        Abstract.
        """,
    "content/events/script.md": """\
        ---
        title: "</script><script>alert(1)</script> talk"
        start: 2026-12-01 10:00
        speakers: [ada]
        ---
        Hello.
        """,
    **{f"content/posts/2020-01-{day:02d}-old-{day}.md": f"---\ntitle: Old post {day}\n---\nOld.\n"
       for day in range(1, 11)},
}


# The smallest valid PNG (1×1, transparent).
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture(scope="module")
def tricky(tmp_path_factory) -> ScratchSite:
    site = ScratchSite(tmp_path_factory.mktemp("tricky"))
    for rel, content in TRICKY.items():
        site.write(rel, content)
    site.write_bytes("content/images/ada.png", PNG)
    return site


@pytest.fixture(scope="module")
def tricky_build(tricky) -> Path:
    # 2026-11-28 04:00 UTC is still the 27th in Los Angeles (the site's zone).
    return build(tricky.root, tricky.root / "out", "--now", "2026-11-28T04:00:00Z")


def test_template_syntax_in_content_stays_literal(tricky_build):
    doc = page(tricky_build, "/posts/curly/")
    assert text(doc.xpath("//h1")[0]) == "{{ 7*7 }} and <b>not bold</b>"
    assert "Body says {{ 7*7 }} and {% if true %}stays{% endif %}." in text(doc.xpath('//div[@class="prose"]')[0])
    assert "49" not in text(doc.xpath("//main")[0])
    assert doc.findtext(".//title").startswith("{{ 7*7 }} and <b>not bold</b>")


def test_json_ld_cannot_close_its_script_element(tricky_build):
    raw = (tricky_build / "events" / "script" / "index.html").read_text()
    block = raw.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block
    assert json.loads(block)["name"] == "</script><script>alert(1)</script> talk"


def test_outside_people_link_to_their_url_or_to_nothing(tricky_build):
    doc = page(tricky_build, "/projects/outside/")
    people = doc.xpath('//header//span[@class="person"]')
    assert hrefs(people[0]) == ["/members/ada/"]
    assert hrefs(people[1]) == ["https://linked.example/"]
    assert hrefs(people[2]) == [] and text(people[2]) == "Unlinked Person"
    assert len(doc.xpath('//header//sup[@class="equal"]')) == 2


def test_posts_dated_after_the_build_day_wait(tricky, tricky_build, tmp_path):
    for url in ("/posts/", "/", "/tags/news/", "/members/ada/"):
        assert "/posts/scheduled/" not in hrefs(page(tricky_build, url)), url
    assert "/posts/curly/" in hrefs(page(tricky_build, "/posts/"))
    later = build(tricky.root, tmp_path / "later", "--now", "2026-11-28T09:00:00Z")  # the 28th in LA
    for url in ("/posts/", "/", "/tags/news/", "/members/ada/"):
        assert "/posts/scheduled/" in hrefs(page(later, url)), url


def test_posts_index_is_paginated_with_numbered_pages(tricky_build):
    first, second = page(tricky_build, "/posts/"), page(tricky_build, "/posts/page/2/")
    assert len(first.xpath('//main//ul[@class="rows"]/li')) == 10
    assert [text(li) for li in second.xpath('//main//ul[@class="rows"]/li//p[@class="row-title"]')] == ["Old post 1"]
    assert first.xpath('//link[@rel="next"]/@href') == ["/posts/page/2/"]
    assert second.xpath('//link[@rel="prev"]/@href') == ["/posts/"]
    assert second.xpath('//nav[@class="pagination"]//a[@aria-current="page"]/text()') == ["2"]


def test_given_the_clock_the_plan_leaves_scheduled_posts_out(tricky):
    import datetime as dt

    from generator.pipeline import Options, plan_site

    def planned(now: dt.datetime) -> set[str]:
        return {o.url for o in plan_site(Options(root=tricky.root, now=now)).outputs}

    # 08:00 UTC on 28 Nov is midnight in Los Angeles, the site's zone: the post's day.
    before = planned(dt.datetime(2026, 11, 28, 4, tzinfo=dt.timezone.utc))
    after = planned(dt.datetime(2026, 11, 28, 9, tzinfo=dt.timezone.utc))
    assert "/posts/curly/" in before and "/posts/scheduled/" not in before
    assert "/posts/scheduled/" in after
    assert {url for url in after - before if not url.startswith("/tags/")} == {"/posts/scheduled/"}


def test_a_drafts_preview_marks_drafts(tricky, tmp_path):
    tricky.write("content/posts/2026-11-01-unfinished.md", "---\ntitle: Unfinished\ndraft: true\n---\nSoon.\n")
    try:
        out = build(tricky.root, tmp_path / "drafts", "--drafts", "--now", "2026-11-28T04:00:00Z")
    finally:
        (tricky.root / "content/posts/2026-11-01-unfinished.md").unlink()
    assert "Draft" in text(page(out, "/posts/unfinished/").xpath('//p[@class="kicker"]')[0])
    row = [li for li in page(out, "/posts/").xpath("//main//li") if "/posts/unfinished/" in hrefs(li)]
    assert "Draft" in text(row[0])


def test_a_member_photo_is_served_from_its_content_path(tricky_build):
    doc = page(tricky_build, "/members/ada/")
    assert doc.xpath('//header[@class="member-header"]//img/@src') == ["/images/ada.png"]
    assert (tricky_build / "images" / "ada.png").read_bytes() == PNG
    assert doc.xpath('//meta[@property="og:image"]/@content') == ["https://example.org/images/ada.png"]
    listed = page(tricky_build, "/members/").xpath('//img[@class="avatar"]/@src')
    assert listed == ["/images/ada.png"]


def test_every_posts_page_links_every_page_under_the_base_path_the_current_one_marked(make_site):
    # The links are made once per build (environment.page_links) and reused by each page.
    posts = {f"content/posts/2024-01-{day:02d}-p{day}.md": f"---\ntitle: P{day}\n---\nText.\n" for day in range(1, 26)}
    site = make_site({"site.yaml": "title: T\nbase_url: https://example.org/pr-42/\ntimezone: UTC\n", **posts})
    assert site.cli("build", "--no-cache").returncode == 0
    urls = ["/pr-42/posts/", "/pr-42/posts/page/2/", "/pr-42/posts/page/3/"]
    for number, folder in enumerate(["posts", "posts/page/2", "posts/page/3"], start=1):
        html = (site.output / folder / "index.html").read_text("utf-8")
        marks = ['' if n != number else ' aria-current="page"' for n in range(1, 4)]
        lines = [f'    <li><a href="{url}"{mark}>{n}</a></li>\n' for n, (url, mark) in enumerate(zip(urls, marks), start=1)]
        assert "".join(lines) in html, folder
        assert html.count('aria-current="page">') == 1, folder
