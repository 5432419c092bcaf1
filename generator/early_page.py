"""Watch: the saved item's own page first, before the rest of the rebuild.

Re-planning a 10,000-post site takes seconds; the contributor waits for one
page. When every change of a burst is an edit of a content source that changes
only what its page shows (title, text, summary) and nothing that decides which
outputs exist or whether the build succeeds (slug, date, draft, tags, people,
images, ...), that item's page is rendered at once from the last build's plan,
with the item swapped for the new one, and written over output/. The full
incremental rebuild follows in the same step and brings every other output
(lists, feeds, tags) up to date; its result is what a clean build gives, byte
for byte, and it rewrites the early page too if it differs. If that build fails,
the early page is put back as it was (watcher.WatchSession).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .build_cache import Written
from .content.discover import source_for
from .diagnostics import Location
from .incremental import RenderCache
from .output_update import digest_of
from .render.image_refs import images_shown_by
from .render.outputs import Output, RenderContext
from .writer import update_files

# Fields that only change what an item's pages show: never which outputs exist,
# their inputs, or whether the build succeeds.
SHOWN_ONLY = ("title", "body", "summary", "description", "tldr")


@dataclass
class EarlyWrite:
    """What was written early, and how to put it back if the rebuild fails."""

    paths: list[str] = field(default_factory=list)
    before: dict[str, tuple[bytes | None, Written | None]] = field(default_factory=dict)

    def merged(self, later: "EarlyWrite") -> "EarlyWrite":
        """Two early writes in a row: undoing them restores what was there before the first."""
        return EarlyWrite(sorted({*self.paths, *later.paths}), {**later.before, **self.before})

    def undo(self, out_dir: Path, cache: RenderCache) -> None:
        restore = {rel: data for rel, (data, _) in self.before.items() if data is not None}
        update_files(out_dir, restore, [rel for rel, (data, _) in self.before.items() if data is None])
        for rel, (_, written) in self.before.items():
            if written is None:
                cache.written.pop(rel, None)
            else:
                cache.written[rel] = written


def write_edited_pages(cache: RenderCache, out_dir: Path, changes: list[str]) -> EarlyWrite | None:
    """Render and write the own page of each edited source, if the fast path
    applies to every change; None when it does not (nothing written)."""
    last = cache.last_build
    if last is None:
        return None
    ctx, outputs = last
    changes = [rel for rel in changes if not came_and_went(cache, ctx.root, rel)]
    if not changes or not all(rel.startswith("content/") for rel in changes):
        return None
    site, swaps = ctx.site, []
    for rel in sorted(set(changes)):
        swap = _swapped_item(cache, ctx, rel)
        if swap is None:
            return None
        swaps.append(swap)
    for old, new in swaps:
        table = dict(site.kind(old.kind))
        table[old.slug] = new
        site = dataclasses.replace(site, **{old.kind: table})
    early = RenderContext(site=site, now=ctx.now, root=ctx.root, template_dir=ctx.template_dir, drafts=ctx.drafts,
                          markdown=ctx.markdown)
    early.env.bytecode_cache = cache.templates
    rendered = _render_own_pages(early, outputs, swaps)
    if rendered is None:
        return None
    changed = {rel: data for rel, data in rendered.items()
               if rel not in cache.written or cache.written[rel].digest != digest_of(data)}
    return _write(cache, out_dir, changed) if changed else None


def came_and_went(cache: RenderCache, root: Path, rel: str) -> bool:
    """A file the last build did not read and that is gone: a copy written aside
    and renamed over the real file within the save (`sed -i`'s sedXXXXXX, a
    tool's tmpXXXXXX: names no editor-junk rule can know). It changes nothing."""
    return cache.inputs is not None and rel not in cache.inputs.files and not (root / rel).exists()


def _swapped_item(cache: RenderCache, ctx: RenderContext, rel: str):
    """(the item in the last build's graph, the same with the new shown fields),
    or None when this change needs the full path."""
    source = source_for(ctx.root, rel)
    old = cache.parsed.by_source.get(rel)
    if source is None or old is None or old.item is None:
        return None
    try:
        data = source.path.read_bytes()
    except OSError:
        return None
    new = cache.parsed.load_one(source, ctx.root / "content", data, ctx.site.settings.limits)
    if new.item is None or any(d.severity == "error" for d in new.diagnostics) or type(new.item) is not type(old.item):
        return None
    if _without_shown(new.item) != _without_shown(old.item) or images_shown_by(new.item) != images_shown_by(old.item):
        return None
    in_graph = ctx.site.kind(source.kind).get(source.slug)
    if in_graph is None or in_graph.source != rel:
        return None  # not shown (a draft, a post dated later)
    shown = {name: getattr(new.item, name) for name in SHOWN_ONLY if hasattr(new.item, name)}
    return in_graph, dataclasses.replace(in_graph, **shown)


def _without_shown(item):
    return dataclasses.replace(item, **{name: None for name in SHOWN_ONLY if hasattr(item, name)})


def _render_own_pages(ctx: RenderContext, outputs: list[Output], swaps: list) -> dict[str, bytes] | None:
    rendered: dict[str, bytes] = {}
    for old, new in swaps:
        for output in outputs:
            if output.kind != "page" or output.origin != Location(old.source):
                continue
            render = _with_item(output.render, old, new)
            if render is None:
                return None
            try:
                rendered[output.path] = render(ctx)
            except Exception:  # a template problem: the full build reports it
                return None
    return rendered or None


def _with_item(render, old, new):
    """The same renderer with `new` where it was given `old` (pages pass the item
    in their context dict: render/pages.py `page`)."""
    if not isinstance(render, partial):
        return None
    swapped = False

    def swap(value):
        nonlocal swapped
        if value is old:
            swapped = True
            return new
        if isinstance(value, dict) and any(v is old for v in value.values()):
            swapped = True
            return {k: new if v is old else v for k, v in value.items()}
        return value
    args = tuple(swap(a) for a in render.args)
    keywords = {k: swap(v) for k, v in render.keywords.items()}
    return partial(render.func, *args, **keywords) if swapped else None


def _write(cache: RenderCache, out_dir: Path, rendered: dict[str, bytes]) -> EarlyWrite:
    early = EarlyWrite(sorted(rendered))
    for rel, data in rendered.items():
        try:
            before = (out_dir / rel).read_bytes()
        except OSError:
            before = None
        early.before[rel] = (before, cache.written.get(rel))
        # An empty key: the rebuild renders it again, and compares with what is on disk now.
        cache.written[rel] = Written("", digest_of(data), len(data))
    cache.forget_persisted(out_dir)  # output/ no longer matches the saved manifest
    update_files(out_dir, rendered, [])
    return early
