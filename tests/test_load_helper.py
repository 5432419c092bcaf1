"""A clean build's sources are parsed by two processes (parsed_sources._LoadHelper):
the result is exactly one process's, in the same order, diagnostics included."""

from __future__ import annotations

import os
import shutil
import threading

import pytest

from generator import parsed_sources
from generator.build_cache import CacheFolder
from generator.parsed_sources import ParsedSources
from test_parsed_sources import load
from test_watch import copy_sample_site

BROKEN = "---\ntitle: [unclosed\ndate: 2024-13-45\n---\nBody.\n"


def broken_site(path):
    root = copy_sample_site(path)
    for rel in ("content/members/aaa-first.yaml", "content/posts/2030-01-01-zz-last.md"):
        (root / rel).write_text(BROKEN if rel.endswith(".md") else "name: [unclosed\n", encoding="utf-8")
    return root


@pytest.mark.skipif(threading.active_count() > 1, reason="the helper forks only a single-threaded process")
def test_two_processes_load_what_one_does_in_the_same_order(tmp_path, monkeypatch):
    monkeypatch.setattr(parsed_sources, "HELPER_MIN_SOURCES", 2)
    forks = []
    real_fork = os.fork

    def counted_fork():
        pid = real_fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counted_fork)
    root = broken_site(tmp_path / "helped")
    helped, helped_diagnostics = load(root, ParsedSources(CacheFolder(root)))
    assert len(forks) == 1
    alone_root = tmp_path / "alone"
    shutil.copytree(root, alone_root, ignore=shutil.ignore_patterns(".mlcsite-cache"))
    alone, alone_diagnostics = load(alone_root, ParsedSources(None))
    assert len(forks) == 1  # no cache folder: no helper
    assert helped.items == alone.items and helped.broken == alone.broken and helped.broken
    assert helped.orphan_refs == alone.orphan_refs
    assert helped.source_digests == alone.source_digests
    assert sorted(helped.parsed) == sorted(alone.parsed) == sorted(alone.source_digests)
    assert helped_diagnostics.items == alone_diagnostics.items and helped_diagnostics.has_errors()
