"""Each distinct code block is highlighted once (render/code_blocks.py): the HTML
is the library's, byte for byte, a block's options never reach another block,
and the memo stays within its size."""

from __future__ import annotations

import random
import re

from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.fenced_code import FencedBlockPreprocessor

from generator.render import code_blocks
from generator.render.code_blocks import HighlightMemo
from generator.render.markup import make_markdown
from test_markdown_fast_paths import convert, documents

CODE = "import torch\n\ndef step(x):\n    return x * 2  # twice\n"
FENCES = [  # the same code under every way a block can carry options
    f"```python\n{CODE}```\n", f"```{{.python hl_lines=\"2 4\"}}\n{CODE}```\n", f"```text\n{CODE}```\n",
    f"```python hl_lines=\"1\"\n{CODE}```\n", f"```{{.python .wide}}\n{CODE}```\n", f"~~~\n{CODE}~~~\n",
    f"```{{.python linenums=\"true\"}}\n{CODE}```\n", f"```{{.python #code-1}}\n{CODE}```\n",
    f"```ruby\n{CODE}```\n", f"```python\n{CODE.replace('twice', 'thrice')}```\n",
]


def library_markdown():
    """Our dialect with the library's own fenced-code preprocessor put back."""
    md = make_markdown()
    name, priority = code_blocks.FENCED_CODE
    md.preprocessors.register(FencedBlockPreprocessor(md, md.preprocessors[name].config), name, priority)
    return md


def _mixes(count: int) -> list[str]:
    rng = random.Random(12)
    return ["\n".join(rng.choice([*FENCES, "Some *prose*.\n", "# Heading\n"]) for _ in range(rng.randint(1, 8)))
            for _ in range(count)]


def test_memoized_blocks_give_the_library_html_byte_for_byte():
    memoized, plain = make_markdown(), library_markdown()
    texts = [*documents(), *_mixes(300)]
    for text in texts:  # one instance for all: blocks come back from earlier texts
        assert convert(memoized, text) == convert(plain, text), text
    assert _memo(memoized).highlighted == len(_memo(memoized)) > 0  # each distinct block once, all kept


def test_a_repeated_block_is_highlighted_once_and_options_make_their_own_block():
    md = make_markdown()
    memo = _memo(md)
    for fence in FENCES * 3:
        convert(md, fence)
    # Pygments takes no id ({#code-1}): that block is the plain one, the same entry.
    assert memo.highlighted == len(FENCES) - 1 and len(memo) == len(FENCES) - 1
    plain = library_markdown()
    for fence in FENCES:  # no block's options (or lack of them) leaked into another
        assert convert(md, fence) == convert(plain, fence), fence
    assert '<span class="hll">' in convert(md, FENCES[1])[0] and "hll" not in convert(md, FENCES[0])[0]


def test_a_block_seen_with_options_first_is_highlighted_plainly_after():
    md = make_markdown()
    highlighted = convert(md, FENCES[1])[0]
    plain = convert(md, FENCES[0])[0]
    assert "hll" in highlighted and "hll" not in plain
    assert plain == convert(library_markdown(), FENCES[0])[0]


def test_the_same_block_in_two_posts_of_a_build_is_the_same_html(make_site):
    posts = {f"content/posts/2024-01-0{n}-p{n}.md": f"---\ntitle: P{n}\n---\nText {n}.\n\n{fence}"
             for n, fence in enumerate([FENCES[0], FENCES[0], FENCES[1]], start=1)}
    site = make_site(posts)
    assert site.cli("build", "--no-cache").returncode == 0
    blocks = [re.search(r'<div class="codehilite">.*?</div>', (site.output / "posts" / f"p{n}" / "index.html")
                        .read_text("utf-8"), re.DOTALL)[0] for n in (1, 2, 3)]
    assert blocks[0] == blocks[1] and "hll" not in blocks[0]
    assert blocks[2] != blocks[0] and "hll" in blocks[2]


def test_the_memo_keeps_the_recently_used_within_its_size():
    memo = HighlightMemo(max_chars=1000)
    for n in range(50):
        memo.put(f"k{n}", "x" * 30)
        memo.get("k0")  # used all along: never the oldest
        assert memo.chars <= 1000
    assert memo.get("k0") is not None and memo.get("k1") is None and memo.get("k49") is not None
    assert len(memo) == 1000 // 30
    memo.put("huge", "y" * 900)  # more than a sixteenth of the whole: not kept, keeps the rest
    assert memo.get("huge") is None and len(memo) == 1000 // 30


def test_the_swap_keeps_the_order_of_the_preprocessors():
    names = [type(p).__name__.replace("Memo", "") for p in make_markdown().preprocessors]
    assert names == [type(p).__name__ for p in library_markdown().preprocessors]


def _memo(md) -> HighlightMemo:
    """The memo rides on the formatter factory of the instance's codehilite settings."""
    codehilite = next(e for e in md.registeredExtensions if isinstance(e, CodeHiliteExtension))
    return codehilite.getConfig("pygments_formatter").highlighted
