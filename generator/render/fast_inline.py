"""Python-Markdown's inline pass, minus the patterns that cannot match.

Python-Markdown tries every inline pattern (about twenty, plus fifteen smart-quote
patterns in a second pass) on every piece of text, and each try costs far more
than the regex search itself. Most prose holds no `$`, `<`, `&` or quote at all.
Every pattern below has a literal it cannot match without (its trigger), so a
text without any of its triggers skips the pattern. A pattern whose regex never
matched never calls its handler either, so the skipped try had no effect: the
HTML is the same, byte for byte.

Triggers are keyed by the pattern's regex source, not by its name: should a new
Python-Markdown change a regex, that pattern simply runs on every text again.
"""

from __future__ import annotations

from xml.etree import ElementTree as etree

import markdown
from markdown import inlinepatterns as core
from markdown.extensions import smarty
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString

from .latex_math import DISPLAY_MATH_RE, INLINE_MATH_RE

SINGLE, DOUBLE = ("'",), ('"',)
TRIGGERS: dict[str, tuple[str, ...]] = {
    core.BACKTICK_RE: ("`",),
    core.ESCAPE_RE: ("\\",),
    core.LINK_RE: ("[",),  # also REFERENCE_RE
    core.IMAGE_LINK_RE: ("![",),  # also IMAGE_REFERENCE_RE
    core.AUTOLINK_RE: ("<",),
    core.AUTOMAIL_RE: ("<",),
    core.HTML_RE: ("<",),
    smarty.HTML_STRICT_RE: ("<",),
    core.ENTITY_RE: ("&",),
    core.LINE_BREAK_RE: ("  \n",),
    r"\*|_": ("*", "_"),  # the emphasis delimiters (DelimiterProcessor)
    r"\[\^([^\]]*)\]": ("[^",),  # footnote references
    DISPLAY_MATH_RE: ("$$",),
    INLINE_MATH_RE: ("$",),
    r"(?<!\.)\.{3}(?!\.)": ("...",),
    r"(?<!-)---(?!-)": ("---",),
    r"(?<!-)--(?!-)": ("--",),
    r"\<\<": ("<<",),
    r"\>\>": (">>",),
    smarty.singleQuoteStartRe: SINGLE,
    smarty.doubleQuoteStartRe: DOUBLE,
    smarty.doubleQuoteSetsRe: ("\"'",),
    smarty.singleQuoteSetsRe: ("'\"",),
    smarty.doubleQuoteSetsRe2: ("'\"",),
    smarty.singleQuoteSetsRe2: ("\"'",),
    smarty.decadeAbbrRe: SINGLE,
    smarty.openingSingleQuotesRegex: SINGLE,
    smarty.closingSingleQuotesRegex: SINGLE,
    smarty.closingSingleQuotesRegex2: SINGLE,
    smarty.remainingSingleQuotesRegex: SINGLE,
    smarty.openingDoubleQuotesRegex: DOUBLE,
    smarty.closingDoubleQuotesRegex: DOUBLE,
    smarty.closingDoubleQuotesRegex2: DOUBLE,
    smarty.remainingDoubleQuotesRegex: DOUBLE,
}
# The library's inline passes: (name, priority) in md.treeprocessors.
INLINE_PASSES = (("inline", 20), ("smarty", 6))


def triggers_of(pattern: core.Pattern) -> tuple[str, ...] | None:
    """None: no known trigger, the pattern runs on every text."""
    return TRIGGERS.get(pattern.compiled_re.pattern)


class TriggeredInlineProcessor(InlineProcessor):
    """The library's InlineProcessor with its pattern loop replaced (the method
    name is the mangled private `__handleInline`, which the library calls for
    every text and tail, recursively for nested elements)."""

    _made_for: tuple = (None, -1)  # (the registry, its length) the lists below were made from

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        # Made again only when the patterns change (another registry, one more or fewer):
        # making them for every text was about 1 % of a build.
        if self._made_for != (self.inlinePatterns, len(self.inlinePatterns)):
            # A plain list: indexing the Registry re-checks its sort order on every access.
            self._triggered = [(pattern, triggers_of(pattern)) for pattern in self.inlinePatterns]
            self._all_triggers = {trigger for _, triggers in self._triggered for trigger in triggers or ()}
            self._made_for = (self.inlinePatterns, len(self.inlinePatterns))
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, AtomicString):
            return data
        # Checked once: a match only replaces text by a placeholder (\x02…\x03),
        # so it can remove a trigger from `data` but never add one.
        present = {trigger for trigger in self._all_triggers if trigger in data}
        apply_pattern = self._InlineProcessor__applyPattern
        for index in range(patternIndex, len(self._triggered)):
            pattern, triggers = self._triggered[index]
            if triggers is not None and present.isdisjoint(triggers):
                continue
            matched, start = True, 0
            while matched:  # the same pattern again, after its last match, until none is left
                data, matched, start = apply_pattern(pattern, data, index, start)
        return data


def use_triggered_inline(md: markdown.Markdown) -> None:
    """Swap the library's inline passes for triggered ones, same patterns, same order."""
    for name, priority in INLINE_PASSES:
        if name in md.treeprocessors:
            fast = TriggeredInlineProcessor(md)
            fast.inlinePatterns = md.treeprocessors[name].inlinePatterns
            md.treeprocessors.register(fast, name, priority)
