"""What the search index needs from a rendered page: its record.

A page is indexed when its <main> carries `data-pagefind-body` (the templates
decide: item pages of every kind, not lists). Its record is that element with
the page's <html lang> around it: the words, the headings for anchors, and the
data-pagefind-meta/-filter attributes the templates put inside it. Everything
else (head, header, footer) is left out, which makes records small enough to
keep for every page between builds (search/index.py) and never read output/
again. Within it, the parts that are not the page's content (the kind and status
badges above the title, link buttons, initials in place of a photo) are marked
`data-pagefind-ignore` here rather than in the templates: the published pages
stay as they are, and search excerpts show the page's words, not "Ongoing." or
"Google Scholar. Email.".
"""

from __future__ import annotations

import html
import re

MARK = b"data-pagefind-body"
_KIND = re.compile(rb'data-pagefind-filter="kind:([^"]*)"')
# Elements of the templates that label or link rather than say: their opening tags.
_NOT_CONTENT = re.compile(
    rb'<([a-z][a-z0-9]*)(\s[^>]*?\bclass="(?:[^"]*\s)?(?:kicker|badge|link-list|avatar-initials)(?:\s[^"]*)?")')


def record_of(page: bytes) -> bytes | None:
    """The record of a rendered HTML page, or None when the page is not indexed."""
    start = page.find(b"<main")
    if start < 0:
        return None
    tag_end = page.find(b">", start)
    if MARK not in page[start:tag_end]:
        return None
    # <main> never nests, and content is sanitized (no raw <main> in a post):
    # the last </main> closes this one.
    end = page.rfind(b"</main>")
    if end < tag_end:
        return None
    html_start = page.find(b"<html")
    opening = page[html_start:page.find(b">", html_start) + 1] if html_start >= 0 else b"<html>"
    main = _NOT_CONTENT.sub(rb"<\1 data-pagefind-ignore\2", page[start:end + len(b"</main>")])
    return opening + b"<body>" + main + b"</body></html>"


def kind_of(record: bytes) -> str:
    """The kind a record's page is filtered by (templates/_macros.html, search_facts);
    "" when its template gives none."""
    found = _KIND.search(record)
    return html.unescape(found.group(1).decode("utf-8", "replace")).strip() if found else ""
