"""Links that put an event into someone's calendar (.ics, webcal:// and Google),
and the plain text that goes with them (an .ics DESCRIPTION, Google's "details").

Calendar apps show text, not HTML: the Markdown body is rendered and sanitized
as for the page, then flattened (html_text.flattened_text, through the build's
MarkdownMemo) to paragraphs and "- " list items, each link's address after its text.
"""

from __future__ import annotations

from urllib.parse import urlencode

from ..content.models import Event, PersonRef
from ..event_times import Occurrence
from ..graph import Site
from ..urls import absolute, item_url
from .markdown_memo import MarkdownMemo

LINK_LABELS = {"slides": "Slides", "recording": "Recording", "notes": "Notes"}


def webcal_url(base_url: str, path: str) -> str:
    """webcal:// makes calendar apps subscribe instead of importing once."""
    url = absolute(base_url, path)
    return "webcal://" + url.split("://", 1)[1]


def google_calendar_url(occurrence: Occurrence, details: str, location: str = "") -> str:
    """A prefilled Google Calendar "add event" link, times in UTC."""
    if occurrence.all_day:
        dates = f"{occurrence.start:%Y%m%d}/{occurrence.end:%Y%m%d}"
    else:
        fmt = "%Y%m%dT%H%M%SZ"
        dates = f"{occurrence.start_utc():{fmt}}/{occurrence.end_utc():{fmt}}"
    query = {"action": "TEMPLATE", "text": occurrence.event.title, "dates": dates, "details": details}
    if location:
        query["location"] = location
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def event_details(event: Event, site: Site, markdown: MarkdownMemo) -> str:
    """An event as plain text: status, speakers, papers, how to join, the body,
    its links and its page (Google Calendar shows no URL property, so the page
    is written out)."""
    base_url = site.settings.base_url
    blocks = []
    if event.status == "cancelled":
        blocks.append("This event is cancelled.")
    elif event.status == "tentative":
        blocks.append("Tentative: the date or details may still change.")
    if event.speakers:
        label = "Speaker" if len(event.speakers) == 1 else "Speakers"
        blocks.append(f"{label}: " + "; ".join(_person_text(p) for p in event.speakers))
    if event.papers:
        blocks.append("Papers:\n" + "\n".join(_paper_text(p) for p in event.papers))
    join = site.join_of(event)
    if join and event.status != "cancelled":
        blocks.append(f"Join: {join['url']}" + (f"\n{join['note']}" if join.get("note") else ""))
    body = markdown.plain_text(event.body, base_url)
    if body:
        blocks.append(body)
    links = [f"{label}: {event.links[name]}" for name, label in LINK_LABELS.items() if event.links.get(name)]
    blocks.append("\n".join([*links, f"Event page: {absolute(base_url, item_url(event))}"]))
    return "\n\n".join(blocks)


def location_line(event: Event) -> str:
    """The location in one line: "name, address", or "name, URL" for online places."""
    location = event.location
    if isinstance(location, dict):
        second = location.get("address") or location.get("url")
        return ", ".join(str(part) for part in (location.get("name"), second) if part)
    return str(location or "")


def _person_text(person: PersonRef) -> str:
    affiliation = person.member.affiliation if person.member else person.affiliation
    return person.display_name + (f" ({affiliation})" if affiliation else "")


def _paper_text(paper: dict) -> str:
    line = f"- {paper.get('title', '')}"
    if paper.get("authors"):
        line += f" — {paper['authors']}"
    return line + (f"\n  {paper['url']}" if paper.get("url") else "")
