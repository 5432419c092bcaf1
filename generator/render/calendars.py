"""iCalendar files: /calendar.ics (every event), /series/SLUG/calendar.ics (one
series) and /events/SLUG/event.ics (one event, for "add to calendar").

Subscribers keep what a calendar gives them (SPEC), so:
- a VEVENT's UID is `ids.calendar_uid` and is the same in all three files;
- times carry the event's TZID, with a VTIMEZONE made from the tz database for
  the years the calendar's events span; a recurring event is one VEVENT with an
  RRULE (UNTIL in UTC), EXDATE and RDATE, all from `event_times.recurrence_plan`,
  so calendar apps expand exactly what the pages show;
- nothing comes from the wall clock. CREATED is when the event was announced,
  DTSTAMP and LAST-MODIFIED when its file last changed (render/item_dates.py:
  git history, else SOURCE_DATE_EPOCH, else the first start), so an edited
  title reaches apps that compare them. SEQUENCE is the seconds between the
  file's first and last commit plus the status rank (tentative 0 → confirmed 1
  → cancelled 2): it rises with every commit that reschedules or cancels, so an
  app that imported an event accepts the change;
- an open-ended rule's VTIMEZONE reaches the build clock's horizon, whole years,
  so those files (and only those) also list the clock as an input.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial
from typing import TYPE_CHECKING, Iterable

from ..content.models import Event
from ..event_times import (UTC, RecurrencePlan, first_occurrence, local_span, localize, occurrences, recurrence_plan,
                           zone, zone_name)
from ..graph import Site
from ..ids import EPOCH, calendar_uid
from ..urls import absolute, item_url, url_of
from .calendar_links import event_details, location_line
from .item_dates import event_announced, event_changed, event_revision
from .markdown_memo import MarkdownMemo
from .outputs import CLOCK, SETTINGS, Output, RenderContext, identity_of

if TYPE_CHECKING:  # for annotations: icalendar is imported where a calendar renders
    import icalendar

PRODID = "-//ML Collective//mlcsite calendars//EN"
REFRESH = dt.timedelta(hours=12)  # how often subscribed apps should fetch again
STATUS = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}
SEQUENCE = {"tentative": 0, "confirmed": 1, "cancelled": 2}


def plan_calendars(site: Site) -> list[Output]:
    # Each event is in up to three calendars: whether its rule is open-ended is found once.
    open_ended = {slug for slug, event in site.events.items() if _open_ended(event, site)}
    outputs = [_calendar("/calendar.ics", site.events.values(), open_ended, site, _render_site_calendar, ())]
    for slug in site.series:
        sessions = site.sessions_by_series.get(slug, [])
        outputs.append(_calendar(url_of("series", slug) + "calendar.ics", sessions, open_ended, site,
                                 partial(_render_series_calendar, slug), (site.series[slug],)))
    for slug, event in site.events.items():
        outputs.append(_calendar(url_of("events", slug) + "event.ics", [event], open_ended, site,
                                 partial(_render_event_calendar, slug), ()))
    return outputs


_READS = frozenset({SETTINGS})
_READS_CLOCK = frozenset({SETTINGS, CLOCK})


def _calendar(url: str, events: Iterable[Event], open_ended: set[str], site: Site, render,
              about: tuple) -> Output:
    """A VEVENT shows the event, its series (organizers, name, zone, join link)
    and its people: Site.sources_shown_by; `about` is what the calendar itself
    describes (a series). A calendar with an open-ended rule reads the clock
    (see the module's doc)."""
    events = list(events)
    reads = _READS_CLOCK if any(event.slug in open_ended for event in events) else _READS
    return Output(url=url, render=render, reads=reads, origin=None, kind="calendar",
                  identity=f"{identity_of(render)} {sorted(e.key for e in events)}",
                  shows=(*about, *events), site=site)


def _open_ended(event: Event, site: Site) -> bool:
    plan = recurrence_plan(event, zone_name(event, site))
    return plan is not None and plan.open_ended


def _render_site_calendar(ctx: RenderContext) -> bytes:
    settings = ctx.site.settings
    return calendar_bytes(ctx, f"{settings.title} — Events", settings.description, ctx.site.events.values())


def _render_series_calendar(slug: str, ctx: RenderContext) -> bytes:
    series = ctx.site.series[slug]
    about = ctx.markdown.plain_text(series.body, ctx.site.settings.base_url).split("\n\n")[0]
    return calendar_bytes(ctx, f"{ctx.site.settings.title} — {series.title}", about,
                          ctx.site.sessions_by_series.get(slug, []))


def _render_event_calendar(slug: str, ctx: RenderContext) -> bytes:
    event = ctx.site.events[slug]
    return calendar_bytes(ctx, f"{ctx.site.settings.title} — {event.title}", "", [event])


def calendar_bytes(ctx: RenderContext, name: str, description: str, events: Iterable[Event]) -> bytes:
    """One VCALENDAR: its properties, the VTIMEZONEs it needs, then the events by first start."""
    import icalendar  # here, not at the top: most builds render no calendar, and it takes 0.1 s to import
    site = ctx.site
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("NAME", _text(name))
    calendar.add("X-WR-CALNAME", icalendar.vText(name))
    if description:
        calendar.add("DESCRIPTION", _text(description))
        calendar.add("X-WR-CALDESC", icalendar.vText(description))
    calendar.add("X-WR-TIMEZONE", site.settings.timezone)
    calendar.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", icalendar.vDuration(REFRESH))
    ordered = sorted(events, key=lambda e: (_first_start_utc(e, site), e.slug))
    zones = _zone_years(ordered, ctx)
    if not ordered:  # RFC 5545 §3.6: a calendar holds at least one component
        zones = {site.settings.timezone: (int(EPOCH), int(EPOCH))}
    components = [_vtimezone(ctx, tzid, first, last) for tzid, (first, last) in sorted(zones.items())]
    return with_components(calendar, [*components, *(_vevent(ctx, event) for event in ordered)])


def with_components(calendar: icalendar.Calendar, components: list[bytes]) -> bytes:
    """What calendar.to_ical() gives once the components are added to it: icalendar
    writes a component's lines after its parent's properties, each line on its
    own. So a VEVENT is serialized once per build, not once per calendar showing it."""
    end = b"END:VCALENDAR\r\n"
    head = calendar.to_ical()
    if not head.endswith(end):
        raise ValueError("icalendar no longer ends a calendar as expected")
    return head[:-len(end)] + b"".join(components) + end


def _first_start_utc(event: Event, site: Site) -> dt.datetime:
    return first_occurrence(event, zone_name(event, site)).start_utc()


def _zone_years(events: list[Event], ctx: RenderContext) -> dict[str, tuple[int, int]]:
    """Per TZID used (all-day events use none), the years from the first start to
    the last end, EXDATEs included."""
    years: dict[str, tuple[int, int]] = {}
    for event in events:
        if event.all_day:
            continue
        tzid = zone_name(event, ctx.site)
        plan = recurrence_plan(event, tzid)
        found = occurrences(event, tzid, ctx.now)
        moments = [event.start, *(plan.excluded if plan else ()), *(o.start for o in found), *(o.end for o in found)]
        low, high = min(m.year for m in moments), max(m.year for m in moments)
        old = years.get(tzid, (low, high))
        years[tzid] = (min(old[0], low), max(old[1], high))
    return years


def _vtimezone(ctx: RenderContext, tzid: str, first_year: int, last_year: int) -> bytes:
    """Made once per build, and with a build cache kept between builds (the tz
    database's release is in the cache folder's version, build_cache.py)."""
    cache = ctx.cache.setdefault("vtimezones", {})
    key = (tzid, first_year, last_year)
    if key not in cache:
        make = partial(_vtimezone_text, tzid, first_year, last_year)
        text = make() if ctx.fragments is None else ctx.fragments.kept("vtimezone", (tzid, str(first_year),
                                                                                  str(last_year)), make)
        cache[key] = text.encode("utf-8")
    return cache[key]


def _vtimezone_text(tzid: str, first_year: int, last_year: int) -> str:
    from .vtimezone import vtimezone  # imports icalendar: see calendar_bytes
    return vtimezone(tzid, first_year, last_year).to_ical().decode("utf-8")


def _vevent(ctx: RenderContext, event: Event) -> bytes:
    """The same VEVENT in every calendar that lists the event (made once per
    build). With a build cache it is kept between builds like a list row
    (fragment_memo.py), keyed by what showing the event reads (its file, its
    series and people: Site.sources_shown_by), which is all a VEVENT shows: a
    build into a new output folder made 2,000 of them again at 10,000 posts."""
    cache = ctx.cache.setdefault("vevents", {})
    if event.slug not in cache:
        make = partial(_vevent_text, ctx)
        text = make(event) if ctx.fragments is None else str(ctx.fragments.rendered(make, "vevent", (event,), {}))
        cache[event.slug] = text.encode("utf-8")
    return cache[event.slug]


def _vevent_text(ctx: RenderContext, event: Event) -> str:
    return _make_vevent(ctx.site, event, ctx.markdown).to_ical().decode("utf-8")


def _make_vevent(site: Site, event: Event, markdown: MarkdownMemo) -> icalendar.Event:
    import icalendar  # see calendar_bytes
    tzid = zone_name(event, site)
    start, end = local_span(event)
    plan = recurrence_plan(event, tzid)
    if plan is not None:  # the rule's anchor (see event_times); the written start is then an RDATE
        start, end = plan.dtstart, plan.dtstart + (end - start)
    changed, announced = event_changed(event, site, site.sources_shown_by(event)), event_announced(event, site)
    vevent = icalendar.Event()
    vevent.add("UID", calendar_uid(event))
    vevent.add("DTSTAMP", changed.astimezone(UTC))
    if announced:
        vevent.add("CREATED", announced.astimezone(UTC))
    vevent.add("LAST-MODIFIED", changed.astimezone(UTC))
    vevent.add("SEQUENCE", event_revision(event, site) + SEQUENCE[event.status])
    vevent.add("DTSTART", _written(start, tzid))
    vevent.add("DTEND", _written(end, tzid))
    if plan is not None:
        _add_recurrence(vevent, plan, tzid)
    vevent.add("SUMMARY", _text(_summary(event)))
    vevent.add("DESCRIPTION", _text(event_details(event, site, markdown)))
    if location_line(event):
        vevent.add("LOCATION", _text(location_line(event)))
    vevent.add("URL", absolute(site.settings.base_url, item_url(event)), parameters={"VALUE": "URI"})
    vevent.add("STATUS", STATUS[event.status])
    categories = _categories(event, site)
    if categories:
        vevent.add("CATEGORIES", categories)
    vevent.add("ORGANIZER", _organizer(event, site))
    return vevent


def _written(value: dt.datetime | dt.date, tzid: str):
    """As the contributor wrote it, with its zone: a time in a DST gap stays as
    written, so the RRULE keeps its wall-clock time (RFC 5545 §3.3.5 then reads
    it as event_times does)."""
    return value.replace(tzinfo=zone(tzid)) if isinstance(value, dt.datetime) else value


def _add_recurrence(vevent: icalendar.Event, plan: RecurrencePlan, tzid: str) -> None:
    import icalendar  # see calendar_bytes
    rule = icalendar.vRecur.from_ical(plan.rule)
    if plan.count is not None:
        rule["COUNT"] = plan.count
    elif isinstance(plan.until, dt.datetime):  # RFC 5545: UNTIL in UTC when DTSTART has a TZID
        rule["UNTIL"] = localize(plan.until, tzid).astimezone(UTC)
    elif plan.until is not None:
        rule["UNTIL"] = plan.until
    vevent.add("RRULE", rule)
    if plan.excluded:
        vevent.add("EXDATE", [_written(v, tzid) for v in plan.excluded])
    if plan.added:
        vevent.add("RDATE", [_written(v, tzid) for v in plan.added])


def _summary(event: Event) -> str:
    # Some apps ignore STATUS and would show a cancelled session as if it happened.
    if event.status == "cancelled" and not event.title.lower().startswith(("cancelled", "canceled")):
        return f"Cancelled: {event.title}"
    return event.title


def _categories(event: Event, site: Site) -> list[str]:
    series = site.series_of(event)
    names = [series.short or series.title] if series else []
    return names + [tag for tag in event.tags if tag not in names]


def _organizer(event: Event, site: Site) -> icalendar.vCalAddress:
    """RFC 5546 wants an ORGANIZER in a published event. The series' first
    organizer with an email address; else its first organizer with the series
    page as address (a CAL-ADDRESS is any URI, RFC 5545 §3.3.3); else the site."""
    settings = site.settings
    series = site.series_of(event)
    people = series.organizers if series else ()
    emailed = next((p for p in people if p.member and p.member.links.get("email")), None)
    if emailed:
        address, name = "mailto:" + emailed.member.links["email"], emailed.display_name
    elif people:
        address, name = absolute(settings.base_url, item_url(series)), people[0].display_name
    else:
        address, name = settings.base_url, settings.title
    import icalendar  # see calendar_bytes
    organizer = icalendar.vCalAddress(address)
    organizer.params["CN"] = icalendar.vText(_parameter(name))
    return organizer


def _text(value: str) -> icalendar.vText:
    """Every TEXT property goes through icalendar's escaping, which turns line
    breaks into \\n. Passing vText explicitly matters: icalendar writes a
    property it has no type for (NAME) as given, so a CR in a title became a new
    content line (issue 10, case 3)."""
    import icalendar  # see calendar_bytes
    return icalendar.vText(value)


def _parameter(value: str) -> str:
    """A parameter value (CN) has no escaping at all: no '"' and no control characters."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", value).replace('"', "'")
