"""Markdown to safe HTML.

Content is untrusted (SPEC: many hands, pull requests): Markdown is rendered,
then everything passes an allow-list sanitizer (nh3). Root-relative links are
rewritten under the base path so a preview at /pr-42/ keeps working.
"""

from __future__ import annotations

import re

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
    "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"colspan", "rowspan", "align", "style"},
    "th": {"colspan", "rowspan", "align", "scope", "style"},
    "ol": {"start", "reversed", "type"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str, base_path: str = "/") -> str:
    html = markdown.markdown(text, extensions=["extra", "sane_lists", "smarty"], output_format="html")
    return sanitize(rewrite_root_links(html, base_path))


def sanitize(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener")


_ROOT_LINK = re.compile(r'(\s(?:href|src)=")/(?!/)')


def rewrite_root_links(html: str, base_path: str) -> str:
    if base_path == "/":
        return html
    return _ROOT_LINK.sub(lambda m: m.group(1) + base_path, html)
