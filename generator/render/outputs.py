"""Planned outputs: every file the build writes is declared before anything renders.

An `Output` names its URL, who asked for it (for collision messages), its
inputs, and how to render it. URL collisions, the sitemap and the redirects all
come from this one list. Its inputs are declared in two parts:

- `reads`: input tokens named as they are: source files (relative to the site
  root) and a few tokens such as "site.yaml", "templates" and "clock";
- `shows`: the items it shows; showing an item reads `Site.sources_shown_by(item)`
  (its file, its people's member files, its images, …), the one rule for that.

`inputs` is their union. It is made only when asked for (tests, watch): a
10,000-post site plans 16,000 outputs that show 45,000 items, and unions of
their sources were a third of planning. The build cache keys an output by each
part instead (incremental.Fingerprints: one digest per item, made once per
build) and by its `identity`: a stable text naming the renderer and its plain
arguments (items by kind/slug; their content is in the inputs). Nothing else of
the renderer is looked at, so the inputs must name every file whose content the
output shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from types import FunctionType
from typing import Any, Callable

from ..content.models import Item, PersonRef

from ..diagnostics import Location
from ..graph import Site
from ..urls import output_path
from .markdown_memo import MarkdownMemo

THEME = "templates"  # input token: any template or theme asset
CLOCK = "clock"  # input token: output depends on "now" (upcoming/past)
SETTINGS = "site.yaml"


class _made_once:
    """functools.cached_property without its lock (Python 3.11 takes one on each
    first read, for 16,000 outputs): the value, once made, is the instance's own."""

    def __init__(self, make: Callable) -> None:
        self.make, self.name = make, make.__name__
        self.__doc__ = make.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.make(instance)
        return value


@dataclass(frozen=True, init=False)
class Output:
    url: str
    render: Callable[["RenderContext"], bytes] = field(compare=False)
    reads: frozenset[str] = frozenset()  # input tokens named as they are: see the module's doc
    origin: Location | None = None  # None: the theme declared it
    kind: str = "page"  # page, feed, calendar, asset, redirect, meta
    in_sitemap: bool = False
    identity: str = ""  # how it renders, besides its inputs: see the module's doc
    shows: tuple[Item, ...] = ()  # items shown: each reads site.sources_shown_by(item)
    site: Site | None = field(default=None, compare=False, repr=False)  # the site `shows` come from

    def __init__(self, url: str, render: Callable[["RenderContext"], bytes], reads: frozenset[str] = frozenset(),
                 origin: Location | None = None, kind: str = "page", in_sitemap: bool = False, identity: str = "",
                 shows: tuple[Item, ...] = (), site: Site | None = None) -> None:
        # The fields stored straight into the instance: a frozen dataclass's own
        # __init__ sets each through object.__setattr__, three times slower, for
        # 16,000 outputs a build. Still frozen: setting a field afterwards fails.
        values = self.__dict__
        values["url"], values["render"], values["reads"], values["origin"] = url, render, reads, origin
        values["kind"], values["in_sitemap"], values["identity"] = kind, in_sitemap, identity
        values["shows"], values["site"] = shows, site

    @_made_once
    def path(self) -> str:
        """Kept once made: planning, keying and writing ask for it five times per output."""
        return output_path(self.url)

    @_made_once
    def inputs(self) -> frozenset[str]:
        """Every input: what it reads, and the sources of the items it shows."""
        if not self.shows:
            return self.reads
        return self.reads.union(*map(self.site.sources_shown_by, self.shows))


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
    if kind is list or kind is tuple:
        if _ITEM_TYPES.issuperset(map(type, value)):  # a list of items (a tag page lists a thousand)
            return "[" + ", ".join([item.key for item in value]) + "]"
        return "[" + ", ".join(map(identity_of, value)) + "]"
    if kind is dict:
        return "{" + ", ".join([f"{identity_of(k)}: {identity_of(v)}" for k, v in value.items()]) + "}"
    if kind is partial:  # a page's `build` or a renderer, with its arguments (3,000 of them)
        return f"{identity_of(value.func)}({identity_of(value.args)}, {identity_of(value.keywords)})"
    if kind is FunctionType and "<" not in value.__qualname__:
        return f"{value.__module__}.{value.__qualname__}"
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
