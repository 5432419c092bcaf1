"""A cached rebuild renders the edited sources' own pages first (generator/edited_first.py):
the search index starts the edited post's shard before the rest of the site is
keyed, the post renders once, and the result is the clean build's, byte for byte.
A page that fails early is reported in its turn, once."""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
from test_search import _sample_now, tree
from test_search_shards import LAGOS, build, shard_of_each_page, sharded_site

from generator import input_state, pipeline
from generator.build_cache import CacheFolder
from generator.early_page import write_edited_pages
from generator.incremental import Fingerprints, RenderCache
from generator.plan_snapshot import NAME
from generator.search.ahead import Ahead

POST_PAGE = "posts/lagos-chapter-launch/index.html"


def edit_post(root) -> None:
    post = root / LAGOS
    post.write_text(post.read_text("utf-8") + "\nA zanzibarian afterword.\n", "utf-8")


def keys_and_starts(monkeypatch) -> tuple[list[str], list[tuple[str, int]]]:
    """The outputs keyed, in order, and each shard started ahead: (its folder,
    how many outputs had been keyed then), as the build goes."""
    keyed: list[str] = []
    started: list[tuple[str, int]] = []
    real_of, real_start = Fingerprints.of, Ahead.start
    monkeypatch.setattr(Fingerprints, "of", lambda self, output: keyed.append(output.path) or real_of(self, output))
    monkeypatch.setattr(Ahead, "start", lambda self, job, index: started.append((job.shard.folder, len(keyed)))
                        or real_start(self, job, index))
    return keyed, started


@pytest.mark.parametrize("plan", ["afresh", "kept"])
def test_the_edited_posts_shard_starts_before_the_site_is_keyed_and_the_post_renders_once(tmp_path, monkeypatch,
                                                                                          plan):
    """Planned afresh, the site is keyed after the post's page: only its own key
    comes first. On the first build's kept plan, only the outputs that name the
    post are keyed again (plan_snapshot.py), all before the page."""
    root = sharded_site(tmp_path / "site")
    out = tmp_path / "out"
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    if plan == "afresh":
        (CacheFolder(root).folder / NAME).unlink()
    keyed, started = keys_and_starts(monkeypatch)
    renders: Counter[str] = Counter()
    real_render_with = pipeline.render_with

    def counting_render_with(ctx, describe):
        attempt = real_render_with(ctx, describe)

        def counted(output):
            renders[output.path] += 1
            return attempt(output)
        return counted
    monkeypatch.setattr(pipeline, "render_with", counting_render_with)
    edit_post(root)
    cache = RenderCache.persistent(root, out, in_place=False)
    build(root, out, cache)

    shard = shard_of_each_page(out)["/posts/lagos-chapter-launch/"]
    assert [folder for folder, _ in started] == [shard]
    if plan == "afresh":
        assert started[0][1] <= 2 < len(cache.written) // 2  # the post's own key, not the site's
    else:
        assert started[0][1] == len(keyed) < len(cache.written) // 2  # no more keyed after it
    assert renders[POST_PAGE] == 1 and len(renders) > 1  # its tag pages and lists render too
    assert cache.search.indexed_ahead == 1  # the early run's files were used
    clean = tmp_path / "clean"
    build(root, clean)
    assert tree(clean) == tree(out)


def test_an_edited_page_that_fails_early_is_reported_once_in_its_turn(tmp_path):
    root = sharded_site(tmp_path / "site")
    out = tmp_path / "out"
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    before = tree(out)
    edit_post(root)
    template = root / "templates/post.html"
    template.write_text(template.read_text("utf-8").replace("{{", "{{ page.nowhere.at_all ~", 1), "utf-8")
    result = pipeline.build(pipeline.Options(root=root, out=out, now=_sample_now()),
                            RenderCache.persistent(root, out, in_place=False))
    errors = [d for d in result.diagnostics.items if d.severity == "error"]
    assert len(errors) == 1 and errors[0].location.path == "templates/post.html", errors
    assert tree(out) == before  # nothing written


def test_watch_after_the_early_page_starts_the_shard_early_and_hashes_only_the_edited_file(tmp_path, monkeypatch):
    """Watch writes the saved post's page at once (early_page.py), then rebuilds:
    that rebuild still knows every other file's digest, and finds the post
    edited, so its shard starts before the site is keyed."""
    root = sharded_site(tmp_path / "site")
    an_hour_ago = time.time() - 3600  # site.yaml, just written, would be hashed again as racily clean
    os.utime(root / "site.yaml", (an_hour_ago, an_hour_ago))
    out = tmp_path / "out"
    cache = RenderCache()  # watch's: kept for the session, output/ updated in place
    build(root, out, cache)
    edit_post(root)
    assert write_edited_pages(cache, out, [LAGOS]) is not None
    keyed, started = keys_and_starts(monkeypatch)
    hashed: list[int] = []
    real_digest = input_state.file_digest
    monkeypatch.setattr(input_state, "file_digest", lambda data: hashed.append(len(data)) or real_digest(data))
    build(root, out, cache)
    assert len(hashed) == 1  # the edited post, not every file again
    assert len(started) == 1 and started[0][1] <= 2 < len(cache.written) // 2
    clean = tmp_path / "clean"
    build(root, clean)
    assert tree(clean) == tree(out)


def test_a_new_posts_shard_starts_before_the_site_is_keyed(tmp_path, monkeypatch):
    """A new post joins one shard and moves no other page (shards.py): that shard
    starts with the post's page, before the rest is keyed, and its author's shard
    as soon as the author's page is in."""
    root = sharded_site(tmp_path / "site")
    out = tmp_path / "out"
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    keyed, started = keys_and_starts(monkeypatch)
    (root / "content/posts/2026-01-05-one-more-post.md").write_text(
        "---\ntitle: One More Post\nauthors: [layla-haddad]\n---\nA post about quokkas.\n", "utf-8")
    cache = RenderCache.persistent(root, out, in_place=False)
    build(root, out, cache)
    shards = shard_of_each_page(out)
    post, author = shards["/posts/one-more-post/"], shards["/members/layla-haddad/"]
    assert started[0][0] == post and started[0][1] <= 2 < len(cache.written) // 2
    # The author's page lists the post: its shard starts once that page is in (ahead.py),
    # which knows the new post from the early guess.
    assert [folder for folder, _ in started] == [post, author]
    assert cache.search.indexed_ahead == 2  # both runs' files were used
    clean = tmp_path / "clean"
    build(root, clean)
    assert tree(clean) == tree(out)
