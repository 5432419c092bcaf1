"""Rendered Markdown persists in the cache folder (markdown_store.py, issue 9):
a rebuild after an edit converts only the text that changed, and a corrupt
entry is converted again, never trusted."""

from __future__ import annotations

import os
import shutil
import time

from conftest import SAMPLE_NOW, run_mlcsite
from generator import pipeline
from generator.build_cache import CACHE_DIR, CacheFolder
from generator.incremental import RenderCache
from generator.markdown_store import FOLDER, MarkdownStore
from generator.render.markdown_memo import RenderedMarkdown
from test_early_page import POST, clean_tree, edit, retitled
from test_incremental import NOW
from test_watch import copy_sample_site, differences, tree


def build(root) -> RenderCache:
    options = pipeline.Options(root=root, now=NOW)
    cache = RenderCache.persistent(root, options.output_dir, in_place=False)  # as a new `mlcsite build`
    assert not pipeline.build(options, cache).diagnostics.has_errors()
    return cache


def test_a_rebuild_after_an_edit_converts_only_the_edited_text(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    assert build(root).markdown.conversions > 20
    edit(root, POST, retitled)
    assert build(root).markdown.conversions == 1
    assert differences(tree(root / "output"), clean_tree(root, tmp_path)) == []


def test_a_corrupt_entry_is_converted_again(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    build(root)
    stored = sorted((root / CACHE_DIR).glob(f"*/{FOLDER}/*"))
    for path in stored:
        data = path.read_bytes()
        path.write_bytes(data.replace(b"<p>", b"<p>Injected ", 1))  # checksum no longer matches
    edit(root, POST, retitled)
    assert build(root).markdown.conversions > 1
    assert differences(tree(root / "output"), clean_tree(root, tmp_path)) == []


def entry_names(root) -> set[str]:
    return {p.name for p in (root / CACHE_DIR).glob(f"*/{FOLDER}/*") if not p.name.startswith(".tmp")}


def test_a_full_build_removes_the_entries_of_texts_the_site_no_longer_has(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    build(root)
    for number in range(3):  # each edit leaves the entry of the text it replaced
        edit(root, POST, lambda data, body, n=number: body + f"\nClosing line {n}.\n")
        build(root)
    grown = entry_names(root)
    hour_ago = time.time() - 3600
    for path in (root / CACHE_DIR).glob(f"*/{FOLDER}/*"):
        os.utime(path, (hour_ago, hour_ago))  # written by builds long past
    options = pipeline.Options(root=root, now=NOW)
    full = RenderCache.persistent(root, options.output_dir, in_place=False)
    full.written = {}  # as a build into a new output folder: every text asked for, read or converted
    assert not pipeline.build(options, full).diagnostics.has_errors()
    pruned = entry_names(root)
    shutil.rmtree(root / CACHE_DIR)
    build(root)
    assert pruned == entry_names(root) and len(pruned) < len(grown)
    assert build(root).markdown.conversions == 0  # what was kept is what the site reads


def test_a_full_build_reads_the_entries_it_wrote_itself_and_no_older_one(tmp_path):
    """Render workers share what they convert through the store during a
    `--no-cache` build, but never take an earlier build's entry."""
    store = MarkdownStore(CacheFolder(tmp_path))
    old = RenderedMarkdown(html="<p>old</p>", toc_html="")
    store.put("older", old)
    hour_ago = time.time() - 3600
    for path in (tmp_path / CACHE_DIR).glob(f"*/{FOLDER}/older"):
        os.utime(path, (hour_ago, hour_ago))
    store.reading, store.started_ns = False, time.time_ns()  # a --no-cache build begins
    assert store.get("older") is None
    fresh = RenderedMarkdown(html="<p>new</p>", toc_html="")
    store.put("fresh", fresh)  # by this build (any of its processes)
    assert store.get("fresh") == fresh
    store.reading = True  # a rebuild reads every entry
    assert store.get("older") == old



def test_a_build_into_a_new_output_folder_reads_the_entries_and_no_cache_converts_again(tmp_path):
    """CI restores the cache folder but not output/, and a preview builds into a
    folder of its own: both are full builds, and read what earlier builds
    converted. `--no-cache` converts every text again. Which one a build did is
    seen by an entry changed here (checksummed as the cache writes it)."""
    root = copy_sample_site(tmp_path / "site")
    assert run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    built = tree(root / "output")
    folder = CacheFolder(root)
    name = next(f"{FOLDER}/{path.name}" for path in sorted((folder.folder / FOLDER).iterdir())
                if b"<p>" in (folder.read(f"{FOLDER}/{path.name}") or b""))
    folder.write(name, folder.read(name).replace(b"<p>", b"<p>Read from the store. ", 1))
    other = tmp_path / "preview"
    result = run_mlcsite("build", "--now", SAMPLE_NOW, "--out", str(other), cwd=root)
    assert result.returncode == 0, result.output
    assert any(b"Read from the store." in data for data in tree(other).values())
    assert run_mlcsite("build", "--no-cache", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    assert tree(root / "output") == built
