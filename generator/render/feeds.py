"""RSS 2.0 and Atom feeds (issue: feeds subscribers can trust)."""

from __future__ import annotations

from ..graph import Site
from .outputs import Output


def plan_feeds(site: Site) -> list[Output]:
    return []
