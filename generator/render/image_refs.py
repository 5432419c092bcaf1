"""Which images under content/ an item shows: its photo or image field, and the
images its Markdown body embeds by a root-relative path (`![A plot](/images/plot.png)`
shows content/images/plot.png). A page that shows an image declares it as an input,
so replacing the file renders the page again (its width and height may change)."""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from ..content.models import Item

IMAGE_FIELDS = ("photo", "image")
_MARKDOWN_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\(\s*<?(?P<src>/[^)\s>]+)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"'](?P<src>/[^\"']+)", re.IGNORECASE)


def body_images(body: str) -> Iterator[tuple[str, str | None, str]]:
    """(path under content/, alt text or None for raw HTML, the text as written) per embedded image."""
    for match in _MARKDOWN_IMAGE.finditer(body or ""):
        yield match["src"].lstrip("/").split("#")[0].split("?")[0], match["alt"], match[0]
    if "<" not in (body or ""):  # no tag at all (most bodies): finding no "<" costs a twentieth of the regex
        return
    for match in _HTML_IMAGE.finditer(body):
        yield match["src"].lstrip("/").split("#")[0].split("?")[0], None, match[0]


def images_shown_by(item: Item, in_body: Iterable[tuple[str, str | None, str]] | None = None) -> set[str]:
    """The input tokens ("content/…") of the images an item's page shows;
    `in_body`: body_images of its body, when already found."""
    shown = {getattr(item, name) for name in IMAGE_FIELDS if getattr(item, name, None)}
    shown.update(rel for rel, _, _ in (body_images(item.body) if in_body is None else in_body))
    return {f"content/{rel}" for rel in shown}


def images_referenced(site) -> Iterator[tuple[Item, tuple, str]]:
    """(item, field path, path under content/) for every image field of every item."""
    for item in site.all_items():
        for name in IMAGE_FIELDS:
            rel = getattr(item, name, None)
            if rel:
                yield item, (name,), rel
