"""The Jinja2 environment: autoescaped, strict, and fed data only.

Content is never compiled as a template (`{{ 7*7 }}` in a post stays literal):
templates live in templates/ and receive content as values. Filters format
values (dates, times, summaries); globals answer questions about the build
clock (next occurrence, past or not), always through event_times so pages,
feeds and calendars agree.

A filter reads only its argument and the settings (fragment_memo.py keeps rows
made by macros on that promise); `markdown` also reads the images, and is
listed there as the exception.
"""

from __future__ import annotations

import hashlib
import html
import re
from functools import partial
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup, escape

from .. import event_times, urls
from ..content.models import Event, Item
from . import structured, timefmt
from .images import ImageIndex, picture_html
from .calendar_links import google_calendar_url, location_line, webcal_url
from .fragment_memo import MACROS, macros_reading_only_arguments
from .item_dates import post_updated_day

if TYPE_CHECKING:
    from .outputs import RenderContext

DEFAULT_IMAGE = "/assets/og-default.png"
DEFAULT_IMAGE_SIZE = (1200, 630)  # templates/static/og-default.png
SITE_FEEDS = (  # (type, title, URL): linked from every page's <head>
    ("application/rss+xml", "Posts (RSS)", "/feed.xml"),
    ("application/atom+xml", "Posts (Atom)", "/atom.xml"),
    ("application/rss+xml", "Events (RSS)", "/events/feed.xml"),
    ("text/calendar", "All events (iCalendar)", "/calendar.ics"),
)
_PARENTHESIS = re.compile(r"\([^)]*\)")


class _Environment(jinja2.Environment):
    def make_globals(self, d: dict | None) -> dict:
        """A template's globals as a plain dict, not Jinja's ChainMap over the
        environment's. Jinja copies them into the context of every page it
        renders and compares their keys at every {% import %}; over a ChainMap
        both run in Python, 40 µs each, several times a page (measured: a page
        importing one macro, 152 → 17 µs). The copy is taken when a template
        loads: every global is set by make_environment, before any template
        loads (Jinja's own advice: no global changes after a load)."""
        return {**self.globals, **(d or {})}


def make_environment(ctx: "RenderContext") -> jinja2.Environment:
    env = _Environment(
        loader=jinja2.FileSystemLoader(str(ctx.template_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # One environment per build (RenderContext): a template edited meanwhile is
        # the next build's. Reloading checked every template's mtime on every page.
        auto_reload=False,
    )
    env.filters.update(_filters(ctx))
    env.globals.update(_globals(ctx))
    # Images under content/ go out in WebP widths: in Markdown as in the theme.
    images = ImageIndex(ctx.site.assets, ctx.root)
    env.filters.update(markdown=partial(markdown_with_pictures, ctx, images),
                       markdown_toc=partial(markdown_toc_with_pictures, ctx, images))
    env.globals["picture"] = partial(picture, images, ctx.site.settings.base_path)
    env.globals["image_size"] = partial(image_size, images)
    return env


def image_size(images: ImageIndex, url: str) -> tuple[int, int] | None:
    """(width, height) of an image the site publishes at url, for og:image:width
    and og:image:height; None when it is not one we know."""
    if url == DEFAULT_IMAGE:
        return DEFAULT_IMAGE_SIZE
    info = images.get(url.lstrip("/"))
    return (info.width, info.height) if info else None


def markdown_with_pictures(ctx: "RenderContext", images: ImageIndex, text: str | None) -> Markup:
    return with_pictures(images, ctx.site.settings.base_path, render_markdown_cached(ctx, text))


def markdown_toc_with_pictures(ctx: "RenderContext", images: ImageIndex, text: str | None) -> tuple[Markup, Markup]:
    body, toc = render_markdown_toc(ctx, text)
    return with_pictures(images, ctx.site.settings.base_path, body), toc


def _filters(ctx: "RenderContext") -> dict:
    settings = ctx.site.settings
    return dict(
        first_paragraph=partial(first_paragraph, ctx),
        url=lambda url: urls.site_path(settings.base_path, url),
        absolute=lambda url: urls.absolute(settings.base_url, _unescaped(url)),
        item_url=urls.item_url,
        tag_url=urls.tag_url,
        long_date=timefmt.long_date,
        iso=lambda value: value.isoformat(),
        when=timefmt.when_text,
        utc=timefmt.utc_stamp,
        zone_key=lambda occurrence: getattr(occurrence.start.tzinfo, "key", ""),
        cadence=timefmt.cadence_text,
        initials=initials,
        avatar_hue=avatar_hue,
        location_line=location_line,
    )


def _globals(ctx: "RenderContext") -> dict:
    settings = ctx.site.settings
    return dict(
        site=ctx.site, settings=settings, now=ctx.now, site_feeds=SITE_FEEDS, default_image=DEFAULT_IMAGE,
        occurrences_of=partial(occurrences_of, ctx),
        upcoming_of=lambda event: [o for o in occurrences_of(ctx, event) if not event_times.is_past(o, ctx.now)],
        shown_occurrence=partial(shown_occurrence, ctx),
        is_past=lambda occurrence: event_times.is_past(occurrence, ctx.now),
        google_calendar_url=google_calendar_url,
        webcal_url=lambda path: webcal_url(settings.base_url, path),
        nav_items=partial(nav_items, ctx),
        page_links=partial(page_links, ctx),
        ld_organization=lambda: structured.organization(settings),
        ld_person=lambda member: structured.person(member, settings),
        ld_event=lambda event, occurrence: structured.event(event, occurrence, settings,
                                                            ctx.site.join_of(event).get("url", "")),
        ld_post=lambda post: structured.blog_posting(post, settings, describe(ctx, post),
                                                     post_updated_day(post, ctx.site)),
        updated_day=lambda post: post_updated_day(post, ctx.site),
        ld_project=lambda project: structured.scholarly_article(project, settings, describe(ctx, project)),
        describe=partial(describe, ctx),
        series_of=ctx.site.series_of,
        join_of=ctx.site.join_of,
        fragment=partial(fragment, ctx),
    )


def fragment(ctx: "RenderContext", name: str, *args, **kwargs) -> Markup:
    """`{{ fragment("post_row", post) }}` is `{{ post_row(post) }}`, through the
    rows kept between builds (fragment_memo.py: a tag page lists hundreds of
    rows, nearly all as the last build made them)."""
    macros = ctx.cache.get("fragment_macros")
    if macros is None:
        source = ctx.env.loader.get_source(ctx.env, MACROS)[0]
        macros = ctx.cache["fragment_macros"] = (ctx.env.get_template(MACROS).module,
                                                 macros_reading_only_arguments(ctx.env.parse(source)))
    module, memoizable = macros
    macro = getattr(module, name, None)
    if not callable(macro):  # a template error, reported with the template's line
        raise jinja2.UndefinedError(f"{MACROS} has no macro named {name!r} for fragment()")
    if ctx.fragments is None or name not in memoizable:
        return macro(*args, **kwargs)
    return ctx.fragments.rendered(macro, name, args, kwargs)


def _unescaped(value: str) -> str:
    """A URL that a block rendered (already escaped) back to plain text."""
    return value.unescape() if isinstance(value, Markup) else str(value)


def render_markdown_cached(ctx: "RenderContext", text: str | None) -> Markup:
    return Markup(ctx.markdown.html(text, ctx.site.settings.base_url))


def render_markdown_toc(ctx: "RenderContext", text: str | None) -> tuple[Markup, Markup]:
    """(body, table of contents); the table is empty for short texts (markup.py decides)."""
    rendered = ctx.markdown.rendered(text, ctx.site.settings.base_url)
    return Markup(rendered.html), Markup(rendered.toc_html)


def first_paragraph(ctx: "RenderContext", text: str | None) -> str:
    """The first paragraph of Markdown text, as plain text (SPEC: the default
    summary): the same words the feeds use."""
    return ctx.markdown.summary(text, ctx.site.settings.base_url)


def shorten(text: str, limit: int) -> str:
    """One line of text, cut at a word boundary when longer than `limit`."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
    return text


def describe(ctx: "RenderContext", item: Item) -> str:
    """A meta description: the item's own summary field, else its first paragraph."""
    for name in ("description", "summary", "tldr"):
        value = getattr(item, name, None)
        if value:
            return shorten(first_paragraph(ctx, value) or value, 200)
    return shorten(first_paragraph(ctx, item.body), 200) or ctx.site.settings.description


def initials(name: str) -> str:
    """"Ada Lovelace" → "AL"; "王芳 (Wang Fang)" → "王" (a romanization in
    parentheses is skipped, so the avatar shows the name's own script)."""
    name = _PARENTHESIS.sub(" ", name) if _PARENTHESIS.sub("", name).strip() else name
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


AVATAR_HUES = 8  # style.css has .avatar-hue-0 … -7, each readable in both schemes


def avatar_hue(slug: str) -> int:
    """A member's avatar colour, from their slug: stable across builds and machines."""
    return hashlib.blake2b(slug.encode("utf-8"), digest_size=2).digest()[0] % AVATAR_HUES


def picture(images: ImageIndex, base_path: str, rel: str, alt: str, sizes: str, css_class: str = "",
            eager: bool = False) -> Markup:
    """An image under content/ in its WebP widths; a file that is no readable
    image (check warns about it) is linked as it is."""
    info = images.get(rel)
    if info is not None:
        return picture_html(info, base_path, alt, sizes, css_class, eager)
    cls = Markup(' class="{}"').format(css_class) if css_class else ""
    return Markup('<img{} src="{}" alt="{}"{}>').format(
        cls, urls.site_path(base_path, "/" + rel), alt, Markup("") if eager else Markup(' loading="lazy"'))


_IMG_TAG = re.compile(r'<img ([^>]*)>')
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')


def with_pictures(images: ImageIndex, base_path: str, html_text: Markup) -> Markup:
    """Rendered Markdown with each image under content/ shown through `picture`.
    The HTML is the sanitizer's output, so every attribute is quoted and escaped."""
    prefix = base_path.rstrip("/") + "/"

    def replace(match: re.Match) -> str:
        attributes = dict(_ATTRIBUTE.findall(match[1]))
        src = html.unescape(attributes.get("src", ""))
        info = images.get(src[len(prefix):]) if src.startswith(prefix) else None
        if info is None:
            return match[0]
        alt = html.unescape(attributes.get("alt", ""))
        return picture_html(info, base_path, alt, "(max-width: 40rem) calc(100vw - 2rem), 40rem")

    return Markup(_IMG_TAG.sub(replace, str(html_text)))


def occurrences_of(ctx: "RenderContext", event: Event) -> list[event_times.Occurrence]:
    """Every occurrence of the site's event of that slug, by start (none for an
    event not in the site). Found when first asked for: a member page shows a few
    talks, and expanding all 2,000 events of a big site for it was a third of
    rendering a one-post rebuild."""
    by_slug = ctx.cache.setdefault("occurrences_by_slug", {})
    found = by_slug.get(event.slug)
    if found is None:
        listed = ctx.site.events.get(event.slug)
        found = by_slug[event.slug] = [] if listed is None else sorted(
            event_times.occurrences(listed, event_times.zone_name(listed, ctx.site), ctx.now),
            key=event_times.Occurrence.start_utc)
    return found


def shown_occurrence(ctx: "RenderContext", event: Event) -> event_times.Occurrence | None:
    """The occurrence a page shows for an event: the next one, else the last one."""
    found = occurrences_of(ctx, event)
    return event_times.next_occurrence(found, ctx.now) or (found[-1] if found else None)


def page_links(ctx: "RenderContext", page_urls: list[str], current: int) -> Markup:
    """One <li> line per page of a paginated list, the `current` (1-based) one
    marked. Each of N pages lists all N: a template loop made N² links, a tenth of
    a 10,000-post build; the lines are made once per build and joined here."""
    key = ("page_links", tuple(page_urls))
    lines = ctx.cache.get(key)
    if lines is None:
        base_path = ctx.site.settings.base_path
        # An f-string of the escaped URL: what Markup.format makes, without its
        # formatter machinery (1,000 lines when one posts page of 10,000 posts renders).
        lines = ctx.cache[key] = [f'    <li><a href="{escape(urls.site_path(base_path, url))}">{number}</a></li>\n'
                                  for number, url in enumerate(page_urls, start=1)]
    marked = Markup('    <li><a href="{}" aria-current="page">{}</a></li>\n').format(
        urls.site_path(ctx.site.settings.base_path, page_urls[current - 1]), current)
    # str.join: Markup.join would escape (copy) each of the N lines again, on each page.
    return Markup("".join([*lines[:current - 1], marked, *lines[current:]]))


def nav_items(ctx: "RenderContext", page_url: str) -> list[dict]:
    """site.yaml's nav, then pages with `menu` (by menu, then title), each once.
    `current` is "page" on the page itself and "true" inside its section."""
    entries = [(link["title"], link["url"]) for link in ctx.site.settings.nav]
    menu_pages = sorted((p for p in ctx.site.pages.values() if p.menu is not None),
                        key=lambda p: (p.menu, p.title, p.slug))
    seen = {url for _, url in entries}
    entries += [(p.title, urls.item_url(p)) for p in menu_pages if urls.item_url(p) not in seen]
    items = []
    for title, url in entries:
        current = "page" if url == page_url else (
            "true" if url != "/" and url.endswith("/") and page_url.startswith(url) else None)
        items.append({"title": title, "url": url, "current": current})
    return items
