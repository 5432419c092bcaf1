"""When each content file was first and last committed, from the site's git history.

Subscribers' apps compare dates to decide what changed (a calendar keeps an
event whose LAST-MODIFIED did not move; a reader sorts items by pubDate), so the
dates a build shows must mean something and must not depend on when it ran:

- in a git checkout, ONE `git log` over content/ gives every file's first and
  last commit (author dates: rebasing a branch onto main, as landing does, keeps
  them); a renamed file keeps its history (rename detection);
- outside git, or for a file not committed yet, SOURCE_DATE_EPOCH stands in for
  both; without it the file has no dates here and the renderer uses the item's
  own date. Never the wall clock: two builds of one commit stay byte-identical.

A shallow clone lacks the early commits: files whose history reaches the cut get
the cut's date as their first (and maybe last) commit. That is reported, once.

The log is a function of the commits HEAD reaches, so the build cache keeps the
last one read by HEAD (and the site's place in the repository): a rebuild after
an edit, with no commit since, reads no log. Not for a shallow clone, whose
history can deepen under the same HEAD.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .build_cache import CacheFolder, dump_plain, load_plain
from .diagnostics import Diagnostics, Location

UTC = dt.timezone.utc
COMMIT = "@@"  # starts each commit's line in our log format; statuses and paths follow
CONTENT = "content"
MEMO_FILE = "history"  # in the build cache folder (build_cache.dump_plain)


@dataclass(frozen=True)
class SourceDates:
    first: dt.datetime  # aware UTC: when the file was first committed ("announced", CREATED)
    last: dt.datetime  # aware UTC: its last commit (updated, LAST-MODIFIED, sitemap lastmod)


@dataclass
class HistoryMemo:
    """The last log read, by HEAD: a watch session, or with a cache folder a
    build, reads history again only after a commit (the log of a 13,000-file
    repository takes about a second)."""
    head: str = ""  # head_state() of the log read
    dates: dict[str, SourceDates] = field(default_factory=dict)
    folder: CacheFolder | None = None  # where it persists between builds

    def recall(self, head: str) -> bool:
        """Whether the dates of this head are known, here or in the cache folder."""
        if self.head == head:
            return True
        data = load_plain(self.folder.read(MEMO_FILE)) if self.folder is not None else {}
        try:
            if data.get("head") != head:
                return False
            self.dates = {path: SourceDates(_utc(first), _utc(last)) for path, (first, last) in data["dates"].items()}
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
            return False  # a corrupt or foreign entry: read the log again
        self.head = head
        return True

    def remember(self, head: str, dates: dict[str, SourceDates], persist: bool) -> None:
        self.head, self.dates = head, dates
        if persist and self.folder is not None:
            plain = {path: (int(d.first.timestamp()), int(d.last.timestamp())) for path, d in dates.items()}
            self.folder.write(MEMO_FILE, dump_plain({"head": head, "dates": plain}))


def _utc(seconds) -> dt.datetime:
    if type(seconds) is not int:
        raise TypeError("a commit time is a whole number of seconds")
    return dt.datetime.fromtimestamp(seconds, UTC)


def read_dates(root: Path, sources: Iterable[str], diagnostics: Diagnostics,
               memo: HistoryMemo | None = None) -> dict[str, SourceDates]:
    """Source path (relative to the site root) → its dates; a source with none is left out."""
    committed = _committed_dates(root, diagnostics, memo or HistoryMemo())
    epoch = source_date_epoch()
    dates = {}
    for rel in sources:
        if rel in committed:
            dates[rel] = committed[rel]
        elif epoch is not None:
            dates[rel] = SourceDates(epoch, epoch)
    return dates


def source_date_epoch() -> dt.datetime | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return dt.datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else None


def _git(root: Path, *args: str) -> str | None:
    """git's output, or None outside a work tree (or without git)."""
    try:
        result = subprocess.run(["git", "-c", "log.showSignature=false", *args], cwd=root,
                                capture_output=True, text=True, encoding="utf-8", errors="surrogateescape")
    except OSError:
        return None
    return result.stdout if result.returncode == 0 else None


def head_state(root: Path) -> str | None:
    """"true <shallow> <the site's folder in the repository> <HEAD>" (one a line)
    inside a work tree with a commit; what the dates depend on."""
    return _git(root, "rev-parse", "--is-inside-work-tree", "--is-shallow-repository", "--show-prefix", "HEAD")


def is_shallow(state: str) -> bool:
    """Whether a head_state() is a shallow clone's: its history, so its dates, can
    deepen under the same HEAD."""
    lines = state.split("\n")
    return len(lines) > 1 and lines[1] == "true"


def _committed_dates(root: Path, diagnostics: Diagnostics, memo: HistoryMemo) -> dict[str, SourceDates]:
    state = head_state(root)
    if state is None or not state.startswith("true"):  # outside git, or no commit yet
        return {}
    shallow = is_shallow(state)
    if not memo.recall(state):
        log = _git(root, "log", f"--format={COMMIT}%at", "--name-status", "-M", "-z", "--relative", "--", CONTENT)
        memo.remember(state, _dates_from_log(log or ""), persist=not shallow and log is not None)
    if shallow:
        diagnostics.warning(Location(CONTENT), "This is a shallow git clone: content files whose history "
                            "reaches the cut are dated by the cut (announced, CREATED, updated).",
                            "Fetch the full history (git fetch --unshallow; in CI a checkout with "
                            "fetch-depth: 0), or give the dates in front matter (announced:, updated:).")
    return memo.dates


def _dates_from_log(log: str) -> dict[str, SourceDates]:
    """Parse `git log --name-status -z`, newest commit first. A rename carries the
    history of the old name over to the new one; before a deletion, the same name
    belonged to another file."""
    seen: dict[str, list[dt.datetime]] = {}
    later_name: dict[str, str | None] = {}  # a name in older commits → the file's name now (None: gone)
    tokens = iter(log.split("\0"))
    when = None
    for token in tokens:
        token = token.lstrip("\n")
        if not token:
            continue
        if token.startswith(COMMIT):
            when = dt.datetime.fromtimestamp(int(token[len(COMMIT):]), UTC)
            continue
        paths = [next(tokens), next(tokens)] if token[0] in "RC" else [next(tokens)]
        current = later_name.get(paths[-1], paths[-1])
        if token[0] == "D":
            later_name[paths[0]] = None
            continue
        if current is not None:
            seen.setdefault(current, []).append(when)
        if token[0] == "R":
            later_name[paths[0]] = current
    return {path: SourceDates(min(times), max(times)) for path, times in seen.items()}
