"""Links that put an event into someone's calendar (.ics, webcal:// and Google),
and the plain text that goes with them (an .ics DESCRIPTION, Google's "details").

Calendar apps show text, not HTML: the Markdown body is rendered and sanitized
as for the page, then flattened to paragraphs and "- " list items, with each
link's address written after its text so that nothing is lost.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode

from ..content.models import Event, PersonRef
from ..event_times import Occurrence
from ..graph import Site
from ..urls import absolute, item_url
from .markup import render_markdown

LINK_LABELS = {"slides": "Slides", "recording": "Recording", "notes": "Notes"}
_BLOCK_TAGS = {"p", "div", "blockquote", "pre", "table", "tr", "ul", "ol", "dl", "dt", "dd", "figure",
               "figcaption", "details", "summary", "hr", "h1", "h2", "h3", "h4", "h5", "h6"}


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


def event_details(event: Event, site: Site) -> str:
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
    body = markdown_text(event.body, base_url)
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


def markdown_text(text: str, base_url: str) -> str:
    """Markdown → plain text for calendar apps; links keep their absolute address."""
    if not text or not text.strip():
        return ""
    flattener = _TextFlattener(base_url)
    flattener.feed(render_markdown(text, "/"))
    flattener.close()
    return flattener.text()


def _person_text(person: PersonRef) -> str:
    affiliation = person.member.affiliation if person.member else person.affiliation
    return person.display_name + (f" ({affiliation})" if affiliation else "")


def _paper_text(paper: dict) -> str:
    line = f"- {paper.get('title', '')}"
    if paper.get("authors"):
        line += f" — {paper['authors']}"
    return line + (f"\n  {paper['url']}" if paper.get("url") else "")


class _TextFlattener(HTMLParser):
    """Sanitized HTML → paragraphs of text; "[text](url)" becomes "text (url)"."""

    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.parts: list[str] = []
        self.links: list[tuple[str | None, int]] = []  # (href, where its text starts)
        self.in_pre = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "img" and attributes.get("alt"):
            self.parts.append(attributes["alt"])
        elif tag == "a":
            self.links.append((attributes.get("href"), len(self.parts)))
        self.in_pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            href, first = self.links.pop()
            shown = "".join(self.parts[first:]).strip()
            if href and not href.startswith("#"):
                url = absolute(self.base_url, href)
                if url.removeprefix("mailto:") != shown and url != shown:
                    self.parts.append(f" ({url})")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        self.in_pre -= tag == "pre"

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self.in_pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
