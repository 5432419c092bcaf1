"""Sanitized HTML → plain text: the first paragraph (a summary when an item gives
none) and the flattened text calendar apps show (an .ics DESCRIPTION, Google's
"details"), where each link's address follows its text so nothing is lost."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ..urls import absolute

_BLOCK_TAGS = {"p", "div", "blockquote", "pre", "table", "tr", "ul", "ol", "dl", "dt", "dd", "figure",
               "figcaption", "details", "summary", "hr", "h1", "h2", "h3", "h4", "h5", "h6"}
PARAGRAPH_END = "</p>"


class _FirstParagraph(HTMLParser):
    """Collects the text of the first <p>, leaving out footnote markers; math
    reads as its LaTeX source between $ (from alttext), not as flattened MathML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth, self.skip, self.done, self.parts = 0, 0, False, []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.done:
            return
        if tag == "p":
            self.depth += 1
        elif tag == "math" and self.depth and not self.skip and dict(attrs).get("alttext"):
            self.parts.append(f"${dict(attrs)['alttext']}$")
            self.skip += 1
        elif self.skip or "footnote-ref" in (dict(attrs).get("class") or ""):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self.depth:
            self.depth -= 1
            self.done = self.done or (self.depth == 0 and bool("".join(self.parts).strip()))
        elif self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip and not self.done:
            self.parts.append(data)


def first_paragraph_text(sanitized_html: str) -> str:
    """The first paragraph as plain text: the summary when a post gives none.
    Fed a paragraph at a time and stopped once it is found: a long post's other
    paragraphs cannot change it, and parsing them was most of the cost."""
    parser = _FirstParagraph()
    start = 0
    while not parser.done and start < len(sanitized_html):
        end = sanitized_html.find(PARAGRAPH_END, start)
        end = len(sanitized_html) if end < 0 else end + len(PARAGRAPH_END)
        parser.feed(sanitized_html[start:end])
        start = end
    parser.close()
    return " ".join("".join(parser.parts).split())


def flattened_text(sanitized_html: str, base_url: str, base_path: str = "/") -> str:
    """Paragraphs and "- " list items; "[text](url)" becomes "text (url)" with the
    URL made absolute. `base_path`: the one the sanitizer moved root-relative
    links under, taken off again so that base_url (which ends with it) adds it once."""
    flattener = _TextFlattener(base_url, base_path)
    flattener.feed(sanitized_html)
    flattener.close()
    return flattener.text()


class _TextFlattener(HTMLParser):
    def __init__(self, base_url: str, base_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        # Every root-relative link ("/x") was written as base_path + "x"; nothing
        # else starts with base_path (see markup.rewrite_relative_url).
        self.moved_prefix = base_path if base_path != "/" else None
        self.parts: list[str] = []
        self.links: list[tuple[str | None, int]] = []  # (href, where its text starts)
        self.in_pre = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "img" and attributes.get("alt"):
            self.parts.append(attributes["alt"])
        elif tag == "a":
            self.links.append((attributes.get("href"), len(self.parts)))
        self.in_pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            href, first = self.links.pop()
            shown = "".join(self.parts[first:]).strip()
            if href and not href.startswith("#"):
                url = absolute(self.base_url, self.site_relative(href))
                if url.removeprefix("mailto:") != shown and url != shown:
                    self.parts.append(f" ({url})")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        self.in_pre -= tag == "pre"

    def site_relative(self, href: str) -> str:
        if self.moved_prefix and href.startswith(self.moved_prefix):
            return href[len(self.moved_prefix) - 1:]
        return href

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self.in_pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
