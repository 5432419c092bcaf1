"""The search state remembers the pages of each shard (search/index.py ShardState.pages).

A rebuild whose pages all stay in their shards lists a changed shard from the
pages the last build put in it, instead of placing every page again (a hash of
each post's path). A saved state that does not place each indexed page once is
not trusted: every page is placed again, and the index is a clean build's.
"""

from __future__ import annotations

import dataclasses

from test_search import tree
from test_search_shards import LAGOS, build, shard_of_each_page, sharded_site

from generator.incremental import RenderCache
from generator.search import shards
from generator.search.index import SearchIndex


def edit(root, text: str) -> None:
    post = root / LAGOS
    post.write_text(post.read_text("utf-8") + text, "utf-8")


def test_a_one_post_rebuild_places_only_the_pages_it_rendered(tmp_path, monkeypatch):
    root = sharded_site(tmp_path / "site")
    out = tmp_path / "out"
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    placed: list[str] = []
    real_pick = shards._pick
    monkeypatch.setattr(shards, "_pick", lambda found, path: placed.append(path) or real_pick(found, path))
    edit(root, "\nA zanzibarian afterword.\n")
    cache = RenderCache.persistent(root, out, in_place=False)
    result = build(root, out, cache)
    assert placed and set(placed) <= set(result.rendered)
    clean = tmp_path / "clean"
    build(root, clean)
    assert tree(clean / "pagefind") == tree(out / "pagefind")


def test_a_saved_state_that_leaves_a_page_out_of_its_shard_is_not_trusted(tmp_path):
    root = sharded_site(tmp_path / "site")
    out = tmp_path / "out"
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    folder = shard_of_each_page(out)["/posts/lagos-chapter-launch/"]
    saved = SearchIndex(RenderCache.persistent(root, out, in_place=False).folder, out)
    shard = saved.state.shards[folder]
    other = next(path for path in shard.pages if "lagos-chapter-launch" not in path)  # a page the edit leaves as it is
    saved.state.shards[folder] = dataclasses.replace(shard, pages=tuple(p for p in shard.pages if p != other))
    saved._save()
    edit(root, "\nA zanzibarian afterword.\n")
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    clean = tmp_path / "clean"
    build(root, clean)
    assert tree(clean / "pagefind") == tree(out / "pagefind")
    assert shard_of_each_page(out) == shard_of_each_page(clean)
