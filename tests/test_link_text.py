"""Link text found from the brackets alone (render/link_text.py) is the library's.

The oracle is Python-Markdown's own LinkInlineProcessor.getText, whichever
version is installed: per index on random bracket strings, and whole documents
converted with and without the replacement.
"""

from __future__ import annotations

import random

from markdown import inlinepatterns as core

from generator.render.link_text import closing_brackets
from generator.render.markup import make_markdown
from test_markdown_fast_paths import convert, documents


def library_link_text(data: str, index: int):
    return core.LinkInlineProcessor.getText(core.LinkInlineProcessor(core.LINK_RE), data, index)


def bracket_strings(count: int) -> list[str]:
    rng = random.Random(11)
    pieces = ["[", "]", "a", " ", "[x]", "](/u)", "\\[", "![", "\n"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))) for _ in range(count)]


def test_each_link_text_is_the_librarys_on_random_brackets():
    md = make_markdown()
    link = next(p for p in md.inlinePatterns if type(p) is core.LinkInlineProcessor)
    asked = 0
    for data in bracket_strings(3000):
        for index in range(len(data) + 1):  # after a `[` (our way) and elsewhere (the library's)
            assert link.getText(data, index) == library_link_text(data, index), (data, index)
            asked += data[index - 1:index] == "["
    assert asked > 10_000


def test_nested_and_unclosed_brackets():
    data = "[a [b] c] [d [e] ]x ]] [open"
    ends = closing_brackets(data)
    assert data[1:ends[1] - 1] == "a [b] c"
    assert data[4:ends[4] - 1] == "b"
    assert data[11:ends[11] - 1] == "d [e] "
    assert data.rindex("[") + 1 not in ends  # never closed
    assert len(ends) == 4  # the two stray `]` close nothing


def test_documents_convert_to_the_library_html_byte_for_byte():
    fast, plain = make_markdown(), make_markdown()
    replaced = [p for p in plain.inlinePatterns if "getText" in vars(p)]
    assert len(replaced) >= 4  # links, images, references, image references
    for pattern in replaced:
        del pattern.getText  # the library's method again
    texts = documents()
    for text in texts:
        assert convert(fast, text) == convert(plain, text), text

