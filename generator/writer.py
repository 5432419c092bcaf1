"""Putting the rendered site on disk without ever leaving half of it.

`build` renders into a staging folder beside output/ and swaps it in (an atomic
exchange where Linux offers it), so a failed or interrupted build leaves the
previous output/ exactly as it was. Files that did not change are hard links
to the ones in output/ (a copy where links fail), so a rebuild writes only what
changed. `watch` updates output/ file by file (temp file + os.replace), touching
only what changed and removing what went away.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from pathlib import Path

_RENAME_EXCHANGE = 2


class Staging:
    """A new output folder being filled beside out_dir; `swap_in` replaces out_dir
    by it in one step, `discard` forgets it. Each file is written once, as it is
    rendered, so the whole site is never held in memory."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir.absolute()
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name}.staging-", dir=self.out_dir.parent))
        self._folders: set[str] = {""}

    def _parent_of(self, rel: str) -> Path:
        parent = rel.rpartition("/")[0]
        if parent not in self._folders:
            (self.folder / parent).mkdir(parents=True, exist_ok=True)
            self._folders.add(parent)
        return self.folder / rel

    def write(self, rel: str, data: bytes) -> None:
        with open(self._parent_of(rel), "wb") as handle:
            handle.write(data)

    def keep(self, rel: str, size: int) -> bool:
        """Take output/rel as it is (a hard link); False when it is not there with
        the size recorded for it, so the caller renders it again."""
        source = self.out_dir / rel
        try:
            if source.stat().st_size != size:
                return False
            target = self._parent_of(rel)
            try:
                os.link(source, target)
            except OSError:  # another file system, or links not allowed
                shutil.copyfile(source, target)
        except OSError:
            return False
        return True

    def swap_in(self) -> None:
        self.folder.chmod(0o755)
        _swap_in(self.folder, self.out_dir)
        self.discard()  # after the swap: the previous site

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _swap_in(staging: Path, out_dir: Path) -> None:
    if out_dir.exists() and _exchange(staging, out_dir):
        return
    if out_dir.exists():  # fallback: two renames, a moment apart
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        old.rmdir()
        os.rename(out_dir, old)
        os.rename(staging, out_dir)
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
