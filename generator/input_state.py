"""Whether anything a build reads changed since the last build: one digest of all inputs.

A rebuild with nothing changed should cost what it takes to notice that. The
digest covers every file under content/ and templates/ (names and bytes),
site.yaml, the git HEAD (commit dates are shown), SOURCE_DATE_EPOCH, the build
clock and the options. The build cache records it beside the manifest of the
output folder it built (one file, so the two can never disagree); when the next
build's digest is the same, it stops before loading anything.

Reading 90 MB to hash it would be most of that cost, so a file's digest is
reused when its stat (size, mtime, inode) is what was recorded, as git does:
except for a file modified shortly before the record was taken, whose next
same-size change could keep its mtime ("racily clean"): that one is hashed.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from pathlib import Path

from .build_cache import digest_of, read_file
from .history import head_state

RACY_NS = 2_000_000_000  # coarser than any file system's mtime step we build on
WATCHED = ("content", "templates")


def file_digest(data: bytes) -> str:
    """A file's bytes, hashed: here, and as the key of a parsed source (parsed_sources.py)."""
    return digest_of(data)


@dataclass
class InputState:
    """The inputs of one build: each file's stat and digest, and their one digest."""

    digest: str = ""
    files: dict[str, list] = field(default_factory=dict)  # rel → [size, mtime_ns, inode, digest]
    taken_ns: int = 0  # when the stats were taken
    git: str = ""  # the git state hashed in (_git_state), when taken here: not recorded

    def as_plain(self) -> dict:
        return {"digest": self.digest, "files": self.files, "taken_ns": self.taken_ns}

    def digest_of(self, rel: str, info: os.stat_result) -> str | None:
        """The recorded digest of a file read since, when its stat taken after that
        reading is the recorded one and older than the record by more than RACY_NS
        (as above: a write since would have moved its mtime); else None."""
        entry = self.files.get(rel)
        if entry is None or info.st_mtime_ns >= self.taken_ns - RACY_NS:
            return None
        return entry[3] if entry[:3] == [info.st_size, info.st_mtime_ns, info.st_ino * 2] else None

    def changed_since(self, before: "InputState") -> list[str]:
        """The files added, removed or changed since `before` was taken."""
        now, old = self.files, before.files
        changed = [rel for rel, entry in now.items() if rel not in old or old[rel][3] != entry[3]]
        return changed + [rel for rel in old if rel not in now]

    @classmethod
    def from_plain(cls, data) -> "InputState | None":
        try:
            state = cls(str(data["digest"]), dict(data["files"]), int(data["taken_ns"]))
        except (KeyError, TypeError, ValueError):
            return None
        entries = state.files.values()  # checked a property at a time, not a line of Python per file
        if not (set(map(type, entries)) <= {list} and set(map(len, entries)) <= {4}):
            return None
        return state


def current_inputs(root: Path, template_dir: Path, options_text: str, previous: InputState | None) -> InputState:
    """The inputs as they are now; digests of files unchanged since `previous` are reused."""
    taken_ns = time.time_ns()
    old = previous.files if previous else {}
    trusted_before = (previous.taken_ns if previous else 0) - RACY_NS
    files: dict[str, list] = {}
    for label, folder in (("content", root / "content"), ("templates", template_dir)):
        _walk(str(folder), label, old, trusted_before, files)
    files["site.yaml"] = _entry(root / "site.yaml", old.get("site.yaml"), trusted_before)
    digest = hashlib.blake2b(digest_size=16)
    git = _git_state(root)
    for part in (options_text, os.environ.get("SOURCE_DATE_EPOCH", ""), git):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\x00")
    # Each name and digest, in name order, without a line of Python per file.
    names = sorted(files)
    listing = "\x00".join(chain.from_iterable(zip(names, map(itemgetter(3), map(files.__getitem__, names)))))
    digest.update(listing.encode("utf-8", "surrogateescape"))
    return InputState(digest.hexdigest(), files, taken_ns, git)


def _walk(folder: str, prefix: str, old: dict[str, list], trusted_before: int, files: dict[str, list]) -> None:
    """Every file below folder (links followed to files, never to folders) into
    `files` by its site-relative name. Directory entries, not paths: the link
    test comes with them, where os.walk and islink cost a second system call a
    file. A file whose stat is the recorded one keeps its recorded entry (the
    same list: 13,000 files, most unchanged); _entry sees to the others."""
    try:
        with os.scandir(folder) as entries:
            entries = list(entries)
    except OSError:
        return
    for entry in entries:
        rel = f"{prefix}/{entry.name}"
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir and not entry.is_symlink():
            _walk(entry.path, rel, old, trusted_before, files)
            continue
        if is_dir:  # a linked folder is not walked; its link is an input
            rel += "/"
        before = old.get(rel)
        try:
            info = entry.stat()
        except OSError:
            info = None
        if (info is not None and before is not None and info.st_mtime_ns < trusted_before
                and before[:3] == [info.st_size, info.st_mtime_ns, info.st_ino * 2 + entry.is_symlink()]):
            files[rel] = before
        else:
            files[rel] = _entry(entry.path, before, trusted_before, entry)


def _entry(path: str | Path, old: list | None, trusted_before: int, entry: os.DirEntry | None = None) -> list:
    try:
        info = entry.stat() if entry is not None else os.stat(path)
        link = entry.is_symlink() if entry is not None else os.path.islink(path)
    except OSError:
        return [-1, 0, 0, "missing"]
    stat = [info.st_size, info.st_mtime_ns, info.st_ino * 2 + link]
    if old is not None and old[:3] == stat and info.st_mtime_ns < trusted_before:
        return [*stat, old[3]]
    try:
        return [*stat, file_digest(read_file(path))]
    except OSError:  # a folder (through a link), or gone meanwhile
        return [*stat, f"unreadable-{os.path.realpath(path)}"]


def _git_state(root: Path) -> str:
    """HEAD and shallowness: a commit moves the dates pages show (history.py)."""
    return head_state(root) or "no git"
