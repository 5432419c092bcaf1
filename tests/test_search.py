"""The search index (Pagefind) as `mlcsite build` makes it: which pages it holds
and with what, the same bytes build after build, the reserved /pagefind/ folder,
and the build cache kept: Pagefind does not run when no indexed page changed,
and a rebuild never reads output/'s pages."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

from conftest import REPO, SAMPLE_NOW

from generator import pipeline
from generator.incremental import RenderCache
from generator.search import index as search_index
from generator.search.records import record_of
from generator.search.service import index_pages



def fragments(out: Path) -> dict[str, dict]:
    """Each indexed page's fragment (its URL, words, filters and metadata), by URL."""
    found = {}
    for path in sorted((out / "pagefind" / "fragment").iterdir()):
        data = json.loads(gzip.decompress(path.read_bytes())[len(b"pagefind_dcd"):])
        found[data["url"]] = data
    return found


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_sample_site(root: Path) -> Path:
    for name in ("content", "templates", "site.yaml"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, root / name)
    return root


def test_every_item_page_is_indexed_with_its_kind_and_lists_are_not(sample_build):
    found = fragments(sample_build)
    entry = json.loads((sample_build / "pagefind/pagefind-entry.json").read_text("utf-8"))
    assert entry["languages"]["en"]["page_count"] == len(found)
    kinds = {url: data["filters"]["kind"] for url, data in found.items()}
    for url, kind in [("/posts/a-year-of-mlc/", "Post"), ("/projects/loss-landscape-atlas/", "Project"),
                      ("/members/layla-haddad/", "Member"), ("/events/town-hall/", "Event"),
                      ("/series/dlct/", "Series"), ("/rfps/loss-spikes-small-scale/", "Request for Plot"),
                      ("/wiki/getting-started/", "Page")]:
        assert kinds[url] == [kind], url
    for listing in ["/", "/posts/", "/members/", "/events/", "/tags/community/", "/search/", "/404.html"]:
        assert listing not in found
    post = found["/posts/a-year-of-mlc/"]
    assert post["meta"]["title"] == "A Year of ML Collective"
    assert post["meta"]["date"] == "Mon 21 Jun 2021"
    assert "community" in post["filters"]["tag"]
    # The header and footer are not what a result is about.
    assert "Follow along" not in post["content"] and "Subscribe to all events" not in post["content"]


def test_a_record_is_the_main_element_of_an_indexed_page_only():
    page = (b'<!doctype html><html lang="en"><head><title>x</title></head><body><header>Menu</header>'
            b'<main id="Main" data-pagefind-body><h1>Title</h1><pre>&lt;/main&gt;</pre></main><footer>f</footer>')
    assert record_of(page) == (b'<html lang="en"><body><main id="Main" data-pagefind-body><h1>Title</h1>'
                               b'<pre>&lt;/main&gt;</pre></main></body></html>')
    assert record_of(page.replace(b" data-pagefind-body", b"")) is None
    assert record_of(b"<html><body><main><p>data-pagefind-body</p></main></body></html>") is None


def test_two_builds_give_the_same_index_bytes(tmp_path):
    outs = []
    for name in ("one", "two"):
        out = tmp_path / name
        result = pipeline.build(pipeline.Options(root=REPO, out=out, now=pipeline.build_clock(
            pipeline.Options(root=REPO, now=_sample_now()))))
        assert not result.diagnostics.has_errors()
        outs.append(tree(out / "pagefind"))
    assert outs[0] == outs[1]
    assert len(outs[0]) > 60


def _sample_now():
    import datetime as dt
    return dt.datetime.fromisoformat(SAMPLE_NOW.replace("Z", "+00:00"))


def test_pagefind_is_not_run_when_no_indexed_page_changed_and_runs_when_one_did(tmp_path, monkeypatch):
    root = copy_sample_site(tmp_path / "site")
    options = pipeline.Options(root=root, out=tmp_path / "out", now=_sample_now())
    runs = []

    def counting(pages, config):  # the real indexer, counted
        runs.append(len(pages))
        return index_pages(pages, config)
    monkeypatch.setattr(search_index, "index_pages", counting)
    cache = RenderCache.persistent(root, options.output_dir, in_place=False)
    assert not pipeline.build(options, cache).diagnostics.has_errors()
    assert len(runs) == 1
    first = tree(options.output_dir / "pagefind")
    # A change no indexed page shows: the footer's description... is on every page,
    # but outside <main>, so no record changes.
    site_yaml = root / "site.yaml"
    site_yaml.write_text(site_yaml.read_text("utf-8").replace("description: ", "description: Also ", 1), "utf-8")
    cache = RenderCache.persistent(root, options.output_dir, in_place=False)  # a new run of mlcsite build
    rebuilt = pipeline.build(options, cache)
    assert not rebuilt.diagnostics.has_errors() and rebuilt.rendered
    assert len(runs) == 1, "Pagefind ran though no record changed"
    assert tree(options.output_dir / "pagefind") == first
    post = root / "content/posts/2025-04-12-lagos-chapter-launch.md"
    post.write_text(post.read_text("utf-8") + "\nA zanzibarian afterword.\n", "utf-8")
    cache = RenderCache.persistent(root, options.output_dir, in_place=False)
    assert not pipeline.build(options, cache).diagnostics.has_errors()
    assert len(runs) == 2
    assert "zanzibarian" in fragments(options.output_dir)["/posts/lagos-chapter-launch/"]["content"]


def test_a_cached_rebuild_never_reads_the_pages_in_output_and_equals_a_clean_build(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    out = tmp_path / "out"
    options = pipeline.Options(root=root, out=out, now=_sample_now())
    assert not pipeline.build(options, RenderCache.persistent(root, out, in_place=False)).diagnostics.has_errors()
    for page in out.rglob("*.html"):
        page.chmod(0)  # unreadable: a rebuild that read a kept page would fail or index nothing
    post = root / "content/posts/2025-04-12-lagos-chapter-launch.md"
    post.write_text(post.read_text("utf-8") + "\nA zanzibarian afterword.\n", "utf-8")
    try:
        rebuilt = pipeline.build(options, RenderCache.persistent(root, out, in_place=False))
        assert not rebuilt.diagnostics.has_errors()
        assert "posts/lagos-chapter-launch/index.html" in rebuilt.rendered
        assert len(rebuilt.rendered) < 40  # the cache was used, not a full render
    finally:
        for page in out.rglob("*.html"):
            page.chmod(0o644)
    clean = tmp_path / "clean"
    assert not pipeline.build(pipeline.Options(root=root, out=clean, now=_sample_now())).diagnostics.has_errors()
    assert tree(out / "pagefind") == tree(clean / "pagefind")


def test_watch_updates_the_index_after_the_page(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    options = pipeline.Options(root=root, out=tmp_path / "out", now=_sample_now())
    cache = RenderCache()  # watch's: output/ updated in place
    assert not pipeline.build(options, cache).diagnostics.has_errors()
    post = root / "content/posts/2025-04-12-lagos-chapter-launch.md"
    post.write_text(post.read_text("utf-8") + "\nA zanzibarian afterword.\n", "utf-8")
    rebuilt = pipeline.build(options, cache)
    assert rebuilt.written[0] != "pagefind/pagefind-entry.json"
    assert "pagefind/pagefind-entry.json" in rebuilt.written
    assert "zanzibarian" in fragments(options.output_dir)["/posts/lagos-chapter-launch/"]["content"]
    stale = [p for p in (options.output_dir / "pagefind").rglob("*") if p.is_file()]
    entry = json.loads((options.output_dir / "pagefind/pagefind-entry.json").read_text("utf-8"))
    assert len([p for p in stale if p.suffix == ".pf_meta"]) == 1  # the old metadata file was removed
    assert (options.output_dir / f"pagefind/pagefind.{entry['languages']['en']['hash']}.pf_meta").exists()


def test_the_index_links_under_a_sub_path_base_url(tmp_path):
    out = tmp_path / "out"
    result = pipeline.build(pipeline.Options(root=REPO, out=out, now=_sample_now(),
                                             base_url="https://x.example/pr-42/"))
    assert not result.diagnostics.has_errors()
    assert "/pr-42/posts/a-year-of-mlc/" in fragments(out)


def test_a_file_or_alias_under_pagefind_is_refused_with_its_name(make_site):
    site = make_site({
        "content/pages/about.md": "---\ntitle: About\naliases: [/pagefind/old-about/]\n---\nHi.\n",
        "content/pagefind/pagefind.js": "alert(1)\n",
    })
    result = site.cli("check")
    assert result.returncode == 1
    assert "content/pages/about.md" in result.stdout
    assert "/pagefind/ is reserved for the site's search index" in result.stdout
