"""`mlcsite build` after a small edit updates output/ in place (issue 9):
only the files whose bytes changed are written, the rest keep their inode and
mtime, the result equals a clean build, and a build that fails (in rendering, or
while moving the new files in) leaves output/ exactly as it was."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import SAMPLE_NOW, run_mlcsite
from generator.output_folder import MARKER  # written first by every build, in place too (in_place.py)
from test_incremental import split_source, write_source
from test_markdown_budget import DEEP_EMPHASIS
from test_watch import copy_sample_site, differences, tree
from test_write_failures import lock_folder, unlock_folder

POST = "content/posts/2021-06-21-a-year-of-mlc.md"
PAGE = "posts/a-year-of-mlc/index.html"


def build(root: Path, *args: str):
    return run_mlcsite("build", "--now", SAMPLE_NOW, *args, cwd=root)


def stats(folder: Path) -> dict[str, tuple]:
    """Each file's bytes with its inode and mtime: what 'not rewritten' means."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def built_site(tmp_path: Path) -> Path:
    root = copy_sample_site(tmp_path / "site")
    result = build(root)
    assert result.returncode == 0, result.output
    return root


def edit_post(root: Path, body_end: str) -> None:
    data, body = split_source(root / POST)
    write_source(root / POST, data, body + body_end)


def staging_folders(root: Path) -> list[str]:
    return [p.name for p in root.iterdir() if ".staging-" in p.name]


def test_editing_one_post_rewrites_only_the_files_that_changed(tmp_path):
    root = built_site(tmp_path)
    before, folder = stats(root / "output"), (root / "output").stat().st_ino
    edit_post(root, "\nOne more sentence.\n")
    result = build(root)
    assert result.returncode == 0, result.output
    after = stats(root / "output")
    changed = sorted(path for path in after if path not in before or after[path][0] != before[path][0])
    assert PAGE in changed and len(changed) < len(after) / 4
    for path in set(after) - set(changed) - {MARKER}:  # same bytes: the very same file, untouched
        assert after[path] == before[path], path
    assert (root / "output").stat().st_ino == folder  # updated in place, not swapped
    assert staging_folders(root) == []
    assert differences(tree(root / "output"), clean_build(root, tmp_path / "clean")) == []


def clean_build(root: Path, out: Path) -> dict[str, bytes]:
    result = build(root, "--no-cache", "--out", str(out))
    assert result.returncode == 0, result.output
    return tree(out)


def test_a_page_that_fails_to_render_leaves_output_as_it_was(tmp_path):
    root = built_site(tmp_path)
    edit_post(root, "\nOne more sentence.\n")
    assert build(root).returncode == 0  # output/ is now one a small edit updates in place
    before = stats(root / "output")
    edit_post(root, "\n" + DEEP_EMPHASIS + "\n")
    result = build(root)
    assert result.returncode == 1 and "too deep to render" in result.stderr, result.output
    assert stats(root / "output") == before
    assert staging_folders(root) == []


def test_a_file_that_cannot_be_moved_in_undoes_the_whole_update(tmp_path):
    """The edited post's folder refuses new files: the marker and any page already
    moved in go back, so output/ is byte for byte, inode for inode, what it was."""
    root = built_site(tmp_path)
    before = stats(root / "output")
    edit_post(root, "\nOne more sentence.\n")
    locked = root / "output" / Path(PAGE).parent
    lock_folder(locked)
    try:
        result = build(root)
    finally:
        unlock_folder(locked)
    assert result.returncode == 1 and "could not write the site into" in result.stderr, result.output
    assert "Traceback" not in result.output
    assert stats(root / "output") == before
    assert staging_folders(root) == []
    assert build(root).returncode == 0  # once it can, the next build makes the same site a clean build does
    assert differences(tree(root / "output"), clean_build(root, tmp_path / "clean")) == []


def test_a_kept_file_deleted_or_cut_short_by_hand_is_made_again(tmp_path):
    """A build checks each file it keeps against the cache's record of it (a
    stat, in_place.InPlace.keep): pages and a feed deleted or truncated, and a
    search index file deleted, all come back as a clean build makes them."""
    root = built_site(tmp_path)
    out = root / "output"
    folder = out.stat().st_ino
    (out / "about/index.html").unlink()
    truncated = out / "members/ananya-sharma/index.html"  # shows no edited post: kept, not rendered
    truncated.write_bytes(truncated.read_bytes()[:100])
    (out / "feed.xml").unlink()
    index_file = next(p for p in sorted((out / "pagefind").rglob("*")) if p.is_file() and p.suffix == ".pf_fragment")
    index_file.unlink()
    edit_post(root, "\nOne more sentence.\n")
    result = build(root)
    assert result.returncode == 0, result.output
    assert (out.stat().st_ino, staging_folders(root)) == (folder, [])  # updated in place
    assert differences(tree(out), clean_build(root, tmp_path / "clean")) == []
