"""The search page over a sharded index, in Chromium: one Pagefind instance with
the other shards merged into it (Pagefind's script and WebAssembly load once,
however many shards a search asks), results from several shards ranked together,
and Pagefind's fallback in shards without a word (the longest word the searched
word starts with) told apart from a real result, even one found through a stem
much shorter than the searched word."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import SAMPLE_NOW, run_mlcsite
from test_browser import browser  # noqa: F401 (the shared Chromium fixture)
from test_search_browser import Server, first_result, tab  # noqa: F401 (tab: a page that records errors)
from test_search_shards import sharded_site
from test_search_shards_browser import pages_by_shard

pytestmark = pytest.mark.browser  # needs Chromium

# "hospitalized" and "hospitalizations" share the stem "hospital", not their first 12 letters.
WARDS = """---
title: A visit to the wards
tags:
  - community
---
Two of our members were hospitalized after the retreat; both are well again.
"""


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    """The sample site in shards of 4 pages, with one more post, built for /pr-42/ and served under it."""
    top = tmp_path_factory.mktemp("merged")
    root = sharded_site(top / "site")
    (root / "content/posts/2026-02-02-wards.md").write_text(WARDS, encoding="utf-8")
    server = Server(top)
    base = server.url + "/pr-42/"
    result = run_mlcsite("build", "--out", str(top / "pr-42"), "--now", SAMPLE_NOW, "--base-url", base, cwd=root)
    assert result.returncode == 0, result.output
    yield base, top / "pr-42"
    server.close()


def result_urls(tab) -> list[str]:
    return [link.get_attribute("href") for link in tab.locator("#Search-results h2 a").all()]


def test_a_search_over_every_shard_loads_pagefind_once_and_ranks_them_together(tab, merged):
    base, out = merged
    shard_of = {url: folder for folder, pages in pages_by_shard(out).items() for url in pages}
    requested: list[str] = []
    tab.on("request", lambda request: requested.append(request.url))
    tab.goto(base + "search/?q=DLCT")
    expect(tab.locator("#Search-status")).to_contain_text("pages found")
    urls = result_urls(tab)
    assert len({shard_of[url] for url in urls}) >= 3, urls  # series, events and posts or members
    kinds = set(tab.locator("#Search-results .search-facts").all_inner_texts())
    assert {"Series", "Event"} <= {text.split(" · ")[0] for text in kinds}
    scripts = [url for url in requested if url.endswith("/pagefind.js")]
    wasm = [url for url in requested if "/wasm." in url]
    assert len(scripts) == 1 and len(wasm) == 1, (scripts, wasm)
    # Another kind: another instance, from the same script.
    tab.get_by_label("Kind").select_option("Event")
    expect(tab.locator("#Search-status")).to_contain_text("pages found")
    expect(tab.locator("#Search-results .search-facts").first).to_contain_text("Event")
    assert all(text.startswith("Event") for text in tab.locator("#Search-results .search-facts").all_inner_texts())
    assert len([url for url in requested if url.endswith("/pagefind.js")]) == 1
    assert tab.errors == []


def test_a_word_found_through_a_much_shorter_stem_is_kept(tab, merged):
    base, out = merged
    shard_of = {url: folder for folder, pages in pages_by_shard(out).items() for url in pages}
    assert shard_of["/pr-42/posts/wards/"] != ""  # a shard other than the first
    tab.goto(base + "search/?q=hospitalizations")
    expect(first_result(tab).get_by_role("link")).to_have_attribute("href", "/pr-42/posts/wards/")
    expect(tab.locator("#Search-status")).to_have_text("1 page found for “hospitalizations”.")
    assert tab.errors == []


def test_the_fallback_of_shards_without_the_word_is_left_out(tab, merged):
    base, out = merged
    shards = pages_by_shard(out)
    # "curvature" is in one event; "curve" and "curves" in pages of other shards, which
    # Pagefind's fallback ("curv") would list.
    holding = [folder for folder, pages in shards.items() for data in pages.values() if "curvature" in data["content"]]
    with_curve = {folder for folder, pages in shards.items() for data in pages.values()
                  if "curve" in data["content"].lower() and "curvature" not in data["content"].lower()}
    assert len(holding) == 1 and with_curve - set(holding), (holding, with_curve)
    tab.goto(base + "search/?q=curvature")
    expect(first_result(tab).get_by_role("link")).to_have_attribute("href", "/pr-42/events/dlct-2026-09-04/")
    expect(tab.locator("#Search-status")).to_have_text("1 page found for “curvature”.")
    # The word the fallback found is still found where it is searched for.
    tab.get_by_label("Words to find").fill("curves")
    expect(tab.locator("#Search-status")).to_contain_text("found for “curves”")
    assert "/pr-42/rfps/sparse-hyperparameter-sweeps/" in result_urls(tab)
    assert tab.errors == []
