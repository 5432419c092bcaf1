"""schema.org JSON-LD for search engines and link previews.

Each function returns plain data; templates emit it with `|tojson`, which escapes
"<", ">" and "&", so content can never close the <script> element.
"""

from __future__ import annotations

import datetime as dt

from ..content.models import Event, Member, PersonRef, Post, Project
from ..event_times import Occurrence
from ..settings import Settings
from ..urls import absolute, item_url

CONTEXT = "https://schema.org"
EVENT_STATUS = {"confirmed": "EventScheduled", "tentative": "EventScheduled", "cancelled": "EventCancelled"}


def organization(settings: Settings) -> dict:
    data = {"@context": CONTEXT, "@type": "Organization", "name": settings.title, "url": settings.base_url}
    if settings.description:
        data["description"] = settings.description
    if settings.social:
        data["sameAs"] = [settings.social[name] for name in sorted(settings.social)]
    return data


def person(member: Member, settings: Settings) -> dict:
    data = {"@context": CONTEXT, "@type": "Person", "name": member.name,
            "url": absolute(settings.base_url, item_url(member))}
    if member.role:
        data["jobTitle"] = member.role
    if member.affiliation:
        data["affiliation"] = {"@type": "Organization", "name": member.affiliation}
    same_as = [url for name, url in sorted(member.links.items()) if name != "email"]
    if same_as:
        data["sameAs"] = same_as
    data["memberOf"] = {"@type": "Organization", "name": settings.title, "url": settings.base_url}
    return data


def people(refs: tuple[PersonRef, ...], settings: Settings) -> list[dict]:
    """Members link to their page here; outside people to their own URL."""
    result = []
    for ref in refs:
        entry = {"@type": "Person", "name": ref.display_name}
        url = absolute(settings.base_url, item_url(ref.member)) if ref.member else ref.url
        if url:
            entry["url"] = url
        result.append(entry)
    return result


def event(item: Event, occurrence: Occurrence, settings: Settings, join: str = "") -> dict:
    """`join` is where attendees go online (Site.join_of): the event's join link, else its series'."""
    data = {"@context": CONTEXT, "@type": "Event", "name": item.title,
            "url": absolute(settings.base_url, item_url(item)),
            "startDate": occurrence.start.isoformat(), "endDate": occurrence.end.isoformat(),
            "eventStatus": CONTEXT + "/" + EVENT_STATUS.get(item.status, "EventScheduled"),
            "eventAttendanceMode": CONTEXT + "/" + attendance_mode(item, join) + "EventAttendanceMode",
            "location": _location(item, join),
            "organizer": {"@type": "Organization", "name": settings.title, "url": settings.base_url}}
    if item.speakers:
        data["performer"] = people(item.speakers, settings)
    return data


def attendance_mode(item: Event, join: str = "") -> str:
    """Online, Offline or Mixed, read from the location the contributor wrote."""
    location = item.location
    details = location if isinstance(location, dict) else {"name": str(location or "")}
    has_address = bool(details.get("address"))
    online = (str(details.get("name", "")).lower().startswith("online") or bool(join)
              or (bool(details.get("url")) and not has_address))
    if online and has_address:
        return "Mixed"
    return "Online" if online else "Offline"


def _location(item: Event, join: str = "") -> dict:
    location = item.location
    if isinstance(location, dict):
        if "address" in location or not location.get("url"):
            place = {"@type": "Place", "name": location.get("name", "")}
            if location.get("address"):
                place["address"] = location["address"]
            return place
        return {"@type": "VirtualLocation", "name": location.get("name", ""), "url": location["url"]}
    if join:
        return {"@type": "VirtualLocation", "url": join}
    return {"@type": "Place", "name": str(location or "To be announced")}


def blog_posting(post: Post, settings: Settings, description: str, updated: dt.date | None = None) -> dict:
    """`updated`: the day it was last updated (render/item_dates.py), if not its date."""
    data = {"@context": CONTEXT, "@type": "BlogPosting", "headline": post.title,
            "url": absolute(settings.base_url, item_url(post)), "datePublished": post.date.isoformat(),
            "dateModified": (updated or post.date).isoformat(), "description": description,
            "publisher": {"@type": "Organization", "name": settings.title, "url": settings.base_url}}
    if post.authors:
        data["author"] = people(post.authors, settings)
    if post.image:
        data["image"] = absolute(settings.base_url, "/" + post.image)
    return data


def scholarly_article(project: Project, settings: Settings, description: str) -> dict:
    data = {"@context": CONTEXT, "@type": "ScholarlyArticle", "headline": project.title,
            "name": project.title, "url": absolute(settings.base_url, item_url(project)),
            "author": people(project.authors, settings), "description": description}
    if project.year:
        data["datePublished"] = str(project.year)
    if project.venue:
        data["publisher"] = {"@type": "Organization", "name": project.venue}
    if project.tags:
        data["keywords"] = list(project.tags)
    if project.image:
        data["image"] = absolute(settings.base_url, "/" + project.image)
    same_as = [project.links[k] for k in ("paper", "arxiv", "pdf") if project.links.get(k)]
    if same_as:
        data["sameAs"] = same_as
    return data
