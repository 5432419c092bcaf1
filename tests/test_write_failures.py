"""A build that cannot write (issue 10, case 7): disk full, permission denied,
read-only file system. Each is one message naming the output folder and the
cause, exit 1, no traceback, the previous site untouched, no staging folder left.

The failures are real where this machine allows it:
- disk full and read-only: a small tmpfs in a private mount namespace
  (`unshare --user --map-root-user --mount`, or `unshare --mount` as root);
  only where neither is permitted, the failing build runs with `open` and
  `os.mkdir` made to fail with that errno for paths on the "disk" (the OS
  boundary; see `FAILING_OS`);
- permission: a folder the build cannot write: `chmod a-w` for a normal user,
  `chattr +i` (immutable) for root, whom mode bits do not stop.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from conftest import REPO, CliResult, run_mlcsite
from test_cli import snapshot
from test_watch import WatchProcess

PAGE = "---\ntitle: About\n---\nHello.\n"
CHANGED = "---\ntitle: About us\n---\nChanged.\n"



def assert_reported_in_words(result, folder: Path, cause: str) -> None:
    assert result.returncode == 1, result.output
    assert "Traceback" not in result.output
    assert f"could not write the site into {folder}: {cause}" in result.stderr, result.stderr
    assert "holds the last complete build" in result.stderr


# ── a small disk of our own ──────────────────────────────────────────────────


@cache
def private_mount() -> list[str] | None:
    """The unshare command that lets this user mount a tmpfs nobody else sees, if any."""
    for command in (["unshare", "--user", "--map-root-user", "--mount"], ["unshare", "--mount"]):
        with tempfile.TemporaryDirectory() as point:
            try:
                probe = subprocess.run([*command, "mount", "-t", "tmpfs", "tmpfs", point], capture_output=True,
                                       timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                continue
        if probe.returncode == 0:
            return command
    return None


# Fallback only: the build, with file creation on `disk` failing with an errno.
FAILING_OS = """
import builtins, errno, io, os, sys
disk, code = sys.argv[1], getattr(errno, sys.argv[2])
real_open, real_mkdir = io.open, os.mkdir
def refuse(path):
    if isinstance(path, (str, bytes, os.PathLike)) and os.fsdecode(path).startswith(disk):
        raise OSError(code, os.strerror(code), os.fsdecode(path))
def failing_open(file, mode="r", *args, **kwargs):
    if any(flag in mode for flag in "wax+"):
        refuse(file)
    return real_open(file, mode, *args, **kwargs)
def failing_mkdir(path, *args, **kwargs):
    refuse(path)
    return real_mkdir(path, *args, **kwargs)
builtins.open = io.open = failing_open
os.mkdir = failing_mkdir
from generator.cli import main
sys.exit(main(sys.argv[3:]))
"""


def build_on_a_failing_disk(site, tmp_path: Path, errno_name: str, break_disk: str) -> tuple:
    """Build onto a small disk, break it (`break_disk`: shell, with $DISK), change
    a page and build again. Returns the second build, the output before and
    after it, and the names on the disk."""
    disk = tmp_path / "disk"
    disk.mkdir()
    site.write("content/pages/about.md", PAGE)
    if private_mount() is not None:
        return _on_a_private_disk(site, disk, tmp_path / "kept", break_disk)
    return _with_failing_os(site, disk, errno_name)


def _on_a_private_disk(site, disk: Path, kept: Path, break_disk: str) -> tuple:
    kept.mkdir()
    mlcsite = f"{shlex.quote(sys.executable)} -m generator"
    script = f"""
        set -e
        mount -t tmpfs -o size=2m tmpfs "$DISK"
        {mlcsite} build --out "$DISK/out" >/dev/null
        cp -a "$DISK/out" "$KEPT/before"
        {break_disk}
        printf '%s' {shlex.quote(CHANGED)} > content/pages/about.md
        set +e
        {mlcsite} build --no-cache --out "$DISK/out" >"$KEPT/stdout" 2>"$KEPT/stderr"
        echo $? >"$KEPT/rc"
        cp -a "$DISK/out" "$KEPT/after"
        ls -A "$DISK" >"$KEPT/listing"
    """
    env = {**os.environ, "PYTHONPATH": str(REPO), "DISK": str(disk), "KEPT": str(kept)}
    done = subprocess.run([*private_mount(), "sh", "-c", script], cwd=site.root, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    result = CliResult(int((kept / "rc").read_text()), (kept / "stdout").read_text(), (kept / "stderr").read_text())
    return result, snapshot(kept / "before"), snapshot(kept / "after"), (kept / "listing").read_text().split()


def _with_failing_os(site, disk: Path, errno_name: str) -> tuple:
    out = disk / "out"
    assert run_mlcsite("build", "--out", str(out), cwd=site.root).returncode == 0
    before = snapshot(out)
    site.write("content/pages/about.md", CHANGED)
    proc = subprocess.run([sys.executable, "-c", FAILING_OS, str(disk), errno_name, "build", "--no-cache",
                           "--out", str(out)], cwd=site.root, env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=300)
    result = CliResult(proc.returncode, proc.stdout, proc.stderr)
    return result, before, snapshot(out), sorted(p.name for p in disk.iterdir())


def test_a_full_disk_is_reported_in_words_and_the_old_site_survives(make_site, tmp_path):
    fill = 'dd if=/dev/zero of="$DISK/filler" bs=64k 2>/dev/null || true'
    result, before, after, listing = build_on_a_failing_disk(make_site(), tmp_path, "ENOSPC", fill)
    assert_reported_in_words(result, tmp_path / "disk/out", "the disk is full")
    assert "Free some space" in result.stderr
    assert after == before and ".mlcsite-output" in before
    assert not [name for name in listing if ".staging-" in name]


def test_a_read_only_file_system_is_reported_in_words_and_the_old_site_survives(make_site, tmp_path):
    result, before, after, listing = build_on_a_failing_disk(make_site(), tmp_path, "EROFS",
                                                             'mount -o remount,ro "$DISK"')
    assert_reported_in_words(result, tmp_path / "disk/out", "the file system is read-only")
    assert "writable disk" in result.stderr
    assert after == before and listing == ["out"]


# ── a folder this user may not write ─────────────────────────────────────────


def lock_folder(folder: Path) -> None:
    if os.geteuid() == 0:  # root ignores mode bits; an immutable folder stops even root
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
        assert done.returncode == 0, f"chattr +i is needed to test as root here: {done.stderr}"
    else:
        folder.chmod(0o555)


def unlock_folder(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o755)


def test_a_folder_that_cannot_be_written_is_reported_in_words_and_the_old_site_survives(make_site, tmp_path):
    site = make_site({"content/pages/about.md": PAGE})
    parent = tmp_path / "published"
    out = parent / "site"
    assert site.cli("build", "--out", str(out)).returncode == 0
    before = snapshot(out)
    site.write("content/pages/about.md", CHANGED)
    lock_folder(parent)  # the staging folder must be made beside the output: here it cannot
    try:
        result = site.cli("build", "--out", str(out))
    finally:
        unlock_folder(parent)
    cause = "the operation is not permitted" if os.geteuid() == 0 else "permission denied"
    assert_reported_in_words(result, out, cause)
    assert f"(at {parent}/.site.staging-" in result.stderr and "Make that folder writable" in result.stderr
    assert snapshot(out) == before and sorted(p.name for p in parent.iterdir()) == ["site"]


def test_an_immutable_output_folder_keeps_the_old_site(make_site):
    """The issue's case: output/ itself cannot be changed. As root, `chattr +i
    output`: the new site is staged beside it, then cannot be swapped in. Mode
    bits do not stop a folder being renamed within its parent, so for a normal
    user the site's folder is made read-only instead (no staging folder at all)."""
    site = make_site({"content/pages/about.md": PAGE})
    assert site.cli("build").returncode == 0
    before = snapshot(site.output)
    site.write("content/pages/about.md", CHANGED)
    locked = site.output if os.geteuid() == 0 else site.root
    lock_folder(locked)
    try:
        result = site.cli("build")
    finally:
        unlock_folder(locked)
    cause = "the operation is not permitted" if os.geteuid() == 0 else "permission denied"
    assert_reported_in_words(result, site.output, cause)
    assert snapshot(site.output) == before
    assert not [p.name for p in site.root.iterdir() if ".staging-" in p.name or ".old-" in p.name]


def test_watch_reports_a_folder_it_cannot_write_and_builds_once_it_can(make_site, tmp_path):
    site = make_site({"content/pages/about.md": PAGE})
    parent = tmp_path / "published"
    parent.mkdir()
    out = parent / "site"
    lock_folder(parent)
    try:
        watcher = WatchProcess(site.root, "watch", "--out", str(out))
    except BaseException:
        unlock_folder(parent)
        raise
    try:
        try:
            watcher.wait_for_line(rf"could not write the site into {re.escape(str(out))}: ")
            watcher.wait_for_line(r"Watching content/")
        finally:
            unlock_folder(parent)
        site.write("content/pages/about.md", CHANGED)
        watcher.wait_for_line(r"about\.md changed: rendered")
    finally:
        assert watcher.stop() == 0
    assert "Changed." in (out / "about/index.html").read_text() and "Traceback" not in watcher.text
