"""LaTeX math in Markdown: $inline$ and $$display$$, as MathML at build time.

Part of the Markdown dialect (markup.py registers the extension); the MathML
passes the sanitizer's allow-list like any other markup.
"""

from __future__ import annotations

import html
import re
from xml.etree import ElementTree as etree

import markdown
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

# Inline $…$ follows Pandoc's rule so prices stay prose: no space after the opening
# $ or before the closing one, and the closing $ is not followed by a digit
# ("costs $5 and $10"). A backslash escapes a dollar, inside math and out.
INLINE_MATH_RE = r"(?<![\\$])\$(?![\s$])((?:\\.|[^\\$])+?)(?<!\s)\$(?![\d$])"
DISPLAY_MATH_RE = r"(?<![\\$])\$\$(?!\$)((?:\\.|[^\\$])+?)\$\$"
_DISPLAY_BLOCK_START = re.compile(r" {0,3}\$\$")
_DISPLAY_BLOCK_END = re.compile(r"\$\$[ \t]*(?:\n|$)")


def render_math(latex: str, display: bool) -> str:
    """LaTeX → MathML at build time (no client-side JavaScript). Bad LaTeX shows its
    source instead of failing the build: latex2mathml raises many exception types."""
    # Imported on the first formula: most builds (a rebuild of one post without
    # math) never need it (some 0.03 s of the CLI's import time).
    from latex2mathml.converter import convert as latex_to_mathml
    try:
        mathml = latex_to_mathml(latex, display="block" if display else "inline")
        # The source, for plain-text summaries (first_paragraph_text) and assistive tech.
        return mathml.replace("<math ", f'<math alttext="{html.escape(latex)}" ', 1)
    except Exception:  # noqa: BLE001 - any parser failure means "show the source"
        return f'<code class="math-error">{html.escape(latex)}</code>'


class _InlineMath(InlineProcessor):
    """Runs before escapes and emphasis (priority between backticks and escapes),
    so `a_1 * b_2` inside math never becomes emphasis and code spans keep their $."""

    def __init__(self, pattern: str, md: markdown.Markdown, display: bool) -> None:
        super().__init__(pattern, md)
        self.display = display

    def handleMatch(self, m: re.Match, data: str) -> tuple[str | None, int | None, int | None]:
        latex = m.group(1).strip()
        if not latex:
            return None, None, None
        return self.md.htmlStash.store(render_math(latex, self.display)), m.start(0), m.end(0)


class _DisplayMathBlock(BlockProcessor):
    """A paragraph opening with $$ is display math up to the $$ that ends a line,
    even across blank lines; lines inside are never read as lists or headings."""

    def test(self, parent: etree.Element, block: str) -> bool:
        return bool(_DISPLAY_BLOCK_START.match(block))

    def run(self, parent: etree.Element, blocks: list[str]) -> bool:
        text = blocks[0].lstrip()[2:]
        taken = 1
        while not (end := _DISPLAY_BLOCK_END.search(text)):
            if taken == len(blocks):
                return False  # never closed: leave it to the paragraph rules
            text += "\n\n" + blocks[taken]
            taken += 1
        latex, rest = text[:end.start()].strip(), text[end.end():]
        if not latex:
            return False
        del blocks[:taken]
        if rest.strip():
            blocks.insert(0, rest)
        placeholder = self.parser.md.htmlStash.store(
            f'<div class="math-display">{render_math(latex, display=True)}</div>')
        etree.SubElement(parent, "p").text = placeholder  # the stash unwraps <p> around a <div>
        return True


class MathExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.ESCAPED_CHARS.append("$")  # this instance's list: `\$` is a literal dollar
        md.parser.blockprocessors.register(_DisplayMathBlock(md.parser), "math-display-block", 105)
        md.inlinePatterns.register(_InlineMath(DISPLAY_MATH_RE, md, display=True), "math-display", 186)
        md.inlinePatterns.register(_InlineMath(INLINE_MATH_RE, md, display=False), "math-inline", 185)
