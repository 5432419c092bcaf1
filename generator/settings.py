"""site.yaml: the site-wide settings, checked like any content file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .content.fields import INVALID, Field, FieldContext, FieldType, Integer, ListOf, Object, Slug, Text, Url, check_fields
from .content.assets import DEFAULT_TYPES, KNOWN_TYPES
from .content.limits import Limits
from .content.time_fields import TimeZone
from .content.load import read_text
from .content.yaml_source import YamlProblem, parse_yaml
from .diagnostics import Diagnostics, Location
from .search.shards import DEFAULT_SIZE as DEFAULT_SHARD_SIZE

SETTINGS_FILE = "site.yaml"
RESERVED_FOLDERS = ("content", "templates", "generator", "tests", "output", ".git")


class PublishedType(FieldType):
    describe = "a file type like .png"
    example = ".png"

    def check(self, value, ctx, path):
        if not isinstance(value, str):
            return self.wrong_type(value, ctx, path)
        suffix = "." + value.strip().lower().lstrip(".")
        if suffix not in KNOWN_TYPES:
            return ctx.error(path, f'"{value}" files cannot be published from content/: only types whose content '
                             f"the check can verify ({', '.join(KNOWN_TYPES)}).",
                             "Files the maintainers vouch for (HTML, SVG, CNAME, …) go in the static folder.")
        return suffix


class StaticFolder(FieldType):
    describe = "a folder of the repository, like static"
    example = "static"

    def check(self, value, ctx, path):
        if not isinstance(value, str):
            return self.wrong_type(value, ctx, path)
        folder = value.strip().strip("/")
        parts = folder.split("/")
        if not folder or "\\" in folder or any(p in ("", ".", "..") for p in parts) or parts[0] in RESERVED_FOLDERS:
            return ctx.error(path, f'"{value}" cannot be the static folder.',
                             "Name a folder of its own at the top of the repository, like static.")
        return folder


class BaseUrl(FieldType):
    describe = "an absolute address like https://mlcollective.org"
    example = "https://mlcollective.org"

    def check(self, value, ctx, path):
        url = Url().check(value, ctx, path)
        if url is INVALID:
            return INVALID
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.query or parts.fragment:
            return ctx.error(path, f'"{url}" is not {self.describe}.', "Give the scheme, host and path only.")
        return normalize_base_url(url)


class UrlMap(FieldType):
    describe = "a list of `name: URL` lines"

    def check(self, value, ctx, path):
        if not isinstance(value, dict):
            return self.wrong_type(value, ctx, path)
        checked = {key: Url().check(v, ctx, path + (key,)) for key, v in value.items()}
        return INVALID if INVALID in checked.values() else checked


SITE_FIELDS = [
    Field("title", Text(example="ML Collective"), "Site title.", required=True),
    Field("description", Text(), "One sentence describing the site."),
    Field("base_url", BaseUrl(), "Absolute address the site is published at; may have a path.", required=True),
    Field("language", Text(example="en"), "Language code, e.g. en."),
    Field("timezone", TimeZone(), "IANA zone: the default for events.", required=True),
    Field("mission", Text(), "The mission in one sentence, shown on the home page."),
    Field("nav", ListOf(Object([
        Field("title", Text(), "Label.", required=True),
        Field("url", Url(site_relative=True), "Path on this site or web address.", required=True),
    ], "{title, url}")), "Navigation links, each {title, url}."),
    Field("social", UrlMap(), "Social profiles: name → URL."),
    Field("join", ListOf(Object([
        Field("title", Text(), "Label.", required=True),
        Field("url", Url(site_relative=True), "Where to go.", required=True),
        Field("note", Text(), "One sentence."),
    ], "{title, url, note}")), "How to join, shown on the home page."),
    Field("featured_projects", ListOf(Slug("projects")), "Project slugs featured on the home page."),
    Field("feed_items", Integer(1, 1000, "a number of items", 20), "How many items each feed carries (default 20)."),
    Field("limits", Object([
        Field("file_size", Integer(1000, 100_000_000, "a number of bytes", 1_000_000),
              "Largest content file, in bytes (default 1000000)."),
        Field("nesting_depth", Integer(1, 100, "a depth", 20),
              "How deep lists, quotes and HTML blocks may nest (default 20)."),
        Field("footnotes", Integer(0, 100_000, "a number of footnotes", 300), "Footnotes per text (default 300)."),
        Field("code_block", Integer(100, 100_000_000, "a number of characters", 100_000),
              "Characters in one code block (default 100000)."),
        Field("tags", Integer(1, 10_000, "a number of tags", 20), "Tags per item (default 20)."),
        Field("markdown_seconds", Integer(1, 3600, "a number of seconds", 5),
              "Longest the build may spend rendering one Markdown text, in CPU time, so a busy "
              "machine does not fail a build (default 5)."),
    ], "{file_size, nesting_depth, footnotes, code_block, tags, markdown_seconds}", build=lambda v: Limits(**v)),
        "Bounds on each content file, so that no pull request can stall the build."),
    Field("search", Object([
        Field("shard_size", Integer(1, 1_000_000, "a number of pages", DEFAULT_SHARD_SIZE),
              f"Pages per shard of the search index (default {DEFAULT_SHARD_SIZE}): a build re-indexes only the "
              "shards whose pages changed, so smaller shards make a rebuild's search step shorter, larger ones "
              "make fewer files for a visitor's search to load."),
    ], "{shard_size}", build=lambda v: SearchSettings(**v)), "How the search index is made."),
    Field("published_types", ListOf(PublishedType()),
          "File types under content/ copied to the site, checked by content (default: "
          + ", ".join(DEFAULT_TYPES) + ")."),
    Field("static_folder", StaticFolder(), "A folder the maintainers own, copied to the site root as it is: "
          "the one place for HTML, SVG, CNAME or .well-known/ files."),
    Field("image_max_kb", Integer(1, 1_000_000, "a size in kilobytes", 5000),
          "Largest image file a page may show, in KB (default 5000); `check` warns above it."),
]


@dataclass(frozen=True)
class SearchSettings:
    shard_size: int = DEFAULT_SHARD_SIZE  # records per search shard (search/shards.py)


@dataclass(frozen=True)
class Settings:
    title: str
    base_url: str  # always ends with "/"
    timezone: str
    description: str = ""
    language: str = "en"
    mission: str = ""
    nav: tuple = ()
    social: dict = field(default_factory=dict, hash=False)
    join: tuple = ()
    featured_projects: tuple = ()
    feed_items: int = 20
    limits: Limits = Limits()
    search: SearchSettings = SearchSettings()
    published_types: tuple = DEFAULT_TYPES
    static_folder: str | None = None
    image_max_kb: int = 5000

    @property
    def base_path(self) -> str:
        """The path part of base_url: "/" or e.g. "/pr-42/"."""
        return urlsplit(self.base_url).path


def normalize_base_url(url: str) -> str:
    return url.rstrip("/") + "/"


def load_settings(root: Path, diagnostics: Diagnostics, base_url: str | None = None) -> Settings | None:
    path = root / SETTINGS_FILE
    if not path.is_file():
        diagnostics.error(Location(SETTINGS_FILE), "There is no site.yaml in this folder.",
                          "Run mlcsite from the site's root folder, or create site.yaml (see README).")
        return None
    text = read_text(path, SETTINGS_FILE, diagnostics)
    if text is None:
        return None
    try:
        doc = parse_yaml(text)
    except YamlProblem as problem:
        diagnostics.error(Location(SETTINGS_FILE, problem.line, problem.column), problem.message, problem.hint)
        return None
    ctx = FieldContext(doc, SETTINGS_FILE, diagnostics)
    values = check_fields({f.name: f for f in SITE_FIELDS}, doc.data, ctx, ())
    if values is INVALID:
        return None
    if base_url:
        values["base_url"] = normalize_base_url(base_url)
    return Settings(**values)
