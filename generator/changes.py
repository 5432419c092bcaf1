"""`mlcsite diff OLD_OUTPUT NEW_OUTPUT`: what a change does to the published site.

For a reviewer, in plain words or Markdown (the pull-request comment): the pages,
feeds and calendars added, changed and removed, the feed items that appear or go,
and for calendars the events added, moved (old → new time, in the event's zone)
or cancelled. Two builds of the same content are byte-identical, so every line of
the report comes from the change itself.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

from .calendar_changes import EventChange, compare_events, read_events
from .output_folder import MARKER
from .search.reserved import FOLDER as SEARCH_FOLDER

FORMATS = ("text", "markdown")
GROUPS = ("pages", "feeds", "calendars", "other files")
_FEED_NAMES = ("feed.xml", "atom.xml")
_ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class ChangeReport:
    added: dict[str, list[str]] = field(default_factory=lambda: {g: [] for g in GROUPS})
    changed: dict[str, list[str]] = field(default_factory=lambda: {g: [] for g in GROUPS})
    removed: dict[str, list[str]] = field(default_factory=lambda: {g: [] for g in GROUPS})
    events: list[EventChange] = field(default_factory=list)
    feed_items: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # ('adds "Title"', feed URLs)

    @property
    def empty(self) -> bool:
        return not any(any(table.values()) for table in (self.added, self.changed, self.removed))


def compare_outputs(old: Path, new: Path) -> ChangeReport:
    old_files, new_files = _files(old), _files(new)
    report = ChangeReport()
    events: dict[tuple, list[str]] = {}
    items: dict[tuple, list[str]] = {}
    for rel in sorted(old_files.keys() | new_files.keys(), key=url_of):
        before, after = old_files.get(rel), new_files.get(rel)
        if before is not None and after is not None and before.read_bytes() == after.read_bytes():
            continue
        table = report.added if before is None else report.removed if after is None else report.changed
        table[group_of(rel)].append(url_of(rel))
        old_data = before.read_bytes() if before else b""
        new_data = after.read_bytes() if after else b""
        if rel.endswith(".ics"):
            for change in compare_events(_events(old_data), _events(new_data)):
                events.setdefault(change, []).append(url_of(rel))
        elif group_of(rel) == "feeds":
            for change in _compare_feed(old_data, new_data):
                items.setdefault(change, []).append(url_of(rel))
    # One event sits in several calendars (its own, its series', the site's): say it once.
    report.events = [EventChange(kind, summary, words, tuple(urls)) for (kind, summary, words), urls in events.items()]
    report.feed_items = [(words, tuple(urls)) for words, urls in items.items()]
    return report


def _files(root: Path) -> dict[str, Path]:
    # The build's marker is not part of the site (and a site built before it had none).
    # The search index follows the pages it is made from: its hashed files say nothing more.
    return {rel: p for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != MARKER and not (rel := p.relative_to(root).as_posix()).startswith(SEARCH_FOLDER)}


def url_of(rel: str) -> str:
    """The address a visitor uses: /events/x/ for events/x/index.html."""
    if rel == "index.html":
        return "/"
    return "/" + (rel[: -len("index.html")] if rel.endswith("/index.html") else rel)


def group_of(rel: str) -> str:
    if rel.endswith(".ics"):
        return "calendars"
    if rel.rsplit("/", 1)[-1] in _FEED_NAMES:
        return "feeds"
    if rel.endswith(".html") and not rel.startswith("assets/"):
        return "pages"
    return "other files"


def _events(data: bytes) -> dict:
    return read_events(data) if data else {}


def _feed_entries(data: bytes) -> dict[str, str]:
    """id → title of each RSS item or Atom entry."""
    if not data:
        return {}
    root = ElementTree.fromstring(data)
    entries = {}
    for item in root.iter("item"):
        entries[item.findtext("guid") or item.findtext("link") or ""] = item.findtext("title") or ""
    for entry in root.iter(f"{_ATOM}entry"):
        entries[entry.findtext(f"{_ATOM}id") or ""] = entry.findtext(f"{_ATOM}title") or ""
    return entries


def _compare_feed(old: bytes, new: bytes) -> list[str]:
    before, after = _feed_entries(old), _feed_entries(new)
    words = [f'adds "{after[key]}"' for key in sorted(after.keys() - before.keys())]
    words += [f'drops "{before[key]}"' for key in sorted(before.keys() - after.keys())]
    return words


def format_report(report: ChangeReport, fmt: str = "text") -> str:
    lines = [_heading(fmt, "What this change does to the site")]
    if report.empty:
        return "\n".join(lines + ["", "Nothing: the built site is byte for byte the same."]) + "\n"
    lines += ["", _summary(report), ""]
    for verb, table in (("Adds", report.added), ("Changes", report.changed), ("Removes", report.removed)):
        for group in GROUPS:
            urls = table[group]
            if urls:
                count = f"{len(urls)} {group if len(urls) != 1 else group.rstrip('s')}"
                lines.append(_bullet(fmt, f"{verb} {count}: " + ", ".join(_code(fmt, u) for u in urls)))
    if report.events:
        lines += ["", _heading(fmt, "Calendar events", level=2), ""]
        for change in report.events:
            where = ", ".join(_code(fmt, u) for u in change.calendars)
            lines.append(_bullet(fmt, f"{change.words[0].upper()}{change.words[1:]} (in {where})"))
    if report.feed_items:
        lines += ["", _heading(fmt, "Feed items", level=2), ""]
        lines += [_bullet(fmt, f"{words[0].upper()}{words[1:]} (in {', '.join(_code(fmt, u) for u in urls)})")
                  for words, urls in report.feed_items]
    return "\n".join(lines) + "\n"


def _summary(report: ChangeReport) -> str:
    parts = []
    for verb, table in (("adds", report.added), ("changes", report.changed), ("removes", report.removed)):
        counts = [f"{len(v)} {g if len(v) != 1 else g.rstrip('s')}" for g, v in table.items() if v]
        if counts:
            parts.append(f"{verb} {', '.join(counts)}")
    text = "This change " + "; ".join(parts) + "."
    if report.events:
        count = len(report.events)
        text += f" {count} calendar event{'s differ' if count != 1 else ' differs'}."
    return text


def _heading(fmt: str, text: str, level: int = 1) -> str:
    return f"{'#' * (level + 1)} {text}" if fmt == "markdown" else (text if level == 1 else f"{text}:")


def _bullet(fmt: str, text: str) -> str:
    return f"- {text}" if fmt == "markdown" else f"  {text}"


def _code(fmt: str, url: str) -> str:
    return f"`{url}`" if fmt == "markdown" else url
