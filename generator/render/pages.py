"""The HTML pages: one Output per URL of the SPEC's table, with its inputs.

Templates receive items from the graph and the build's clock; every page-level
decision that depends on time (upcoming or past) is made here or in the
environment through event_times, so pages, feeds and calendars agree. Choices
that need the clock are made at render time by a page's `build` function; such
a page lists CLOCK among its inputs. (Posts scheduled for later are already
left out of the graph.)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from typing import Callable, Iterable

from .. import event_times
from ..content.models import RFP, Event, Item, Project
from ..diagnostics import Location
from ..graph import Site
from ..urls import SECTION_URLS, item_url, tag_url
from . import timefmt
from .environment import occurrences_of
from .outputs import CLOCK, SETTINGS, THEME, Output, RenderContext, identity_of

POSTS_PER_PAGE = 10
HOME_EVENTS = 3
HOME_POSTS = 3
RFP_ORDER = {"open": 0, "taken": 1, "done": 2}
SEARCH_URL = "/search/"

Builder = Callable[[RenderContext], dict]


def render_template(template: str, ctx: RenderContext, **context) -> bytes:
    return ctx.env.get_template(template).render(**context).encode("utf-8")


@dataclass(frozen=True)
class Chrome:
    """What every page reads around its content (the theme, the settings and,
    as the navigation lists the pages that set `menu`, those pages' sources),
    with and without the clock; and the site its pages show items of."""

    site: Site
    reads: frozenset[str]
    reads_clock: frozenset[str]


def page(url: str, template: str, shows: Iterable[Item], origin: Location | None = None,
         build: Builder | None = None, *, chrome: Chrome, clock: bool = False, **context) -> Output:
    """A page showing `shows` (the items whose sources it reads, Site.sources_shown_by);
    `clock`: it also reads the clock. `build(ctx)` adds what is chosen at render
    time (the clock), or is cheaper made then than described in the key (the
    posts pages' URLs)."""
    identity = f"{template} {identity_of(build)} {identity_of(context)}"
    return Output(url, partial(_render_page, template, url, context, build),
                  chrome.reads_clock if clock else chrome.reads, origin, "page", True, identity,
                  tuple(shows), chrome.site)


def page_chrome(site: Site) -> Chrome:
    reads = frozenset({THEME, SETTINGS, *(p.source for p in site.pages.values() if p.menu is not None)})
    return Chrome(site, reads, reads | {CLOCK})


def _render_page(template: str, url: str, context: dict, build: Builder | None, ctx: RenderContext) -> bytes:
    extra = build(ctx) if build else {}
    return render_template(template, ctx, page_url=url, **context, **extra)


def _origin(item: Item) -> Location:
    return Location(item.source)


def plan_pages(site: Site) -> list[Output]:
    """Every page of the site."""
    chrome = page_chrome(site)
    return [
        *_plan_home(site, chrome), *_plan_members(site, chrome), *_plan_projects(site, chrome),
        *_plan_events(site, chrome), *_plan_series(site, chrome), *_plan_posts(site, chrome),
        *_plan_rfps(site, chrome), *_plan_free_pages(site, chrome),
        page(SEARCH_URL, "search.html", (), chrome=chrome),  # reads the index the build makes (search/index.py)
        Output("/404.html", partial(_render_page, "404.html", "/404.html", {}, None),
               chrome.reads, kind="page", identity="404.html"),
    ]


# Home ---------------------------------------------------------------------

def _plan_home(site: Site, chrome: Chrome) -> list[Output]:
    """The home page depends on what it shows, not on every item: editing an old
    post leaves it alone. Its posts, projects and RFPs are chosen here (their keys
    are in its identity); the events coming up are chosen with the clock when it
    renders, so it reads every event."""
    posts = site.newest_posts[:HOME_POSTS]
    featured = [site.projects[ref.slug] for ref in site.settings.featured_projects if ref.slug in site.projects]
    open_rfps = [r for r in rfps_in_order(site.rfps.values()) if r.status == "open"]
    shown = [*site.events.values(), *posts, *featured, *open_rfps]
    return [page("/", "home.html", shown, build=_home_context, chrome=chrome, clock=True,
                 posts=posts, featured=featured, open_rfps=open_rfps)]


def _home_context(ctx: RenderContext) -> dict:
    return {"upcoming": next_occurrences(ctx, ctx.site.events.values(), HOME_EVENTS)}


def next_occurrences(ctx: RenderContext, events: Iterable[Event], limit: int | None = None) -> list:
    """The next occurrence of each event that has one, soonest first."""
    found = [o for o in map(partial(_next, ctx), events) if o is not None]
    found.sort(key=lambda o: (o.start_utc(), o.event.slug))
    return found[:limit] if limit else found


def _next(ctx: RenderContext, event: Event):
    return event_times.next_occurrence(occurrences_of(ctx, event), ctx.now)


# Members ------------------------------------------------------------------

def _plan_members(site: Site, chrome: Chrome) -> list[Output]:
    members = sorted(site.members.values(), key=lambda m: m.slug)
    outputs = [page(SECTION_URLS["members"], "members.html", members, chrome=chrome,
                    active=[m for m in members if m.status != "alumni"],
                    alumni=[m for m in members if m.status == "alumni"])]
    for slug, member in site.members.items():
        related = [*site.projects_by_member.get(slug, ()), *site.posts_by_member.get(slug, ()),
                   *site.talks_by_member.get(slug, ()), *site.series_by_member.get(slug, ()),
                   *site.rfps_by_member.get(slug, ())]
        outputs.append(page(item_url(member), "member.html", [member, *related],
                            _origin(member), chrome=chrome, clock=True, member=member,
                            projects=site.projects_by_member.get(slug, []),
                            posts=site.posts_by_member.get(slug, []),
                            build=partial(_member_context, site.talks_by_member.get(slug, [])),
                            organized=site.series_by_member.get(slug, []),
                            rfps=site.rfps_by_member.get(slug, [])))
    return outputs


def _member_context(talks: list[Event], ctx: RenderContext) -> dict:
    return {"talks": talks_in_order(ctx, talks)}


def talks_in_order(ctx: RenderContext, events: Iterable[Event]) -> list[Event]:
    """Upcoming first, soonest first (issue 12: 4 Dec before 5 Dec); then past, newest first."""
    upcoming, past = [], []
    for event in events:
        found = occurrences_of(ctx, event)
        coming = event_times.next_occurrence(found, ctx.now)
        if coming is not None:
            upcoming.append((coming.start_utc(), event.slug, event))
        else:
            past.append((found[-1].start_utc() if found else None, event.slug, event))
    upcoming.sort(key=lambda entry: entry[:2])
    past.sort(key=lambda entry: (entry[0] is not None, entry[0] or 0, entry[1]), reverse=True)
    return [event for *_, event in upcoming + past]


# Projects -----------------------------------------------------------------

def _plan_projects(site: Site, chrome: Chrome) -> list[Output]:
    projects = list(site.projects.values())
    outputs = [page(SECTION_URLS["projects"], "projects.html", projects, chrome=chrome,
                    years=projects_by_year(projects), tags=tag_counts(projects))]
    for project in projects:
        rfps = [r for r in site.rfps.values() if r.project and r.project.slug == project.slug]
        outputs.append(page(item_url(project), "project.html", [project, *rfps], _origin(project),
                            chrome=chrome, project=project, rfps=sorted(rfps, key=lambda r: r.slug)))
    return outputs


def projects_by_year(projects: Iterable[Project]) -> list[tuple[str, list[Project]]]:
    """Newest year first; projects without a year come last, under "Undated"."""
    groups: dict[int, list[Project]] = defaultdict(list)
    for project in projects:
        groups[project.year or 0].append(project)
    return [(str(year) if year else "Undated", sorted(groups[year], key=lambda p: (p.title.casefold(), p.slug)))
            for year in sorted(groups, key=lambda y: (y == 0, -y))]


def tag_counts(items: Iterable[Item]) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        for tag in item.tags:
            counts[tag] += 1
    return sorted(counts.items(), key=lambda pair: (pair[0].casefold(), pair[0]))


# Events and series -------------------------------------------------------

def _series_shown(site: Site, event: Event) -> list[Item]:
    """An event page shows its series and the series' sessions (previous, next)."""
    if not event.series or event.series.slug not in site.series:
        return []
    series = site.series[event.series.slug]
    return [series, *site.sessions_by_series.get(series.slug, ())]


def _plan_events(site: Site, chrome: Chrome) -> list[Output]:
    outputs = [page(SECTION_URLS["events"], "events.html", [*site.events.values(), *site.series.values()],
                    build=_events_context, chrome=chrome, clock=True)]
    for event in site.events.values():
        series = site.series_of(event)
        sessions = site.sessions_by_series.get(series.slug, []) if series else []
        position = sessions.index(event) if event in sessions else -1
        outputs.append(page(item_url(event), "event.html", [event, *_series_shown(site, event)],
                            _origin(event), chrome=chrome, clock=True, event=event, series=series,
                            previous=sessions[position - 1] if position > 0 else None,
                            next=sessions[position + 1] if 0 <= position < len(sessions) - 1 else None))
    return outputs


def _events_context(ctx: RenderContext) -> dict:
    """Upcoming first (a recurring event by its next date), then past by year."""
    upcoming, past = [], []
    for event in ctx.site.events.values():
        found = occurrences_of(ctx, event)
        coming = event_times.next_occurrence(found, ctx.now)
        if coming is not None:
            upcoming.append(coming)
        elif found:
            past.append(found[-1])
    upcoming.sort(key=lambda o: (o.start_utc(), o.event.slug))
    return {"upcoming": upcoming, "past_years": by_year(past)}


def by_year(occurrences: Iterable) -> list[tuple[int, list]]:
    """Newest first, grouped by the year of their local start."""
    ordered = sorted(occurrences, key=lambda o: (o.start_utc(), o.event.slug), reverse=True)
    groups: dict[int, list] = {}
    for occurrence in ordered:
        groups.setdefault(occurrence.start.year, []).append(occurrence)
    return list(groups.items())


def _plan_series(site: Site, chrome: Chrome) -> list[Output]:
    everything = [*site.series.values(), *site.events.values()]
    outputs = [page(SECTION_URLS["series"], "series_index.html", everything, build=_series_index_context,
                    chrome=chrome, clock=True)]
    for slug, series in site.series.items():
        sessions = site.sessions_by_series.get(slug, [])
        outputs.append(page(item_url(series), "series.html", [series, *sessions], _origin(series),
                            build=partial(_series_context, sessions), chrome=chrome, clock=True, series=series))
    return outputs


def _series_index_context(ctx: RenderContext) -> dict:
    site = ctx.site
    listed = sorted(site.series.values(), key=lambda s: (s.title.casefold(), s.slug))
    return {"entries": [(s, _series_next(ctx, site.sessions_by_series.get(s.slug, []))) for s in listed]}


def _series_next(ctx: RenderContext, sessions: list[Event]):
    """The next session anyone can attend: cancelled ones are skipped."""
    return next(iter(next_occurrences(ctx, [e for e in sessions if e.status != "cancelled"], 1)), None)


def _series_context(sessions: list[Event], ctx: RenderContext) -> dict:
    everything = sorted((o for e in sessions for o in occurrences_of(ctx, e)),
                        key=lambda o: (o.start_utc(), o.event.slug))
    upcoming = [o for o in everything if not event_times.is_past(o, ctx.now)]
    past = [o for o in everything if event_times.is_past(o, ctx.now)]
    rules = [timefmt.cadence_text(e.recurrence) for e in sessions if e.recurrence]
    cadence = [text for text in rules if text] or [timefmt.usual_slot_text([o.start for o in everything])]
    return {"next": _series_next(ctx, sessions), "upcoming": upcoming, "past_years": by_year(past),
            "cadence": [text for text in cadence if text]}


# Posts and tags -----------------------------------------------------------

def _plan_posts(site: Site, chrome: Chrome) -> list[Output]:
    posts = site.newest_posts  # ordered once by the graph (graph._ORDER)
    page_count = max(1, -(-len(posts) // POSTS_PER_PAGE))
    page_urls = [posts_page_url(n) for n in range(1, page_count + 1)]
    outputs = []
    for number, url in enumerate(page_urls, start=1):
        # A list page shows its own posts; which posts those are (and how many
        # pages there are) is in its arguments, which fingerprints include.
        shown = posts[(number - 1) * POSTS_PER_PAGE:number * POSTS_PER_PAGE]
        outputs.append(page(url, "posts.html", shown, chrome=chrome, posts=shown, page_number=number,
                            page_count=page_count, build=partial(_posts_page_urls, page_count)))
    for post in posts:
        outputs.append(page(item_url(post), "post.html", (post,), _origin(post), chrome=chrome, post=post))
    tags = sorted(set(site.posts_by_tag) | set(site.projects_by_tag))
    for tag in tags:
        tagged = site.posts_by_tag.get(tag, [])
        projects = site.projects_by_tag.get(tag, [])
        outputs.append(page(tag_url(tag), "tag.html", [*tagged, *projects], chrome=chrome, tag=tag,
                            posts=tagged, projects=projects, has_feed=bool(tagged)))
    return outputs


def _posts_page_urls(page_count: int, ctx: RenderContext) -> dict:
    """Every page's URL, made when a page renders: as a planned argument, the
    N-long list was described N times for the N pages' cache keys (N² work);
    page_count, in the key already, decides it."""
    return {"page_urls": [posts_page_url(n) for n in range(1, page_count + 1)]}


def posts_page_url(number: int) -> str:
    return SECTION_URLS["posts"] if number == 1 else f"{SECTION_URLS['posts']}page/{number}/"


# RFPs and free pages ------------------------------------------------------

def rfps_in_order(rfps: Iterable[RFP]) -> list[RFP]:
    """Open first, then taken, then done; newest first within each."""
    return sorted(rfps, key=lambda r: (RFP_ORDER.get(r.status, 9), -(r.date.toordinal() if r.date else 0), r.slug))


def _plan_rfps(site: Site, chrome: Chrome) -> list[Output]:
    outputs = [page(SECTION_URLS["rfps"], "rfps.html", site.rfps.values(), chrome=chrome,
                    rfps=rfps_in_order(site.rfps.values()))]
    for rfp in site.rfps.values():
        project = site.projects.get(rfp.project.slug) if rfp.project else None
        outputs.append(page(item_url(rfp), "rfp.html", [rfp] + ([project] if project else []),
                            _origin(rfp), chrome=chrome, rfp=rfp, project=project))
    return outputs


def _plan_free_pages(site: Site, chrome: Chrome) -> list[Output]:
    return [page(item_url(p), "page.html", (p,), _origin(p), chrome=chrome, page=p) for p in site.pages.values()]
