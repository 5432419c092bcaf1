"""Search over a sharded index in Chromium: the sample site built with
`search: shard_size: 4`, so every kind is split into several Pagefind bundles.
A word found in one page only is found first, whichever shard holds it; the kind
filter loads only that kind's shards and finds pages in several of them; the
same under a /pr-42/ sub-path."""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import SAMPLE_NOW, run_mlcsite
from test_browser import browser  # noqa: F401 (the shared Chromium fixture)
from test_search_browser import Server, first_result, tab  # noqa: F401 (tab: a page that records errors)
from test_search_shards import sharded_site

pytestmark = pytest.mark.browser  # needs Chromium


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    """The sharded sample site, built for /pr-42/ and served under it."""
    top = tmp_path_factory.mktemp("sharded")
    root = sharded_site(top / "site")
    server = Server(top)
    base = server.url + "/pr-42/"
    result = run_mlcsite("build", "--out", str(top / "pr-42"), "--now", SAMPLE_NOW, "--base-url", base, cwd=root)
    assert result.returncode == 0, result.output
    yield base, top / "pr-42"
    server.close()


def pages_by_shard(out: Path) -> dict[str, dict[str, dict]]:
    """shard folder → URL → fragment."""
    manifest = json.loads((out / "pagefind/shards.json").read_text("utf-8"))
    found: dict[str, dict[str, dict]] = {}
    for shard in manifest["shards"]:
        for path in (out / "pagefind" / shard["path"] / "fragment").iterdir():
            data = json.loads(gzip.decompress(path.read_bytes())[len(b"pagefind_dcd"):])
            found.setdefault(shard["path"], {})[data["url"]] = data
    return found


def a_word_only_in(url: str, shards: dict[str, dict[str, dict]]) -> str | None:
    """A word of the page at url whose first five letters begin no word of any other page (Pagefind's
    stems are about that long: it finds any word that begins like the stem)."""
    prefixes = defaultdict(set)
    for pages in shards.values():
        for other, data in pages.items():
            for word in re.findall(r"[a-z]{5,}", data["content"].lower()):
                prefixes[word[:5]].add(other)
    words = re.findall(r"[a-z]{8,}", next(p[url] for p in shards.values() if url in p)["content"].lower())
    return next((word for word in sorted(set(words)) if prefixes[word[:5]] == {url}), None)


def test_a_word_from_a_page_of_each_shard_finds_that_page_first(tab, sharded):
    base, out = sharded
    shards = pages_by_shard(out)
    assert len(shards) > 8
    tab.goto(base + "search/")
    for folder, pages in sorted(shards.items()):
        url, word = next(((url, w) for url in sorted(pages) if (w := a_word_only_in(url, shards))), (None, None))
        assert word, f"no page of shard {folder!r} has a word of its own"
        tab.get_by_label("Words to find").fill(word)
        expect(first_result(tab).get_by_role("link")).to_have_attribute("href", url)
    url = first_result(tab).get_by_role("link").get_attribute("href")
    first_result(tab).get_by_role("link").click()
    tab.wait_for_url(base[:-len("/pr-42/")] + url)
    assert tab.errors == []


def test_the_kind_filter_loads_that_kinds_shards_and_finds_pages_in_several(tab, sharded):
    base, out = sharded
    shard_of = {url: folder for folder, pages in pages_by_shard(out).items() for url in pages}
    requested: list[str] = []
    tab.on("request", lambda request: requested.append(request.url))
    tab.goto(base + "search/?q=DLCT&kind=Event")
    expect(tab.locator("#Search-status")).to_contain_text("found")
    facts = tab.locator("#Search-results .search-facts").all_inner_texts()
    assert facts and all(text.startswith("Event") for text in facts)
    urls = [link.get_attribute("href") for link in tab.locator("#Search-results h2 a").all()]
    assert len({shard_of[url] for url in urls}) >= 2  # ranked together across the event shards
    shard_requests = {re.sub(r".*/pagefind/([^/]*/)?.*", r"\1", url) for url in requested if "/pagefind/" in url}
    assert shard_requests and all(folder.startswith("event-") for folder in shard_requests - {""}), shard_requests
    tab.goto(base + "search/?kind=Post&tag=chapters")
    expect(first_result(tab).get_by_role("link")).to_have_text("Introducing the MLC Lagos Chapter")
    assert tab.get_by_label("Tag").input_value() == "chapters"
    assert tab.errors == []
