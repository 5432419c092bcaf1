"""The HTML pages: one Output per URL of the SPEC's table, with its inputs.

Templates receive items from the graph and the build's clock; every page-level
decision that depends on time (upcoming or past) uses event_times, so pages,
feeds and calendars agree.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Iterable

from ..content.models import Event, Item
from ..diagnostics import Location
from ..graph import PEOPLE_FIELDS, Site
from ..urls import SECTION_URLS, item_url, tag_url
from .outputs import CLOCK, SETTINGS, THEME, Output, RenderContext

POSTS_PER_PAGE = 10


def render_template(template: str, ctx: RenderContext, **context) -> bytes:
    return ctx.env.get_template(template).render(**context).encode("utf-8")


def page(url: str, template: str, inputs: Iterable[str], origin: Location | None = None, **context) -> Output:
    return Output(url=url, render=partial(_render_page, template, url, context),
                  inputs=frozenset(inputs) | {THEME, SETTINGS}, origin=origin, kind="page",
                  in_sitemap=True)


def _render_page(template: str, url: str, context: dict, ctx: RenderContext) -> bytes:
    return render_template(template, ctx, page_url=url, **context)


def depends_on(items: Iterable[Item]) -> set[str]:
    """The sources an item's rendering reads: itself, the people it names and its series."""
    sources: set[str] = set()
    for item in items:
        sources.add(item.source)
        for name in PEOPLE_FIELDS.get(item.kind, ()):
            sources.update(p.member.source for p in getattr(item, name) if p.member)
    return sources


def _origin(item: Item) -> Location:
    return Location(item.source)


def plan_pages(site: Site) -> list[Output]:
    # Every page shows the navigation, which lists the pages that set `menu`.
    menu_sources = {p.source for p in site.pages.values() if p.menu is not None}
    outputs = [
        *_plan_home(site), *_plan_members(site), *_plan_projects(site), *_plan_events(site),
        *_plan_series(site), *_plan_posts(site), *_plan_rfps(site), *_plan_free_pages(site),
        Output("/404.html", partial(_render_page, "404.html", "/404.html", {}),
               frozenset({THEME, SETTINGS}), kind="page"),
    ]
    return [dataclasses.replace(o, inputs=o.inputs | menu_sources) for o in outputs]


def _plan_home(site: Site) -> list[Output]:
    everything = depends_on(site.all_items())
    return [page("/", "home.html", everything | {CLOCK})]


def _plan_members(site: Site) -> list[Output]:
    outputs = [page(SECTION_URLS["members"], "members.html", depends_on(site.members.values()))]
    for slug, member in site.members.items():
        related = [*site.projects_by_member.get(slug, ()), *site.posts_by_member.get(slug, ()),
                   *site.talks_by_member.get(slug, ()), *site.series_by_member.get(slug, ()),
                   *site.rfps_by_member.get(slug, ())]
        outputs.append(page(item_url(member), "member.html", depends_on([member, *related]) | {CLOCK},
                            _origin(member), member=member))
    return outputs


def _plan_projects(site: Site) -> list[Output]:
    outputs = [page(SECTION_URLS["projects"], "projects.html", depends_on(site.projects.values()))]
    for project in site.projects.values():
        rfps = [r for r in site.rfps.values() if r.project and r.project.slug == project.slug]
        outputs.append(page(item_url(project), "project.html", depends_on([project, *rfps]), _origin(project),
                            project=project, rfps=rfps))
    return outputs


def _series_sources(site: Site, event: Event) -> set[str]:
    if not event.series or event.series.slug not in site.series:
        return set()
    series = site.series[event.series.slug]
    return depends_on([series, *site.sessions_by_series.get(series.slug, ())])


def _plan_events(site: Site) -> list[Output]:
    outputs = [page(SECTION_URLS["events"], "events.html",
                    depends_on([*site.events.values(), *site.series.values()]) | {CLOCK})]
    for event in site.events.values():
        outputs.append(page(item_url(event), "event.html", depends_on([event]) | _series_sources(site, event)
                            | {CLOCK}, _origin(event), event=event))
    return outputs


def _plan_series(site: Site) -> list[Output]:
    outputs = [page(SECTION_URLS["series"], "series_index.html",
                    depends_on([*site.series.values(), *site.events.values()]) | {CLOCK})]
    for slug, series in site.series.items():
        sessions = site.sessions_by_series.get(slug, [])
        outputs.append(page(item_url(series), "series.html", depends_on([series, *sessions]) | {CLOCK},
                            _origin(series), series=series, sessions=sessions))
    return outputs


def _plan_posts(site: Site) -> list[Output]:
    posts = sorted(site.posts.values(), key=lambda p: (p.date, p.slug), reverse=True)
    chunks = [posts[i:i + POSTS_PER_PAGE] for i in range(0, len(posts), POSTS_PER_PAGE)] or [[]]
    all_posts = depends_on(posts)
    outputs = []
    for number, chunk in enumerate(chunks, start=1):
        url = SECTION_URLS["posts"] if number == 1 else f"{SECTION_URLS['posts']}page/{number}/"
        outputs.append(page(url, "posts.html", all_posts, posts=chunk, page_number=number,
                            page_count=len(chunks)))
    for post in posts:
        outputs.append(page(item_url(post), "post.html", depends_on([post]), _origin(post), post=post))
    for tag, tagged in site.posts_by_tag.items():
        projects = site.projects_by_tag.get(tag, [])
        outputs.append(page(tag_url(tag), "tag.html", depends_on([*tagged, *projects]), tag=tag,
                            posts=tagged, projects=projects))
    for tag, projects in site.projects_by_tag.items():
        if tag not in site.posts_by_tag:
            outputs.append(page(tag_url(tag), "tag.html", depends_on(projects), tag=tag, posts=[],
                                projects=projects))
    return outputs


def _plan_rfps(site: Site) -> list[Output]:
    outputs = [page(SECTION_URLS["rfps"], "rfps.html", depends_on(site.rfps.values()))]
    for rfp in site.rfps.values():
        project = site.projects.get(rfp.project.slug) if rfp.project else None
        outputs.append(page(item_url(rfp), "rfp.html", depends_on([rfp] + ([project] if project else [])),
                            _origin(rfp), rfp=rfp, project=project))
    return outputs


def _plan_free_pages(site: Site) -> list[Output]:
    return [page(item_url(p), "page.html", {p.source}, _origin(p), page=p) for p in site.pages.values()]
