"""Contributors' Markdown is untrusted (SPEC): no XSS vector from public cheat sheets
survives rendering, neither through `render_markdown` nor through a real build.

The checker parses HTML with the standard library's html.parser (not the sanitizer's
own parser), so a bug in one is not hidden by the same bug in the other.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.render.markup import render_markdown, render_markdown_with_toc, sanitize

VECTORS_FILE = Path(__file__).with_name("xss_vectors.txt")
ESCAPES = {"<<TAB>>": "\t", "<<LF>>": "\n", "<<CR>>": "\r", "<<FF>>": "\f", "<<VT>>": "\v", "<<NUL>>": "\0"}


def load_vectors() -> list[str]:
    vectors = []
    for line in VECTORS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(";;"):
            continue
        for name, char in ESCAPES.items():
            line = line.replace(name, char)
        vectors.append(line)
    return vectors


VECTORS = load_vectors()

FORBIDDEN_ELEMENTS = {"script", "iframe", "object", "embed", "svg", "style", "form", "base", "meta", "link",
                      "frame", "frameset", "applet", "template", "button", "input", "textarea", "select",
                      "isindex", "param", "bgsound", "xml"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster", "data",
                  "lowsrc", "dynsrc", "cite", "values", "to", "from"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
# Never right, whoever wrote it (a theme may have buttons, inputs and icons).
THEME_FORBIDDEN_ELEMENTS = {"iframe", "object", "embed", "form", "base", "frame", "frameset", "applet",
                            "isindex", "param", "bgsound"}
# A theme (not content) may use these, in <head> only.
HEAD_ONLY_ELEMENTS = {"meta", "link", "style", "title"}
# Inline SVG icons a theme may draw; anything else inside <svg> (animate, set, script,
# foreignObject…) can run or smuggle script.
SVG_ICON_ELEMENTS = {"svg", "g", "path", "circle", "ellipse", "rect", "line", "polyline", "polygon",
                     "title", "desc", "defs", "symbol", "use", "lineargradient", "radialgradient", "stop"}
DANGEROUS_STYLE = re.compile(r"expression|javascript|vbscript|url\s*\(|behavior|binding|@import", re.I)


def dangerous_url(value: str) -> bool:
    """html.parser has already decoded entities once, as a browser does; decode once
    more to be stricter than any reader, drop what browsers ignore, compare lowercase."""
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", html.unescape(value)).lower()
    return cleaned.startswith(DANGEROUS_SCHEMES)


class DangerScanner(HTMLParser):
    """Collects every construct that could run script. `theme=True` permits what a
    correct theme puts around content: scripts under /assets/, JSON-LD that parses,
    <meta>/<link>/<style> in <head>, and plain SVG icons."""

    def __init__(self, theme: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.theme = theme
        self.problems: list[str] = []
        self.in_head = False
        self.svg_depth = 0
        self.script: dict | None = None  # the open <script>'s attributes and text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.check_element(tag, dict(attrs))
        for name, value in attrs:
            self.check_attribute(tag, name, value or "")
        if tag == "svg":
            self.svg_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "svg":
            self.svg_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False
        elif tag == "svg" and self.svg_depth:
            self.svg_depth -= 1
        elif tag == "script" and self.script is not None:
            self.check_script(self.script)
            self.script = None

    def handle_data(self, data: str) -> None:
        if self.script is not None:
            self.script["text"] += data

    def check_element(self, tag: str, attrs: dict[str, str | None]) -> None:
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head = False
        if not self.theme:
            if tag in FORBIDDEN_ELEMENTS:
                self.problems.append(f"<{tag}> element")
            return
        if tag == "script":
            self.script = {**attrs, "text": ""}
        elif self.svg_depth and tag not in SVG_ICON_ELEMENTS:
            self.problems.append(f"<{tag}> inside <svg>")
        elif tag in HEAD_ONLY_ELEMENTS and not self.in_head and not self.svg_depth:
            self.problems.append(f"<{tag}> outside <head>")
        elif tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            target = (attrs.get("content") or "").partition("url=")[2]
            if dangerous_url(target):
                self.problems.append(f"meta refresh to {target!r}")
        elif tag in THEME_FORBIDDEN_ELEMENTS:
            self.problems.append(f"<{tag}> element")

    def check_attribute(self, tag: str, name: str, value: str) -> None:
        if name.startswith("on"):
            self.problems.append(f"<{tag} {name}=…> event handler")
        elif name == "srcdoc":
            self.problems.append(f"<{tag} srcdoc>")
        elif name in URL_ATTRIBUTES and dangerous_url(value) and not self.theme_icon(tag, name, value):
            self.problems.append(f"<{tag} {name}={value!r}>")
        elif name == "style" and (not self.theme or DANGEROUS_STYLE.search(html.unescape(value))):
            self.problems.append(f"<{tag} style={value!r}>")

    def theme_icon(self, tag: str, name: str, value: str) -> bool:
        """A theme may inline its favicon as a data: image in <head>."""
        return self.theme and self.in_head and tag == "link" and value.startswith("data:image/")

    def check_script(self, script: dict) -> None:
        src = script.get("src") or ""
        if src:
            if not src.startswith("/assets/"):
                self.problems.append(f"<script src={src!r}>")
            return
        if script.get("type") == "application/ld+json":
            try:
                json.loads(script["text"])
                return
            except ValueError:
                pass
        self.problems.append(f"inline <script>{script['text'][:60]!r}")


def scan(markup: str, theme: bool = False) -> list[str]:
    scanner = DangerScanner(theme=theme)
    scanner.feed(markup)
    scanner.close()
    if scanner.script is not None:  # a <script> that never closed swallowed the rest
        scanner.check_script(scanner.script)
    return scanner.problems


# ---------------------------------------------------------------- the checker itself


def test_the_corpus_holds_enough_vectors_from_the_cheat_sheets():
    assert len(VECTORS) >= 60
    assert len(set(VECTORS)) == len(VECTORS), "a vector is listed twice"


@pytest.mark.parametrize("markup, problem", [
    ('<script>alert(1)</script>', "<script> element"),
    ('<img src=x onerror=alert(1)>', "event handler"),
    ('<a href="&#x6A;ava&#x09;script:alert(1)">x</a>', "<a href="),
    ('<a href=" JaVaScRiPt:alert(1)">x</a>', "<a href="),
    ('<a href="&amp;#106;avascript:alert(1)">x</a>', "<a href="),
    ('<img src="data:image/svg+xml,&lt;svg onload=alert(1)&gt;">', "<img src="),
    ('<math><mi xlink:href="vbscript:x">x</mi></math>', "<mi xlink:href="),
    ('<p style="color:red">x</p>', "style="),
])
def test_the_checker_catches_what_it_looks_for(markup, problem):
    assert any(problem in found for found in scan(markup)), scan(markup)


def test_the_checker_accepts_what_a_theme_legitimately_does():
    page = textwrap.dedent("""\
        <!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/assets/site.css">
        <link rel="icon" href="data:image/svg+xml,%3Csvg%3E%3C/svg%3E"><style>body{margin:0}</style>
        <script type="application/ld+json">{"@type": "BlogPosting", "name": "a </b> b"}</script>
        </head><body><svg viewBox="0 0 8 8" aria-hidden="true"><path d="M0 0h8"/></svg>
        <script src="/assets/site.js" defer></script></body></html>""")
    assert scan(page, theme=True) == []
    assert scan(page.replace('"name": "a', '"name": <b'), theme=True) != []  # JSON-LD that does not parse
    assert scan(page.replace("<svg viewBox", "<style>x</style><svg viewBox"), theme=True) != []
    assert scan(page.replace('<path d="M0 0h8"/>', "<animate attributeName=href values=x />"), theme=True)


# ---------------------------------------------------------------- unit level


@pytest.mark.parametrize("vector", VECTORS, ids=[f"v{i:03d}" for i in range(len(VECTORS))])
def test_no_vector_survives_render_markdown(vector):
    rendered = render_markdown(vector, "/pr-42/")
    assert scan(rendered) == [], rendered
    assert scan(sanitize(vector)) == [], "raw HTML through the sanitizer alone"


def one_document(vectors: list[str]) -> str:
    """All vectors, Markdown forms first: an unclosed raw-HTML block (`<table>`) turns
    everything after it into raw HTML, which would hide the Markdown forms."""
    return "\n\n".join(reversed(vectors))


def test_no_vector_survives_when_all_share_one_document():
    document = one_document(VECTORS)
    body, toc = render_markdown_with_toc("# a\n\n# b\n\n# c\n\n# d\n\n" + document)
    assert "<a" in body and "<math" in body  # the Markdown forms were read as Markdown
    assert scan(body) == []
    assert toc and scan(toc) == []


def test_vectors_in_headings_do_not_reach_the_table_of_contents():
    headings = "\n\n".join(f"## {vector.splitlines()[0]}" for vector in VECTORS)
    body, toc = render_markdown_with_toc(headings)
    assert toc.count("<li>") >= 60
    assert scan(body) == [] and scan(toc) == []


# ---------------------------------------------------------------- end to end

TITLE_VECTOR = "<script>alert(1)</script><img src=x onerror=alert(1)>"
NAME_VECTOR = '"><svg/onload=alert(1)><a href="javascript:alert(1)">x</a>'


# Feed elements whose text readers display as HTML (Atom says so with type="html";
# RSS 2.0 readers treat <description> as HTML by convention). Titles and names are text.
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"


def html_in_feed(element: ET.Element) -> bool:
    if element.tag.startswith("{http://www.w3.org/2005/Atom}"):
        return element.get("type") in ("html", "xhtml")
    return element.tag in ("description", CONTENT_ENCODED)


def scan_pages(output: Path) -> dict[str, list[str]]:
    problems = {}
    for path in sorted(output.rglob("*.html")):
        found = scan(path.read_text(encoding="utf-8"), theme=True)
        if found:
            problems[path.relative_to(output).as_posix()] = found
    return problems


def scan_feeds(output: Path) -> dict[str, list[str]]:
    problems = {}
    for path in sorted(output.rglob("*.xml")):
        for element in ET.parse(path).iter():
            found = scan(element.text or "") if html_in_feed(element) else []
            if found:
                problems[f"{path.relative_to(output).as_posix()} <{element.tag}>"] = found
    return problems


def test_a_built_site_carries_no_vector_from_posts_titles_or_names(make_site):
    body = one_document(VECTORS).replace("\0", "")  # a NUL is not text a contributor can save in a file
    site = make_site({
        "content/posts/2024-01-01-every-vector.md": "---\ntitle: Every vector\nauthors: [mallory]\n---\n",
        "content/posts/2024-01-02-vector-title.md":
            f"---\ntitle: {json.dumps(TITLE_VECTOR)}\nauthors: [mallory]\n---\nA post with a hostile title.\n",
        "content/members/mallory.yaml": f"name: {json.dumps(NAME_VECTOR)}\n",
    })
    with open(site.root / "content/posts/2024-01-01-every-vector.md", "a", encoding="utf-8") as post:
        post.write(body + "\n")
    result = site.cli("build", "--now", "2024-06-01T12:00:00Z")
    assert result.returncode == 0, result.output
    pages = {p.relative_to(site.output).as_posix() for p in site.output.rglob("*.html")}
    assert {"posts/every-vector/index.html", "posts/vector-title/index.html",
            "members/mallory/index.html"} <= pages
    assert scan_pages(site.output) == {}
    assert scan_feeds(site.output) == {}
    # The vectors arrived as visible text, not silently dropped pages.
    title_page = (site.output / "posts/vector-title/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in title_page


def test_a_javascript_link_in_a_project_fails_the_check(make_site):
    site = make_site({
        "content/members/ada.yaml": "name: Ada\n",
        "content/projects/trap.md": textwrap.dedent("""\
            ---
            title: Trap
            authors: [ada]
            links:
              paper: javascript:alert(1)
            ---
            Abstract.
            """),
    })
    result = site.cli("check")
    assert result.returncode == 1, result.output
    assert "content/projects/trap.md" in result.output
    assert "javascript:alert(1)" in result.output
