"""`mlcsite new KIND [TITLE]`: a filled-in starter file, written from the schema table.

The slug comes from the title or name, transliterated to ASCII ("Zoë Ødegård" →
zoe-odegard). Fields the command knows are written out; what only the
contributor knows is left as a line marked FILL IN, which `check` reports until
it is filled (generator/review.py); every other optional field is listed as a
comment with its help text, so a contributor sees every field where they edit.
A session of a series takes the series' usual weekday, time, length and place
and the next free date (generator/session_defaults.py), and says so.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from text_unidecode import unidecode

from .content.fields import Field, Object
from .content.schemas import SCHEMAS, SLUG_RE
from .diagnostics import did_you_mean
from .graph import Site
from .session_defaults import WEEKDAYS, SessionDefaults, learn_session_defaults

KIND_FOLDERS = {"member": "members", "project": "projects", "series": "series", "event": "events",
                "post": "posts", "page": "pages", "rfp": "rfps"}
PEOPLE_FIELD = {"projects": "authors", "posts": "authors", "rfps": "authors", "events": "speakers",
                "series": "organizers"}
DATED_KINDS = ("event", "post", "rfp")
PLACEHOLDER = "FILL IN"  # review.py reports every line that still carries it
EXIT_OK, EXIT_USAGE = 0, 2
_MAX_SLUG = 60


class Refusal(Exception):
    """The request cannot be written as asked; the message says what to do instead."""


@dataclass(frozen=True)
class Request:
    kind: str
    title: str | None = None
    slug: str | None = None
    date: str | None = None  # as typed: YYYY-MM-DD, or YYYY-MM-DD HH:MM for an event
    series: str | None = None
    authors: tuple[str, ...] = ()


@dataclass
class Starter:
    """The file to write: its fields as YAML blocks, in schema order, and what to tell."""

    folder: str
    name: str  # file name without suffix
    blocks: dict[str, str] = field(default_factory=dict)  # field → its YAML lines
    body: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def rel(self) -> str:
        return f"content/{self.folder}/{self.name}{'.yaml' if self.folder == 'members' else '.md'}"


def slug_from_title(title: str) -> str:
    """Lowercase ASCII words joined by hyphens; other scripts are transliterated."""
    words = re.findall(r"[a-z0-9]+", unidecode(title).lower())
    slug = ""
    for word in words:  # whole words only, so a long title does not end mid-word
        if slug and len(slug) + 1 + len(word) > _MAX_SLUG:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug[:_MAX_SLUG]


def write_starter(root: Path, request: Request, site: Site | None, today: dt.date) -> int:
    try:
        starter = plan_starter(request, site, today)
        path = root / starter.rel
        _refuse_existing(root, starter)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:  # "x": never overwrite
            handle.write(render_starter(starter))
    except Refusal as refusal:
        print(f"mlcsite new: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Wrote {starter.rel}")
    for note in starter.notes:
        print(f"  {note}")
    marked = PLACEHOLDER in render_starter(starter)
    print("Next: " + (f"replace each {PLACEHOLDER} in it, " if marked else "fill it in, ")
          + "then run `.venv/bin/mlcsite check` and preview with `.venv/bin/mlcsite serve`.")
    return EXIT_OK


def _refuse_existing(root: Path, starter: Starter) -> None:
    folder = root / "content" / starter.folder
    slug = starter.name[11:] if starter.folder == "posts" else starter.name
    pattern = f"????-??-??-{slug}.*" if starter.folder == "posts" else f"{slug}.*"
    for existing in sorted(folder.glob(pattern)) if folder.is_dir() else []:
        raise Refusal(f'a {starter.folder.rstrip("s") if starter.folder != "series" else "series"} with the slug '
                      f'"{slug}" already exists: content/{starter.folder}/{existing.name}; nothing was written. '
                      "Edit that file, or choose another slug with --slug.")


def plan_starter(request: Request, site: Site | None, today: dt.date) -> Starter:
    folder = KIND_FOLDERS[request.kind]
    if request.series and request.kind != "event":
        raise Refusal("--series is only for `new event`.")
    if request.date and request.kind not in DATED_KINDS:
        raise Refusal(f"--date is only for {', '.join(DATED_KINDS)}.")
    if request.authors and folder not in PEOPLE_FIELD:
        raise Refusal(f"--author is not used by a {request.kind}.")
    if site is not None:
        _check_members(request.authors, site)
    series = _find_series(request.series, site)
    starter = Starter(folder, "")
    if folder not in ("series", "events") or series is not None or request.authors:
        _people_block(starter, request.authors)
    if folder == "events":
        _event_fields(starter, request, series, site, today)
    else:
        _plain_fields(starter, request, today)
    return starter


def _slug_of(request: Request, fallback: str | None = None) -> str:
    if request.slug is not None:
        if not SLUG_RE.match(request.slug):
            raise Refusal(f'"{request.slug}" is not a valid slug: use lowercase letters a-z, digits and hyphens, '
                          f'e.g. "{slug_from_title(request.slug) or "my-item"}".')
        return request.slug
    if request.title:
        slug = slug_from_title(request.title)
        if slug:
            return slug
        raise Refusal(f'no slug can be made from "{request.title}"; give one with --slug, e.g. --slug my-item.')
    if fallback:
        return fallback
    raise Refusal(f'give a title or name, e.g. `mlcsite new {request.kind} "My title"` (or --slug).')


def _check_members(slugs: tuple[str, ...], site: Site) -> None:
    for slug in slugs:
        if slug not in site.members:
            hint = did_you_mean(slug, site.members) or f"Add yourself first: mlcsite new member \"Your Name\"."
            raise Refusal(f'there is no member with the slug "{slug}". {hint}')


def _find_series(slug: str | None, site: Site | None):
    if slug is None:
        return None
    if site is None or slug not in site.series:
        known = sorted(site.series) if site else []
        hint = did_you_mean(slug, known) or (f"Known series: {', '.join(known)}." if known else "")
        raise Refusal(f'there is no series with the slug "{slug}". {hint}'.rstrip())
    return site.series[slug]


def _parse_date(text: str, with_time: bool) -> tuple[dt.date, dt.time | None]:
    try:
        if with_time and len(text.strip()) > 10:
            moment = dt.datetime.strptime(" ".join(text.split()), "%Y-%m-%d %H:%M")
            return moment.date(), moment.time()
        return dt.date.fromisoformat(text.strip()), None
    except ValueError:
        example = '2027-01-15 or "2027-01-15 10:00"' if with_time else "2027-01-15"
        raise Refusal(f'--date "{text}" is not a date like {example}.') from None


def _people_block(starter: Starter, authors: tuple[str, ...]) -> None:
    name = PEOPLE_FIELD.get(starter.folder)
    if name is None:
        return
    if authors:
        starter.blocks[name] = f"{name}:\n" + "".join(f"  - {slug}\n" for slug in authors)
    elif starter.folder == "projects":  # required: a valid placeholder that check reports
        starter.blocks[name] = (f"{name}:\n  - name: \"{PLACEHOLDER} an author's name\"  "
                                "# or a member slug on its own, like: - zoe-odegard\n")
    else:  # optional: a commented line, and a marked line that check reports until it goes
        starter.blocks[name] = (f"# {PLACEHOLDER} the {name}: write member slugs below, remove its \"# \" and this line\n"
                                f"# {name}: [your-member-slug]\n")


def _plain_fields(starter: Starter, request: Request, today: dt.date) -> None:
    title_field = "name" if starter.folder == "members" else "title"
    starter.blocks[title_field] = f"{title_field}: {_quote(request.title or _slug_of(request))}\n"
    slug = _slug_of(request)
    starter.name = slug
    day, _ = _parse_date(request.date, False) if request.date else (today, None)
    if starter.folder == "posts":
        starter.name = f"{day.isoformat()}-{slug}"  # posts are named YYYY-MM-DD-slug.md
        if request.date is None:
            starter.notes.append(f"dated today, {day:%a %d %b %Y} (the file name's date; change it with --date)")
        starter.body = f"{PLACEHOLDER}: the text of the post, in Markdown.\n"
    elif starter.folder == "rfps":
        starter.blocks["date"] = f"date: {day.isoformat()}\n"
        starter.blocks["first_plot"] = f"first_plot: |\n  {PLACEHOLDER}: the concrete first plot a volunteer makes.\n"
    if starter.folder == "members":
        starter.blocks["name"] += (f"# {PLACEHOLDER} your role and a way to reach you: remove the \"# \" before "
                                   "`role:`, `links:` and the links you fill in, then this line\n")
        starter.body = "A few sentences about you, in Markdown.\n"
    elif starter.folder != "posts":
        starter.body = "Write the text here, in Markdown.\n"


def _event_fields(starter: Starter, request: Request, series, site: Site | None, today: dt.date) -> None:
    day, time = _parse_date(request.date, True) if request.date else (None, None)
    if series is None:
        starter.blocks["title"] = f"title: {_quote(request.title or _slug_of(request))}\n"
        starter.name = _slug_of(request)
        if day is None:
            starter.blocks["start"] = (f"# {PLACEHOLDER} the date and time below (local time; give --date to skip this)\n"
                                       f"start: {today.isoformat()} 10:00\n")
        else:
            starter.blocks["start"] = f"start: {day.isoformat()} {(time or dt.time(10)).strftime('%H:%M')}\n"
        starter.blocks["location"] = f"location: \"{PLACEHOLDER} where it happens, e.g. Online\"\n"
        starter.body = "Write the text here, in Markdown.\n"
        return
    usual = learn_session_defaults(site, series)
    _session_fields(starter, request, series, usual, day, time, today)


def _session_fields(starter: Starter, request: Request, series, usual: SessionDefaults,
                    day: dt.date | None, time: dt.time | None, today: dt.date) -> None:
    day = day or _next_session_day(starter, series, usual, today)
    number = usual.number
    heading = f"{series.short or series.title} #{number}" if number else (series.short or series.title)
    title = request.title or f"{PLACEHOLDER} the title of the session"
    starter.blocks["title"] = f"title: {_quote(f'{heading}: {title}')}\n"
    starter.blocks["series"] = f"series: {series.slug}\n"
    starter.name = request.slug or (f"{series.slug}-{number}" if number else f"{series.slug}-{day.isoformat()}")
    _slug_of(Request(request.kind, slug=starter.name))  # a --slug is checked like any other
    start_time = time or usual.time
    if start_time is None:
        starter.blocks["start"] = f"# {PLACEHOLDER} the time below\nstart: {day.isoformat()} 10:00\n"
    else:
        starter.blocks["start"] = f"start: {day.isoformat()} {start_time:%H:%M}\n"
        if time is None:
            starter.notes.append(f"starts at {start_time:%H:%M}, {usual.explain()}")
    if series.timezone:
        starter.notes.append(f"times are in {series.timezone}, the series' zone")
    _session_habits(starter, usual)
    starter.body = f"{PLACEHOLDER}: a few sentences on what the session is about, in Markdown.\n"


def _next_session_day(starter: Starter, series, usual: SessionDefaults, today: dt.date) -> dt.date:
    day = usual.next_free_date(today)
    if day is None:
        raise Refusal(f'"{series.slug}" has no sessions yet to learn its day from: give --date, '
                      'e.g. --date "2027-01-15 10:00".')
    starter.notes.append(f"{day:%a %d %b %Y}: the next free {WEEKDAYS[day.weekday()]} (change it with --date)")
    return day


def _session_habits(starter: Starter, usual: SessionDefaults) -> None:
    """Length, number, place and papers, as the series' sessions usually have them."""
    if usual.duration:
        starter.blocks["duration"] = f"duration: {_duration(usual.duration)}\n"
    if usual.number:
        starter.blocks["number"] = f"number: {usual.number}\n"
    if usual.location:
        starter.blocks["location"] = _location(usual.location)
        starter.notes.append("the location is the latest session's")
    if usual.has_papers:
        starter.blocks["papers"] = (f"papers:  # the paper(s) discussed; delete this block if there is none\n"
                                    f"  - title: \"{PLACEHOLDER} the paper's title\"\n"
                                    f"    url: https://arxiv.org/abs/{PLACEHOLDER.replace(' ', '-')}\n"
                                    f"    authors: \"{PLACEHOLDER} e.g. Vaswani et al.\"\n")


def render_starter(starter: Starter) -> str:
    lines: list[str] = []
    for spec in SCHEMAS[starter.folder]:
        if spec.name in ("body", "aliases"):
            continue
        lines.append(starter.blocks.get(spec.name) or _commented(spec))
    fields = "".join(lines)
    if starter.folder == "members":  # members are .yaml files: the text goes in `body`
        return fields + "body: |\n  " + starter.body
    return "---\n" + fields + "---\n\n" + starter.body


def _commented(spec: Field) -> str:
    """An optional field as a comment that works once its "# " is removed: an example and the help."""
    example = spec.example if spec.example is not None else spec.type.example
    if isinstance(example, list) and all(isinstance(e, str) for e in example):
        shown = "[" + ", ".join(example) + "]"
    elif isinstance(example, (str, int)) and not isinstance(example, bool):
        shown = _quote(example) if isinstance(example, str) and not SLUG_RE.match(example) else str(example)
    else:
        shown = ""
    text = f"# {spec.name}: {shown}  # {spec.help}\n" if shown else f"# {spec.name}:  # {spec.help}\n"
    if isinstance(spec.type, Object) and spec.name == "links":
        text += "".join(f"#   {name}: {'you@example.org' if name == 'email' else 'https://…'}\n"
                        for name in spec.type.fields if name != "extra")
    return text


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def _duration(length: dt.timedelta) -> str:
    hours, minutes = divmod(int(length.total_seconds()) // 60, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")


def _location(location) -> str:
    if isinstance(location, str):
        return f"location: {_quote(location)}\n"
    return "location:\n" + "".join(f"  {key}: {_quote(str(value))}\n" for key, value in location.items())
