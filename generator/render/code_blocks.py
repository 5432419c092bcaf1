"""Highlighted code blocks, each distinct block highlighted once per process.

Posts repeat code: the 10,000-post benchmark site has 2,247 distinct fenced
blocks among 10,000, and Pygments (lexing above all) was an eighth of a clean
build. A block's HTML depends only on its text and its options (language, the
codehilite settings, the block's own `{hl_lines=…}` and classes), which are all
held by the library's `CodeHilite` object for that block. So the HTML is kept
under a digest of that object's whole state: a block written differently, or
with other options, is another key, and never gets another block's HTML.

The library's fenced-code preprocessor builds its `CodeHilite` by global name.
`MemoFencedBlockPreprocessor` runs the library's own `run` code, unchanged, with
that one name bound to `MemoCodeHilite`: the block syntax stays the library's.
"""

from __future__ import annotations

import hashlib
import types

import markdown
from markdown.extensions import fenced_code
from markdown.extensions.codehilite import CodeHilite

MEMO_CHARS = 6_000_000  # highlighted HTML kept per Markdown instance (~6 MB: ASCII text)
LARGEST_SHARE = 16  # a block over 1/16 of the memo is highlighted each time rather than push out hundreds
FENCED_CODE = ("fenced_code_block", 25)  # the library's preprocessor: (name, priority)


class HighlightMemo:
    """Highlighted HTML by block digest, at most `max_chars` of it: the least
    recently used blocks go first."""

    def __init__(self, max_chars: int = MEMO_CHARS) -> None:
        self.max_chars = max_chars
        self.chars = 0
        self._html: dict[str, str] = {}  # insertion order is use order: oldest first
        self.highlighted = 0  # blocks Pygments ran on (tests, benchmarks)

    def __len__(self) -> int:
        return len(self._html)

    def get(self, key: str) -> str | None:
        html = self._html.pop(key, None)
        if html is not None:
            self._html[key] = html  # now the most recently used
        return html

    def put(self, key: str, html: str) -> None:
        if len(html) > self.max_chars // LARGEST_SHARE or key in self._html:
            return
        self._html[key] = html
        self.chars += len(html)
        while self.chars > self.max_chars:
            oldest = next(iter(self._html))
            self.chars -= len(self._html.pop(oldest))


def block_key(block: CodeHilite, shebang: bool) -> str:
    """Everything the block's HTML depends on, but the formatter factory (which
    makes the formatter from these same options)."""
    state = sorted((name, value) for name, value in vars(block).items() if name != "pygments_formatter")
    return hashlib.sha256(repr((shebang, state)).encode("utf-8", "surrogatepass")).hexdigest()


class MemoCodeHilite(CodeHilite):
    """The library's CodeHilite, looking in the memo its formatter factory carries
    (markup.ReusedHtmlFormatter.highlighted) before highlighting."""

    def hilite(self, shebang: bool = True) -> str:
        memo = getattr(self.pygments_formatter, "highlighted", None)
        if not isinstance(memo, HighlightMemo):
            return super().hilite(shebang)
        key = block_key(self, shebang)
        html = memo.get(key)
        if html is None:
            html = super().hilite(shebang)
            memo.highlighted += 1
            memo.put(key, html)
        return html


_library_run = fenced_code.FencedBlockPreprocessor.run
_memo_run = types.FunctionType(_library_run.__code__, {**vars(fenced_code), "CodeHilite": MemoCodeHilite},
                               _library_run.__name__, _library_run.__defaults__, _library_run.__closure__)


class MemoFencedBlockPreprocessor(fenced_code.FencedBlockPreprocessor):
    run = _memo_run


def use_highlight_memo(md: markdown.Markdown) -> None:
    """Swap the library's fenced-code preprocessor for the memoizing one, same place, same settings."""
    name, priority = FENCED_CODE
    md.preprocessors.register(MemoFencedBlockPreprocessor(md, md.preprocessors[name].config), name, priority)
