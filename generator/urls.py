"""The SPEC's stable URLs, in one place.

URLs here are site paths ("/members/ada/"); `absolute` and `site_path` put them
under base_url, which may carry a path such as /pr-42/.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote

from .content.models import Item

SECTION_URLS = {
    "members": "/members/", "projects": "/projects/", "series": "/series/", "events": "/events/",
    "posts": "/posts/", "rfps": "/rfps/",
}


def item_url(item: Item) -> str:
    if item.kind == "pages":
        return f"/{item.slug}/"
    return f"{SECTION_URLS[item.kind]}{item.slug}/"


def url_of(kind: str, slug: str) -> str:
    return f"/{slug}/" if kind == "pages" else f"{SECTION_URLS[kind]}{slug}/"


def tag_slug(tag: str) -> str:
    """A URL-safe, stable slug for a tag; non-ASCII letters are kept (and
    percent-encoded in URLs), so "機械学習" and "ml" never collide."""
    text = unicodedata.normalize("NFKC", tag).strip().lower()
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    if ascii_text and len(ascii_text) >= len(text) / 2:
        text = ascii_text
    text = re.sub(r"[^\w]+", "-", text).strip("-_")
    return text or "tag"


def tag_url(tag: str) -> str:
    return f"/tags/{quote(tag_slug(tag))}/"


def output_path(url: str) -> str:
    """The file under output/ that serves a URL: /a/b/ -> a/b/index.html."""
    path = unquote(url).lstrip("/")
    if not path or path.endswith("/"):
        path += "index.html"
    return path


def absolute(base_url: str, url: str) -> str:
    """base_url ends with "/"; url is a site path or already absolute."""
    if "://" in url or url.startswith("mailto:"):
        return url
    return base_url + url.lstrip("/")


def site_path(base_path: str, url: str) -> str:
    """A root-relative link that stays under the base path (e.g. /pr-42/)."""
    if "://" in url or url.startswith(("mailto:", "#")):
        return url
    return base_path + url.lstrip("/")
