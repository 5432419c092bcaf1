"""The Markdown fast paths give the library's own HTML, byte for byte.

Each fast path is compared with the plain Python-Markdown code it stands in for,
on real documents (the sample site, the test fixtures) and on random mixes of
every construct the dialect has.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from markdown.treeprocessors import InlineProcessor
from pygments.formatters import HtmlFormatter

from generator.render import fast_inline
from generator.render.markup import ReusedHtmlFormatter, make_markdown

REPO = Path(__file__).resolve().parent.parent
PIECES = [
    "a", "word", " ", " ", "\n", "\n\n", "'", '"', "`", "``", "$", "$$", "\\", "\\$", "*", "**", "_", "__",
    "[", "]", "(", ")", "[^1]", "![x](/i.png)", "[l](/p)", "[r][ref]", "[ref]: /target\n", "<b>", "</b>",
    "<https://x.org>", "<a@b.c>", "&amp;", "&", "&#38;", "--", "---", "...", "<<", ">>", "  \n", "# ",
    "## H", "- ", "1. ", "> ", "```python\nx = 'a'  # b\n```\n", "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "{#id}", "{: .c }", "x^2", "\\frac{a}{b}", "'80s", "“", "—", "<!-- c -->", '<div markdown="1">', "</div>",
    "*[HTML]: Hyper Text\n", "HTML", "Term\n: def\n", "[^1]: note\n", "$5 and $10", "<script>", "é", "漢字",
    "\t", "    code\n", "~~~\nfenced\n~~~\n", "<?pi?>", "<![CDATA[x]]>",
]


def library_markdown():
    """Our dialect with the library's own inline passes put back."""
    md = make_markdown()
    for name, priority in fast_inline.INLINE_PASSES:
        plain = InlineProcessor(md)
        plain.inlinePatterns = md.treeprocessors[name].inlinePatterns
        md.treeprocessors.register(plain, name, priority)
    return md


def documents() -> list[str]:
    found = [p.read_text("utf-8") for folder in ("content", "tests") for p in sorted((REPO / folder).rglob("*.md"))]
    rng = random.Random(9)
    found += ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 80))) for _ in range(1500)]
    return found


def convert(md, text: str) -> tuple[str, list]:
    md.reset()
    return md.convert(text), md.toc_tokens


def test_triggered_inline_passes_give_the_library_html_byte_for_byte():
    fast, plain = make_markdown(), library_markdown()
    texts = documents()
    assert len(texts) > 1500
    for text in texts:
        assert convert(fast, text) == convert(plain, text), text


def test_every_inline_pattern_of_the_dialect_has_a_trigger():
    """A pattern without one still works but runs on every text: slower, so say so."""
    md = make_markdown()
    for name, _ in fast_inline.INLINE_PASSES:
        processor = md.treeprocessors[name]
        assert isinstance(processor, fast_inline.TriggeredInlineProcessor)
        untriggered = [p.compiled_re.pattern for p in processor.inlinePatterns if fast_inline.triggers_of(p) is None]
        assert untriggered == [], name


def test_the_swap_keeps_the_order_of_the_tree_passes():
    names = [type(p).__name__ for p in make_markdown().treeprocessors]
    library = [type(p).__name__ for p in library_markdown().treeprocessors]
    assert [n.replace("Triggered", "") for n in names] == library


@pytest.mark.parametrize("trigger_free", ["plain words only", "x = 1 + 2 (no marks)"])
def test_a_text_without_triggers_skips_every_pattern(trigger_free):
    md = make_markdown()
    md.reset()
    assert md.convert(trigger_free) == f"<p>{trigger_free}</p>"
    processor = md.treeprocessors["inline"]
    present = {t for t in processor._all_triggers if t in trigger_free}
    assert present == set()


def test_one_formatter_serves_every_block_with_the_same_options():
    make = ReusedHtmlFormatter()
    first = make(lang_str="language-python", cssclass="codehilite", wrapcode=True)
    assert make(lang_str="language-text", cssclass="codehilite", wrapcode=True) is first
    other = make(lang_str="language-python", cssclass="codehilite", wrapcode=True, hl_lines=[2])
    assert other is not first and other.hl_lines == {2}
    assert isinstance(first, HtmlFormatter)


def test_a_pattern_registered_after_a_conversion_runs_in_the_next():
    # The triggered passes keep their pattern lists between texts: a change of the registry remakes them.
    from markdown.inlinepatterns import SimpleTagInlineProcessor
    md = make_markdown()
    assert convert(md, "a ++b++ c")[0] == "<p>a ++b++ c</p>"
    md.inlinePatterns.register(SimpleTagInlineProcessor(r"()\+\+(.+?)\+\+", "ins"), "ins", 1)
    assert convert(md, "a ++b++ c")[0] == "<p>a <ins>b</ins> c</p>"
