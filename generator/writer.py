"""Putting the rendered site on disk without ever leaving half of it.

`build` renders into a staging folder beside output/ and swaps it in (an atomic
exchange where Linux offers it), so a failed or interrupted build leaves the
previous output/ exactly as it was. Files that did not change are hard links
to the ones in output/ (a copy where links fail), so a rebuild writes only what
changed. `watch` updates output/ file by file (temp file + os.replace), touching
only what changed and removing what went away.

A staging folder is locked (flock) while its build runs, so the next build can
tell one left by a killed build (removed) from one still being filled by a
build running beside it (left alone). A failed write raises OutputWriteError,
which names the output folder and the cause in words (issue 10, case 7).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .output_folder import MARKER, MARKER_TEXT

_RENAME_EXCHANGE = 2


class OutputWriteError(Exception):
    """Writing the site failed: the output folder it was for, and the OSError."""

    def __init__(self, out_dir: Path, cause: OSError) -> None:
        super().__init__(out_dir, cause)
        self.out_dir, self.cause = out_dir, cause

    def __str__(self) -> str:
        other = (self.cause.strerror or str(self.cause), "Fix that and build again.")
        reason, fix = _REASONS.get(self.cause.errno, other)
        where = f" (at {self.cause.filename})" if self.cause.filename else ""
        return f"could not write the site into {self.out_dir}: {reason}{where}. {fix}"


_REASONS = {
    errno.ENOSPC: ("the disk is full", "Free some space, or give --out a folder on another disk."),
    errno.EDQUOT: ("the disk quota is used up", "Free some space, or give --out a folder on another disk."),
    errno.EACCES: ("permission denied", "Make that folder writable for this user, or give --out another folder."),
    errno.EPERM: ("the operation is not permitted (an immutable or protected folder?)",
                  "Make that folder writable for this user, or give --out another folder."),
    errno.EROFS: ("the file system is read-only", "Give --out a folder on a writable disk."),
    errno.ENOTDIR: ("a part of that path is a file, not a folder", "Give --out a path made of folders."),
}


@contextmanager
def writing_into(out_dir: Path) -> Iterator[None]:
    """Turn any OSError raised while writing out_dir's new content into an OutputWriteError."""
    try:
        yield
    except OSError as exc:
        raise OutputWriteError(out_dir, exc) from exc


class Staging:
    """A new output folder being filled beside out_dir; `swap_in` replaces out_dir
    by it in one step, `discard` forgets it. Each file is written once, as it is
    rendered, so the whole site is never held in memory. The build's marker
    (output_folder.py) is its first file."""

    def __init__(self, out_dir: Path) -> None:
        # output/ may be a link to the served folder: replace that folder, keep the link.
        self.out_dir = out_dir.resolve() if out_dir.is_symlink() else out_dir.absolute()
        self._lock: int | None = None
        with writing_into(self.out_dir):
            self.out_dir.parent.mkdir(parents=True, exist_ok=True)
            prefix = f".{self.out_dir.name}.staging-"
            remove_abandoned_staging(self.out_dir.parent, prefix)
            self.folder, self._lock = _new_locked_folder(self.out_dir.parent, prefix)
            try:
                (self.folder / MARKER).write_bytes(MARKER_TEXT)
            except BaseException:  # no caller holds us yet to discard the folder
                self.discard()
                raise
        self._folders: set[str] = {""}
        self.claimed: list[str] = [MARKER]  # every file the new folder holds
        # Paths as strings: a Path made and parsed per file was a second of a
        # 16,000-file build's main process.
        self._staged, self._kept = f"{self.folder}/", f"{self.out_dir}/"

    def _place(self, rel: str) -> str:
        """Where rel goes in the new folder, its folder made."""
        parent = rel.rpartition("/")[0]
        if parent not in self._folders:
            os.makedirs(self._staged + parent, exist_ok=True)
            self._folders.add(parent)
        return self._staged + rel

    def write(self, rel: str, data: bytes) -> None:
        with writing_into(self.out_dir), open(self._place(rel), "wb") as handle:
            handle.write(data)
        self.claimed.append(rel)

    def keep(self, rel: str, size: int) -> bool:
        """Take output/rel as it is (a hard link); False when it is not there with
        the size recorded for it, so the caller renders it again."""
        source = self._kept + rel
        try:
            if os.stat(source).st_size != size:
                return False
            target = self._place(rel)
            try:
                os.link(source, target)
            except OSError:  # another file system, or links not allowed
                shutil.copyfile(source, target)
        except OSError:
            return False
        self.claimed.append(rel)
        return True

    def swap_in(self) -> None:
        with writing_into(self.out_dir):
            self.folder.chmod(0o755)
            _swap_in(self.folder, self.out_dir)
        self.discard()  # after the swap: the previous site

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None


def _new_locked_folder(parent: Path, prefix: str) -> tuple[Path, int]:
    """A new folder, locked. Another build's cleanup may lock and remove it in
    the moment between mkdtemp and flock: then it is gone, and we make another."""
    while True:
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.stat(folder).st_ino == os.fstat(fd).st_ino:
                return folder, fd
        except (BlockingIOError, FileNotFoundError):
            pass
        os.close(fd)


_STAGING_SUFFIX = re.compile(r"[A-Za-z0-9_]{8}")  # what tempfile.mkdtemp adds


def remove_abandoned_staging(parent: Path, prefix: str) -> None:
    """Remove staging folders that no running build holds: left by a build killed
    outright (SIGKILL, power cut). A locked one belongs to a build running now."""
    try:
        candidates = [p for p in parent.iterdir()
                      if p.name.startswith(prefix) and _STAGING_SUFFIX.fullmatch(p.name[len(prefix):])]
    except OSError:
        return
    for folder in candidates:
        if folder.is_symlink() or not folder.is_dir():
            continue
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            shutil.rmtree(folder, ignore_errors=True)
        except BlockingIOError:
            pass  # a build running beside this one
        finally:
            os.close(fd)


def _swap_in(staging: Path, out_dir: Path) -> None:
    if out_dir.exists() and _exchange(staging, out_dir):
        return
    if out_dir.exists():  # fallback: two renames, a moment apart
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        old.rmdir()
        os.rename(out_dir, old)
        try:
            os.rename(staging, out_dir)
        except OSError:
            os.rename(old, out_dir)  # the previous site back in its place
            raise
        os.rename(old, staging)  # cleaned up by the caller
    else:
        os.rename(staging, out_dir)


def _exchange(a: Path, b: Path) -> bool:
    """renameat2(RENAME_EXCHANGE): both names swap in one step, or nothing happens."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def update_files(out_dir: Path, changed: dict[str, bytes], gone: list[str]) -> None:
    """Update out_dir in place when the caller knows what it holds (watch's
    record of the last build): write `changed`, remove `gone`, nothing else is
    read. Removals first, so a file that becomes a folder never blocks a write."""
    with writing_into(out_dir):
        _update_files(out_dir, changed, gone)


def _update_files(out_dir: Path, changed: dict[str, bytes], gone: list[str]) -> None:
    for rel in gone:
        (out_dir / rel).unlink(missing_ok=True)
        _remove_empty_parents(out_dir, rel)
    for rel, data in changed.items():
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace_file(target, data)


def _remove_empty_parents(out_dir: Path, rel: str) -> None:
    for parent in Path(rel).parents:
        if parent == Path("."):
            return
        try:
            (out_dir / parent).rmdir()
        except OSError:  # not empty, or already gone
            return


def _replace_file(target: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:  # Ctrl-C or a full disk: leave no temp file behind
        Path(temp).unlink(missing_ok=True)
        raise
