"""A clean build's sources are parsed by two processes (parsed_sources._LoadHelper):
the result is exactly one process's, in the same order, diagnostics included.

The helped load runs in a new Python process: the helper forks only a process
with no other thread, and a test process has some (the Markdown time budget's
watchdog, once any test rendered)."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
from pathlib import Path

from generator.parsed_sources import ParsedSources
from test_parsed_sources import load
from test_watch import copy_sample_site

BROKEN = "---\ntitle: [unclosed\ndate: 2024-13-45\n---\nBody.\n"
HELPED_LOAD = """
import os, pickle, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from generator import parsed_sources
from generator.build_cache import CacheFolder
from test_parsed_sources import load
parsed_sources.HELPER_MIN_SOURCES = 2
forks, real_fork = [], os.fork
def counted_fork():
    pid = real_fork()
    if pid:
        forks.append(pid)
    return pid
os.fork = counted_fork
root = Path(sys.argv[1])
loaded, diagnostics = load(root, parsed_sources.ParsedSources(CacheFolder(root)))
Path(sys.argv[2]).write_bytes(pickle.dumps((len(forks), loaded, diagnostics.items)))
"""


def broken_site(path: Path) -> Path:
    root = copy_sample_site(path)
    for rel in ("content/members/aaa-first.yaml", "content/posts/2030-01-01-zz-last.md"):
        (root / rel).write_text(BROKEN if rel.endswith(".md") else "name: [unclosed\n", encoding="utf-8")
    return root


def test_two_processes_load_what_one_does_in_the_same_order(tmp_path):
    root = broken_site(tmp_path / "helped")
    alone_root = tmp_path / "alone"
    shutil.copytree(root, alone_root)
    result = tmp_path / "helped.pickle"
    tests = Path(__file__).resolve().parent
    subprocess.run([sys.executable, "-c", HELPED_LOAD, str(root), str(result), str(tests)], check=True,
                   cwd=tests.parent)
    forks, helped, helped_diagnostics = pickle.loads(result.read_bytes())
    assert forks == 1
    alone, alone_diagnostics = load(alone_root, ParsedSources(None))  # no cache folder: no helper
    assert helped.items == alone.items and helped.broken == alone.broken and helped.broken
    assert helped.orphan_refs == alone.orphan_refs
    assert helped.source_digests == alone.source_digests
    assert sorted(helped.parsed) == sorted(alone.parsed) == sorted(alone.source_digests)
    assert helped_diagnostics == alone_diagnostics.items and alone_diagnostics.has_errors()
