"""Rendering the planned outputs into output/, only what changed.

An output is rendered when its cache key differs from the one the last build
recorded for its path (incremental.RenderCache); otherwise the file already in
output/ is kept. Two ways to put the result on disk:

- staged (`mlcsite build`, and watch when much changed): a new folder is filled
  as outputs render (unchanged files hard-linked from output/), then swapped in
  whole; an error discards it, leaving output/ untouched;
- in place (watch, few changes): the few rendered files are written over
  output/ one by one, only where their bytes differ;
- staged in place (`mlcsite build` that renders few outputs, in_place.py): the
  same staging calls, but only the new files are staged, and they are moved
  over output/ once the whole build succeeded (undone if that fails).
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from .build_cache import Written, digest_of
from .incremental import RenderCache
from .render.markup import TextTooCostly
from .render.outputs import Output, RenderContext
from .render_pool import Attempt, Failed, rendered_in_order, worker_count
from .in_place import InPlace
from .output_folder import MARKER
from .writer import Staging, update_files

IN_PLACE_LIMIT = 200  # more changed outputs than this: stage (bounded memory, one swap)
# `mlcsite build` renders at most this share of the outputs: update output/ in place.
# More, and one atomic swap is worth re-linking the unchanged files.
BUILD_IN_PLACE_SHARE = 0.25


@dataclass
class Update:
    """What a build did to output/."""

    files: dict[str, Written] = field(default_factory=dict)  # what output/ now holds
    rendered: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # files written or removed, sorted
    others: list[str] | None = None  # the other files output/ holds (the companion's), when known


@dataclass(frozen=True)
class Renderer:
    """How outputs render: `attempt` works in this process or a forked worker (a
    template error comes back as data); `report` records it here, as a diagnostic."""

    attempt: Attempt
    report: Callable[[tuple], None]
    jobs: int | None = None  # worker processes for a big render; None: chosen from the work
    before_fork: Callable[[], None] = lambda: None  # work done once here that every worker would repeat
    after_chunk: Callable[[], object] = lambda: None  # in a worker, between chunks: bound what it keeps
    from_worker: Callable[[object], None] = lambda sent: None  # here: what after_chunk returned there

    def __call__(self, output: Output) -> bytes | None:
        """In this process; None: it failed (reported), stop."""
        result = self.attempt(output)
        if isinstance(result, Failed):
            self.report(result.problem)
            return None
        return result


class Companion(Protocol):
    """Files made from the rendered pages, which go out with them: the search
    index (search/index.py). Not a planned output: its files are known only
    once the pages are."""

    def start_early(self, pages: list[tuple[str, bytes, str]]) -> None: ...  # edited pages, before the rest (edited_first.py)
    def expect(self, planned: list[str], rendering: list[str]) -> None: ...  # before rendering: what will come
    def take(self, path: str, data: bytes, digest: str) -> None: ...  # each output rendered (digest_of), as it arrives
    def stage(self, staging: Staging, files: dict[str, Written]) -> list[str]: ...  # before the swap
    def write_in_place(self, out_dir: Path, files: dict[str, Written]) -> list[str]: ...  # after the pages


def update_output(outputs: list[Output], keys: dict[str, str], render: Renderer, out_dir: Path,
                  cache: RenderCache | None, companion: Companion) -> Update | None:
    """Bring out_dir to the planned outputs and the companion's files; None
    when rendering failed (then out_dir is as it was)."""
    previous = cache.written if cache else {}
    todo = [o for o in outputs if previous.get(o.path) is None or previous[o.path].key != keys[o.path]]
    if previous and not todo and len(previous) == len(outputs):  # nothing changed: nothing rendered, nothing written
        return Update(dict(previous), others=cache.others if cache else None)
    if cache is not None and cache.in_place and previous and len(todo) <= IN_PLACE_LIMIT:
        return _in_place(outputs, todo, keys, render, out_dir, previous, companion)
    if cache is not None and previous and cache.present is not None and len(todo) <= len(outputs) * BUILD_IN_PLACE_SHARE:
        # output/ changes before the record of it is saved: a build killed in between leaves a full build next
        staging = InPlace(out_dir, cache.present, before_swap=lambda: cache.forget_persisted(out_dir))
    else:
        staging = Staging(out_dir)
    return _staged(outputs, keys, render, staging, previous, companion)


def _staged(outputs: list[Output], keys: dict[str, str], render: Renderer, staging: Staging | InPlace,
            previous: dict[str, Written], companion: Companion) -> Update | None:
    update = Update()
    try:
        todo = []
        for output in outputs:
            old = previous.get(output.path)
            if old is not None and old.key == keys[output.path] and staging.keep(output.path, old.size):
                update.files[output.path] = old
            else:
                update.files[output.path] = None  # its place in plan order, filled when it renders
                todo.append(output)
        companion.expect([o.path for o in outputs], [o.path for o in todo])
        workers = worker_count(len(todo), render.jobs)
        if workers > 1:
            render.before_fork()
        results = rendered_in_order(in_render_order(todo), render.attempt, workers, render.after_chunk,
                                    render.from_worker)
        with closing(results):  # stopping early stops the workers
            for output, data in results:
                if isinstance(data, Failed):
                    render.report(data.problem)
                    return None
                written = update.files[output.path] = Written(keys[output.path], digest_of(data), len(data))
                old = previous.get(output.path)  # rendered again to the same bytes: the file on disk stays
                if old is None or old.digest != written.digest or not staging.keep(output.path, old.size):
                    staging.write(output.path, data)
                companion.take(output.path, data, written.digest)
        update.rendered = [o.path for o in todo]  # in plan order, not the order they rendered in
        companion_written = companion.stage(staging, update.files)
        staging.swap_in()
    finally:
        staging.discard()
    update.written = sorted([*_changed(previous, update.files), *companion_written])
    update.others = sorted(set(staging.claimed) - set(update.files) - {MARKER})
    return update


def in_render_order(outputs: list[Output]) -> list[Output]:
    """Pages that show one item first, then the lists, feeds and calendars that
    show many, by how many (stable: ties stay in plan order). A list then finds
    its items' Markdown converted, kept in the store by whichever render worker
    converted it (markdown_store.py). In plan order, the site calendar (2,000
    events) came first and converted every event's text in one worker, while the
    other, its few chunks ahead done, waited: 10 s with one core idle at the
    start of a 10,000-post build. Failures are still reported one at a time,
    the first in this order."""
    return sorted(outputs, key=lambda output: len(output.shows))


def _in_place(outputs: list[Output], todo: list[Output], keys: dict[str, str], render: Renderer, out_dir: Path,
              previous: dict[str, Written], companion: Companion) -> Update | None:
    update = Update({o.path: previous[o.path] for o in outputs if o.path in previous})
    companion.expect([o.path for o in outputs], [o.path for o in todo])
    changed: dict[str, bytes] = {}
    for output in todo:
        data = render(output)
        if data is None:
            return None
        written = Written(keys[output.path], digest_of(data), len(data))
        old = previous.get(output.path)
        if old is None or old.digest != written.digest:
            changed[output.path] = data
        companion.take(output.path, data, written.digest)
        update.files[output.path] = written
        update.rendered.append(output.path)
    gone = [path for path in previous if path not in update.files]
    update_files(out_dir, changed, gone)
    update.files = {o.path: update.files[o.path] for o in outputs}  # in plan order
    update.written = sorted([*changed, *gone, *companion.write_in_place(out_dir, update.files)])
    return update


def _changed(previous: dict[str, Written], now: dict[str, Written]) -> list[str]:
    differ = [path for path, w in now.items() if path not in previous or previous[path].digest != w.digest]
    return sorted([*differ, *(path for path in previous if path not in now)])


def compile_templates(ctx: RenderContext) -> None:
    """Before forking: compile the theme's templates once, for every worker. One
    that does not compile is left for rendering to report, as one process would."""
    import jinja2

    for name in ctx.env.list_templates(extensions=("html", "xml")):
        try:
            ctx.env.get_template(name)
        except jinja2.TemplateError:
            pass


WORKER_MEMO_ENTRIES = 1500  # rendered texts a worker keeps (~20 MB): a 10,000-post site's would pass 400 MiB


def after_worker_chunk(ctx: RenderContext) -> list | None:
    """In a worker, after each chunk: forget the rendered Markdown when it grows
    big, and give the rows made since the last chunk (fragment_memo.py) to the
    parent, which keeps them for the next build. Markdown entries are keyed by
    their text, so forgetting costs time (a text needed again is converted
    again: summaries, a few feed posts), never a different byte."""
    if len(ctx.markdown.entries) > WORKER_MEMO_ENTRIES:
        ctx.markdown.entries.clear()
    return ctx.fragments.take_new() if ctx.fragments is not None else None


def rows_from_worker(ctx: RenderContext, rows: list | None) -> None:
    """Here: the rows a worker sent (after_worker_chunk)."""
    if rows and ctx.fragments is not None:
        ctx.fragments.add(rows)


def render_with(ctx: RenderContext, describe: Callable[[Exception, Output], tuple]) -> Attempt:
    """Render one output; a template error, or a Markdown text past its budget,
    becomes Failed(describe(error, output))."""
    import jinja2

    def attempt(output: Output) -> bytes | Failed:
        try:
            return output.render(ctx)
        except (jinja2.TemplateError, TextTooCostly) as exc:
            return Failed(describe(exc, output))
    return attempt
