"""The build, top to bottom.

    site.yaml ─► settings ─┐
    content/** ─► discover ─► load ─► graph ─► plan ─► render ─► write

Every stage appends Diagnostics; none raises on bad content. `check` stops after
planning (so URL collisions are caught), `build` renders and writes only when no
error was found.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from .content.assets import DEFAULT_TYPES
from .content.discover import discover
from .content.limits import Limits
from .diagnostics import Diagnostic, Diagnostics, Location
from .edited_first import edited_sources, render_edited_pages
from .event_checks import check_recurrences
from .event_times import zone
from .freed_memory import return_freed_memory
from .graph import Site, build_graph
from .history import HistoryMemo, read_dates
from .incremental import RenderCache
from .input_state import InputState, current_inputs
from .output_folder import output_folder_problem
from .output_update import Renderer, after_worker_chunk, compile_templates, render_with, rows_from_worker, update_output
from .parsed_sources import ParsedSources
from .plan_snapshot import keep_plan, plan_frame, reused_plan
from .render.images import check_images
from .render.markdown_memo import MarkdownMemo
from .render.markup import TextTooCostly
from .render.outputs import THEME as THEME_FOLDER, Output, RenderContext
from .render.plan import plan_outputs
from .search.index import SearchIndex
from .search.service import IndexerError
from .settings import Settings, load_settings


@dataclass(frozen=True)
class Options:
    root: Path
    out: Path | None = None  # default: root/output
    drafts: bool = False
    base_url: str | None = None
    now: dt.datetime | None = None  # default: SOURCE_DATE_EPOCH, else the wall clock
    jobs: int | None = None  # render processes; None: chosen from the work (render_pool.worker_count)

    @property
    def output_dir(self) -> Path:
        return self.out if self.out is not None else self.root / "output"

    @property
    def template_dir(self) -> Path:
        return self.root / "templates"

    @property
    def output_label(self) -> str:
        """The output folder as messages name it: "output/" inside the site, else its path."""
        try:
            return self.output_dir.resolve().relative_to(self.root.resolve()).as_posix() + "/"
        except ValueError:
            return str(self.output_dir)


@dataclass
class Plan:
    """The result of checking: the graph and the planned outputs, or diagnostics."""

    diagnostics: Diagnostics
    site: Site | None = None
    outputs: list[Output] = field(default_factory=list)
    now: dt.datetime | None = None
    # Content source → digest of the bytes parsed (what the build cache keys by). Not
    # the bytes: 13,000 sources (64 MiB) would live, in every render worker too, to the end.
    source_digests: dict[str, str] = field(default_factory=dict)
    kept_as: str | None = None  # the name of its snapshot in the cache folder, when kept (plan_snapshot.py)
    dependents: dict[str, bytes] | None = None  # from a kept plan: the outputs each input enters
    cold: bool = False  # every source was parsed afresh: nothing of an earlier build was in the cache folder


def build_clock(options: Options) -> dt.datetime:
    """"Now" for upcoming/past: pinned by --now or SOURCE_DATE_EPOCH for reproducible builds."""
    if options.now is not None:
        return options.now.astimezone(dt.timezone.utc)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def plan_site(options: Options, history: HistoryMemo | None = None, parsed: ParsedSources | None = None,
              inputs: InputState | None = None) -> Plan:
    """load → validate → graph → plan. Writes nothing. `history`: the last git
    log read, and `parsed`: the sources loaded before, both kept by a cache;
    `inputs`: the digests of this build's input files, when taken."""
    with collector_paused():
        return _plan_site(options, history, parsed, inputs)


@contextmanager
def collector_paused(then_freeze: bool = False):
    """Loading and planning make a million objects that live for the whole build;
    the cycle collector scanned them again and again as they arrived (a third of
    loading a 10,000-post site from the cache). Reference counting still frees
    everything acyclic meanwhile; the collector resumes after. `then_freeze`:
    what was made is frozen first (planned_objects_frozen), so the resumed
    collector never scans it: resumed with all of it young, its first pass
    walked every object (0.28 s of a one-post rebuild at 10,000 posts)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if then_freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


def _plan_site(options: Options, history: HistoryMemo | None, parsed: ParsedSources | None,
               inputs: InputState | None) -> Plan:
    diagnostics = Diagnostics()
    root = options.root
    settings = load_settings(root, diagnostics, options.base_url)
    found = discover(root, diagnostics, settings.published_types if settings else DEFAULT_TYPES)
    loaded = (parsed or ParsedSources()).load_all(found.sources, root / "content",
                                                  settings.limits if settings else Limits(), diagnostics, inputs)
    items, broken, orphan_refs, source_digests = loaded.items, loaded.broken, loaded.orphan_refs, loaded.source_digests
    if settings is None:
        return Plan(diagnostics)
    now = build_clock(options)
    today = now.astimezone(zone(settings.timezone)).date()  # a post dated later waits for its day
    site = build_graph(items, settings, diagnostics, broken=broken, include_drafts=options.drafts,
                       assets=found.assets, orphan_refs=orphan_refs, today=today)
    site.dates = read_dates(root, source_digests, diagnostics, history)  # one `git log` for all sources
    check_recurrences(site, diagnostics)
    check_images(site, root, settings.image_max_kb, diagnostics)
    outputs = plan_outputs(site, options.template_dir, diagnostics, root)
    cold = bool(loaded.parsed) and len(loaded.parsed) == len(found.sources)
    return Plan(diagnostics, site, outputs, now, source_digests, cold=cold)


def render_outputs(plan: Plan, options: Options, cache: RenderCache | None = None) -> dict[str, bytes]:
    """Every planned output in memory: path under output/ → bytes (tests and
    benchmarks compare these; builds stream to disk instead). A broken theme
    template is reported as a diagnostic naming the template and line."""
    render = _renderer(plan, options, _render_context(plan, options))
    files: dict[str, bytes] = {}
    for output in plan.outputs:
        data = render(output)
        if data is None:
            break
        files[output.path] = data
    return files


def _renderer(plan: Plan, options: Options, ctx: RenderContext) -> Renderer:
    return Renderer(render_with(ctx, partial(_render_problem, plan=plan, options=options)),
                    lambda problem: plan.diagnostics.error(*problem), options.jobs,
                    partial(compile_templates, ctx), partial(after_worker_chunk, ctx), partial(rows_from_worker, ctx))


def _render_context(plan: Plan, options: Options) -> RenderContext:
    return RenderContext(site=plan.site, now=plan.now, root=options.root, template_dir=options.template_dir,
                         drafts=options.drafts, markdown=MarkdownMemo(plan.site.settings.limits.markdown_seconds))


def _render_problem(exc: Exception, output: Output, plan: Plan, options: Options) -> tuple:
    if isinstance(exc, TextTooCostly):
        return _text_problem(exc, output, plan, options.root)
    return _template_problem(exc, output, options)


MARKDOWN_TEXTS = ("body", "first_plot", "summary")  # item fields the theme renders as Markdown


def _text_problem(exc: TextTooCostly, output: Output, plan: Plan, root: Path) -> tuple:
    """The text the renderer gave up on, found by value among the items' texts."""
    hint = ("Shorten or split the text, or remove the part repeated many times or nested deep "
            "(site.yaml `limits: markdown_seconds` sets the budget).")
    for item in plan.site.all_items():
        for name in MARKDOWN_TEXTS:
            if getattr(item, name, None) == exc.text:
                return _text_location(item, name, root), exc.problem, hint
    return output.origin or Location(THEME_FOLDER), f"{exc.problem} (while rendering {output.url})", hint


def _text_location(item, name: str, root: Path) -> Location:
    """A field's line; for the body of a .md file, the first line after the front
    matter (read again: the build keeps no source's bytes; if the file changed
    meanwhile, its body no longer ends it and the file's first line is named)."""
    if (name,) in item.positions:
        return item.where(name)
    try:
        source = (root / item.source).read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
    except OSError:
        return item.where(name)
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    if not source.endswith(item.body):
        return item.where()
    return Location(item.source, source[:len(source) - len(item.body)].count("\n") + 1)


def _template_problem(exc: Exception, output: Output, options: Options) -> tuple:
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", None) or 0
    if not name:  # a runtime error: find the template frame in the traceback
        tb = exc.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.endswith(".html") or filename.endswith(".xml"):
                name, line = filename, tb.tb_lineno
            tb = tb.tb_next
    path = Path(name).resolve() if name else options.template_dir
    try:
        shown = path.relative_to(options.root).as_posix()
    except ValueError:
        shown = f"templates/{name}"
    return (Location(shown, line), f"The template failed while rendering {output.url}: {exc.message or exc}.",
            "Fix the template; content files are fine.")


@dataclass
class BuildResult:
    diagnostics: Diagnostics
    file_count: int = 0
    rendered: list[str] = field(default_factory=list)  # outputs rendered, not reused from the cache
    written: list[str] = field(default_factory=list)  # files written or removed under output/
    base_path: str = "/"


def build(options: Options, cache: RenderCache | None = None) -> BuildResult:
    """check, render, write; on any error nothing is written.

    Without a cache every output is rendered into a new folder that replaces
    output/ whole. With one (watch, or `mlcsite build` with its cache folder)
    only outputs whose key changed are rendered: the result is the same bytes;
    and when no input changed at all, nothing is even loaded."""
    options = replace(options, now=build_clock(options))  # one clock for the whole build
    inputs = None
    if cache is not None:
        inputs = current_inputs(options.root, options.template_dir, _options_text(options), cache.inputs)
        outcome = cache.unchanged_since_last(inputs)
        if outcome is not None and (result := _replayed(outcome)) is not None:
            cache.rendered = []
            return result
    with planned_objects_frozen():
        with collector_paused(then_freeze=True):
            plan = _kept_plan(options, cache, inputs)
            planned_now = plan is None
            if planned_now:
                plan = _plan_site(options, cache.history if cache else None, cache.parsed if cache else None, inputs)
        if plan.diagnostics.has_errors():
            return BuildResult(plan.diagnostics)
        return_freed_memory()  # what loading freed: not kept resident, nor inherited by render workers
        writer = _keep_plan(plan, options, cache, inputs) if planned_now else None
        try:
            return _render_and_write(plan, options, cache, inputs)
        finally:
            if writer is not None:
                writer.wait()


def _snapshot_used(cache: RenderCache | None, inputs: InputState | None) -> bool:
    """`mlcsite build` rebuilding an output folder its cache folder has a record
    of uses the last plan kept (plan_snapshot.py). Not watch, which keeps its
    last plan in memory; not a build into a new or emptied output folder, which
    renders every output anyway."""
    return (cache is not None and cache.folder is not None and not cache.in_place and inputs is not None
            and bool(cache.written))


def _snapshot_kept(plan: Plan, cache: RenderCache | None, inputs: InputState | None) -> bool:
    """Whether this build keeps its plan for the next: a rebuild of a recorded
    output folder does, and so does a build that renders every output with
    nothing from an earlier one (a first build, a new generator version,
    --no-cache), whose next build is most likely a contributor's first edit.
    Pickling the plan takes a second of CPU beside the rendering: 1 % of such a
    build at 10,000 posts, but a tenth of a build into a new output folder with
    a warm cache folder (CI's fresh clone with its cache restored), which keeps
    none: its next clone would not use it."""
    if cache is None or cache.folder is None or cache.in_place or inputs is None or not cache.parsed.found:
        return False
    return bool(cache.written) or not cache.reuse_rendered or plan.cold


def _kept_plan(options: Options, cache: RenderCache | None, inputs: InputState | None) -> Plan | None:
    """The last build's plan with this build's edits in, when they cannot change it."""
    if not (_snapshot_used(cache, inputs) and cache.reuse_rendered):
        return None
    kept = reused_plan(cache.folder, inputs, cache.parsed, options.root, partial(_plan_frame, options, inputs))
    if kept is None:
        return None
    return Plan(kept.diagnostics, kept.site, kept.outputs, options.now, kept.source_digests, kept.plan_id,
                kept.dependents)


def _keep_plan(plan: Plan, options: Options, cache: RenderCache | None, inputs: InputState | None):
    """Write this build's plan for the next build (in a process of its own: wait for it)."""
    if not _snapshot_kept(plan, cache, inputs):
        return None
    frame = _plan_frame(options, inputs, plan.site.settings)
    if frame is None:
        return None
    plan.kept_as = secrets.token_hex(8)
    return keep_plan(cache.folder, plan, inputs, frame, cache.parsed, plan.kept_as)


def _plan_frame(options: Options, inputs: InputState, settings: Settings) -> str | None:
    today = options.now.astimezone(zone(settings.timezone)).date()  # as _plan_site finds it
    return plan_frame(_options_text(replace(options, now=None)), today, inputs.git)


@contextmanager
def planned_objects_frozen():
    """The graph and the plan (a million objects) live until the build ends: the
    cycle collector, resumed after planning, scanned them all again, generation
    after generation, while rendering and saving the cache's record (a second of
    a one-post rebuild at 10,000 posts). Planning freezes them as it ends
    (collector_paused), so the collector scans only what rendering makes; they
    are unfrozen at the end, so a watch session frees the previous build's."""
    try:
        yield
    finally:
        gc.unfreeze()


def _render_and_write(plan: Plan, options: Options, cache: RenderCache | None, inputs) -> BuildResult:
    ctx = _render_context(plan, options)
    fingerprints = cache.begin(ctx, plan.source_digests) if cache is not None else None
    render = _renderer(plan, options, ctx)
    search = _search_index(cache, options.output_dir, plan.site.settings)
    if cache is not None:
        keys = _reused_keys(plan, cache, inputs, fingerprints)
        key_of = fingerprints.of if keys is None else (lambda output: keys[output.path])
        render = render_edited_pages(plan.outputs, edited_sources(inputs, cache.inputs), key_of,
                                     cache.written, render, search)
        if keys is None:
            with collector_paused():
                keys = {o.path: fingerprints.of(o) for o in plan.outputs}
    else:
        keys = dict.fromkeys((o.path for o in plan.outputs), "")
    try:
        update = update_output(plan.outputs, keys, render, options.output_dir, cache, search)
    except IndexerError as exc:
        plan.diagnostics.error(Location("pagefind"), f"The search index could not be made: {exc}",
                               "Reinstall the generator (.venv/bin/pip install -e .); output/ was left as it was.")
        return BuildResult(plan.diagnostics)
    if update is None or plan.diagnostics.has_errors():
        return BuildResult(plan.diagnostics)
    search.finish()
    result = BuildResult(plan.diagnostics, len(update.files), update.rendered, update.written,
                         plan.site.settings.base_path)
    if cache is not None:
        cache.rendered, cache.last_build = update.rendered, (ctx, plan.outputs)
        cache.finish(options.output_dir, update.files, inputs, _outcome(result), update.others,
                     fingerprints.keyed(plan.kept_as) if plan.kept_as else None)
    return result


def _reused_keys(plan: Plan, cache: RenderCache, inputs: InputState | None, fingerprints) -> dict[str, str] | None:
    """The last build's keys where they still hold (Fingerprints.reused), when this
    build uses the kept plan that build's keys were made with; else None."""
    if plan.dependents is None or cache.keyed.get("plan") != plan.kept_as or inputs is None or cache.inputs is None:
        return None
    with collector_paused():
        return fingerprints.reused(plan.outputs, cache.written, cache.keyed, plan.dependents,
                                   inputs.changed_since(cache.inputs), plan.now)


def _options_text(options: Options) -> str:
    """The options a build's bytes depend on, clock included (already pinned)."""
    return repr((str(options.output_dir.resolve()), str(options.template_dir.resolve()), options.drafts,
                 options.base_url, options.now.isoformat() if options.now else None))


def _outcome(result: BuildResult) -> dict:
    """What a build with the same inputs reports again without building."""
    return {"file_count": result.file_count, "base_path": result.base_path,
            "diagnostics": [[d.severity, d.location.path, d.location.line, d.location.column, d.message, d.hint]
                            for d in result.diagnostics.items]}


def _replayed(outcome: dict) -> BuildResult | None:
    try:
        diagnostics = Diagnostics([Diagnostic(severity, Location(path, int(line), int(column)), message, hint)
                                   for severity, path, line, column, message, hint in outcome["diagnostics"]])
        return BuildResult(diagnostics, int(outcome["file_count"]), [], [], str(outcome["base_path"]))
    except (KeyError, TypeError, ValueError):
        return None


def _search_index(cache: RenderCache | None, out_dir: Path, settings: Settings) -> SearchIndex:
    """The search index is made with the pages; a cache keeps its memory too."""
    search = SearchIndex()
    if cache is not None:
        search = cache.search = cache.search or SearchIndex(cache.folder, out_dir)
        cache.written = search.known(cache.written)  # a page whose record was lost renders again
    search.begin(settings.base_path, settings.search.shard_size)
    return search


def unsafe_output_dir(options: Options) -> str | None:
    """The output folder is replaced whole: never let that be a folder we must keep
    (output_folder.py has the rules)."""
    default = options.root / "output"
    is_default = options.out is None or options.output_dir.resolve() == default.resolve()
    return output_folder_problem(options.output_dir, options.root, is_default)
