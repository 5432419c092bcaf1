"""CacheFolder.write: a whole file or none, never into a stranger's file."""

from __future__ import annotations

import itertools
import os

from generator import build_cache
from generator.build_cache import CacheFolder


def test_a_write_makes_its_folder_and_leaves_no_temp_file(tmp_path):
    folder = CacheFolder(tmp_path)
    folder.write("fresh/entry", b"payload", b" and more")
    assert folder.read("fresh/entry") == b"payload and more"
    assert os.listdir(folder.folder / "fresh") == ["entry"]


def test_a_leftover_temp_name_is_not_written_into(tmp_path, monkeypatch):
    folder = CacheFolder(tmp_path)
    folder.write("sub/entry", b"old")
    monkeypatch.setattr(build_cache, "_TEMP_SERIAL", itertools.count(7))
    leftover = folder.folder / "sub" / f".tmp-{os.getpid()}-7"
    leftover.write_bytes(b"someone else's")
    folder.write("sub/entry", b"new")  # best effort: skipped, not an error
    assert leftover.read_bytes() == b"someone else's"
    assert folder.read("sub/entry") == b"old"
    folder.write("sub/entry", b"new")  # the next name is free
    assert folder.read("sub/entry") == b"new"
