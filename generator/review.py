"""Review warnings: content that is valid but that a reviewer would send back.

`mlcsite check` adds these after the content checks; they never fail a check
(they are warnings), but they show up as annotations on the pull request:

- a placeholder from `mlcsite new` (a line with FILL IN) not yet filled;
- an image without alt text (screen readers announce nothing, or the file name);
- a member nobody can reach (no links) who is not in anything either;
- an event without a location and no way to join (no link, no series join);
- a tag one edit away from another tag ("dataset" and "datasets").
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Iterable

from .diagnostics import Diagnostics, Location
from .graph import Site

_PLACEHOLDER = re.compile(r"FILL[ -]IN")
_IMAGE_WITHOUT_ALT = re.compile(r"!\[\s*\]\(|<img\b(?![^>]*\balt\s*=\s*[\"']?[^\"'\s>])[^>]*>", re.I)


def review_site(site: Site, root: Path, sources: Iterable[str], diagnostics: Diagnostics) -> None:
    """Append review warnings; skip a place that already has a diagnostic.
    `sources`: the content files (relative to root), read again here (a build keeps no bytes)."""
    found = Diagnostics()
    for rel in sorted(sources):
        try:
            review_text(rel, (root / rel).read_bytes().decode("utf-8", errors="replace"), found)
        except OSError:  # removed since it was loaded
            pass
    review_members(site, found)
    review_events(site, found)
    review_tags(site, found)
    already = {d.location for d in diagnostics.items}
    diagnostics.extend(d for d in found.items if d.location not in already)


def review_text(rel: str, text: str, found: Diagnostics) -> None:
    for number, line in enumerate(text.split("\n"), start=1):
        marker = _PLACEHOLDER.search(line)
        if marker:
            found.warning(Location(rel, number, marker.start() + 1), "A placeholder from `mlcsite new` is not filled in.",
                          "Write the real value in place of FILL IN; remove the line if it is a note, "
                          "or delete the field if it does not apply.")
        for image in _IMAGE_WITHOUT_ALT.finditer(line):
            found.warning(Location(rel, number, image.start() + 1), "This image has no alt text.",
                          "Say in a few words what it shows, e.g. ![Loss curves of the three runs](images/loss.png).")


def review_members(site: Site, found: Diagnostics) -> None:
    contributors = (set(site.projects_by_member) | set(site.posts_by_member) | set(site.talks_by_member)
                    | set(site.series_by_member) | set(site.rfps_by_member))
    for slug, member in site.members.items():
        if not member.links and slug not in contributors:
            found.warning(member.where("name"), f"{member.name} has no links, so nobody can reach them, "
                          "and is not in any project, post, talk or RFP.",
                          "Add at least one link (links: {website: …, github: …, email: …}), "
                          "or add them where they contributed.")


def review_events(site: Site, found: Diagnostics) -> None:
    for event in site.events.values():
        if not event.location and not site.join_of(event) and event.status != "cancelled":
            found.warning(event.where("title"), "This event says neither where it happens nor how to join.",
                          'Add a line like: location: Online — or {name: "…", url: "https://…", address: "…"}.')


def review_tags(site: Site, found: Diagnostics) -> None:
    uses: dict[str, list] = {}
    for kind in ("posts", "projects", "events"):
        for item in site.kind(kind).values():
            for tag in item.tags:
                uses.setdefault(tag, []).append(item)
    counts = Counter({tag: len(items) for tag, items in uses.items()})
    for first, second in combinations(sorted(uses), 2):
        if not one_edit_apart(first, second):
            continue
        # The rarer spelling is the likely slip; on a tie, the later one alphabetically.
        odd, usual = (first, second) if counts[first] < counts[second] else (second, first)
        for item in uses[odd]:
            where = item.where("tags", item.tags.index(odd))
            found.warning(where if where.line else item.where("tags"),
                          f'The tag "{odd}" is one letter away from the tag "{usual}" '
                          f"(used {counts[usual]} time{'s' if counts[usual] != 1 else ''}).",
                          f'Use "{usual}" if it is the same topic.')


def one_edit_apart(a: str, b: str) -> bool:
    """True when one letter inserted, removed or replaced turns a into b."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k in range(len(a)) if a[k] != b[k]), len(a))
    return a[i + 1:] == b[i + 1:] if len(a) == len(b) else a[i:] == b[i + 1:]
