"""Rendered Markdown kept in the cache folder between builds (issue 9).

A rebuild after one edit re-renders the tag and list pages that show the post,
and they show the summaries of thousands of other posts: converting those again
was most of the rebuild. Entries are stored by the memo's own key (a hash of the
renderer's version, the base URL and the text, render/markdown_memo.py), so an
entry is valid wherever that key comes up; each is checked like every cache file
and read as plain strings only (RenderedMarkdown.from_plain), never trusted.

Entries are written by whichever process converts the text (render workers
too), and an edited text leaves its old entry behind. A full build (one that
renders every output: into a new or emptied output folder, as CI does with a
restored cache folder, or after `--no-cache`) asks for every text the site has
now, so it marks each entry it reads as used (its mtime), and writes the others:
afterwards every entry older than it is one no build can ask for. `prune`
removes those, and the folder holds about one site's texts, never more.

A full build into a new output folder reads every entry (at 10,000 posts, half
of a clean build's work is converting Markdown). `--no-cache` reads none of an
earlier build's (`reading` False), but still the entries it writes itself: its
render workers each keep their own memo, and a post's text is asked for by its
page, the list and tag pages that show its summary and the feeds, each rendered
by whichever worker takes it: without the store, 1,000 posts' 2,320 texts were
converted 3,970 times.
"""

from __future__ import annotations

import json
import os
import time

from .build_cache import CacheFolder
from .render.markdown_memo import RenderedMarkdown

FOLDER = "markdown"
MTIME_SLACK_NS = 2_000_000_000  # coarser than any file system's mtime step: when in doubt, keep


class MarkdownStore:
    def __init__(self, folder: CacheFolder) -> None:
        self.folder = folder
        # False (--no-cache): every text is converted again; only the entries written
        # since this build began are read.
        self.reading = True
        self.full = False  # this build renders every output: it marks what it reads, then prunes
        self.started_ns = time.time_ns()  # when this build began writing entries

    def get(self, key: str) -> RenderedMarkdown | None:
        if not key.isalnum():
            return None
        name = f"{FOLDER}/{key}"
        if not self.reading:
            payload = self.folder.read(name, self.started_ns)
        elif self.full:
            payload = self.folder.read_marking_used(name, self.started_ns)
        else:
            payload = self.folder.read(name)
        try:
            return RenderedMarkdown.from_plain(json.loads(payload)) if payload is not None else None
        except ValueError:
            return None

    def put(self, key: str, entry: RenderedMarkdown) -> None:
        if key.isalnum():
            self.folder.write(f"{FOLDER}/{key}", json.dumps(entry.as_plain(), separators=(",", ":")).encode("utf-8"))

    def prune(self) -> None:
        """After a full build: remove the entries it neither wrote nor read."""
        if not self.full:
            return
        older = self.started_ns - MTIME_SLACK_NS
        try:
            with os.scandir(self.folder.folder / FOLDER) as entries:
                stale = [entry.path for entry in entries if entry.stat().st_mtime_ns < older]
        except OSError:
            return
        for path in stale:
            try:
                os.unlink(path)
            except OSError:
                pass
