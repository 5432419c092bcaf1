"""All outputs of a build, planned before anything renders.

The plan is the one list that URL collisions, the sitemap and the redirects come
from (STYLE: declare outputs before rendering). `mlcsite check` plans too, so a
collision fails a pull request without building it.
"""

from __future__ import annotations

from collections import defaultdict
from operator import attrgetter
from pathlib import Path

from ..diagnostics import Diagnostics, Location
from ..graph import Site
from .calendars import plan_calendars
from .extras import plan_assets, plan_meta, plan_redirects
from .feeds import plan_feeds
from .images import plan_images
from .outputs import Output
from .pages import plan_pages
from ..search.reserved import reserve_search_folder


def plan_outputs(site: Site, template_dir: Path, diagnostics: Diagnostics, root: Path) -> list[Output]:
    images = plan_images(site, root)
    # An image replaces its plain copy: published without metadata, with its WebP widths.
    replaced = {o.url for o in images}
    assets = [o for o in plan_assets(site, template_dir, diagnostics) if o.url not in replaced]
    outputs = [*plan_pages(site), *plan_feeds(site), *plan_calendars(site), *plan_redirects(site),
               *assets, *images]
    outputs += plan_meta(outputs, site)  # last: the sitemap lists what came before
    find_url_collisions(outputs, diagnostics)
    reserve_search_folder(outputs, diagnostics)
    return sorted(outputs, key=attrgetter("path"))


def find_url_collisions(outputs: list[Output], diagnostics: Diagnostics) -> None:
    paths = [output.path.lower() for output in outputs]  # case-insensitive disks (macOS) collide too
    if len(set(paths)) == len(paths):  # the common case, found in C
        return
    by_path: dict[str, list[Output]] = defaultdict(list)
    for path, output in zip(paths, outputs):
        by_path[path].append(output)
    for claimants in by_path.values():
        if len(claimants) < 2:
            continue
        described = [_describe(o) for o in claimants]
        url = claimants[0].url
        for output in claimants:
            if output.origin is None:
                continue
            others = [d for o, d in zip(claimants, described) if o is not output]
            diagnostics.error(Location(output.origin.path, output.origin.line, output.origin.column),
                              f"The URL {url} is also used by {', '.join(others)}.",
                              "Rename the file or change the alias so that each URL has one owner.")
        if all(o.origin is None for o in claimants):
            diagnostics.error(Location("templates"), f"The theme plans {url} twice.", "This is a bug in the theme.")


def _describe(output: Output) -> str:
    if output.origin is None:
        return f"the site's own {output.url} page"
    what = "an alias in " if output.kind == "redirect" else ""
    line = f" (line {output.origin.line})" if output.origin.line else ""
    return what + output.origin.path + line
