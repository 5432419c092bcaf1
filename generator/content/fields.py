"""Field types: each checks one value and returns it normalized.

A field type never raises on bad content. It reports through the `FieldContext`
(which knows the file and every value's line) and returns `INVALID`. Each type
also describes itself in words, which the field reference and hints reuse.
The types for dates and times are in time_fields.py.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit

from ..diagnostics import Diagnostics, Location, did_you_mean
from .characters import describe_character, first_control_character, first_space_or_control
from .yaml_source import Document, Path

INVALID: Any = type("Invalid", (), {"__repr__": lambda self: "INVALID"})()
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_EMAIL_RE = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[A-Za-z]{2,}\Z")


@dataclass
class FieldContext:
    """What a field check needs: the parsed document, where it came from, and
    where to report."""

    doc: Document
    source: str  # path relative to the site root
    diagnostics: Diagnostics
    content_dir: Any = None  # pathlib.Path of content/, for file references
    limits: Any = None  # limits.Limits from site.yaml; None: the defaults
    failed: bool = False
    file_checks: Any = None  # a list to record (path, found) of file references in, for caching

    def error(self, path: Path, message: str, hint: str = "", *, at_key: bool = False) -> Any:
        line, col = self.doc.key_position(path) if at_key else self.doc.position(path)
        self.diagnostics.error(Location(self.source, line, col), message, hint)
        self.failed = True
        return INVALID

    def warning(self, path: Path, message: str, hint: str = "") -> None:
        line, col = self.doc.position(path)
        self.diagnostics.warning(Location(self.source, line, col), message, hint)

    def location(self, path: Path) -> Location:
        return Location(self.source, *self.doc.position(path))


def field_label(path: Path) -> str:
    """("authors", 2, "name") -> 'authors[3].name' as a contributor counts."""
    label = ""
    for part in path:
        label += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if label else part)
    return label or "the file"


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a group of fields"
    if value is None:
        return "empty"
    return "text"


class FieldType:
    describe = "a value"
    example: Any = None

    def check(self, value: Any, ctx: FieldContext, path: Path) -> Any:
        raise NotImplementedError

    def wrong_type(self, value: Any, ctx: FieldContext, path: Path) -> Any:
        return ctx.error(
            path,
            f"{field_label(path)} should be {self.describe}, but it is {_kind_of(value)}.",
            f"Write it like: {field_label(path).split('.')[-1].split('[')[0]}: {_example_text(self.example)}"
            if self.example is not None else "",
        )


def _example_text(example: Any) -> str:
    if isinstance(example, list):
        return "[" + ", ".join(str(e) for e in example) + "]"
    return str(example)


class Text(FieldType):
    describe = "text"
    example = "Some text"

    def __init__(self, *, multiline: bool = False, example: str = "Some text") -> None:
        self.multiline, self.example = multiline, example
        if multiline:
            self.describe = "Markdown text"

    def check(self, value, ctx, path):
        if isinstance(value, (dict, list)) or value is None:
            return self.wrong_type(value, ctx, path)
        text = ctx.doc.scalar_texts.get(path, value) if not isinstance(value, str) else value
        if not isinstance(text, str):
            text = str(text)
        if not self.multiline and not text.strip():
            return ctx.error(path, f"{field_label(path)} is empty.", "Write a value or remove the line.")
        found = None if self.multiline else first_control_character(text)
        if found:  # one-line fields end up in attributes, feed titles and calendar lines
            return ctx.error(path, f"{field_label(path)} contains {describe_character(found[1])}.",
                             "Write the value on one line, without line breaks, tabs or control characters.")
        return text


class Integer(FieldType):
    def __init__(self, low: int, high: int, describe: str = "a whole number", example: int = 1) -> None:
        self.low, self.high, self.describe, self.example = low, high, describe, example

    def check(self, value, ctx, path):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            return self.wrong_type(value, ctx, path)
        if not self.low <= value <= self.high:
            return ctx.error(path, f"{field_label(path)} should be between {self.low} and {self.high}, not {value}.")
        return value


class Boolean(FieldType):
    describe = "true or false"
    example = "true"

    def check(self, value, ctx, path):
        if not isinstance(value, bool):
            return self.wrong_type(value, ctx, path)
        return value


class Choice(FieldType):
    def __init__(self, *options: str) -> None:
        self.options = options
        self.describe = "one of " + ", ".join(f"`{o}`" for o in options)
        self.example = options[0]

    def check(self, value, ctx, path):
        if not isinstance(value, str):
            return self.wrong_type(value, ctx, path)
        if value not in self.options:
            hint = did_you_mean(value.lower(), self.options) or f"Use {self.describe}."
            return ctx.error(path, f'{field_label(path)} is "{value}", which is not {self.describe}.', hint)
        return value


class Url(FieldType):
    describe = "a web address starting with https://"
    example = "https://example.org/"

    def __init__(self, *, site_relative: bool = False) -> None:
        self.site_relative = site_relative
        if site_relative:
            self.describe = "a web address (https://…) or a path on this site (/…)"

    def check(self, value, ctx, path):
        if not isinstance(value, str):
            return self.wrong_type(value, ctx, path)
        url = value.strip()
        if refuse_spaces(url, value, ctx, path) is INVALID:
            return INVALID
        if self.site_relative and url.startswith("/") and not url.startswith("//"):
            return url
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "mailto" and _EMAIL_RE.match(parts.path):
            return url
        if scheme in ("http", "https") and parts.netloc:
            return url
        if not scheme and "." in url.split("/")[0]:
            return ctx.error(path, f'The address "{url}" is missing its https:// at the start.',
                             f"Write https://{url}")
        return ctx.error(path, f'"{url}" is not a web address {field_label(path)} accepts.',
                         f"Use {self.describe}.")


# Files a web host reads as instructions (GitHub Pages, Netlify, Apache, Cloudflare);
# dot-files such as .htaccess and .well-known/ are refused separately.
HOSTING_NAMES = frozenset({"CNAME", "_redirects", "_headers", "_config.yml", "_routes.json", "vercel.json",
                           "netlify.toml", "web.config", "staticwebapp.config.json"})


def refuse_spaces(text: str, value: str, ctx: FieldContext, path: Path, kind: str = "web address") -> Any:
    """Whitespace or a control character inside an address is refused before it is
    parsed: urlsplit drops tabs and line breaks silently (issue 10, case 3)."""
    found = first_space_or_control(text)
    if found is None:
        return text
    what = "a space" if found[1] == " " else describe_character(found[1])
    return ctx.error(path, f"{field_label(path)} contains {what}; a {kind} cannot.",
                     "Remove it; write a space inside an address as %20.")


class Email(FieldType):
    describe = "an email address"
    example = "name@example.org"

    def check(self, value, ctx, path):
        if not isinstance(value, str):
            return self.wrong_type(value, ctx, path)
        address = value.strip().removeprefix("mailto:")
        if refuse_spaces(address, value, ctx, path) is INVALID:
            return INVALID
        if not _EMAIL_RE.match(address):
            return ctx.error(path, f'"{value}" is not an email address.', "Write it like name@example.org.")
        return address


class Slug(FieldType):
    """A reference to another item, by its slug; resolved later by the graph."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.describe = f"the slug (file name) of one of the {kind}"
        self.example = "my-slug"

    def check(self, value, ctx, path):
        if not isinstance(value, str):
            return self.wrong_type(value, ctx, path)
        if not SLUG_RE.match(value):
            return ctx.error(path, f'"{value}" is not a slug.',
                             f"Use the file name of one of the {self.kind}, without its extension.")
        return Ref(self.kind, value, ctx.location(path))


@dataclass(frozen=True)
class Ref:
    """A slug reference, with where it was written so the graph can point at it."""

    kind: str
    slug: str
    where: Location = field(compare=False)


class ContentFile(FieldType):
    """A path of a file under content/ (an image); never outside it."""

    describe = "the path of a file under content/, like images/ada.jpg"
    example = "images/photo.jpg"

    def check(self, value, ctx, path):
        if not isinstance(value, str):
            return self.wrong_type(value, ctx, path)
        found = first_control_character(value)
        if found:  # a file name may hold spaces, never line breaks
            return ctx.error(path, f"{field_label(path)} contains {describe_character(found[1])}.",
                             "Write the path on one line.")
        rel = value.strip().removeprefix("/").removeprefix("content/")
        normal = posixpath.normpath(rel)
        if "\\" in value or normal.startswith("..") or posixpath.isabs(normal) or ":" in normal:
            return ctx.error(path, f'"{value}" points outside the content/ folder.',
                             "Put the file under content/ and give its path from there, e.g. images/ada.jpg.")
        if ctx.content_dir is not None:
            target = ctx.content_dir / normal
            usable = target.is_file() and not target.is_symlink()
            if ctx.file_checks is not None:  # the result depends on it (parsed_sources.py)
                ctx.file_checks.append((normal, usable))
            if not usable:
                return ctx.error(path, f'There is no file content/{normal}.',
                                 "Add the file in the same pull request, or fix the path.")
        return normal


class AliasPath(FieldType):
    describe = "an old path on this site, like /old-page/"
    example = "/old-page/"

    def check(self, value, ctx, path):
        if not isinstance(value, str):
            return self.wrong_type(value, ctx, path)
        alias = value.strip()
        if refuse_spaces(alias, value, ctx, path, kind="path") is INVALID:
            return INVALID
        parts = urlsplit(alias)
        if parts.scheme or parts.netloc or not alias.startswith("/") or parts.query or parts.fragment:
            return ctx.error(path, f'The alias "{value}" must be a path on this site starting with /.',
                             "Write only the path, like /icml-2021-social/.")
        segments = [s for s in alias.split("/") if s]
        if any(s in (".", "..") for s in segments) or not segments:
            return ctx.error(path, f'The alias "{value}" is not a usable path.',
                             "Write a path like /old-name/ with no . or .. parts.")
        hidden = next((s for s in segments if s.startswith(".") or s in HOSTING_NAMES), None)
        if hidden:
            return ctx.error(path, f'The alias "{value}" would write "{hidden}", a file that tells the web host '
                             "what to do.", "Aliases are for old page addresses; ask a maintainer to add "
                             "hosting files to the static folder named in site.yaml.")
        last = segments[-1]
        clean = "/" + "/".join(segments)
        return clean if "." in last and not alias.endswith("/") else clean + "/"


class ListOf(FieldType):
    def __init__(self, item: FieldType, *, unique: bool = False) -> None:
        self.item, self.unique = item, unique
        self.describe = f"a list of {_plural(item.describe)}"
        self.example = [item.example] if not isinstance(item.example, list) else item.example

    def check(self, value, ctx, path):
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and not isinstance(self.item, Object):
            # `tags: dlct` is a common slip; a one-item list is what was meant.
            ctx.doc.value_positions.setdefault(path + (0,), ctx.doc.position(path))
            if path in ctx.doc.scalar_texts:
                ctx.doc.scalar_texts[path + (0,)] = ctx.doc.scalar_texts[path]
            value = [value]
        if not isinstance(value, list):
            return self.wrong_type(value, ctx, path)
        result = [self.item.check(v, ctx, path + (i,)) for i, v in enumerate(value)]
        if any(r is INVALID for r in result):
            return INVALID
        return tuple(result)


def _plural(text: str) -> str:
    return text.replace("a ", "", 1).replace("an ", "", 1) if text.startswith(("a ", "an ")) else text


@dataclass(frozen=True)
class Field:
    """One row of a schema table."""

    name: str
    type: FieldType
    help: str
    required: bool = False
    example: Any = None  # shown in `mlcsite new` starters and the docs


class Object(FieldType):
    """A group of named fields; unknown names are errors with a suggestion."""

    def __init__(self, fields: Sequence[Field], describe: str = "a group of fields",
                 build: Callable[[dict], Any] | None = None) -> None:
        self.fields = {f.name: f for f in fields}
        self.describe, self.build = describe, build
        self.example = None

    def check(self, value, ctx, path):
        if not isinstance(value, dict):
            return self.wrong_type(value, ctx, path)
        return check_fields(self.fields, value, ctx, path, build=self.build)


def check_fields(fields: dict[str, Field], data: dict, ctx: FieldContext, path: Path,
                 build: Callable[[dict], Any] | None = None) -> Any:
    """Check every field of a mapping; report all problems, never only the first."""
    result, ok = check_each_field(fields, data, ctx, path)
    if not ok:
        return INVALID
    return build(result) if build else result


def check_each_field(fields: dict[str, Field], data: dict, ctx: FieldContext, path: Path) -> tuple[dict, bool]:
    """(the values that checked out, whether all did): after an error, the good
    values still serve cross-field rules and reference checks."""
    result: dict[str, Any] = {}
    ok = True
    for key, value in data.items():
        spec = fields.get(key)
        if spec is None:
            hint = did_you_mean(key, fields) or "Known fields: " + ", ".join(fields) + "."
            ctx.error(path + (key,), f'Unknown field "{key}".', hint, at_key=True)
            ok = False
            continue
        checked = spec.type.check(value, ctx, path + (key,))
        if checked is INVALID:
            ok = False
        else:
            result[key] = checked
    for name, spec in fields.items():
        if spec.required and name not in data:
            where = "" if not path else f" in {field_label(path)}"
            example = spec.example if spec.example is not None else spec.type.example
            ctx.error(path, f'The required field "{name}" is missing{where}.',
                      f"Add a line like: {name}: {_example_text(example)}" if example is not None else "")
            ok = False
    return result, ok


class OneOf(FieldType):
    """Text or a group of fields, e.g. a location: "Online" or {name, url}."""

    def __init__(self, text: FieldType, obj: Object, describe: str) -> None:
        self.text, self.obj, self.describe = text, obj, describe
        self.example = text.example

    def check(self, value, ctx, path):
        if isinstance(value, dict):
            return self.obj.check(value, ctx, path)
        return self.text.check(value, ctx, path)
