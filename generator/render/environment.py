"""The Jinja2 environment: autoescaped, strict, and fed data only.

Content is never compiled as a template (`{{ 7*7 }}` in a post stays literal):
templates live in templates/ and receive content as values.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

from .. import urls
from .markup import render_markdown

if TYPE_CHECKING:
    from .outputs import RenderContext


def make_environment(ctx: "RenderContext") -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(ctx.template_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    settings = ctx.site.settings
    markdown_cache: dict[str, Markup] = ctx.cache.setdefault("markdown", {})

    def markdown_filter(text: str | None) -> Markup:
        if not text:
            return Markup("")
        if text not in markdown_cache:
            markdown_cache[text] = Markup(render_markdown(text, settings.base_path))
        return markdown_cache[text]

    env.filters.update(
        markdown=markdown_filter,
        url=lambda url: urls.site_path(settings.base_path, url),
        absolute=lambda url: urls.absolute(settings.base_url, url),
        item_url=urls.item_url,
        tag_url=urls.tag_url,
        long_date=long_date,
        iso=lambda value: value.isoformat(),
    )
    env.globals.update(site=ctx.site, settings=settings, now=ctx.now)
    return env


def long_date(value: dt.date) -> str:
    """"Fri 8 Mar 2024": never ambiguous, weekday always there (DESIGN)."""
    return f"{value:%a} {value.day} {value:%b %Y}"
