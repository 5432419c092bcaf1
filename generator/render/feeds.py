"""RSS 2.0 and Atom 1.0 feeds: posts, posts per tag, and events.

Subscribers keep what a feed gives them (SPEC: items that never duplicate), so
everything here is stable: ids come from `ids.tag_uri` (kind + original slug),
dates come from the content and never from the wall clock, items are in a fixed
order, and a feed's bytes change only when what it shows changes.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from functools import partial
from itertools import filterfalse, islice
from operator import attrgetter
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from ..content.models import Event, PersonRef, Post
from ..event_times import Occurrence, first_occurrence, occurrences, zone_name
from ..graph import Site
from ..ids import AUTHORITY, EPOCH, tag_uri
from ..settings import Settings
from ..urls import SECTION_URLS, absolute, item_url, tag_url
from .item_dates import event_announced, event_changed, first_start, post_published, post_updated
from .markdown_memo import MarkdownMemo
from .markup import sanitize
from .outputs import SETTINGS, Output, RenderContext
from .timefmt import cadence_text, long_date, utc_offset, when_text

if TYPE_CHECKING:  # for annotations: feedgen is imported where a feed renders
    from feedgen.feed import FeedGenerator

GENERATOR = "mlcsite"  # not feedgen's default, which carries its version: an upgrade must not change feeds
# Atom requires <updated>; a feed with no items has no date of its own, so it
# gets a fixed one rather than the build time (bytes must not change per build).
EMPTY_FEED_UPDATED = dt.datetime(int(EPOCH), 1, 1, tzinfo=dt.timezone.utc)
MIME = {"rss": "application/rss+xml", "atom": "application/atom+xml"}


@dataclass(frozen=True)
class FeedSpec:
    url: str  # the feed's own site path
    title: str
    description: str
    home: str  # site path of the HTML page the feed follows
    fmt: str = "rss"  # "rss" or "atom"


@dataclass(frozen=True)
class FeedItem:
    id: str
    title: str
    link: str  # absolute
    summary: str  # plain text
    content: str  # sanitized HTML, every link absolute
    authors: tuple[tuple[str, str | None], ...] = ()  # (name, absolute page or None)
    categories: tuple[str, ...] = ()
    published: dt.datetime | None = None
    updated: dt.datetime | None = None


def plan_feeds(site: Site) -> list[Output]:
    name = site.settings.title
    posts = site.newest_posts
    outputs = [
        _posts_feed(FeedSpec("/feed.xml", f"{name} — Posts", f"The latest posts from {name}.",
                             SECTION_URLS["posts"]), posts, site),
        _posts_feed(FeedSpec("/atom.xml", f"{name} — Posts", f"The latest posts from {name}.",
                             SECTION_URLS["posts"], fmt="atom"), posts, site),
    ]
    for tag, tagged in site.posts_by_tag.items():
        page = tag_url(tag)
        outputs.append(_posts_feed(FeedSpec(page + "feed.xml", f"{name} — posts tagged {tag}",
                                            f"Posts from {name} tagged “{tag}”.", page),
                                   tagged, site))  # in newest order, as posts are (the graph's)
    outputs.append(_events_feed(site))
    return outputs


def _posts_feed(spec: FeedSpec, posts: list[Post], site: Site) -> Output:
    """`posts`: newest first (the graph orders them, Site.newest_posts). Drafts
    stay out even of a --drafts preview: a feed is for subscribers. The N newest
    are chosen here: which posts those are, in order, is in the identity
    (a new post pushes an old one out), and only their sources are inputs, so
    editing an older post leaves the feed alone. (Posts scheduled for later are
    not in the graph yet.)"""
    shown = tuple(islice(filterfalse(_DRAFT, posts), site.settings.feed_items))
    return Output(spec.url, partial(_render_posts, spec, shown), frozenset({SETTINGS}), kind="feed",
                  identity=f"posts feed {spec!r} {[p.key for p in shown]}", shows=shown, site=site)


_DRAFT = attrgetter("draft")


def _events_feed(site: Site) -> Output:
    name = site.settings.title
    events = list(site.events.values())
    # Series give events their zone; the feed shows every event, past or not: no clock.
    spec = FeedSpec(SECTION_URLS["events"] + "feed.xml", f"{name} — Events",
                    f"Talks, reading groups, research jams and meetups of {name}.", SECTION_URLS["events"])
    return Output(spec.url, partial(_render_events, spec, tuple(events)), frozenset({SETTINGS}), kind="feed",
                  identity=f"events feed {spec!r} {sorted(e.key for e in events)}", shows=tuple(events), site=site)


def _render_posts(spec: FeedSpec, posts: tuple[Post, ...], ctx: RenderContext) -> bytes:
    settings = ctx.site.settings
    cache = ctx.cache.setdefault("feed_items", {})
    items = []
    for post in posts:  # the newest, newest first: chosen when planned (_posts_feed)
        if post.key not in cache:  # a post is in several feeds: render its Markdown once
            cache[post.key] = _post_item(post, ctx.site, ctx.markdown)
        items.append(cache[post.key])
    return write_feed(spec, items, settings)


def _post_item(post: Post, site: Site, markdown: MarkdownMemo) -> FeedItem:
    settings = site.settings
    link = absolute(settings.base_url, item_url(post))
    content = absolutize_links(markdown.html(post.body, settings.base_url), link)
    return FeedItem(id=tag_uri(post), title=post.title, link=link,
                    summary=post.summary or markdown.summary(post.body, settings.base_url), content=content,
                    authors=tuple(_author(p, settings) for p in post.authors), categories=post.tags,
                    published=post_published(post, site), updated=post_updated(post, site))


def _author(person: PersonRef, settings: Settings) -> tuple[str, str | None]:
    if person.member:
        return person.display_name, absolute(settings.base_url, item_url(person.member))
    return person.display_name, person.url


def _render_events(spec: FeedSpec, events: tuple[Event, ...], ctx: RenderContext) -> bytes:
    site = ctx.site
    # Newest start first (as an instant: events have different zones), the slug
    # breaking ties: the order of the events page. Each item carries when it was
    # announced as its pubDate, so readers that sort by date can.
    ordered = sorted(events, key=lambda e: (-_first_occurrence(e, site).start_utc().timestamp(), e.slug))
    items = [_event_item(e, ctx) for e in ordered[:site.settings.feed_items]]
    return write_feed(spec, items, site.settings)


def _event_item(event: Event, ctx: RenderContext) -> FeedItem:
    # pubDate: when it was announced (render/item_dates.py: front matter, else its
    # first commit), which is in the past; only without either does its first
    # start stand in (the item's own date; never the clock).
    site, settings = ctx.site, ctx.site.settings
    link = absolute(settings.base_url, item_url(event))
    body = ctx.markdown.html(event.body, settings.base_url)
    details = sanitize(_event_details(event, ctx))
    content = absolutize_links(details + ("\n" + body if body else ""), link)
    prefix = "Cancelled: " if event.status == "cancelled" else ""
    title = f"{prefix}{event.title} — {_when_short(event, ctx.site)}"
    return FeedItem(id=tag_uri(event), title=title, link=link, content=content,
                    summary=ctx.markdown.summary(event.body, settings.base_url) or _when_long(event, ctx),
                    authors=tuple(_author(p, settings) for p in event.speakers), categories=event.tags,
                    published=event_announced(event, site) or first_start(event, site),
                    updated=event_changed(event, site, site.sources_shown_by(event)))


def _event_details(event: Event, ctx: RenderContext) -> str:
    settings = ctx.site.settings
    rows = [("When", html.escape(_when_long(event, ctx)))]
    series = ctx.site.series_of(event)
    join = ctx.site.join_of(event)
    if series:
        rows.append(("Series", _link_html(absolute(settings.base_url, item_url(series)), series.title)))
    if event.location:
        rows.append(("Where", _location_html(event.location)))
    if join:
        note = f" — {join['note']}" if join.get("note") else ""
        rows.append(("Join", _link_html(join["url"], join["url"]) + html.escape(note)))
    if event.speakers:
        rows.append(("Speakers", ", ".join(_person_html(p, settings) for p in event.speakers)))
    if event.status != "confirmed":
        rows.append(("Status", event.status.capitalize()))
    parts = [f"<p><strong>{label}:</strong> {value}</p>" for label, value in rows]
    if event.papers:
        papers = "".join(f"<li>{_paper_html(p)}</li>" for p in event.papers)
        parts.append(f"<p><strong>Papers:</strong></p>\n<ul>{papers}</ul>")
    shown_links = {name: url for name, url in event.links.items() if name != "join"}  # "Join" is above
    if shown_links:
        links = ", ".join(_link_html(url, name.capitalize()) for name, url in shown_links.items())
        parts.append(f"<p><strong>Links:</strong> {links}</p>")
    return "\n".join(parts)


def _link_html(url: str | None, text: str) -> str:
    return f'<a href="{html.escape(url)}">{html.escape(text)}</a>' if url else html.escape(text)


def _person_html(person: PersonRef, settings: Settings) -> str:
    name, page = _author(person, settings)
    affiliation = f" ({person.affiliation})" if person.affiliation and not person.member else ""
    return _link_html(page, name) + html.escape(affiliation)


def _location_html(location) -> str:
    if isinstance(location, str):
        return html.escape(location)
    address = f", {location['address']}" if location.get("address") else ""
    return _link_html(location.get("url"), location["name"]) + html.escape(address)


def _paper_html(paper: dict) -> str:
    authors = f" — {paper['authors']}" if paper.get("authors") else ""
    return _link_html(paper.get("url"), paper["title"]) + html.escape(authors)


def _first_occurrence(event: Event, site: Site) -> Occurrence:
    return first_occurrence(event, zone_name(event, site))


def _when_short(event: Event, site: Site) -> str:
    """"Fri 4 Dec 2026, 10:00 PST": short enough for a title; the page gives the rest."""
    first = _first_occurrence(event, site)
    if event.all_day:
        last = first.end - dt.timedelta(days=1)
        when = long_date(first.start) + (f" – {long_date(last)}" if last != first.start else "")
    else:
        abbreviation = first.start.tzname() or ""
        zone = abbreviation if abbreviation[:1].isalpha() else utc_offset(first.start)  # "+08" reads as UTC+8
        when = f"{long_date(first.start)}, {first.start:%H:%M} {zone}"
    return f"{_cadence_word(event)} from {when}" if event.recurrence else when


def _when_long(event: Event, ctx: RenderContext) -> str:
    """The same words as the event page (timefmt), plus how often it repeats."""
    when = when_text(_first_occurrence(event, ctx.site))
    if not event.recurrence:
        return when
    cadence = cadence_text(event.recurrence) or f"Repeats {_cadence_word(event)}"
    return f"{when}; {cadence}{_repeat_end(event, ctx)}"


_CADENCE = {"DAILY": ("daily", "days"), "WEEKLY": ("weekly", "weeks"), "MONTHLY": ("monthly", "months"),
            "YEARLY": ("yearly", "years")}


def _cadence_word(event: Event) -> str:
    """"weekly", "every 2 weeks": a word for titles (cadence_text is too long there)."""
    rule = event.recurrence["rule"].upper()
    freq, interval = re.search(r"FREQ=(\w+)", rule), re.search(r"INTERVAL=(\d+)", rule)
    word, units = _CADENCE.get(freq.group(1) if freq else "", ("regularly", ""))
    return f"every {interval.group(1)} {units}" if units and interval and int(interval.group(1)) > 1 else word


def _repeat_end(event: Event, ctx: RenderContext) -> str:
    recurrence = event.recurrence
    if not ({"until", "count"} & recurrence.keys() or re.search(r"UNTIL=|COUNT=", recurrence["rule"].upper())):
        return ", with no end date"
    # A bounded rule expands in full whatever the clock says, so this stays stable.
    dates = occurrences(event, zone_name(event, ctx.site), ctx.now)
    return f"; {len(dates)} dates, the last on {long_date(dates[-1].start)}" if dates else ""


# nh3 (html5ever) writes every attribute as name="value" with `"` escaped inside
# values, and escapes `<` in text: so a tag can be matched from `<a`/`<img` to
# its `>` by consuming whole attributes, and a value never looks like a name.
_LINK_TAG = re.compile(r'<(?:a|img)((?:\s+[^\s"\'=<>/]+(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE = re.compile(r'(\s+)([^\s"\'=<>/]+)(?:="([^"]*)")?')


def absolutize_links(sanitized_html: str, page_url: str) -> str:
    """Make every href/src absolute, resolved as the browser does on the page
    itself (`page_url`): feed readers show the content out of its page."""
    def fix_attribute(match: re.Match) -> str:
        space, name, value = match.groups()
        if value is None or name.lower() not in ("href", "src"):
            return match.group(0)
        return f'{space}{name}="{_absolute_url(value, page_url)}"'

    def fix_tag(match: re.Match) -> str:
        attributes = match.group(1)
        start = match.start(1) - match.start(0)
        fixed = _ATTRIBUTE.sub(fix_attribute, attributes)
        return match.group(0)[:start] + fixed + match.group(0)[start + len(attributes):]

    return _LINK_TAG.sub(fix_tag, sanitized_html)


def _absolute_url(escaped_value: str, page_url: str) -> str:
    url = html.unescape(escaped_value)
    if urlsplit(url).scheme:  # https:, mailto: … already absolute
        return escaped_value
    return html.escape(urljoin(page_url, url), quote=True)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """YAML escapes can smuggle control characters that XML forbids: drop them."""
    return _NOT_XML.sub("", text)


def write_feed(spec: FeedSpec, items: list[FeedItem], settings: Settings) -> bytes:
    from feedgen.feed import FeedGenerator  # here, not at the top: a build with no feed to render never needs it

    feed = FeedGenerator()
    feed.load_extension("dc", atom=False, rss=True)  # RSS <author> needs an email: names go in dc:creator
    feed.id(f"tag:{AUTHORITY},{EPOCH}:feeds{spec.url}")
    feed.title(_xml_text(spec.title))
    feed.description(_xml_text(spec.description))
    feed.author(name=_xml_text(settings.title))  # Atom: entries without authors inherit it
    feed.link(href=absolute(settings.base_url, spec.url), rel="self", type=MIME[spec.fmt])
    feed.link(href=absolute(settings.base_url, spec.home), rel="alternate")  # RSS <link>: the last one
    feed.language(settings.language)
    feed.generator(GENERATOR)
    for item in items:
        _add_entry(feed, item)  # append: feedgen prepends by default, which would reverse our order
    newest = max((item.updated for item in items if item.updated), default=None)
    if spec.fmt == "atom":
        feed.updated(newest or EMPTY_FEED_UPDATED)
        return feed.atom_str(pretty=True)
    if newest is None:  # feedgen stamps lastBuildDate with the wall clock unless told otherwise
        return _without_last_build_date(feed.rss_str(pretty=True))
    feed.lastBuildDate(newest)
    return feed.rss_str(pretty=True)


def _add_entry(feed: FeedGenerator, item: FeedItem) -> None:
    entry = feed.add_entry(order="append")
    entry.id(item.id)  # also the RSS guid, with isPermaLink="false"
    entry.title(_xml_text(item.title))
    entry.link(href=item.link, rel="alternate")
    # RSS readers render <description> as HTML: the plain-text summary is escaped
    # (and marked type="html" for Atom) so "<script>" in a post reads as text.
    entry.summary(html.escape(_xml_text(item.summary) or _xml_text(item.title), quote=False), type="html")
    entry.content(_xml_text(item.content), type="html")
    for name, page in item.authors:
        entry.author({"name": _xml_text(name), **({"uri": page} if page else {})})
    if item.authors:  # one dc:creator: readers show one, and would drop co-authors
        entry.dc.dc_creator(_xml_text(", ".join(name for name, _ in item.authors)))
    for tag in item.categories:
        entry.category(term=_xml_text(tag))
    if item.published:
        entry.published(item.published)
    entry.updated(item.updated or item.published or EMPTY_FEED_UPDATED)  # never feedgen's "now"


def _without_last_build_date(rss: bytes) -> bytes:
    from lxml import etree  # feedgen's own dependency: imported with it, when a feed renders

    root = etree.fromstring(rss, etree.XMLParser(remove_blank_text=True))
    channel = root.find("channel")
    channel.remove(channel.find("lastBuildDate"))
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
