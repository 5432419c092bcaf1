"""The search index in shards (generator/search/shards.py), on the sample site
with `search: shard_size: 4` in site.yaml, so that every kind is split: each
page is in one shard, the manifest lists them, a rebuild after an edit re-indexes
only the edited page's shard, two clean builds give the same bytes, and adding a
page moves no other page."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from conftest import REPO  # noqa: F401 (the sample site's folder, through copy_sample_site)
from test_search import _sample_now, copy_sample_site, tree

from generator import pipeline
from generator.build_cache import CacheFolder, dump_plain
from generator.incremental import RenderCache
from generator.search import index as search_index
from generator.search.ahead import Ahead
from generator.search.index import Page
from generator.search.service import index_pages
from generator.search.shards import Shard, assign

SHARD_SIZE = 4
LAGOS = "content/posts/2025-04-12-lagos-chapter-launch.md"


def sharded_site(root: Path, size: int = SHARD_SIZE) -> Path:
    copy_sample_site(root)
    with open(root / "site.yaml", "a", encoding="utf-8") as settings:
        settings.write(f"search:\n  shard_size: {size}\n")
    return root


def shard_of_each_page(out: Path) -> dict[str, str]:
    """Each indexed page's URL → the folder (under pagefind/) of the shard whose fragment holds it."""
    manifest = json.loads((out / "pagefind/shards.json").read_text("utf-8"))
    found: dict[str, str] = {}
    for shard in manifest["shards"]:
        for fragment in (out / "pagefind" / shard["path"] / "fragment").iterdir():
            url = json.loads(gzip.decompress(fragment.read_bytes())[len(b"pagefind_dcd"):])["url"]
            assert url not in found, f"{url} is in two shards"
            found[url] = shard["path"]
    return found


def build(root: Path, out: Path, cache: RenderCache | None = None) -> pipeline.BuildResult:
    result = pipeline.build(pipeline.Options(root=root, out=out, now=_sample_now()), cache)
    assert not result.diagnostics.has_errors(), result.diagnostics.items
    return result


def test_each_page_is_in_one_shard_of_its_kind_and_the_manifest_lists_them(tmp_path):
    out = tmp_path / "out"
    build(sharded_site(tmp_path / "site"), out)
    manifest = json.loads((out / "pagefind/shards.json").read_text("utf-8"))
    shards = {shard["path"]: shard["kinds"] for shard in manifest["shards"]}
    assert manifest["shards"][0]["path"] == ""  # the root shard first: the search page loads it first
    assert len(shards) > 8 and "chapters" in manifest["tags"]
    pages = shard_of_each_page(out)
    assert pages["/posts/lagos-chapter-launch/"].startswith("post-")
    assert pages["/members/layla-haddad/"].startswith("member-")
    for url, folder in pages.items():
        fragment_kinds = _kinds(out, folder, url)
        assert set(fragment_kinds) <= set(shards[folder]), url
    for folder in shards:
        if folder:  # a shard carries what a search needs, not Pagefind's ready-made UI
            names = {p.name for p in (out / "pagefind" / folder).iterdir()}
            assert {"pagefind-entry.json", "pagefind.js", "wasm.en.pagefind"} <= names
            assert "pagefind-ui.js" not in names
    # An unsplit site (the default size) is one bundle at pagefind/ itself.
    whole = tmp_path / "whole"
    build(copy_sample_site(tmp_path / "plain"), whole)
    assert [s["path"] for s in json.loads((whole / "pagefind/shards.json").read_text("utf-8"))["shards"]] == [""]


def _kinds(out: Path, folder: str, url: str) -> list[str]:
    for fragment in (out / "pagefind" / folder / "fragment").iterdir():
        data = json.loads(gzip.decompress(fragment.read_bytes())[len(b"pagefind_dcd"):])
        if data["url"] == url:
            return data["filters"]["kind"]
    raise AssertionError(url)


def test_editing_one_page_re_indexes_only_its_shard(tmp_path, monkeypatch):
    root = sharded_site(tmp_path / "site")
    out = tmp_path / "out"
    runs: list[list[str]] = []

    def counting(pages, config):  # the real indexer, counted
        runs.append([url for url, _ in pages])
        return index_pages(pages, config)
    monkeypatch.setattr(search_index, "index_pages", counting)
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    shard = shard_of_each_page(out)["/posts/lagos-chapter-launch/"]
    assert len(runs) == len(json.loads((out / "pagefind/shards.json").read_text("utf-8"))["shards"])
    before = tree(out / "pagefind")
    post = root / LAGOS
    post.write_text(post.read_text("utf-8") + "\nA zanzibarian afterword.\n", "utf-8")
    runs.clear()
    rebuilt = build(root, out, RenderCache.persistent(root, out, in_place=False))
    after = tree(out / "pagefind")
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert changed and all(path.startswith(shard) for path in changed), sorted(changed)
    assert any(path.startswith(shard + "fragment/") for path in changed)
    assert len(runs) == 1 and "/posts/lagos-chapter-launch/" in runs[0]
    assert all(shard_of_each_page(out)[url] == shard for url in runs[0])
    assert sorted("pagefind/" + path for path in changed) == [p for p in rebuilt.written if p.startswith("pagefind/")]
    clean = tmp_path / "clean"
    build(root, clean)
    assert tree(clean / "pagefind") == after  # the cached rebuild is the clean build


def test_two_clean_builds_of_a_sharded_site_give_the_same_bytes(tmp_path):
    root = sharded_site(tmp_path / "site")
    build(root, tmp_path / "one")
    build(root, tmp_path / "two")
    assert tree(tmp_path / "one/pagefind") == tree(tmp_path / "two/pagefind")


def test_adding_a_page_moves_no_other_page(tmp_path):
    root = sharded_site(tmp_path / "site")
    out = tmp_path / "out"
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    before = shard_of_each_page(out)
    posts = [url for url in before if url.startswith("/posts/")]
    assert len(posts) == 6  # in 2 shards of 4 (up to 8 posts): one more post moves none
    (root / "content/posts/2026-01-05-one-more-post.md").write_text(
        "---\ntitle: One More Post\nauthors: [layla-haddad]\n---\nA post about quokkas.\n", "utf-8")
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    after = shard_of_each_page(out)
    assert "/posts/one-more-post/" in after
    assert {url: after[url] for url in before} == before


def test_the_assignment_moves_pages_only_when_a_kind_doubles():
    paths = {f"posts/p{n}/index.html": "Post" for n in range(40)} | {"about/index.html": "Page"}
    small = assign(paths, 10)
    assert small["about/index.html"] == Shard("", ("Page",))
    assert {shard.folder for path, shard in small.items() if path.startswith("posts/")} == {"post-0/", "post-1/",
                                                                                          "post-2/", "post-3/"}
    grown = assign(paths | {f"posts/q{n}/index.html": "Post" for n in range(40)}, 10)  # 80 posts: 8 shards
    for path, shard in small.items():
        if path.startswith("posts/"):
            number = int(shard.folder[5:-1])
            assert grown[path].folder in (f"post-{number}/", f"post-{number + 4}/")  # split in two, never mixed
    assert assign({"a/index.html": "Index", "b/index.html": "Index"}, 1)["a/index.html"].folder.startswith("index-")


def test_watch_writes_only_the_edited_pages_shard(tmp_path):
    root = sharded_site(tmp_path / "site")
    out = tmp_path / "out"
    cache = RenderCache()  # watch's: output/ updated in place
    build(root, out, cache)
    shard = shard_of_each_page(out)["/posts/lagos-chapter-launch/"]
    post = root / LAGOS
    post.write_text(post.read_text("utf-8") + "\nA zanzibarian afterword.\n", "utf-8")
    rebuilt = build(root, out, cache)
    index_files = [path for path in rebuilt.written if path.startswith("pagefind/")]
    assert index_files and all(path.startswith("pagefind/" + shard) for path in index_files), index_files
    assert index_files[-1] != f"pagefind/{shard}pagefind-entry.json" or len(index_files) == 1
    fresh = tmp_path / "fresh"
    build(root, fresh)
    assert tree(out / "pagefind") == tree(fresh / "pagefind")  # old files of the shard removed, new ones there


def test_a_shard_size_that_is_not_a_count_is_refused_with_its_line(make_site):
    site = make_site({})
    settings = site.root / "site.yaml"
    settings.write_text(settings.read_text("utf-8") + "search:\n  shard_size: 0\n", "utf-8")
    result = site.cli("check")
    assert result.returncode == 1
    assert "site.yaml" in result.stdout and "search.shard_size should be between 1 and 1000000, not 0" in result.stdout
    assert "|   shard_size: 0" in result.stdout  # the line, quoted


def test_the_edited_posts_shard_is_indexed_while_the_rest_renders(tmp_path):
    """The post renders before the tag pages that list it: its shard's Pagefind
    starts then (search/ahead.py), and the rebuild is the clean build."""
    root = sharded_site(tmp_path / "site")
    out = tmp_path / "out"
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    post = root / LAGOS
    post.write_text(post.read_text("utf-8") + "\nA zanzibarian afterword.\n", "utf-8")
    cache = RenderCache.persistent(root, out, in_place=False)
    build(root, out, cache)
    assert cache.search.indexed_ahead == 1
    clean = tmp_path / "clean"
    build(root, clean)
    assert tree(clean / "pagefind") == tree(out / "pagefind")


def test_a_shard_started_on_a_wrong_guess_is_indexed_again(tmp_path, monkeypatch):
    """Ahead of time, the shard's pages are a guess; the index uses a run started
    on it only when the shard's key is the one all pages give. Here the guess
    leaves a page out: its run is not used, and the bytes are a clean build's."""
    root = sharded_site(tmp_path / "site")
    out = tmp_path / "out"
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    guessed = Ahead.entries
    monkeypatch.setattr(Ahead, "entries", lambda self, shard, url: guessed(self, shard, url)[1:])
    post = root / LAGOS
    post.write_text(post.read_text("utf-8") + "\nA zanzibarian afterword.\n", "utf-8")
    cache = RenderCache.persistent(root, out, in_place=False)
    build(root, out, cache)
    clean = tmp_path / "clean"
    build(root, clean)
    assert tree(clean / "pagefind") == tree(out / "pagefind")
    assert cache.search.indexed_ahead == 0


def test_a_page_that_changes_kind_stops_the_guess():
    post, other = Page("d1", "r1", "Post"), Page("d2", "r2", "Post")
    guess = {"posts/a/index.html": post, "posts/b/index.html": other}
    ahead = Ahead(guess, set(guess), 10)
    assert ahead.arrived("posts/a/index.html", Page("d3", "r3", "Post")) is None  # b, in its shard, still to come
    assert ahead.arrived("posts/b/index.html", other) == Shard("", ("Post",))
    ahead = Ahead(guess, set(guess), 10)
    assert ahead.arrived("posts/a/index.html", Page("d3", "r3", "Project")) is None
    assert ahead.arrived("posts/b/index.html", Page("d4", "r4", "Post")) is None  # no guess any more
    assert Ahead({}, {"posts/new/index.html"}, 10).arrived("posts/new/index.html", post) is None  # a new page


def test_a_rebuild_that_changes_one_record_lists_only_that_shards_pages(tmp_path, monkeypatch):
    """The other shards keep the last build's key (search/index.py _changed_shards);
    one of them whose files were deleted by hand is listed and made again."""
    root = sharded_site(tmp_path / "site")
    out = tmp_path / "out"
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    pages = shard_of_each_page(out)
    edited, other = pages["/posts/lagos-chapter-launch/"], pages["/members/layla-haddad/"]
    listed: list[str] = []
    real_entries = search_index.SearchIndex._entries
    monkeypatch.setattr(search_index.SearchIndex, "_entries",
                        lambda self, pages, shard: listed.append(shard.folder) or real_entries(self, pages, shard))
    post = root / LAGOS
    post.write_text(post.read_text("utf-8") + "\nA zanzibarian afterword.\n", "utf-8")
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    assert listed == [edited]
    (out / "pagefind" / other / "pagefind-entry.json").unlink()
    post.write_text(post.read_text("utf-8") + "\nA second afterword.\n", "utf-8")
    listed.clear()
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    assert sorted(listed) == sorted([edited, other])
    clean = tmp_path / "clean"
    build(root, clean)
    assert tree(clean / "pagefind") == tree(out / "pagefind")


def test_a_new_base_url_indexes_every_shard_again(tmp_path):
    root = sharded_site(tmp_path / "site")
    out, clean = tmp_path / "out", tmp_path / "clean"
    build(root, out, RenderCache.persistent(root, out, in_place=False))
    moved = pipeline.Options(root=root, out=out, now=_sample_now(), base_url="https://example.org/preview/")
    assert not pipeline.build(moved, RenderCache.persistent(root, out, in_place=False)).diagnostics.has_errors()
    pipeline.build(pipeline.Options(root=root, out=clean, now=_sample_now(), base_url="https://example.org/preview/"))
    assert tree(clean / "pagefind") == tree(out / "pagefind")


def test_a_build_into_a_new_output_folder_indexes_only_the_shards_the_cache_lacks(tmp_path, monkeypatch):
    """CI restores the cache folder but not output/, and a preview builds into a
    folder of its own: a shard whose records an earlier build indexed takes that
    build's files from the cache folder; a damaged entry there is indexed again."""
    root = sharded_site(tmp_path / "site")
    runs: list[list[str]] = []

    def counting(pages, config):  # the real indexer, counted
        runs.append([url for url, _ in pages])
        return index_pages(pages, config)
    monkeypatch.setattr(search_index, "index_pages", counting)
    first = tmp_path / "first"
    build(root, first, RenderCache.persistent(root, first, in_place=False))
    shards = len(json.loads((first / "pagefind/shards.json").read_text("utf-8"))["shards"])
    assert len(runs) == shards > 8
    post = root / LAGOS
    post.write_text(post.read_text("utf-8") + "\nA zanzibarian afterword.\n", "utf-8")
    runs.clear()
    second = tmp_path / "second"
    build(root, second, RenderCache.persistent(root, second, in_place=False))
    assert len(runs) == 1 and "/posts/lagos-chapter-launch/" in runs[0]
    clean = tmp_path / "clean"
    build(root, clean)
    assert tree(second / "pagefind") == tree(clean / "pagefind")
    kept = sorted((CacheFolder(root).folder / search_index.BUNDLES).iterdir())
    assert len(kept) == shards  # the edited shard's earlier files are gone
    CacheFolder(root).write(f"{search_index.BUNDLES}/{kept[0].name}", dump_plain({"files": {"../x": b""}, "tags": ()}))
    runs.clear()
    third = tmp_path / "third"
    build(root, third, RenderCache.persistent(root, third, in_place=False))
    assert len(runs) == 1 and tree(third / "pagefind") == tree(clean / "pagefind")
