"""What a page's search record leaves out (generator/search/records.py): the
badges above a title, link buttons and initials in place of a photo are marked
data-pagefind-ignore in the record, so search excerpts show the page's words;
the published page keeps them and is not changed."""

from __future__ import annotations

import hashlib

from conftest import SAMPLE_NOW, run_mlcsite
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_search import fragments
from test_watch import copy_sample_site

from generator.build_cache import CacheFolder
from generator.search.index import RECORDS
from generator.search.records import _IGNORED, _NOT_CONTENT, _not_content_ignored, record_of


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


# Pieces that make and break the pattern's matches: tags, quotes, `>` inside
# values, the class names whole or as parts of other words.
_PIECES = st.sampled_from([b"<", b">", b'"', b" ", b"\n", b"p", b"ul", b"x", b"-", b"=", b'class="', b"data-class=",
                           b"xclass=", b"kicker", b"badge", b"badges", b"link-list", b"avatar-initials", b"<p ",
                           b'<p class="', b"</p>", b"&quot;"])


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(st.lists(_PIECES, max_size=40).map(b"".join))
@example(b'<p title="a<b" class="badge">x</p>')  # a `<` inside a value: the tag opens before it
@example(b'<p title="a>b" class="badge">x</p>')  # a `>` inside a value ends the pattern's tag
@example(b'<p class="a>b kicker">x</p><ul class="link-list">')  # and inside the class value does not
@example(b'<p class="badges">badge</p><p data-class="x kicker">')
def test_the_quick_search_marks_exactly_what_the_pattern_marks(text):
    """records._not_content_ignored looks for matches only near the class names:
    it must give what the regex tried at every position gives, whatever the bytes."""
    assert _not_content_ignored(text) == _NOT_CONTENT.sub(_IGNORED, text)


def test_the_quick_search_marks_exactly_what_the_pattern_marks_on_built_pages(sample_build):
    pages = [path.read_bytes() for path in sample_build.rglob("*.html")]
    assert sum(_NOT_CONTENT.search(page) is not None for page in pages) > 20
    for page in pages:
        assert _not_content_ignored(page) == _NOT_CONTENT.sub(_IGNORED, page)


def test_a_damaged_or_altered_record_in_the_cache_folder_is_written_again(tmp_path):
    """A build into a new output folder keeps the record files the cache folder
    already holds (each is named by its bytes' digest) only when one reads back
    as exactly the record: a damaged file or one altered behind a valid
    checksum is written again."""
    root = copy_sample_site(tmp_path / "site")
    assert run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    folder = CacheFolder(root)
    names = sorted(path.name for path in (folder.folder / RECORDS).iterdir())
    assert len(names) > 20
    for index, name in enumerate(names):
        if index % 2:
            folder.write(f"{RECORDS}/{name}", b"<html><body><main>altered</main></body></html>")
        else:
            (folder.folder / RECORDS / name).write_bytes(b"damaged")
    assert run_mlcsite("build", "--now", SAMPLE_NOW, "--out", str(tmp_path / "preview"), cwd=root).returncode == 0
    for name in names:
        record = folder.read(f"{RECORDS}/{name}")
        assert record is not None and hashlib.blake2b(record, digest_size=16).hexdigest() == name
