"""The dates subscribers are shown, from front matter and from history.py.

- A post is published at its `date`. It is *updated* at its front-matter
  `updated:`, else at its file's last commit when the file was edited after its
  first commit (the first commit publishes it, it does not update it); never
  before it was published.
- An event is *announced* (CREATED, the events feed's pubDate) at its
  front-matter `announced:`, else at its file's first commit.
- An event last *changed* (DTSTAMP, LAST-MODIFIED) at the last commit of its
  file or of the files its entry shows (series, people), never before it was
  announced. SEQUENCE counts the seconds from the first
  commit to the last, plus the status rank: every commit that reschedules or
  cancels it raises it.
- A page last changed (sitemap <lastmod>) at the newest last commit among the
  sources it shows.

history.py gives SOURCE_DATE_EPOCH for files outside git; without it, a date
falls back to the item's own (a post's date, an event's first start).
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable
from zoneinfo import ZoneInfo

from ..content.models import Event, Post
from ..event_times import first_occurrence, zone_name
from ..graph import Site

UTC = dt.timezone.utc


def site_midnight(day: dt.date, timezone: str) -> dt.datetime:
    """A date-only value is 00:00 in the site's zone, never the machine's."""
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(timezone))


def post_published(post: Post, site: Site) -> dt.datetime:
    return site_midnight(post.date, site.settings.timezone)


def post_updated(post: Post, site: Site) -> dt.datetime:
    published = post_published(post, site)
    if post.updated:
        return max(published, site_midnight(post.updated, site.settings.timezone))
    dates = site.dates.get(post.source)
    if dates and dates.last > dates.first:
        return max(published, dates.last)
    return published


def post_updated_day(post: Post, site: Site) -> dt.date | None:
    """The day it was updated, in the site's zone, when that is not its date."""
    day = post_updated(post, site).astimezone(ZoneInfo(site.settings.timezone)).date()
    return day if day != post.date else None


def event_announced(event: Event, site: Site) -> dt.datetime | None:
    if event.announced:
        return site_midnight(event.announced, site.settings.timezone)
    dates = site.dates.get(event.source)
    return dates.first if dates else None


def event_changed(event: Event, site: Site, shown: Iterable[str] = ()) -> dt.datetime:
    """`shown`: the other sources its entry shows (series, people): their edits change it too."""
    changed = last_change([event.source, *shown], site) or first_start(event, site)
    announced = event_announced(event, site)
    return max(changed, announced) if announced else changed


def event_revision(event: Event, site: Site) -> int:
    """Seconds from the file's first commit to its last: rises with every commit."""
    dates = site.dates.get(event.source)
    return int((dates.last - dates.first).total_seconds()) if dates else 0


def first_start(event: Event, site: Site) -> dt.datetime:
    return first_occurrence(event, zone_name(event, site)).start_utc()


def last_change(sources: Iterable[str], site: Site) -> dt.datetime | None:
    return max((site.dates[s].last for s in sources if s in site.dates), default=None)
