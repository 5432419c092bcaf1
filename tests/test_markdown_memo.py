"""One place converts Markdown, once per text: MarkdownMemo gives pages, feeds and
calendars the same body, table of contents, summary and plain text, and its
entries travel as plain data (a build cache, worker processes)."""

from __future__ import annotations

import json
import pickle
import random
import re
import subprocess
import sys
from pathlib import Path

from generator.render import html_text
from generator.render.markdown_memo import MarkdownMemo, RenderedMarkdown, memo_key
from generator.render.markup import render_markdown, render_markdown_with_toc

REPO = Path(__file__).resolve().parent.parent
LINKS = ["[root](/projects/)", "[home](/)", "[rel](notes.html)", "[abs](https://example.org/a?b=1&c=2)",
         "[mail](mailto:a@b.org)", "<https://x.org/>", "[anchor](#top)", "[twice](/pr-42/x)", "[proto](//cdn.org/x)",
         "![alt text](/img/a.png)", "[bad](javascript:alert(1))", "[enc](&#106;avascript:x)", "[q](/a \"t\")"]
PROSE = ["Some words.", "\n\n", "\n\n- item ", "\n\n1. first ", "\n\n> quoted ", "\n\n## Heading\n\n", "*em* ",
         "`code` ", "[^1] ", "\n\n[^1]: a note\n\n", "\n\n```\npre  formatted\n```\n\n", "&amp; ", "  ", "\n"]


def documents(count: int = 300) -> list[str]:
    rng = random.Random(4)
    found = [p.read_text("utf-8") for p in sorted((REPO / "content").rglob("*.md"))]
    found += ["".join(rng.choice(LINKS + PROSE) for _ in range(rng.randint(1, 40))) for _ in range(count)]
    return found


def flattened_as_before(text: str, base_url: str) -> str:
    """What calendars showed before the memo: rendered with base path "/", then flattened."""
    if not text or not text.strip():
        return ""
    return html_text.flattened_text(render_markdown(text, "/"), base_url)


def first_paragraph_whole(html: str) -> str:
    parser = html_text._FirstParagraph()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def test_every_part_of_a_text_comes_from_one_conversion():
    memo = MarkdownMemo()
    text = "# A\n\n## B\n\n## C\n\n## D\n\nFirst [link](/x/) para.\n\nSecond.\n"
    rendered = memo.rendered(text, "https://example.org/")
    assert (rendered.html, rendered.toc_html) == render_markdown_with_toc(text, "/")
    assert memo.summary(text, "https://example.org/") == "First link para."
    assert memo.plain_text(text, "https://example.org/").startswith("A\n\nB")
    assert memo.html(text, "https://example.org/") == rendered.html
    assert memo.conversions == 1 and len(memo.entries) == 1
    memo.html(text, "https://example.org/pr-42/")  # another base path: other links, another entry
    assert memo.conversions == 2


def test_the_key_covers_text_and_base_url():
    assert memo_key("a", "https://x.org/") != memo_key("b", "https://x.org/")
    assert memo_key("a", "https://x.org/") != memo_key("a", "https://x.org/pr-42/")
    assert memo_key("a", "https://x.org/") == memo_key("a", "https://x.org/")


def test_empty_text_is_empty_everywhere_and_converts_nothing():
    memo = MarkdownMemo()
    for text in (None, ""):
        assert memo.rendered(text, "https://x.org/") == RenderedMarkdown("", "", "", "")
        assert memo.summary(text, "https://x.org/") == memo.plain_text(text, "https://x.org/") == ""
    assert memo.conversions == 0 and memo.entries == {}


def test_plain_text_under_a_base_path_matches_the_root_rendering():
    """Calendar text is made from the page's HTML (links under /pr-42/), not from a
    second conversion; it must read exactly as the old root-path rendering did."""
    for base_url in ("https://example.org/", "https://example.org/pr-42/", "https://h.org/a&b/"):
        memo = MarkdownMemo()
        for text in documents():
            assert memo.plain_text(text, base_url) == flattened_as_before(text, base_url), (base_url, text)


def test_summary_read_a_paragraph_at_a_time_equals_a_whole_parse():
    memo = MarkdownMemo()
    odd = ['<p title="</p>">a</p><p>b</p>', "<p></p><p> </p><p>x &amp;</p>", "<p>a<p>b</p>", "<p>cut &am",
           '<p><a class="footnote-ref">1</a></p><p>z</p>', "<div><p>in</p></div>", "no p at all", ""]
    for html in odd + [memo.html(text, "https://x.org/") for text in documents()]:
        assert html_text.first_paragraph_text(html) == first_paragraph_whole(html), html


def test_entries_export_as_plain_data_and_come_back_equal():
    memo = MarkdownMemo()
    for text in documents(40):
        memo.summary(text, "https://x.org/")
    data = json.loads(json.dumps(memo.export()))
    other = MarkdownMemo()
    assert other.import_(data) == len(memo.entries)
    assert other.entries == memo.entries
    assert pickle.loads(pickle.dumps(memo.entries)) == memo.entries
    text = documents(1)[0]
    assert other.html(text, "https://x.org/") == memo.html(text, "https://x.org/")
    assert other.conversions == 0


def test_malformed_entries_are_skipped_and_known_parts_kept():
    memo = MarkdownMemo()
    key = memo_key("Hi *there*", "https://x.org/")
    memo.summary("Hi *there*", "https://x.org/")
    good = {"html": "<p>x</p>", "toc_html": "", "summary": None, "plain_text": "x"}
    taken = memo.import_({
        key: good, "k1": {"html": 1, "toc_html": "", "summary": None, "plain_text": None},
        "k2": {"html": "", "toc_html": None, "summary": None, "plain_text": None}, "k3": ["not", "a", "dict"],
        "k4": {**good, "extra": "field"}, 5: good,
    })
    assert taken == 1 and set(memo.entries) == {key}
    assert memo.entries[key].summary == "Hi there" and memo.entries[key].plain_text == "x"
    assert memo.import_("not a mapping") == 0


def test_a_build_converts_each_distinct_text_once(tmp_path):
    """The real pipeline, in a fresh interpreter: pages, feeds and calendars all ask
    for the sample site's texts, and none is converted twice."""
    script = (
        "import sys; from generator.render import markdown_memo as m\n"
        "seen = []\n"
        "real = m.markup.render_markdown_with_toc\n"
        "m.markup.render_markdown_with_toc = lambda text, base: seen.append((text, base)) or real(text, base)\n"
        "from generator.cli import main\n"
        "code = main(['build', '--out', sys.argv[1], '--now', '2026-01-01T00:00:00Z'])\n"
        "print(len(seen), len(set(seen)), code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out")], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    calls, distinct, code = map(int, re.findall(r"\d+", done.stdout.strip().splitlines()[-1]))
    assert code == 0, done.stderr
    assert calls > 20 and calls == distinct, done.stdout
