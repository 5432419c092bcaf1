"""The site graph: items by slug, references resolved once, back-references derived.

Every reference is checked here, at the line that wrote it. Rendering reads the
graph and never looks a slug up by itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter, is_not
from typing import Callable, Iterable

from .content.discover import KINDS
from .content.fields import Ref
from .content.models import RFP, Event, Item, Member, Page, PersonRef, Post, Project, Series
from .diagnostics import Diagnostics, Location, did_you_mean
from .history import SourceDates
from .render.image_refs import IMAGE_FIELDS, body_images, images_shown_by
from .settings import Settings
from .urls import tag_slug

PEOPLE_FIELDS = {"projects": ("authors",), "posts": ("authors",), "rfps": ("authors",),
                 "events": ("speakers",), "series": ("organizers",)}


@dataclass
class Site:
    settings: Settings
    members: dict[str, Member] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    rfps: dict[str, RFP] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    assets: list = field(default_factory=list)  # (absolute path, path under the site)
    # Source path → its first and last commit (history.py); outputs that show them
    # declare the source, and a source's fingerprint covers its dates.
    dates: dict[str, SourceDates] = field(default_factory=dict)
    # Back-references, each list in a stable order (newest first where dated).
    projects_by_member: dict[str, list[Project]] = field(default_factory=dict)
    posts_by_member: dict[str, list[Post]] = field(default_factory=dict)
    talks_by_member: dict[str, list[Event]] = field(default_factory=dict)
    series_by_member: dict[str, list[Series]] = field(default_factory=dict)
    rfps_by_member: dict[str, list[RFP]] = field(default_factory=dict)
    sessions_by_series: dict[str, list[Event]] = field(default_factory=dict)
    posts_by_tag: dict[str, list[Post]] = field(default_factory=dict)
    newest_posts: list[Post] = field(default_factory=list)  # every post, newest first; a day's by slug
    projects_by_tag: dict[str, list[Project]] = field(default_factory=dict)
    # Item's id → (the item, what it shows). By id, not by Item.key: a 10,000-post
    # plan looks items up 140,000 times, and making the key string was half of it.
    # The entry holds the item, so its id cannot be reused while the entry lives.
    _shown: dict[int, tuple[Item, frozenset[str]]] = field(default_factory=dict, repr=False, compare=False)
    # Item's id → (the item, the images its body embeds): checking images and
    # planning both ask, and each scan of 10,000 bodies cost 0.07 s.
    _in_body: dict[int, tuple[Item, tuple]] = field(default_factory=dict, repr=False, compare=False)

    def sources_shown_by(self, item: Item) -> frozenset[str]:
        """The one rule for what showing an item reads, wherever it is shown (its
        page, a row in a list, a feed entry, a VEVENT): its own file, the member
        files of the people it names and, for an event, its series and the
        series' organizers; for an RFP, its project; and the images it shows. Every output declares the
        union of this over the items it shows, so the build cache is exactly as
        correct as this function."""
        entry = self._shown.get(id(item))
        if entry is None:
            entry = self._shown[id(item)] = (item, frozenset(self._sources_of(item)))
        return entry[1]

    def _sources_of(self, item: Item) -> set[str]:
        # Plain loops, and images looked for only when there are some: made for
        # every item of every build (13,000 at 10,000 posts).
        sources = {item.source}
        in_body = self.body_images(item)
        if in_body or any(getattr(item, name, None) for name in IMAGE_FIELDS):
            sources |= images_shown_by(item, in_body)  # their width and height are in the page
        linked = self.series_of(item) if item.kind == "events" else None
        if item.kind == "rfps" and item.project:
            linked = self.projects.get(item.project.slug)
        for shown in (item, linked) if linked is not None else (item,):
            sources.add(shown.source)
            for name in PEOPLE_FIELDS.get(shown.kind, ()):
                for person in getattr(shown, name):
                    if person.member:
                        sources.add(person.member.source)
        return sources

    def body_images(self, item: Item) -> tuple[tuple[str, str | None, str], ...]:
        """image_refs.body_images of the item's body, found once per build."""
        entry = self._in_body.get(id(item))
        if entry is None:
            entry = self._in_body[id(item)] = (item, tuple(body_images(item.body)))
        return entry[1]

    def sources_shown_by_all(self, items: Iterable[Item]) -> set[str]:
        return set().union(*map(self.sources_shown_by, items))  # one C-level union, not one per item

    def series_of(self, event: Event) -> Series | None:
        return self.series.get(event.series.slug) if event.series else None

    def join_of(self, event: Event) -> dict:
        """How to attend: the event's own join link, else its series' {url, note}."""
        if event.links.get("join"):
            return {"url": event.links["join"]}
        series = self.series_of(event)
        return dict(series.join) if series and series.join else {}

    def kind(self, name: str) -> dict[str, Item]:
        return getattr(self, name)

    def all_items(self) -> Iterable[Item]:
        for name in KINDS:
            yield from self.kind(name).values()


def build_graph(items: list[Item], settings: Settings, diagnostics: Diagnostics, *,
                broken: dict[str, set[str]], include_drafts: bool = False, assets: list = (),
                orphan_refs: Iterable[Ref] = (), today: dt.date | None = None) -> Site:
    """Index items, resolve every reference and derive back-references.

    `broken` holds the slugs of files that failed to load, per kind: a reference
    to one of those is not reported again as unknown. Drafts (unless asked for)
    and posts dated after `today` (the build clock's date in the site's zone) are
    checked like the rest, then left out of the site: every page and feed agrees."""
    site = Site(settings=settings, assets=list(assets))
    _index(items, site, diagnostics)
    resolver = _Resolver(site, diagnostics, broken)
    for kind in PEOPLE_FIELDS:
        table = site.kind(kind)
        for slug, item in table.items():  # values replaced in place: the keys stay
            table[slug] = resolver.resolve_item(item)
    for ref in (*settings.featured_projects, *orphan_refs):
        resolver.find(ref)
    _check_numbers(site, diagnostics)
    _unify_tags(site, diagnostics)
    site.posts = {slug: post for slug, post in site.posts.items()
                  if (include_drafts or not post.draft) and (today is None or post.date <= today)}
    _derive_back_references(site)
    _warn_unused(site, diagnostics)
    return site


def _index(items: list[Item], site: Site, diagnostics: Diagnostics) -> None:
    """Each kind's table in slug order (the later steps count on it). Sorted
    per kind by the slug alone, one string compared rather than a tuple of three
    (a sixth of the graph at 10,000 posts); only a kind where two files share a
    slug is sorted by (slug, source), so that the first file keeps the slug."""
    by_kind: dict[str, list[Item]] = {kind: [] for kind in KINDS}
    for item in items:
        by_kind[item.kind].append(item)
    for kind in sorted(by_kind):  # errors in the order of (kind, slug, source)
        found, table = by_kind[kind], site.kind(kind)
        found.sort(key=_SLUG)
        table.update(zip(map(_SLUG, found), found))
        if len(table) == len(found):
            continue
        table.clear()
        for item in sorted(found, key=attrgetter("slug", "source")):
            first = table.setdefault(item.slug, item)
            if first is not item:
                diagnostics.error(Location(item.source), f'Two {item.kind} have the slug "{item.slug}": '
                                  f"{first.source} and {item.source}.",
                                  "Rename one of the files (the slug is the file name).")


_SLUG = attrgetter("slug")


class _Resolver:
    def __init__(self, site: Site, diagnostics: Diagnostics, broken: dict[str, set[str]]) -> None:
        self.site, self.diagnostics, self.broken = site, diagnostics, broken

    def find(self, ref: Ref) -> Item | None:
        table = self.site.kind(ref.kind)
        if ref.slug in table:
            return table[ref.slug]
        if ref.slug not in self.broken.get(ref.kind, ()):
            singular = {"series": "series", "members": "member", "projects": "project"}.get(ref.kind, ref.kind)
            hint = did_you_mean(ref.slug, table) or f"Add content/{ref.kind}/{ref.slug}.yaml, or fix the spelling."
            self.diagnostics.error(ref.where, f'There is no {singular} with the slug "{ref.slug}".', hint)
        return None

    def person(self, ref: PersonRef) -> PersonRef:
        if ref.slug is None:
            return ref
        # Found directly: a Ref (a dataclass) is made only to report a missing
        # member; 23,000 were made just to look members up at 10,000 posts.
        member = self.site.members.get(ref.slug) or self.find(Ref("members", ref.slug, ref.where))
        return ref if ref.member is member else _replaced(ref, member=member)

    def resolve_item(self, item: Item) -> Item:
        """The item with its people's members, and its series or project checked.
        A reference that already names this build's member (the pack stores them
        so, with_members) is kept: most items come back unchanged, not rebuilt."""
        for name in _REFERENCE_FIELDS.get(item.kind, ()):
            ref = getattr(item, name)
            if isinstance(ref, Ref):
                self.find(ref)
        members = self.site.members
        # Most references already name this build's member: looked at in place;
        # only a list with any other is resolved, person by person.
        stale = [name for name in PEOPLE_FIELDS[item.kind] if not all(
            [p.slug is None or (p.member is not None and p.member is members.get(p.slug))
             for p in getattr(item, name)])]
        return _with_people(item, stale, self.person) if stale else item


_REFERENCE_FIELDS = {"events": ("series",), "rfps": ("project",)}  # a Ref (or None) to check


def with_members(item: Item, members: dict[str, Member]) -> Item:
    """The item with each person who is in `members` pointing at that member, as
    resolving would make it, without checking or reporting anything: what the
    pack of parsed sources stores (parsed_sources.py), so that the next build,
    whose members are those very objects, finds the references resolved. Only a
    hint: the resolver keeps a reference only when it names this build's member."""
    return _with_people(item, PEOPLE_FIELDS.get(item.kind, ()),
                        lambda p: _replaced(p, member=members[p.slug]) if p.slug in members else p)


def _with_people(item: Item, fields: Iterable[str], person: Callable[[PersonRef], PersonRef]) -> Item:
    """The item with `person(p)` for each person p of its people `fields`: the
    same object when every one came back as it was."""
    changes = {}
    for name in fields:
        people = getattr(item, name)
        resolved = tuple([person(p) for p in people])
        if any(map(is_not, resolved, people)):
            changes[name] = resolved
    return _replaced(item, **changes) if changes else item


def _replaced(model, **changes):
    """dataclasses.replace for our models (frozen, every field in __init__, no
    __post_init__): the same object, made without running __init__ again, which
    was most of resolving 35,000 references on a 10,000-post site."""
    cls = type(model)
    if _has_post_init(cls):
        return dataclasses.replace(model, **changes)
    made = object.__new__(cls)
    made.__dict__.update(model.__dict__)
    made.__dict__.update(changes)
    return made


@functools.cache
def _has_post_init(cls: type) -> bool:
    return hasattr(cls, "__post_init__")


def _check_numbers(site: Site, diagnostics: Diagnostics) -> None:
    seen: dict[tuple[str, int], Event] = {}
    for event in site.events.values():
        series = site.series_of(event)
        where = event.where("number") if event.number is not None else event.where("series")
        if series and series.numbered and event.number is None:
            diagnostics.error(where, f'"{series.title}" is numbered, but this session has no number.',
                              "Add a line like: number: 34")
        elif event.number is not None and not (series and series.numbered):
            diagnostics.error(where, "This event has a number, but its series is not numbered.",
                              "Remove `number`, or set `numbered: true` in the series file.")
        if series and event.number is not None:
            other = seen.setdefault((series.slug, event.number), event)
            if other is not event:
                diagnostics.error(where, f"Session number {event.number} of \"{series.title}\" is also used by "
                                  f"{other.source}.", "Give each session its own number.")


def _unify_tags(site: Site, diagnostics: Diagnostics) -> None:
    """One tag, one address (issue 10, case 6): tags are compared by slug. Two
    spellings of the same words ("Community", "community") are one tag, shown as
    the first spelling by date, with a warning at the others; two different tags
    that share a slug ("C++", "C#" → /tags/c/) are an error naming both files."""
    # A few hundred tags, written 40,000 times: gathered in one pass, in C.
    slugs = {tag: tag_slug(tag) for tag in set().union(*map(_TAGS, _tagging_items(site)))}
    spellings: dict[str, list[str]] = defaultdict(list)
    for tag, slug in slugs.items():
        spellings[slug].append(tag)
    shared = {tag for tags in spellings.values() if len(tags) > 1 for tag in tags}
    if not shared:
        return
    tagged = [item for item in _tagging_items(site) if item.tags]
    # Only the items that write a tag sharing its slug with another need a look,
    # in the order they were written (not all 12,000 sorted to find none).
    first: dict[str, tuple[str, Item]] = {}
    for item in sorted((i for i in tagged if not shared.isdisjoint(i.tags)), key=_written_order):
        tags = []
        for index, tag in enumerate(item.tags):
            slug = slugs[tag]
            spelling, owner = first.setdefault(slug, (tag, item))
            if spelling != tag:
                where = item.where("tags", index)
                if _words(spelling) == _words(tag):
                    diagnostics.warning(where, f'The tag "{tag}" is written "{spelling}" in {owner.source}; '
                                        f'it is shown as "{spelling}" everywhere.', f'Write "{spelling}" here too.')
                else:
                    diagnostics.error(where, f'The tags "{tag}" here and "{spelling}" in {owner.source} would '
                                      f"share one address, /tags/{slug}/.",
                                      f'Write "{spelling}" if they are the same topic, else choose another tag.')
            tags.append(spelling)
        if tuple(tags) != item.tags:
            site.kind(item.kind)[item.slug] = dataclasses.replace(item, tags=tuple(dict.fromkeys(tags)))


_TAGS = attrgetter("tags")


def _tagging_items(site: Site) -> Iterable[Item]:
    """The items of the kinds that have tags (some of them have none)."""
    return chain(site.posts.values(), site.projects.values(), site.events.values())


def _words(tag: str) -> str:
    return re.sub(r"[\s_-]+", "-", tag.casefold().strip())


def _written_order(item: Item) -> tuple:
    """Items by the day they were written, then by file: who spelled a tag first."""
    if isinstance(item, Post):
        day = item.date
    elif isinstance(item, Event):
        day = dt.date(item.start.year, item.start.month, item.start.day)
    else:
        day = dt.date(item.year, 1, 1) if getattr(item, "year", None) else dt.date.max
    return day, item.source


# Stable orders with explicit tie-breakers: (key, newest first by reversing?).
_ORDER = {
    "projects": (lambda p: (-(p.year or 0), p.title, p.slug), False),
    # Newest first, a day's posts by slug: the table is in slug order (_index)
    # and a sort is stable, so the date alone orders 10,000 posts. The one
    # definition: pages and feeds take their posts from the lists made here.
    "posts": (attrgetter("date"), True),
    "rfps": (lambda r: (-(r.date.toordinal() if r.date else 0), r.slug), False),
    "events": (lambda e: (e.start.isoformat(), e.slug), True),  # by local start
    "series": (lambda s: (s.title, s.slug), False),
}
_MEMBER_LISTS = {"projects": "projects_by_member", "posts": "posts_by_member", "rfps": "rfps_by_member",
                 "events": "talks_by_member", "series": "series_by_member"}


def _derive_back_references(site: Site) -> None:
    # Each kind is sorted once and grouped in that order: every order is total
    # (the slug breaks ties), so a group is already sorted (a 10,000-post site
    # sorted its posts again per member and per tag).
    ordered = {kind: sorted(site.kind(kind).values(), key=key, reverse=reverse)
               for kind, (key, reverse) in _ORDER.items()}
    for kind, (people_field,) in PEOPLE_FIELDS.items():
        groups: dict[str, list[Item]] = defaultdict(list)
        for item in ordered[kind]:
            for person in getattr(item, people_field):
                member = person.member
                if member:  # listed once even if named twice (an item's people are looked at together)
                    group = groups[member.slug]
                    if not group or group[-1] is not item:
                        group.append(item)
        setattr(site, _MEMBER_LISTS[kind], dict(groups))
    sessions: dict[str, list[Event]] = defaultdict(list)
    for event in site.events.values():
        if event.series and event.series.slug in site.series:
            sessions[event.series.slug].append(event)
    # Sessions of one series share a zone: their local starts order them.
    site.sessions_by_series = {s: sorted(v, key=_ORDER["events"][0]) for s, v in sorted(sessions.items())}
    site.newest_posts = ordered["posts"]
    site.posts_by_tag = _group_by_tag(ordered["posts"])
    site.projects_by_tag = _group_by_tag(ordered["projects"])


def _group_by_tag(ordered: Iterable) -> dict[str, list]:
    """Items by tag, tags in order, each group in the order `ordered` came in."""
    groups: dict[str, list] = defaultdict(list)
    for item in ordered:
        for tag in item.tags:
            groups[tag].append(item)
    return dict(sorted(groups.items()))


def _warn_unused(site: Site, diagnostics: Diagnostics) -> None:
    referenced = (set(site.projects_by_member) | set(site.posts_by_member) | set(site.talks_by_member)
                  | set(site.series_by_member) | set(site.rfps_by_member))
    for slug, member in site.members.items():
        if slug not in referenced and member.status == "active" and not member.role:
            diagnostics.warning(member.where("name"), f"{member.name} is not an author, speaker or organizer "
                                "of anything, and has no role.", "Add them where they belong, or give them a role.")
    # Posts and projects are grouped by tag already (_derive_back_references):
    # only events are looked at again, not 10,000 posts.
    uses: dict[str, list[Item]] = defaultdict(list)
    for tag in site.posts_by_tag.keys() | site.projects_by_tag.keys():
        uses[tag] = [*site.posts_by_tag.get(tag, ()), *site.projects_by_tag.get(tag, ())]
    for event in site.events.values():
        for tag in event.tags:
            uses[tag].append(event)
    # A tag used once is often a misspelling of a common one ("open-colab"):
    # warn only then, so the warning stays worth reading.
    common = [tag for tag, items in uses.items() if len(items) > 1]
    for tag, items in sorted(uses.items()):
        suggestion = did_you_mean(tag, [c for c in common if c != tag], cutoff=0.85) if len(items) == 1 else ""
        if suggestion:
            item = items[0]
            position = item.where("tags", item.tags.index(tag))
            diagnostics.warning(position if position.line else item.where("tags"),
                                f'The tag "{tag}" is used only here.', suggestion)
