"""Planned outputs: every file the build writes is declared before anything renders.

An `Output` names its URL, who asked for it (for collision messages), the inputs
it shows (source files, relative to the site root, plus a few tokens such as
"site.yaml", "templates" and "clock"), and how to render it. URL collisions,
the sitemap and the redirects all come from this one list.

The build cache keys an output by its declared inputs and its `identity`: a
stable text naming the renderer and its plain arguments (items by kind/slug;
their content is in the inputs). Nothing else of the renderer is looked at, so
the inputs must name every file whose content the output shows
(`Site.sources_shown_by` says which files an item shows).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Callable

from ..content.models import Item, PersonRef

from ..diagnostics import Location
from ..graph import Site
from ..urls import output_path
from .markdown_memo import MarkdownMemo

THEME = "templates"  # input token: any template or theme asset
CLOCK = "clock"  # input token: output depends on "now" (upcoming/past)
SETTINGS = "site.yaml"


@dataclass(frozen=True)
class Output:
    url: str
    render: Callable[["RenderContext"], bytes] = field(compare=False)
    inputs: frozenset[str] = frozenset()
    origin: Location | None = None  # None: the theme declared it
    kind: str = "page"  # page, feed, calendar, asset, redirect, meta
    in_sitemap: bool = False
    identity: str = ""  # how it renders, besides its inputs: see the module's doc

    @cached_property
    def path(self) -> str:
        """Kept once made: planning, keying and writing ask for it five times per output."""
        return output_path(self.url)


_PLAIN_TYPES = frozenset({type(None), str, int, float, bool, dt.date, dt.datetime, dt.time, dt.timedelta})
_ITEM_TYPES = frozenset(Item.__subclasses__())


def identity_of(value: Any) -> str:
    """A stable description of a renderer argument: plain values by repr, items
    by kind/slug (their content is an input), functions by module and name.
    Anything else is a bug in a planner: it would make a cache key unsound."""
    kind = type(value)  # the common exact types first, by one lookup (160,000 calls at 10,000 posts)
    if kind in _ITEM_TYPES:
        return value.key
    if kind in _PLAIN_TYPES:
        return repr(value)
    if kind is list:
        return "[" + ", ".join(map(identity_of, value)) + "]"
    return _identity_of_other(value)


def _identity_of_other(value: Any) -> str:
    """identity_of for what it does not find by exact type (subclasses too)."""
    if value is None or isinstance(value, (str, int, float, bool, dt.date, dt.time, dt.timedelta)):
        return repr(value)
    if isinstance(value, Item):
        return value.key
    if isinstance(value, PersonRef):
        return repr((value.slug, value.name, value.url, value.affiliation, value.equal))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(identity_of, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{identity_of(k)}: {identity_of(v)}" for k, v in value.items()) + "}"
    if isinstance(value, partial):
        return f"{identity_of(value.func)}({identity_of(value.args)}, {identity_of(value.keywords)})"
    if callable(value) and getattr(value, "__qualname__", "<").find("<") < 0:
        return f"{value.__module__}.{value.__qualname__}"
    raise TypeError(f"{type(value).__name__} has no stable identity for the build cache")


@dataclass
class RenderContext:
    """What renderers share during one build. Created once per build (and per
    worker process), never global."""

    site: Site
    now: dt.datetime  # aware UTC; the build's clock
    root: Path
    template_dir: Path
    drafts: bool = False
    cache: dict[str, Any] = field(default_factory=dict)
    markdown: MarkdownMemo = field(default_factory=MarkdownMemo)  # each text converted once
    fragments: Any = None  # fragment_memo.FragmentMemo: rendered rows kept between builds, if any

    @cached_property
    def env(self):
        from .environment import make_environment
        return make_environment(self)
