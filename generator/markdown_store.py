"""Rendered Markdown kept in the cache folder between builds (issue 9).

A rebuild after one edit re-renders the tag and list pages that show the post,
and they show the summaries of thousands of other posts: converting those again
was most of the rebuild. Entries are stored by the memo's own key (a hash of the
renderer's version, the base URL and the text, render/markdown_memo.py), so an
entry is valid wherever that key comes up; each is checked like every cache file
and read as plain strings only (RenderedMarkdown.from_plain), never trusted.
"""

from __future__ import annotations

import json

from .build_cache import CacheFolder
from .render.markdown_memo import RenderedMarkdown

FOLDER = "markdown"


class MarkdownStore:
    def __init__(self, folder: CacheFolder) -> None:
        self.folder = folder
        # Read only by a rebuild of an output folder the cache knows; a full build
        # converts every text again (and refreshes the entries).
        self.reading = True

    def get(self, key: str) -> RenderedMarkdown | None:
        if not self.reading or not key.isalnum():
            return None
        payload = self.folder.read(f"{FOLDER}/{key}")
        try:
            return RenderedMarkdown.from_plain(json.loads(payload)) if payload is not None else None
        except ValueError:
            return None

    def put(self, key: str, entry: RenderedMarkdown) -> None:
        if key.isalnum():
            self.folder.write(f"{FOLDER}/{key}", json.dumps(entry.as_plain(), separators=(",", ":")).encode("utf-8"))
