"""Planned outputs: every file the build writes is declared before anything renders.

An `Output` names its URL, who asked for it (for collision messages), the inputs
it shows (source files, relative to the site root, plus a few tokens such as
"site.yaml", "templates" and "clock"), and how to render it. URL collisions,
the sitemap and the redirects all come from this one list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from ..diagnostics import Location
from ..graph import Site
from ..urls import output_path

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

    @property
    def path(self) -> str:
        return output_path(self.url)


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

    @cached_property
    def env(self):
        from .environment import make_environment
        return make_environment(self)

    @cached_property
    def occurrences(self):
        from ..event_times import site_occurrences
        return site_occurrences(self.site, self.now)
