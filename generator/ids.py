"""Identifiers subscribers keep: feed item ids and calendar UIDs.

SPEC: an id depends only on the item's kind and slug (and, for a recurrence
exception, its original start), never on its URL, build time or file order.
A renamed item keeps its id when it lists its old URL in `aliases`: the oldest
alias in the item's own section names the slug it was first published under.
"""

from __future__ import annotations

from .content.models import Item
from .urls import SECTION_URLS

AUTHORITY = "mlcollective.org"  # a tag: URI authority; fixed, so moving the site keeps ids
EPOCH = "2020"


def original_slug(item: Item) -> str:
    """The slug the item was first published under (its first alias in its own section)."""
    section = SECTION_URLS.get(item.kind) if item.kind != "pages" else "/"
    for alias in item.aliases:
        if section and alias.startswith(section) and alias.endswith("/"):
            rest = alias[len(section):].strip("/")
            if rest and "/" not in rest:
                return rest
    return item.slug


def tag_uri(item: Item) -> str:
    """RFC 4151 tag URI for feeds: tag:mlcollective.org,2020:posts/a-year-of-mlc"""
    return f"tag:{AUTHORITY},{EPOCH}:{item.kind}/{original_slug(item)}"


def calendar_uid(item: Item) -> str:
    """iCalendar UID: the same in every .ics file and across builds."""
    return f"{item.kind}-{original_slug(item)}@{AUTHORITY}"
