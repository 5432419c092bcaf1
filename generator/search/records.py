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
_LABEL_CLASSES = (b"kicker", b"badge", b"link-list", b"avatar-initials")
_NOT_CONTENT = re.compile(
    rb'<([a-z][a-z0-9]*)(\s[^>]*?\bclass="(?:[^"]*\s)?(?:' + b"|".join(map(re.escape, _LABEL_CLASSES))
    + rb')(?:\s[^"]*)?")')
_IGNORED = rb"<\1 data-pagefind-ignore\2"  # what each match becomes


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
    main = _not_content_ignored(page[start:end + len(b"</main>")])
    return opening + b"<body>" + main + b"</body></html>"


def _not_content_ignored(main: bytes) -> bytes:
    """_NOT_CONTENT.sub(_IGNORED, main), the same bytes, searched for only where
    it can match: the regex tried at every tag of a page took 170 µs, 2 CPU-seconds
    of a 10,000-post build. Each match holds one of the class names inside a
    `class="` value, which no `"` interrupts: so the last `"` before the name
    opens `class="`, or the name is in no match. The match's tag opens after the
    last `>` before that `class="` (none may come between), so no match begins
    before it, and the search from there finds the same leftmost match as
    `sub` scanning from the end of the previous one."""
    names = sorted(at for name in _LABEL_CLASSES for at in _occurrences(main, name))
    pieces, done = [], 0
    for at in names:
        if at < done:
            continue
        quote = main.rfind(b'"', done, at)
        if quote < 6 or main[quote - 6:quote + 1] != b'class="':
            continue
        match = _NOT_CONTENT.search(main, main.rfind(b">", done, quote) + 1 or done)
        if match is None:
            break
        pieces += (main[done:match.start()], b"<", match[1], b" data-pagefind-ignore", match[2])
        done = match.end()
    return b"".join(pieces) + main[done:] if pieces else main


def _occurrences(data: bytes, name: bytes):
    at = data.find(name)
    while at >= 0:
        yield at
        at = data.find(name, at + 1)


def kind_of(record: bytes) -> str:
    """The kind a record's page is filtered by (templates/_macros.html, search_facts);
    "" when its template gives none."""
    found = _KIND.search(record)
    return html.unescape(found.group(1).decode("utf-8", "replace")).strip() if found else ""
