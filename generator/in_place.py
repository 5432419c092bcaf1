"""`mlcsite build` updating output/ in place, when the build changed few files.

Swapping in a whole new folder (writer.Staging) costs a hard link per file of the
site: on 10,000 posts, seconds for a build that changed ten files. InPlace takes
the same calls as Staging (write, keep, swap_in, discard), so the renderer and
the search index (output_update.Companion) stage the same way, but:

- `write` puts the new file in a locked pending folder beside output/ (the same
  kind of folder as a staging one: a killed build's is removed by the next);
- `keep` only checks that output/ holds the file with its recorded size;
- `swap_in`, called once the whole build succeeded, writes the marker first
  (proving output/ itself takes a new file), moves each new file over its old
  one (a rename: a reader sees the old or the new file, never half of one), then
  removes the files the build no longer makes, and empty folders left by them.

If anything fails or interrupts `swap_in` (a full disk, a folder that refuses
writes, Ctrl-C), everything it did is undone: each replaced or removed file was
hard-linked into the pending folder first and goes back to its place. So a failed
build leaves output/ as it was, as a failed staged build does.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Callable, Iterable

from .output_folder import MARKER, MARKER_TEXT
from .writer import _new_locked_folder, remove_abandoned_staging, writing_into

_NEW, _OLD = "new", "old"  # the pending folder's two parts: files to move in, and the ones they replace


class InPlace:
    """A few new files for out_dir, applied over it in one go by `swap_in`.
    `present`: every file out_dir holds (the build cache's record of it)."""

    def __init__(self, out_dir: Path, present: Iterable[str], before_swap: Callable[[], None] = lambda: None) -> None:
        self.before_swap = before_swap
        self.out_dir = out_dir.resolve() if out_dir.is_symlink() else out_dir.absolute()
        self._prefix = f"{self.out_dir}/"
        self.present = set(present)
        self.claimed: list[str] = [MARKER]  # every file out_dir holds after this build
        self.written: list[str] = []
        self._lock: int | None = None
        with writing_into(self.out_dir):
            prefix = f".{self.out_dir.name}.staging-"
            remove_abandoned_staging(self.out_dir.parent, prefix)
            self.folder, self._lock = _new_locked_folder(self.out_dir.parent, prefix)
        self._undo: list[tuple[str, str, Path | None]] = []  # (what, rel, backup) in the order done

    def write(self, rel: str, data: bytes) -> None:
        # A file made again to the bytes output/ holds never comes here: the
        # renderer and the search index compare digests and call `keep` instead.
        with writing_into(self.out_dir):
            target = self.folder / _NEW / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        self.written.append(rel)
        self.claimed.append(rel)

    def keep(self, rel: str, size: int) -> bool:
        """output/rel stays as it is; False when it is not there with that size.

        Called for every file of the site (30,000 at 10,000 posts), so the path
        is a plain string: through pathlib the check cost three times the stat.
        One stat per file is the check we choose: the record (build cache) says
        what output/ should hold, and the stat catches what a person does to it
        by hand (a file deleted, cut short, replaced by a link); an edit that
        keeps the size is not caught (reading the bytes back would cost more
        than the rebuild): `mlcsite build --no-cache` makes everything again."""
        try:
            info = os.stat(self._prefix + rel, follow_symlinks=False)
        except OSError:
            return False
        if not (info.st_size == size and stat.S_ISREG(info.st_mode)):
            return False
        self.claimed.append(rel)
        return True

    def swap_in(self) -> None:
        self.before_swap()
        claimed = set(self.claimed)
        gone = sorted(self.present - claimed)
        new_folders = {str(parent) for rel in self.written for parent in Path(rel).parents}
        in_the_way = [rel for rel in gone if rel in new_folders or any(
            str(parent) in claimed for parent in Path(rel).parents)]
        with writing_into(self.out_dir):
            (self.folder / _NEW).mkdir(exist_ok=True)
            (self.folder / _NEW / MARKER).write_bytes(MARKER_TEXT)
            try:
                for rel in in_the_way:  # a file where a new folder goes, or a folder where a new file goes
                    self._remove(rel)
                for rel in [MARKER, *self.written]:
                    self._move_in(rel)
                for rel in gone:
                    if rel not in in_the_way:
                        self._remove(rel)
            except BaseException:
                self._roll_back()
                raise
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    # ── each step, recorded so that it can be undone ──
    def _backup(self, target: Path) -> Path | None:
        if not os.path.lexists(target):
            return None
        backup = self.folder / _OLD / str(len(self._undo))
        backup.parent.mkdir(exist_ok=True)
        try:
            os.link(target, backup, follow_symlinks=False)
        except OSError:  # links not allowed here
            shutil.copy2(target, backup, follow_symlinks=False)
        return backup

    def _move_in(self, rel: str) -> None:
        target = self.out_dir / rel
        self._make_folders(target.parent)
        backup = self._backup(target)
        os.replace(self.folder / _NEW / rel, target)
        self._undo.append(("file", rel, backup))

    def _remove(self, rel: str) -> None:
        target = self.out_dir / rel
        backup = self._backup(target)
        if backup is None:
            return
        target.unlink()
        self._undo.append(("file", rel, backup))
        for parent in Path(rel).parents:
            if parent == Path("."):
                return
            try:
                (self.out_dir / parent).rmdir()
            except OSError:  # not empty
                return
            self._undo.append(("removed folder", str(parent), None))

    def _make_folders(self, folder: Path) -> None:
        missing = []
        while not folder.is_dir() and folder != self.out_dir:
            missing.append(folder)
            folder = folder.parent
        for path in reversed(missing):
            path.mkdir()
            self._undo.append(("made folder", str(path.relative_to(self.out_dir)), None))

    def _roll_back(self) -> None:
        """Put every file back as it was, newest step first (best effort: a step
        that cannot be undone must not stop the others)."""
        for what, rel, backup in reversed(self._undo):
            target = self.out_dir / rel
            try:
                if what == "made folder":
                    target.rmdir()
                elif what == "removed folder":
                    target.mkdir(exist_ok=True)
                elif backup is None:
                    target.unlink()
                else:
                    os.replace(backup, target)
            except OSError:
                pass
        self._undo = []
