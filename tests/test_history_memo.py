"""The build cache keeps the last git log read (history.py, issue 9): a rebuild
with no commit since reads no log, a commit has it read again, and a corrupt or
foreign record is read around. Each build's output equals a build without cache."""

from __future__ import annotations

import json
import os
import shutil

from conftest import ScratchSite
from generator.build_cache import CACHE_DIR, CacheFolder, dump_plain
from generator.history import MEMO_FILE, head_state
from test_history import APRIL_2, build, clone_site, git, history_site  # noqa: F401 (a fixture)
from test_watch import differences, tree


def logged_git(tmp_path):
    """An environment whose `git` is the real one, noting each command it runs."""
    folder = tmp_path / "bin"
    folder.mkdir()
    calls = tmp_path / "git-calls"
    script = folder / "git"
    script.write_text(f'#!/bin/sh\necho "$*" >> "{calls}"\nexec "{shutil.which("git")}" "$@"\n')
    script.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}, calls


def logs_read(calls) -> int:
    lines = calls.read_text().splitlines() if calls.exists() else []
    calls.unlink(missing_ok=True)
    return sum(" log " in f" {line} " for line in lines)


def same_as_without_cache(site, built, tmp_path) -> None:
    fresh = ScratchSite.__new__(ScratchSite)  # the same site and .git, without the cache folder
    fresh.root = tmp_path / "fresh"
    shutil.copytree(site.root, fresh.root, ignore=shutil.ignore_patterns(CACHE_DIR))
    assert differences(tree(built), tree(build(fresh, tmp_path / "clean"))) == []


def test_a_rebuild_without_a_commit_reads_no_log_and_a_commit_reads_it_again(history_site, tmp_path):
    site = clone_site(history_site, tmp_path / "site")
    env, calls = logged_git(tmp_path)
    build(site, tmp_path / "first", env)
    assert logs_read(calls) == 1
    site.write("content/posts/2026-03-02-hello.md", (site.root / "content/posts/2026-03-02-hello.md")
               .read_text(encoding="utf-8") + "\nOne more line.\n")
    built = build(site, tmp_path / "edited", env)
    assert logs_read(calls) == 0
    same_as_without_cache(site, built, tmp_path / "a")
    git(site.root, "commit", "-q", "-am", "edit", when=APRIL_2)
    built = build(site, tmp_path / "committed", env)
    assert logs_read(calls) == 1
    same_as_without_cache(site, built, tmp_path / "b")


def test_a_corrupt_or_foreign_record_of_the_log_is_read_around(history_site, tmp_path):
    site = clone_site(history_site, tmp_path / "site")
    env, calls = logged_git(tmp_path)
    build(site, tmp_path / "first", env)
    state = head_state(site.root)
    records = ({"head": state, "dates": {"content/posts/2026-03-02-hello.md": [0, "x"]}},
               {"head": state, "dates": [1, 2]}, ["not", "a", "record"])
    payloads = [*map(dump_plain, records), json.dumps(records[0]).encode("utf-8")]  # last: not our format
    for number, payload in enumerate(payloads):
        logs_read(calls)
        CacheFolder(site.root).write(MEMO_FILE, payload)
        built = build(site, tmp_path / "again", env)
        assert logs_read(calls) == 1
        same_as_without_cache(site, built, tmp_path / f"case-{number}")
        shutil.rmtree(built)


def test_a_shallow_clone_keeps_no_record_of_its_log(history_site, tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{history_site.root}", str(clone))
    shallow = ScratchSite.__new__(ScratchSite)
    shallow.root = clone
    build(shallow, tmp_path / "out")
    assert list((clone / CACHE_DIR).glob(f"*/{MEMO_FILE}")) == []
