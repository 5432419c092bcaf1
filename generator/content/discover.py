"""Find the content sources and the static files under content/.

Nothing is followed outside the repository: a symbolic link whose target lies
outside the site root is reported and skipped (SPEC: no file outside the
repository is read because of content).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from ..diagnostics import Diagnostics, Location
from .assets import DEFAULT_TYPES, check_asset

KINDS = ("members", "projects", "series", "events", "posts", "rfps", "pages")
SOURCE_SUFFIXES = (".md", ".yaml", ".yml")
_POST_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})-(.+)\Z")


class Source(NamedTuple):
    """A content source. A named tuple: discovery makes 13,000 at 10,000 posts,
    where a frozen dataclass's __init__ cost a fifth of it."""

    kind: str
    path: Path  # absolute
    rel: str  # relative to the site root, forward slashes
    slug: str
    name_date: str | None = None  # posts: the YYYY-MM-DD of the file name


@dataclass(frozen=True)
class Discovery:
    sources: list[Source]
    assets: list[tuple[Path, str]]  # (absolute path, URL path under the site)


def is_ignored_name(name: str) -> bool:
    """Editor droppings and hidden files are never content (see also watcher)."""
    return (name.startswith((".", "#", "~")) or name.endswith(("~", ".swp", ".swx", ".swpx", ".tmp", "___jb_tmp___",
                                                                 "___jb_old___"))
            or name == "4913")


# Dot-files that editors and git leave behind: skipped quietly. Any other
# dot-file (.htaccess, .well-known/) is an error: it is never published.
_HARMLESS_DOT_FILES = {".DS_Store", ".gitkeep", ".keep", ".gitignore", ".directory"}


def discover(root: Path, diagnostics: Diagnostics, published_types: tuple[str, ...] = DEFAULT_TYPES) -> Discovery:
    content = root / "content"
    sources: list[Source] = []
    assets: list[tuple[Path, str]] = []
    if not content.is_dir():
        diagnostics.error(Location("content"), "There is no content/ folder.",
                          "Run mlcsite from the site's root folder (the one with site.yaml).")
        return Discovery(sources, assets)
    real_root = root.resolve()
    if content.is_symlink() or not content.resolve().is_relative_to(real_root):
        diagnostics.error(Location("content"), "content/ is a link to another folder; it was not read.",
                          "Make content/ a real folder inside the repository.")
        return Discovery(sources, assets)
    _walk(content, "", _Walk(content, real_root, root, published_types, diagnostics, sources, assets))
    return Discovery(sources, assets)


@dataclass(frozen=True)
class _Walk:
    """What walking content/ needs and fills."""

    content: Path
    real_root: Path
    root: Path
    published_types: tuple[str, ...]
    diagnostics: Diagnostics
    sources: list[Source]
    assets: list[tuple[Path, str]]


def _walk(folder: Path, rel_folder: str, walk: _Walk) -> None:
    """One folder (rel_folder: below content/, with a trailing slash), as os.walk
    goes: its folders checked, its files in name order, then each folder. Directory
    entries, not paths: 13,000 pathlib objects were most of discovery's time. A
    source's Path is the folder's joined with its name (half the cost of parsing
    its whole path again)."""
    try:
        with os.scandir(folder) as found:
            entries = sorted(found, key=attrgetter("name"))
    except OSError:
        return
    folders, files = [], []
    for entry in entries:
        (folders if _is_dir(entry) else files).append(entry)
    folders = [entry for entry in folders if _entry_wanted(entry, walk)]
    for entry in files:
        if not _entry_wanted(entry, walk):
            continue
        rel_content = rel_folder + entry.name
        kind, _, rest = rel_content.partition("/")
        if kind in KINDS and rest and entry.name.endswith(SOURCE_SUFFIXES):
            walk.sources.append(_source(kind, _child(folder, entry.name), f"content/{rel_content}", rest))
        else:
            path = folder / entry.name
            if check_asset(path, rel_content, walk.published_types, walk.diagnostics):
                walk.assets.append((path, rel_content))
    for entry in folders:
        _walk(folder / entry.name, f"{rel_folder}{entry.name}/", walk)


def _child(folder: Path, name: str) -> Path:
    """folder / name, for a name from the folder's listing, made the way
    Path.iterdir makes it: `/` parses the name again, a quarter of the time to
    make a source's Path (where the method is missing, `/` does it)."""
    make = getattr(folder, "_make_child_relpath", None)
    return make(name) if make is not None else folder / name


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # a link to a folder counts as one, as in os.walk
    except OSError:
        return False


def _entry_wanted(entry: os.DirEntry, walk: _Walk) -> bool:
    name = entry.name
    if name.startswith(".") or is_ignored_name(name) or entry.is_symlink():
        return _wanted(Path(entry.path), walk.content, walk.real_root, walk.root, walk.published_types,
                       walk.diagnostics)
    return True


def _wanted(path: Path, content: Path, real_root: Path, root: Path, types: tuple[str, ...],
            diagnostics: Diagnostics) -> bool:
    """Whether discovery goes on with this file or folder: not an editor dropping,
    not a link out of the repository, not a hidden file (which is reported)."""
    name = path.name
    dropping = name in _HARMLESS_DOT_FILES or name.startswith("._") or is_ignored_name(name[1:] or ".")
    if name.startswith(".") and not dropping:
        check_asset(path, path.relative_to(content).as_posix(), types, diagnostics)  # reports it
        return False
    return not is_ignored_name(name) and _link_is_safe(path, real_root, root, diagnostics)


def _link_is_safe(path: Path, real_root: Path, root: Path, diagnostics: Diagnostics) -> bool:
    if not path.is_symlink():
        return True
    target = path.resolve()
    if target.is_relative_to(real_root / ".git"):
        diagnostics.error(Location(path.relative_to(root).as_posix()),
                          "This is a link into .git/, the repository's own records; it was not read.",
                          "Replace the link with the file itself.")
        return False
    if target.is_relative_to(real_root) and target.exists():
        if path.is_dir():  # a linked folder could loop; content folders are plain folders
            diagnostics.error(Location(path.relative_to(root).as_posix()),
                              "This is a link to a folder; content folders must be real folders.",
                              "Replace the link with the folder itself.")
            return False
        return True
    diagnostics.error(Location(path.relative_to(root).as_posix()),
                      "This is a link to a file outside the repository; it was not read.",
                      "Replace the link with the file itself.")
    return False


def source_for(root: Path, rel: str) -> Source | None:
    """The source at a site-relative path, as discover names it; None when that
    path is not a content source. (Watch: a saved file, without walking content/.)"""
    parts = rel.split("/")
    if len(parts) < 3 or parts[0] != "content" or parts[1] not in KINDS or any(is_ignored_name(p) for p in parts):
        return None
    path = root / rel
    if path.suffix not in SOURCE_SUFFIXES or path.is_symlink() or not path.is_file():
        return None
    return _source(parts[1], path, rel, "/".join(parts[2:]))


def _source(kind: str, path: Path, rel: str, rest: str) -> Source:
    stem = rest.rsplit(".", 1)[0]
    if kind == "posts":
        match = _POST_NAME.match(stem.rsplit("/", 1)[-1])
        if match:
            return Source(kind, path, rel, match.group(2), match.group(1))
    return Source(kind, path, rel, stem)
