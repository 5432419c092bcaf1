"""Markdown to safe HTML.

Content is untrusted (SPEC: many hands, pull requests): Markdown is rendered with
Python-Markdown (tables, footnotes, Pygments-highlighted code, heading ids, smart
quotes, LaTeX math as MathML), then everything passes an allow-list sanitizer
(nh3). The sanitizer is also where root-relative links are moved under the base
path, so a preview at /pr-42/ keeps working for Markdown and raw HTML alike.

Regenerate the code-highlighting stylesheet with

    .venv/bin/python -m generator.render.markup > templates/static/pygments.css

(tests/test_markup.py fails when the file and `pygments_css()` disagree).
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from functools import lru_cache
from xml.etree import ElementTree as etree

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.treeprocessors import Treeprocessor
from pygments.formatters import HtmlFormatter
from pygments.token import STANDARD_TYPES

from .code_blocks import HighlightMemo, use_highlight_memo
from .fast_inline import use_triggered_inline
from .html_text import first_paragraph_text  # noqa: F401 - summaries were made here
from .latex_math import MathExtension
from .link_text import use_fast_link_text
from .time_budget import OutOfTime, Watchdog

DEFAULT_SECONDS = 5.0  # per text; ordinary posts take milliseconds (site.yaml limits.markdown_seconds)
TOC_MIN_HEADINGS = 4  # shorter texts read fine without a table of contents (DESIGN: "when long")
TABLE_ALIGN_CLASSES = {"left": "align-left", "center": "align-center", "right": "align-right"}

# ---------------------------------------------------------------- the allow-list

HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "dfn",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
}
# What latex2mathml emits (MathML Core plus a few presentation elements). Not
# `annotation-xml` nor `maction`: both can carry HTML or links.
MATHML_TAGS = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "mfrac",
    "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded",
    "mphantom", "menclose", "semantics", "annotation",
}
_MATHML_COMMON = {"mathvariant", "mathsize", "mathcolor", "mathbackground", "displaystyle", "scriptlevel"}
MATHML_ATTRIBUTES = {
    "mo": {"stretchy", "fence", "separator", "lspace", "rspace", "form", "accent", "largeop",
           "movablelimits", "symmetric", "minsize", "maxsize"},
    "mover": {"accent"}, "munder": {"accentunder"}, "munderover": {"accent", "accentunder"},
    "mfrac": {"linethickness"},
    "mspace": {"width", "height", "depth", "linebreak"},
    "mpadded": {"width", "height", "depth", "lspace", "voffset"},
    "menclose": {"notation"},
    "mtable": {"columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame"},
    "mtr": {"columnalign", "rowalign"},
    "mtd": {"columnalign", "rowalign", "columnspan", "rowspan"},
    "annotation": {"encoding"},
}
HTML_ATTRIBUTES = {
    "*": {"id", "title", "lang", "dir"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "details": {"open"},
    "q": {"cite"}, "blockquote": {"cite"}, "del": {"cite", "datetime"}, "ins": {"cite", "datetime"},
}
# Values checked exactly: `xmlns` on <math> may only be the MathML namespace (HTML syntax rule).
TAG_ATTRIBUTE_VALUES = {
    "math": {"xmlns": {"http://www.w3.org/1998/Math/MathML"}, "display": {"block", "inline"}},
}
# Classes are allowed per tag, so content cannot borrow the theme's classes
# (a fake button, a visually hidden warning) — only what the renderer emits.
PYGMENTS_CLASSES = {cls for cls in STANDARD_TYPES.values() if cls} | {"hll"}
ALLOWED_CLASSES = {
    "div": {"codehilite", "footnote", "math-display"},
    "span": PYGMENTS_CLASSES,
    "code": {"math-error"},
    "a": {"footnote-ref", "footnote-backref"},
    "td": set(TABLE_ALIGN_CLASSES.values()),
    "th": set(TABLE_ALIGN_CLASSES.values()),
}
# Their content is dropped with them: text inside <script> is never prose.
CONTENT_DROPPED_TAGS = {"script", "style", "template", "iframe", "object", "noscript", "noembed",
                        "noframes", "xmp", "svg", "textarea", "select"}
URL_SCHEMES = {"http", "https", "mailto"}
EXTERNAL_LINK_REL = "noopener noreferrer"


def _allowed_attributes() -> dict[str, set[str]]:
    allowed = {tag: set(names) for tag, names in HTML_ATTRIBUTES.items()}
    for tag in MATHML_TAGS - {"math"}:
        allowed[tag] = _MATHML_COMMON | MATHML_ATTRIBUTES.get(tag, set())
    allowed["math"] = set(_MATHML_COMMON) | {"alttext"}  # xmlns and display: TAG_ATTRIBUTE_VALUES
    return allowed


_SCHEME_LIKE = re.compile(r"[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")


def rewrite_relative_url(url: str, base_path: str) -> str | None:
    """/projects/ → /pr-42/projects/ (SPEC: every link stays under the base path).
    Protocol-relative //host (and /\\host, which browsers read the same), #anchors and
    plain relative paths are left alone. A "relative" URL that decodes to a scheme
    (`&#106;avascript:…`) is dropped: a reader that decodes twice would run it."""
    if _SCHEME_LIKE.match(_IGNORED_IN_URLS.sub("", html.unescape(url))):
        return None
    if url.startswith("/") and not url.replace("\\", "/").startswith("//"):
        return base_path.rstrip("/") + url
    return url


def lowercase_ids(element: str, attribute: str, value: str) -> str:
    """Ids from content (and links to them) are lowercase, so they never collide with
    the theme's capitalised ids (id="Main"), even when a contributor writes {#Main}."""
    if attribute == "id" or (attribute == "href" and value.startswith("#")):
        return value.lower()
    return value


@lru_cache(maxsize=16)
def _cleaner(base_path: str) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=HTML_TAGS | MATHML_TAGS,
        clean_content_tags=CONTENT_DROPPED_TAGS,
        attributes=_allowed_attributes(),
        attribute_filter=lowercase_ids,
        tag_attribute_values=TAG_ATTRIBUTE_VALUES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        url_relative=lambda url: rewrite_relative_url(url, base_path),
        link_rel=EXTERNAL_LINK_REL,
        strip_comments=True,
    )


def sanitize(html_text: str, base_path: str = "/") -> str:
    """Keep only the allow-listed markup; move root-relative URLs under `base_path`."""
    return _cleaner(base_path).clean(html_text)


# ---------------------------------------------------------------- tables

class _TableAlignClasses(Treeprocessor):
    """Column alignment as a class: `align` is obsolete HTML and `style` is not
    allowed through the sanitizer. The theme styles .align-left/center/right."""

    def run(self, root: etree.Element) -> None:
        for cell in root.iter():
            if cell.tag not in ("td", "th"):
                continue
            align = cell.attrib.pop("align", None)
            if align in TABLE_ALIGN_CLASSES:
                cell.set("class", TABLE_ALIGN_CLASSES[align])


class _TableExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_TableAlignClasses(md), "table-align-classes", 25)


# ---------------------------------------------------------------- Markdown


def heading_slug(text: str, separator: str) -> str:
    """Readable ASCII ids where possible ("Über uns" → uber-uns), the script itself
    otherwise (a heading in Chinese keeps its characters), never empty. The toc
    extension adds _1, _2… to repeats, so ids are unique and depend only on the text."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    for candidate in (folded, text):
        slug = slugify_unicode(candidate, separator)
        if slug:
            return slug
    return "section"


class ReusedHtmlFormatter:
    """codehilite asks for a new Pygments formatter per code block, and building one
    (its stylesheet tables) costs about as much as highlighting a short block.
    Formatting keeps no state, so one per set of options serves every block.
    It also carries the Markdown instance's memo of highlighted blocks (code_blocks.py)."""

    def __init__(self) -> None:
        self._made: dict[str, HtmlFormatter] = {}
        self.highlighted = HighlightMemo()

    def __call__(self, lang_str: str = "", **options) -> HtmlFormatter:
        # lang_str: what codehilite passes to custom formatters; the HTML formatter ignores it.
        key = repr(sorted(options.items()))
        if key not in self._made:
            self._made[key] = HtmlFormatter(**options)
        return self._made[key]


def make_markdown() -> markdown.Markdown:
    md = markdown.Markdown(
        extensions=["abbr", "attr_list", "def_list", "fenced_code", "footnotes", "md_in_html", "tables",
                    "codehilite", "toc", "smarty", "sane_lists", MathExtension(), _TableExtension()],
        extension_configs={
            "codehilite": {"css_class": "codehilite", "guess_lang": False, "noclasses": False,
                           "linenums": False, "pygments_formatter": ReusedHtmlFormatter()},
            "toc": {"slugify": heading_slug, "separator": "-"},
            "tables": {"use_align_attribute": True},
            # "-" rather than ":" in ids; U+FE0E keeps the ↩ from turning into an emoji on phones.
            "footnotes": {"SEPARATOR": "-", "BACKLINK_TEXT": "&#8617;&#xFE0E;"},
        },
        output_format="html",
    )
    use_triggered_inline(md)
    use_fast_link_text(md)
    use_highlight_memo(md)
    return md


class TextTooCostly(Exception):
    """One text that the renderer gave up on: past its time budget, or nested
    deeper than Python's stack. The build reports it against the text's file."""

    def __init__(self, text: str, problem: str) -> None:
        super().__init__(problem)
        self.text, self.problem = text, problem


class MarkdownRenderer:
    """One Markdown instance reused across documents (building it costs more than a
    typical post), reset before each. The lock makes sharing safe should two builds
    ever run in threads. Each conversion runs on a time budget (time_budget.py);
    an instance interrupted midway is replaced, its state is not trusted."""

    def __init__(self, base_path: str = "/") -> None:
        self.base_path = base_path
        self._md = make_markdown()
        self._lock = threading.Lock()
        self._watchdog = Watchdog()

    def render(self, text: str, seconds: float = DEFAULT_SECONDS) -> str:
        return self.render_with_toc(text, seconds)[0]

    def render_with_toc(self, text: str, seconds: float = DEFAULT_SECONDS) -> tuple[str, str]:
        with self._lock:
            try:
                with self._watchdog.limit(seconds):
                    return self._render(text)
            except OutOfTime:
                problem = f"Rendering this text took more than {seconds:g} s, so the build stopped it."
            except RecursionError:
                problem = "This text nests (emphasis, links, lists, quotes or HTML) too deep to render."
            self._md = make_markdown()
        raise TextTooCostly(text, problem)

    def _render(self, text: str) -> tuple[str, str]:
        self._md.reset()
        body, tokens = self._md.convert(text), self._md.toc_tokens
        toc = toc_list(tokens) if count_headings(tokens) >= TOC_MIN_HEADINGS else ""
        return sanitize(body, self.base_path), sanitize(toc, self.base_path) if toc else ""


def count_headings(tokens: list[dict]) -> int:
    return sum(1 + count_headings(token["children"]) for token in tokens)


def toc_list(tokens: list[dict]) -> str:
    """Nested <ul> of links to the headings; the theme wraps it in a labelled <nav>.
    `name` is the heading's text, already HTML-escaped by the toc extension."""
    items = []
    for token in tokens:
        children = toc_list(token["children"]) if token["children"] else ""
        items.append(f'<li><a href="#{html.escape(token["id"])}">{token["name"]}</a>{children}</li>')
    return f"<ul>{''.join(items)}</ul>"


@lru_cache(maxsize=16)
def markdown_renderer(base_path: str) -> MarkdownRenderer:
    return MarkdownRenderer(base_path)


def render_markdown(text: str, base_path: str = "/", seconds: float = DEFAULT_SECONDS) -> str:
    return markdown_renderer(base_path).render(text, seconds)


def render_markdown_with_toc(text: str, base_path: str = "/", seconds: float = DEFAULT_SECONDS) -> tuple[str, str]:
    """(html, toc_html); toc_html is "" when the text has fewer than four headings.
    Raises TextTooCostly past `seconds` or Python's recursion limit."""
    return markdown_renderer(base_path).render_with_toc(text, seconds)


# ---------------------------------------------------------------- code colours

LIGHT_STYLE, LIGHT_TEXT = "default", "#000000"  # Pygments' default assumes black text
DARK_STYLE = "github-dark"
DARK_HIGHLIGHTED_LINE = "#1c2128"  # github-dark's own #6e7681 fails AA under its text colours


CODE_BOX = ".codehilite pre"  # the box the theme draws: colours and their background travel together


def pygments_css() -> str:
    """templates/static/pygments.css: light colours, then dark ones for readers who
    prefer dark, all scoped to .codehilite. Both meet WCAG AA on the background set
    here (tested), which goes on the <pre> so a theme's own `pre` background cannot
    slip under the token colours."""
    light = HtmlFormatter(style=LIGHT_STYLE)
    dark = HtmlFormatter(style=DARK_STYLE)
    dark_rules = [*(rule for rule in dark.get_background_style_defs(CODE_BOX) if ".hll" not in rule),
                  f".codehilite .hll {{ background-color: {DARK_HIGHLIGHTED_LINE} }}",
                  *dark.get_token_style_defs(".codehilite")]
    lines = [
        "/* Generated by `python -m generator.render.markup` from Pygments styles "
        f'"{LIGHT_STYLE}" and "{DARK_STYLE}". Do not edit by hand. */',
        *(rule.replace(f"{CODE_BOX} .hll", ".codehilite .hll") for rule in light.get_background_style_defs(CODE_BOX)),
        f"{CODE_BOX} {{ color: {LIGHT_TEXT} }}",
        *light.get_token_style_defs(".codehilite"),
        "@media (prefers-color-scheme: dark) {",
        *("  " + rule for rule in dark_rules),
        "}",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(pygments_css(), end="")
