"""Sources are parsed once per content (parsed_sources.py, issue 9): a rebuild
reads unchanged files from the cache folder, and the result is exactly what
parsing them again would give, diagnostics included."""

from __future__ import annotations

import pickle

from conftest import SAMPLE_NOW, run_mlcsite
from generator import pipeline
from generator.build_cache import CACHE_DIR, CacheFolder
from generator.content.discover import discover
from generator.diagnostics import Diagnostics
from generator.parsed_sources import FOLDER, ParsedSources
from generator.settings import load_settings
from test_incremental import NOW
from test_watch import copy_sample_site, differences, tree


def load(root, cache: ParsedSources):
    diagnostics = Diagnostics()
    settings = load_settings(root, diagnostics, None)
    found = discover(root, diagnostics, settings.published_types)
    loaded = cache.load_all(found.sources, root / "content", settings.limits, diagnostics)
    return loaded, diagnostics


def entries(root):
    return [p for p in (root / CACHE_DIR).glob(f"*/{FOLDER}/*") if not p.name.startswith(".tmp")]


def test_an_unchanged_source_is_read_from_the_cache_and_loads_the_same(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    first, first_diagnostics = load(root, ParsedSources(CacheFolder(root)))
    again, again_diagnostics = load(root, ParsedSources(CacheFolder(root)))  # a new process's cache
    assert first.parsed and again.parsed == []
    assert again.items == first.items and again.broken == first.broken
    assert again_diagnostics.sorted() == first_diagnostics.sorted()
    post = root / "content/posts/2021-06-21-a-year-of-mlc.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    edited, _ = load(root, ParsedSources(CacheFolder(root)))
    assert edited.parsed == ["content/posts/2021-06-21-a-year-of-mlc.md"]
    assert len(entries(root)) == len(edited.source_bytes)  # the outdated entry is gone


def test_a_corrupt_or_foreign_entry_is_parsed_again_never_trusted(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    first, _ = load(root, ParsedSources(CacheFolder(root)))
    folder = CacheFolder(root)
    stored = sorted(entries(root))
    stored[0].write_bytes(stored[0].read_bytes()[:40] + b"garbage")
    # A well-formed entry (valid checksum) that would run code when unpickled.
    marker = tmp_path / "ran"
    evil = pickle.dumps(_RunsCode(str(marker)))
    folder.write(f"{FOLDER}/{stored[1].name}", evil)
    again, _ = load(root, ParsedSources(CacheFolder(root)))
    assert len(again.parsed) == 2 and not marker.exists()
    assert again.items == first.items


class _RunsCode:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_settings_change_that_changes_loading_loads_again(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    assert run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    settings = root / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("  tags: 20", "  tags: 1"), encoding="utf-8")
    result = run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root)
    assert result.returncode == 1 and "tags" in result.output and "content/posts/" in result.output


def test_a_file_a_source_names_going_away_is_reported_though_the_source_did_not_change(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    assert run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    photo = root / "content/images/members/jordan-ellis.jpg"
    data = photo.read_bytes()
    photo.unlink()
    result = run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root)
    assert result.returncode == 1
    assert "content/members/jordan-ellis.yaml" in result.output and "images/members/jordan-ellis.jpg" in result.output
    photo.write_bytes(data)
    assert run_mlcsite("build", "--now", SAMPLE_NOW, cwd=root).returncode == 0
    clean = tmp_path / "clean"
    assert not pipeline.build(pipeline.Options(root=root, out=clean, now=NOW)).diagnostics.has_errors()
    assert differences(tree(root / "output"), tree(clean)) == []
