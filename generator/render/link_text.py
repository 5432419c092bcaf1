"""Python-Markdown's link text, found by looking at the brackets alone.

A link, an image or a reference (`[text](url)`, `![alt](src)`, `[text][id]`)
starts with `[`, and its text ends at the `]` that closes it, brackets nested
inside counted. Python-Markdown 3.11 finds that end for every character of the
paragraph at once, in a Python loop, and again after each link it replaces
(replacing makes a new string): a quarter of converting a post with a dozen
links. This finds the same ends from the brackets only, which a regex finds in
C, and gives the library's answer: same text, same end, same "closed or not".

An index that does not follow a `[` (no library pattern asks for one) is left to
the library's own method.
"""

from __future__ import annotations

import re
from types import MethodType

import markdown
from markdown import inlinepatterns as core

_BRACKET = re.compile(r"[\[\]]")


def closing_brackets(data: str) -> dict[int, int]:
    """For each `[` of `data` closed later: the index just after it → the index
    just after the `]` that closes it. A `]` closes the latest `[` still open,
    as counting depth does; a `]` with none open closes nothing."""
    ends: dict[int, int] = {}
    still_open: list[int] = []
    for found in _BRACKET.finditer(data):
        if found.group() == "[":
            still_open.append(found.end())
        elif still_open:
            ends[still_open.pop()] = found.end()
    return ends


def _link_text(self: core.LinkInlineProcessor, data: str, index: int) -> tuple[str, int, bool]:
    """LinkInlineProcessor.getText: the text from `index` to its closing bracket,
    the index after that bracket, and whether there was one."""
    if index < 1 or data[index - 1] != "[":
        return type(self).getText(self, data, index)
    if self._closing_for is not data:  # the same paragraph asks again for each `[` in it
        self._closing_for, self._closing = data, closing_brackets(data)
    end = self._closing.get(index)
    if end is None:
        return data[index:], len(data), False
    return data[index:end - 1], end, True


def use_fast_link_text(md: markdown.Markdown) -> None:
    """Give every link-like inline pattern of `md` (links, images, references)
    the bracket-only getText."""
    for pattern in md.inlinePatterns:
        if isinstance(pattern, core.LinkInlineProcessor):
            pattern._closing_for, pattern._closing = None, {}
            pattern.getText = MethodType(_link_text, pattern)
