"""What a page's search record leaves out (generator/search/records.py): the
badges above a title, link buttons and initials in place of a photo are marked
data-pagefind-ignore in the record, so search excerpts show the page's words;
the published page keeps them and is not changed."""

from __future__ import annotations

from test_search import fragments

from generator.search.records import record_of


def test_badges_and_link_buttons_are_not_in_the_index_but_stay_on_the_page(sample_build):
    found = fragments(sample_build)
    project = found["/projects/gradient-noise-curricula/"]
    assert "Ongoing" not in project["content"] and not project["content"].startswith("Projects")
    assert "ongoing project" in project["content"]  # its own words stay
    assert project["filters"]["kind"] == ["Project"]
    member = found["/members/layla-haddad/"]
    assert "GitHub" not in member["content"] and "Members." not in member["content"]
    assert "لح" not in member["content"]  # the initials shown for a missing photo
    assert "Independent researcher, Beirut" in member["content"] and member["filters"]["kind"] == ["Member"]
    atlas = found["/projects/loss-landscape-atlas/"]
    assert "arXiv. Code." not in atlas["content"] and "Published" not in atlas["content"]
    event = found["/events/dlct-2026-09-04/"]
    assert "Past event" not in event["content"] and event["content"].startswith("DLCT: Why Does")
    page = (sample_build / "projects/gradient-noise-curricula/index.html").read_text("utf-8")
    assert '<p class="kicker">' in page and 'class="badge badge-ongoing"' in page  # unchanged


def test_only_template_labels_are_marked():
    page = (b'<html lang="en"><body><header><p class="badge">x</p></header>'
            b'<main data-pagefind-body><p class="kicker lead">Posts</p><p class="badges">kept</p>'
            b'<span title="class=&quot;badge&quot;">kept too</span><ul class="link-list"><li>Paper</li></ul></main>'
            b'</body></html>')
    record = record_of(page)
    assert record.count(b"data-pagefind-ignore") == 2
    assert b'<p data-pagefind-ignore class="kicker lead">' in record and b'<ul data-pagefind-ignore class="link-list">' in record
    assert b"<header>" not in record
