"""Everything that is not a content page: copied files, alias redirects,
sitemap.xml and robots.txt."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from functools import partial
from html import escape  # not xml.sax.saxutils: it imports urllib.request, http, ssl and email (18 ms a build)
from operator import itemgetter
from pathlib import Path

from ..content.discover import is_ignored_name
from ..content.models import Item
from ..diagnostics import Diagnostics, Location
from ..graph import Site
from ..urls import absolute, item_url, site_path
from .item_dates import UTC
from .outputs import SETTINGS, THEME, Output, RenderContext

STATIC_DIR = "static"  # under templates/: the theme's assets, served at /assets/


def _read(path: Path, ctx: RenderContext) -> bytes:
    return path.read_bytes()


def plan_assets(site: Site, template_dir: Path, diagnostics: Diagnostics) -> list[Output]:
    """Copied files: content/ files that passed the allow-list (content/assets.py),
    the theme's static/ at /assets/, and the maintainers' static folder at the root."""
    outputs = [Output("/" + rel, partial(_read, path), frozenset({f"content/{rel}"}),
                      Location(f"content/{rel}"), kind="asset", identity=f"copy content/{rel}")
               for path, rel in site.assets]
    root = template_dir.parent
    # Editor droppings (.DS_Store, x~) are never published: watch ignores them too.
    for path, rel in _owned_files(template_dir / STATIC_DIR, root, diagnostics, keep=lambda n: not is_ignored_name(n)):
        outputs.append(Output(f"/assets/{rel}", partial(_read, path), frozenset({THEME}), kind="asset",
                              identity=f"copy {STATIC_DIR}/{rel}"))
    folder = site.settings.static_folder
    if folder:  # hosting files on purpose (CNAME, .well-known/): only droppings are left out
        for path, rel in _owned_files(root / folder, root, diagnostics, keep=_not_a_dropping):
            outputs.append(Output(f"/{rel}", partial(_read, path), frozenset({SETTINGS, f"{folder}/{rel}"}),
                                  Location(f"{folder}/{rel}"), kind="asset", identity=f"copy {folder}/{rel}"))
    return outputs


def _not_a_dropping(name: str) -> bool:
    return name == ".well-known" or name.startswith(".ht") or not is_ignored_name(name)


def _owned_files(folder: Path, root: Path, diagnostics: Diagnostics, keep) -> list[tuple[Path, str]]:
    """(path, path under the folder) of its files, sorted. A link that leads out
    of the repository or into .git/ is reported, never followed (issue 10, case 5)."""
    if not folder.is_dir():
        return []
    real_root = root.resolve()
    found = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if keep(d))
        for name in [*dirs, *files]:
            path = Path(current) / name
            target = path.resolve()
            if path.is_symlink() and (not target.is_relative_to(real_root) or target.is_relative_to(real_root / ".git")
                                      or target.is_dir()):
                diagnostics.error(Location(path.relative_to(root).as_posix()),
                                  "This is a link out of the repository, into .git/ or to a folder; it was not "
                                  "published.", "Replace the link with the file itself.")
            elif name in files and keep(name) and path.is_file():
                found.append((path, path.relative_to(folder).as_posix()))
    return sorted(found, key=lambda pair: pair[1])


def plan_redirects(site: Site) -> list[Output]:
    outputs = []
    for item in site.all_items():
        for index, alias in enumerate(item.aliases):
            outputs.append(Output(alias, partial(_render_redirect, item_url(item)),
                                  frozenset({item.source, THEME, SETTINGS}), item.where("aliases", index),
                                  kind="redirect", identity=f"redirect to {item_url(item)}"))
    return outputs


def _render_redirect(target: str, ctx: RenderContext) -> bytes:
    template = ctx.env.get_template("redirect.html")
    return template.render(target=target, page_url=target).encode("utf-8")


def plan_meta(outputs: list[Output], site: Site) -> list[Output]:
    """sitemap.xml lists every page planned so far; robots.txt points at it."""
    # Each page's <lastmod> is the newest commit among the sources it shows. Chosen
    # here, where the dates are known: the sitemap's identity is then exactly
    # what it prints besides the base URL, and it reads no source itself.
    newest = _Newest(site)
    pages = sorted(((o.url, newest.of(o)) for o in outputs if o.in_sitemap), key=itemgetter(0))
    # The home page sums up the site (and declared every source when it showed
    # it all): its <lastmod> is the site's newest change, the newest of any page.
    site_changed = max((changed for _, changed in pages if changed is not None), default=None)
    pages = [(url, site_changed if url == "/" else changed) for url, changed in pages]
    listed = "\n".join(f"{url} {changed.isoformat() if changed else ''}" for url, changed in pages)
    return [
        Output("/sitemap.xml", partial(_render_sitemap, pages), frozenset({SETTINGS}), kind="meta",
               identity="sitemap " + hashlib.blake2b(listed.encode("utf-8", "surrogatepass"),
                                                     digest_size=16).hexdigest()),
        Output("/robots.txt", _render_robots, frozenset({SETTINGS}), kind="meta", identity="robots"),
    ]


class _Newest:
    """The newest last commit among an output's inputs, found per item shown
    (each item's once): the outputs' inputs are not unions made in advance
    (outputs.py). Without dates (no git history), there is nothing to find."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.last = {source: dates.last for source, dates in site.dates.items()}
        self._items: dict[int, tuple[Item, dt.datetime | None]] = {}  # by id: the entry holds the item

    def of(self, output: Output) -> dt.datetime | None:
        if not self.last:
            return None
        return max(filter(None, [self._among(output.reads), *map(self._item, output.shows)]), default=None)

    def _item(self, item: Item) -> dt.datetime | None:
        entry = self._items.get(id(item))
        if entry is None:
            entry = self._items[id(item)] = (item, self._among(self.site.sources_shown_by(item)))
        return entry[1]

    def _among(self, tokens: frozenset[str]) -> dt.datetime | None:
        return max(map(self.last.__getitem__, self.last.keys() & tokens), default=None)


def _render_sitemap(pages: list[tuple[str, dt.datetime | None]], ctx: RenderContext) -> bytes:
    base = ctx.site.settings.base_url
    rows = "".join(f"  <url><loc>{escape(absolute(base, url), quote=False)}</loc>{_lastmod(changed)}</url>\n"
                   for url, changed in pages)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{rows}</urlset>\n").encode("utf-8")


def _lastmod(changed: dt.datetime | None) -> str:
    return f"<lastmod>{changed.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}</lastmod>" if changed else ""


def _render_robots(ctx: RenderContext) -> bytes:
    settings = ctx.site.settings
    return (f"User-agent: *\nAllow: {site_path(settings.base_path, '/')}\n\n"
            f"Sitemap: {absolute(settings.base_url, '/sitemap.xml')}\n").encode("utf-8")
