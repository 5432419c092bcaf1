"""One table per content kind: the single definition of every field.

The same rows drive validation, `mlcsite new` starters and the field reference
(docs/fields.md). Cross-field rules that one row cannot express (end after start)
live beside the table in `RULES`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from ..urls import tag_slug
from . import models
from .characters import latin_look_alike, scripts_of
from .limits import Limits
from .fields import (
    INVALID, AliasPath, Boolean, Choice, ContentFile, Email, Field, FieldContext, FieldType, Integer,
    ListOf, Object, OneOf, Slug, Text, Url, SLUG_RE,
)
from .time_fields import Date, DateTime, Duration, RRule, TimeZone

YEAR = Integer(1950, 2100, "a year like 2021", 2021)


class PersonField(FieldType):
    """A member slug, or an object for someone outside (SPEC: person objects)."""

    describe = 'a member slug, or {name: "…", url: "…"} for someone who is not a member'
    example = "ada-lovelace"

    def __init__(self) -> None:
        self.obj = Object([
            Field("slug", Slug("members"), "The member's slug, when adding `equal: true` to a member."),
            Field("name", Text(), "Full name of someone who is not a member."),
            Field("url", Url(), "Their web page."),
            Field("affiliation", Text(), "Where they work or study."),
            Field("equal", Boolean(), "Equal contribution; shown with a mark."),
        ], self.describe)

    def check(self, value, ctx, path):
        if isinstance(value, str):
            ref = Slug("members").check(value, ctx, path)
            return INVALID if ref is INVALID else models.PersonRef(slug=ref.slug, where=ref.where)
        checked = self.obj.check(value, ctx, path)
        if checked is INVALID:
            return INVALID
        if ("slug" in checked) == ("name" in checked):
            return ctx.error(path, "A person needs either `slug` (a member) or `name` (someone else), not both or neither.",
                             'Write a member as their slug, or someone else as {name: "Ada Lovelace", url: "https://…"}.')
        if "slug" in checked and ({"url", "affiliation"} & checked.keys()):
            return ctx.error(path, "A member's url and affiliation come from their member file.",
                             "Keep only `slug` and `equal` here.")
        slug_ref = checked.pop("slug", None)
        return models.PersonRef(slug=slug_ref.slug if slug_ref else None, where=ctx.location(path), **checked)


class Contact(FieldType):
    describe = "an email address or a web address"
    example = "name@example.org"

    def check(self, value, ctx, path):
        if isinstance(value, str) and "@" in value and "://" not in value:
            return Email().check(value, ctx, path)
        return Url().check(value, ctx, path)


class Tags(FieldType):
    """Topics. One tag is one address (/tags/SLUG/), so within an item two
    spellings of one slug are one tag; look-alike letters from another script
    are refused (issue 10, case 6)."""

    describe = "a list of text"
    example = ["community"]

    def check(self, value, ctx, path):
        tags = ListOf(Text(example="community")).check(value, ctx, path)
        if tags is INVALID:
            return INVALID
        limit = (ctx.limits or Limits()).tags
        if len(tags) > limit:
            return ctx.error(path, f"There are {len(tags)} tags here; the limit is {limit}.",
                             "Keep the few tags that say what this is about.", at_key=True)
        kept: dict[str, str] = {}
        for index, tag in enumerate(tag.strip() for tag in tags):
            if len(scripts_of(tag)) > 1:
                return ctx.error(path + (index,), f'The tag "{tag}" mixes letters of different alphabets ('
                                 + " and ".join(sorted(s.title() for s in scripts_of(tag))) + ").",
                                 f'Did you mean "{latin_look_alike(tag)}"? Retype it on one keyboard layout.')
            slug = tag_slug(tag)
            if slug in kept:
                also = "" if kept[slug] == tag else f' (also as "{kept[slug]}")'
                ctx.warning(path + (index,), f'The tag "{tag}" is listed twice{also}; it counts once.',
                            "Remove the repeated tag.")
            kept.setdefault(slug, tag)
        return tuple(kept.values())


PEOPLE = ListOf(PersonField())
TAGS = Tags()
BODY = Field("body", Text(multiline=True), "The Markdown text (in .md files: everything after the front matter).")
ALIASES = Field("aliases", ListOf(AliasPath()), "Old URL paths that keep working as redirects here.")


def _links(*names: str, email: bool = False, extra: bool = False) -> Object:
    fields = [Field(n, Email() if (email and n == "email") else Url(), f"Link: {n}.") for n in names]
    if extra:
        fields.append(Field("extra", ListOf(Object([
            Field("label", Text(), "What the link is.", required=True),
            Field("url", Url(), "Where it goes.", required=True),
        ], "{label, url}")), "Other links, each {label: …, url: …}."))
    return Object(fields, "links, each `name: URL`")


LOCATION = OneOf(Text(example="Online"), Object([
    Field("name", Text(), "Venue or platform name.", required=True),
    Field("url", Url(), "Join link or venue web page."),
    Field("address", Text(), "Street address."),
], "{name, url, address}"), 'text, or {name: "…", url: "…", address: "…"}')

PAPER = Object([
    Field("title", Text(), "Paper title.", required=True),
    Field("url", Url(), "Where to read it."),
    Field("authors", Text(), 'Authors as text, e.g. "Vaswani et al."'),
], "{title, url, authors}")

RECURRENCE = Object([
    Field("rule", RRule(), "RFC 5545 rule, e.g. FREQ=WEEKLY;BYDAY=FR.", required=True),
    Field("until", Date(), "Last day it may happen (inclusive)."),
    Field("count", Integer(1, 1000, "a number of occurrences", 10), "How many times it happens."),
    Field("except", ListOf(DateTime(allow_date=True)), "Dates (or date-times) on which it does not happen."),
    Field("extra", ListOf(DateTime(allow_date=True)), "Additional date-times on which it happens."),
], "{rule, until | count, except, extra}")

SCHEMAS: dict[str, list[Field]] = {
    "members": [
        Field("name", Text(example="Ada Lovelace"), "Display name, in any script.", required=True),
        Field("role", Text(example="Research Lead"), 'e.g. "Co-founder", "Discord moderator".'),
        Field("affiliation", Text(example="University of Somewhere"), "Where they work or study."),
        Field("pronouns", Text(example="she/her"), "Pronouns, as they write them."),
        Field("status", Choice("active", "alumni"), "`active` (default) or `alumni`."),
        Field("since", YEAR, "Year they joined."),
        Field("photo", ContentFile(), "Path of an image under content/."),
        Field("links", _links("website", "github", "scholar", "twitter", "mastodon", "bluesky",
                              "linkedin", "email", email=True), "Their links; email is a bare address."),
        BODY, ALIASES,
    ],
    "projects": [
        Field("title", Text(example="A paper title"), "Title of the project or paper.", required=True),
        Field("authors", PEOPLE, "Member slugs or person objects, in author order.", required=True,
              example=["ada-lovelace"]),
        Field("venue", Text(example="ICLR"), 'e.g. "ICLR".'),
        Field("year", YEAR, "Publication year."),
        Field("status", Choice("published", "preprint", "ongoing"), "`published` (default), `preprint` or `ongoing`."),
        Field("tldr", Text(), "A one-line summary."),
        Field("links", _links("paper", "arxiv", "pdf", "code", "data", "project", "blog", "video",
                              "slides", "poster", extra=True), "Links shown as buttons."),
        Field("bibtex", Text(multiline=True), "Citation block, shown with a copy button."),
        Field("image", ContentFile(), "Path of an image under content/."),
        Field("tags", TAGS, "Topics, as a list."),
        BODY, ALIASES,
    ],
    "series": [
        Field("title", Text(example="Deep Learning: Classics and Trends"), "Full name.", required=True),
        Field("short", Text(example="DLCT"), "Short name."),
        Field("timezone", TimeZone(), "Default time zone of its events."),
        Field("organizers", PEOPLE, "Member slugs or person objects."),
        Field("join", Object([
            Field("url", Url(), "Where to join.", required=True),
            Field("note", Text(), "One sentence on how to attend."),
        ], "{url, note}"), "How to attend: {url: …, note: …}."),
        Field("numbered", Boolean(), "`true` if sessions carry a number; events then give `number`."),
        BODY, ALIASES,
    ],
    "events": [
        Field("title", Text(example="Reading group"), "Title.", required=True),
        Field("series", Slug("series"), "Slug of the series it belongs to."),
        Field("start", DateTime(allow_date=True), "Local `YYYY-MM-DD HH:MM`, or a date for an all-day event.",
              required=True),
        Field("end", DateTime(allow_date=True), "Local end date-time; for an all-day event the last day (inclusive)."),
        Field("duration", Duration(), "Length, e.g. 90m or 1h30m (default 1 hour)."),
        Field("timezone", TimeZone(), "IANA name; default: the series', else site.yaml's."),
        Field("location", LOCATION, 'Text, or {name, url, address}; online events carry a URL.'),
        Field("speakers", PEOPLE, "Member slugs or person objects."),
        Field("papers", ListOf(PAPER), "Papers discussed, each {title, url, authors}."),
        Field("number", Integer(1, 100000, "a session number", 33), "Session number in a numbered series."),
        Field("links", _links("slides", "recording", "notes", "join"), "Links: slides, recording, notes, join."),
        Field("recurrence", RECURRENCE, "Repeats: {rule, until | count, except, extra}."),
        Field("status", Choice("confirmed", "tentative", "cancelled"), "`confirmed` (default), `tentative`, `cancelled`."),
        Field("tags", TAGS, "Topics, as a list."),
        Field("announced", Date(), "When it was announced (feeds, calendars' CREATED); default: "
              "when its file was first committed."),
        BODY, ALIASES,
    ],
    "posts": [
        Field("title", Text(example="A year of ML Collective"), "Title.", required=True),
        Field("date", Date(), "Publication date; default: from the file name."),
        Field("updated", Date(), "Date of the last substantial edit; default: the file's last commit, "
              "if it was edited after its first."),
        Field("authors", PEOPLE, "Member slugs or person objects."),
        Field("tags", TAGS, "Topics, as a list."),
        Field("summary", Text(), "One or two sentences; default: the first paragraph."),
        Field("image", ContentFile(), "For cards and social previews."),
        Field("draft", Boolean(), "`true`: built only with --drafts."),
        BODY, ALIASES,
    ],
    "rfps": [
        Field("title", Text(example="Does curiosity plot?"), "Title.", required=True),
        Field("authors", PEOPLE, "Member slugs or person objects."),
        Field("date", Date(), "When it was posted."),
        Field("status", Choice("open", "taken", "done"), "`open` (default), `taken` or `done`."),
        Field("first_plot", Text(multiline=True), "The concrete first plot a volunteer makes (Markdown)."),
        Field("contact", Contact(), "Email or URL of whom to contact."),
        Field("project", Slug("projects"), "Slug of the resulting project."),
        BODY, ALIASES,
    ],
    "pages": [
        Field("title", Text(example="About"), "Title.", required=True),
        Field("description", Text(), "One sentence for search results and previews."),
        Field("menu", Integer(1, 1000, "a position in the navigation", 1), "Position in the navigation."),
        BODY, ALIASES,
    ],
}

FIELDS: dict[str, dict[str, Field]] = {kind: {f.name: f for f in rows} for kind, rows in SCHEMAS.items()}

MODELS: dict[str, type[models.Item]] = {
    "members": models.Member, "projects": models.Project, "series": models.Series,
    "events": models.Event, "posts": models.Post, "rfps": models.RFP, "pages": models.Page,
}


def _check_event(values: dict, ctx: FieldContext) -> None:
    start, end = values.get("start"), values.get("end")
    if "end" in values and "duration" in values:
        ctx.error(("duration",), "An event has either `end` or `duration`, not both.", "Remove one of them.",
                  at_key=True)
    if isinstance(start, (dt.date, dt.datetime)) and isinstance(end, (dt.date, dt.datetime)):
        if isinstance(start, dt.datetime) != isinstance(end, dt.datetime):
            ctx.error(("end",), "`start` and `end` must both be dates (all-day) or both date-times.",
                      "Write both like 2024-03-08 10:00, or both like 2024-03-08.")
        elif (end < start) if not isinstance(start, dt.datetime) else (end <= start):
            ctx.error(("end",), f"The event ends ({_show(end)}) before it starts ({_show(start)}).",
                      "Check the dates; for an all-day event, `end` is its last day.")
    if isinstance(start, dt.date) and not isinstance(start, dt.datetime) and "duration" in values:
        ctx.error(("duration",), "An all-day event has no duration.",
                  "Give its last day as `end`, or give `start` a time.", at_key=True)
    recurrence = values.get("recurrence")
    if isinstance(recurrence, dict) and {"until", "count"} <= recurrence.keys():
        ctx.error(("recurrence", "count"), "A repeat has either `until` or `count`, not both.",
                  "Remove one of them.", at_key=True)


def _show(value: dt.date) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else value.isoformat()


RULES: dict[str, Callable[[dict, FieldContext], None]] = {"events": _check_event}


@dataclass(frozen=True)
class SlugProblem:
    message: str
    hint: str


def check_slug(slug: str) -> SlugProblem | None:
    if SLUG_RE.match(slug):
        return None
    suggestion = "-".join("".join(c if c.isalnum() and c.isascii() else " " for c in slug.lower()).split())
    return SlugProblem(
        f'The file name "{slug}" is not a valid slug: use lowercase letters a-z, digits and hyphens.',
        f'Rename the file to "{suggestion}" (keeping its extension).' if suggestion else
        "Rename the file using lowercase letters a-z, digits and hyphens.",
    )
