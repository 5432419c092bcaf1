"""The build cache's record of output/ and the search index's state (marshal,
issue 9): read back as written, and a payload that passes the checksum but is
not one of ours, or holds values of the wrong types, is a miss (a full build
equal to a clean one), never trusted and never an error."""

from __future__ import annotations

import marshal
import shutil

import pytest

from generator import pipeline
from generator.build_cache import CACHE_DIR, CacheFolder, Written
from generator.incremental import RenderCache
from generator.search.index import SearchIndex
from test_build_cache import build_ok
from test_incremental import NOW
from test_watch import copy_sample_site, differences, tree


def cached_build(root, options):
    return pipeline.build(options, RenderCache.persistent(root, options.output_dir, in_place=False))


def built_site(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    options = pipeline.Options(root=root, now=NOW)
    assert not cached_build(root, options).diagnostics.has_errors()
    return root, options


def test_the_record_of_output_and_the_search_state_read_back_as_written(tmp_path):
    root, options = built_site(tmp_path)
    cache = RenderCache.persistent(root, options.output_dir, in_place=False)
    assert cache.written and all(type(w) is Written and type(w.size) is int for w in cache.written.values())
    assert cache.inputs is not None and cache.outcome["file_count"] == len(cache.written)
    assert {*cache.present, ".mlcsite-output"} == set(tree(options.output_dir))
    state = SearchIndex(cache.folder, options.output_dir).state
    assert state.pages and state.shards and state.manifest is not None
    html = {path for path in cache.written if path.endswith(".html")}
    assert html <= set(state.pages)
    assert all(state.pages[path].digest == cache.written[path].digest for path in html)


FOREIGN = [b"not marshal at all", marshal.dumps(["a", "list"]), marshal.dumps({"files": 3}),
           marshal.dumps({"version": 2, "folder": None, "record": {}, "pages": {"a.html": (1, 2, 3)},
                          "files": {"index.html": ("key", 5, "size")}, "shards": {}, "manifest": None})]


@pytest.mark.parametrize("payload", FOREIGN)
def test_a_foreign_record_or_search_state_is_a_full_build(tmp_path, payload):
    root, options = built_site(tmp_path)
    folder = CacheFolder(root)
    names = [p.name for p in folder.folder.iterdir() if p.name.startswith(("manifest-", "search-"))]
    assert len(names) == 2
    for name in names:  # a valid checksum over a payload that is not ours
        folder.write(name, payload)
    result = cached_build(root, options)
    assert not result.diagnostics.has_errors()
    assert sorted(result.rendered) == sorted(o.path for o in pipeline.plan_site(options).outputs)  # nothing trusted
    shutil.rmtree(clean := tmp_path / "clean", ignore_errors=True)
    assert build_ok(pipeline.Options(root=root, out=clean, now=NOW), None)
    assert differences(tree(options.output_dir), tree(clean)) == []
    assert (root / CACHE_DIR).is_dir()
