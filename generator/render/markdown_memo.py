"""Every Markdown text converted once per build: pages, feeds and calendars share it.

`MarkdownMemo.entries` maps a key to a `RenderedMarkdown`: everything derived from
one text (sanitized body, table of contents, first-paragraph summary, calendar
plain text). The key is a SHA-256 of the renderer version, the site's base_url
(links are moved under its path) and the text, so an entry is valid wherever the
same key comes up again: in another worker process or in a later build.

Entries hold plain strings only. To persist them or send them between processes:

    data = memo.export()    # {key: {"html": ..., "toc_html": ..., "summary": ..., "plain_text": ...}}
    other.import_(data)     # malformed entries are skipped, never trusted

(a RenderedMarkdown also pickles as it is). `summary` is made with the HTML:
nearly every text is described by its first paragraph somewhere (a page's meta
description, a list row, a feed), and adding it when first asked for wrote the
stored entry twice. `plain_text` is None until first asked for (calendars only);
an entry made elsewhere may lack either, and gets it when asked.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from ..build_cache import installed_version  # not importlib.metadata: see there
from . import code_blocks, fast_inline, html_text, latex_math, link_text, markup

# What the HTML depends on besides the text: our dialect's code and these libraries.
RENDERER_MODULES = (markup, latex_math, fast_inline, link_text, code_blocks, html_text)
RENDERER_LIBRARIES = ("markdown", "pygments", "nh3", "latex2mathml")


@lru_cache(maxsize=1)
def renderer_version() -> str:
    digest = hashlib.sha256()
    for module in RENDERER_MODULES:
        digest.update(Path(module.__file__).read_bytes())
    for name in RENDERER_LIBRARIES:
        digest.update(f"{name}={installed_version(name)};".encode())
    return digest.hexdigest()[:16]


def memo_key(text: str, base_url: str) -> str:
    return hashlib.sha256(f"{renderer_version()}\0{base_url}\0{text}".encode()).hexdigest()


@dataclass(frozen=True)
class RenderedMarkdown:
    html: str  # sanitized, root-relative links under the base path
    toc_html: str  # "" below markup.TOC_MIN_HEADINGS headings
    summary: str | None = None  # first paragraph as plain text; None: not made yet
    plain_text: str | None = None  # for calendar apps; None: not asked for yet

    def as_plain(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_plain(cls, data: Any) -> "RenderedMarkdown | None":
        """None unless `data` is exactly what as_plain() gives."""
        names = {f.name for f in fields(cls)}
        if not isinstance(data, Mapping) or set(data) != names:
            return None
        if not all(isinstance(data[n], str) or (data[n] is None and n in ("summary", "plain_text")) for n in names):
            return None
        return cls(**data)


NOTHING = RenderedMarkdown(html="", toc_html="", summary="", plain_text="")


class MarkdownMemo:
    """Rendered Markdown by text, for one build (or several: keys carry base_url)."""

    def __init__(self, seconds: float = markup.DEFAULT_SECONDS, store: Any = None) -> None:
        self.seconds = seconds  # budget per conversion: past it, markup.TextTooCostly
        self.entries: dict[str, RenderedMarkdown] = {}
        self.conversions = 0  # Markdown → HTML runs by this memo (benchmarks, tests)
        # Where entries persist between builds (markdown_store.MarkdownStore): get(key), put(key, entry).
        self.store = store

    def rendered(self, text: str | None, base_url: str) -> RenderedMarkdown:
        return self._entry(text, base_url)[1]

    def html(self, text: str | None, base_url: str) -> str:
        return self.rendered(text, base_url).html

    def summary(self, text: str | None, base_url: str) -> str:
        key, entry = self._entry(text, base_url)
        if entry.summary is None:
            entry = self._keep(key, replace(entry, summary=html_text.first_paragraph_text(entry.html)))
        return entry.summary

    def plain_text(self, text: str | None, base_url: str) -> str:
        key, entry = self._entry(text, base_url)
        if entry.plain_text is None:
            flat = html_text.flattened_text(entry.html, base_url, urlsplit(base_url).path)
            entry = self._keep(key, replace(entry, plain_text=flat))
        return entry.plain_text

    def _entry(self, text: str | None, base_url: str) -> tuple[str, RenderedMarkdown]:
        if not text:
            return "", NOTHING
        key = memo_key(text, base_url)
        entry = self.entries.get(key)
        if entry is None and self.store is not None:
            entry = self.store.get(key)
            if entry is not None:
                self.entries[key] = entry
        if entry is None:
            # Two arguments unless the site sets its own budget: the default is the function's.
            budget = () if self.seconds == markup.DEFAULT_SECONDS else (self.seconds,)
            body, toc = markup.render_markdown_with_toc(text, urlsplit(base_url).path, *budget)
            self.conversions += 1
            entry = self._keep(key, RenderedMarkdown(html=body, toc_html=toc,
                                                     summary=html_text.first_paragraph_text(body)))
        return key, entry

    def _keep(self, key: str, entry: RenderedMarkdown) -> RenderedMarkdown:
        self.entries[key] = entry
        if self.store is not None:
            self.store.put(key, entry)
        return entry

    def export(self) -> dict[str, dict[str, str | None]]:
        return {key: entry.as_plain() for key, entry in self.entries.items()}

    def import_(self, data: Mapping[str, Any]) -> int:
        """Take entries from export(); returns how many were well-formed and taken.
        Parts already known here (a summary asked for) are kept."""
        taken = 0
        for key, value in data.items() if isinstance(data, Mapping) else ():
            entry = RenderedMarkdown.from_plain(value)
            if isinstance(key, str) and entry is not None:
                known = self.entries.get(key)
                self.entries[key] = entry if known is None else replace(
                    known, summary=known.summary if known.summary is not None else entry.summary,
                    plain_text=known.plain_text if known.plain_text is not None else entry.plain_text)
                taken += 1
        return taken
