"""The content items, as frozen dataclasses.

Field names match the schema tables in `schemas.py` one for one (a test checks
this), so a schema row is the single place a field is defined. References are
kept as `Ref`/`PersonRef` with where they were written; the graph fills in the
referenced items.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import MISSING, dataclass, field, fields
from functools import cache
from typing import Any, Optional

from ..diagnostics import Location
from .fields import Ref


@dataclass(frozen=True, kw_only=True)
class Item:
    kind: str
    slug: str
    source: str  # path relative to the site root
    body: str = ""
    aliases: tuple[str, ...] = ()
    # Where each field was written, {("number",): (7, 1), ("aliases", 0): (4, 12)},
    # so that checks made later (the graph, the URL plan) point at the line. Not
    # content: two items that differ only in layout render the same.
    positions: dict = field(default_factory=dict, hash=False, compare=False, repr=False,
                            metadata={"fingerprint": False})

    def where(self, *path) -> Location:
        """The location of a field (e.g. where("aliases", 0)), else of the file."""
        line, column = self.positions.get(tuple(path), (0, 0))
        return Location(self.source, line, column)

    @property
    def key(self) -> str:
        """Identifies the item across builds: its kind and slug (SPEC: ids from slugs)."""
        return f"{self.kind}/{self.slug}"

    def __getstate__(self) -> dict:
        return state_without_defaults(self)


def state_without_defaults(model) -> dict:
    """What pickling keeps of a model (the cache's pack of parsed sources): the
    fields not at their default, for which the class attribute the dataclass
    made stands in once unpickled, as for any attribute missing from an
    instance. A third of the fields of 10,000 posts and 23,000 people are at
    their default (no summary, no update, a member's name left to the member),
    and unpickling set each of them twice. A default is left out only when the
    very object (None, False, "", ()): never a mutable default_factory value."""
    defaults = _defaults(type(model))
    return {name: value for name, value in model.__dict__.items() if defaults.get(name, MISSING) is not value}


@cache
def _defaults(cls: type) -> dict:
    return {f.name: f.default for f in fields(cls) if f.default is not MISSING}


@dataclass(frozen=True, kw_only=True)
class Member(Item):
    name: str
    role: Optional[str] = None
    affiliation: Optional[str] = None
    pronouns: Optional[str] = None
    status: str = "active"
    since: Optional[int] = None
    photo: Optional[str] = None
    links: dict = field(default_factory=dict, hash=False)

    @property
    def title(self) -> str:
        return self.name


@dataclass(frozen=True)
class PersonRef:
    """One person in an author/speaker/organizer list: a member, or someone outside."""

    slug: Optional[str] = None
    name: Optional[str] = None
    url: Optional[str] = None
    affiliation: Optional[str] = None
    equal: bool = False
    where: Optional[Location] = field(default=None, compare=False)
    member: Optional[Member] = field(default=None, compare=False)  # set by the graph

    @property
    def display_name(self) -> str:
        return self.member.name if self.member else (self.name or self.slug or "")

    def __getstate__(self) -> dict:
        return state_without_defaults(self)


@dataclass(frozen=True, kw_only=True)
class Project(Item):
    title: str
    authors: tuple[PersonRef, ...]
    venue: Optional[str] = None
    year: Optional[int] = None
    status: str = "published"
    tldr: Optional[str] = None
    links: dict = field(default_factory=dict, hash=False)
    bibtex: Optional[str] = None
    image: Optional[str] = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Series(Item):
    title: str
    short: Optional[str] = None
    timezone: Optional[str] = None
    organizers: tuple[PersonRef, ...] = ()
    join: dict = field(default_factory=dict, hash=False)
    numbered: bool = False


@dataclass(frozen=True, kw_only=True)
class Event(Item):
    title: str
    start: dt.date | dt.datetime  # naive local: a datetime, or a date for all-day
    series: Optional[Ref] = None
    end: Optional[dt.date | dt.datetime] = None
    duration: Optional[dt.timedelta] = None
    timezone: Optional[str] = None
    location: Any = None  # text, or {name, url, address}
    speakers: tuple[PersonRef, ...] = ()
    papers: tuple[dict, ...] = ()
    number: Optional[int] = None
    links: dict = field(default_factory=dict, hash=False)
    recurrence: Optional[dict] = field(default=None, hash=False)
    status: str = "confirmed"
    tags: tuple[str, ...] = ()
    announced: Optional[dt.date] = None

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)


@dataclass(frozen=True, kw_only=True)
class Post(Item):
    title: str
    date: dt.date
    updated: Optional[dt.date] = None
    authors: tuple[PersonRef, ...] = ()
    tags: tuple[str, ...] = ()
    summary: Optional[str] = None
    image: Optional[str] = None
    draft: bool = False


@dataclass(frozen=True, kw_only=True)
class RFP(Item):
    title: str
    authors: tuple[PersonRef, ...] = ()
    date: Optional[dt.date] = None
    status: str = "open"
    first_plot: Optional[str] = None
    contact: Optional[str] = None
    project: Optional[Ref] = None


@dataclass(frozen=True, kw_only=True)
class Page(Item):
    title: str
    description: Optional[str] = None
    menu: Optional[int] = None
