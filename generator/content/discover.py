"""Find the content sources and the static files under content/.

Nothing is followed outside the repository: a symbolic link whose target lies
outside the site root is reported and skipped (SPEC: no file outside the
repository is read because of content).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Diagnostics, Location

KINDS = ("members", "projects", "series", "events", "posts", "rfps", "pages")
SOURCE_SUFFIXES = (".md", ".yaml", ".yml")
_POST_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})-(.+)\Z")


@dataclass(frozen=True)
class Source:
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


def discover(root: Path, diagnostics: Diagnostics) -> Discovery:
    content = root / "content"
    sources: list[Source] = []
    assets: list[tuple[Path, str]] = []
    if not content.is_dir():
        diagnostics.error(Location("content"), "There is no content/ folder.",
                          "Run mlcsite from the site's root folder (the one with site.yaml).")
        return Discovery(sources, assets)
    real_root = root.resolve()
    for folder, dirs, files in os.walk(content):
        folder_path = Path(folder)
        dirs[:] = sorted(d for d in dirs if not is_ignored_name(d)
                         and _link_is_safe(folder_path / d, real_root, root, diagnostics))
        for name in sorted(files):
            path = folder_path / name
            if is_ignored_name(name) or not _link_is_safe(path, real_root, root, diagnostics):
                continue
            rel_content = path.relative_to(content).as_posix()
            kind, _, rest = rel_content.partition("/")
            if kind in KINDS and rest and path.suffix in SOURCE_SUFFIXES:
                sources.append(_source(kind, path, root, rest))
            else:
                assets.append((path, rel_content))
    return Discovery(sources, assets)


def _link_is_safe(path: Path, real_root: Path, root: Path, diagnostics: Diagnostics) -> bool:
    if not path.is_symlink():
        return True
    target = path.resolve()
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


def _source(kind: str, path: Path, root: Path, rest: str) -> Source:
    rel = path.relative_to(root).as_posix()
    stem = rest.rsplit(".", 1)[0]
    if kind == "posts":
        match = _POST_NAME.match(stem.rsplit("/", 1)[-1])
        if match:
            return Source(kind, path, rel, match.group(2), match.group(1))
    return Source(kind, path, rel, stem)
