"""The last build's plan, kept for a next build whose edits cannot change it.

Planning a 10,000-post site (discover 13,000 sources, load them, build the
graph, check images and recurrences, plan 16,300 outputs) is most of a one-post
rebuild: about 1.7 s of one core before anything renders. Yet an edit to the
text of a post's body changes what its outputs show, not which outputs there
are: the same URLs, renderers, identities and declared inputs.

So `mlcsite build` keeps its plan (the graph, the outputs, the diagnostics) in
the cache folder, with the digest of every input file it was made from, and
the next build uses it instead of planning when:

- every input file but the content sources is as it was (the same names and
  digests under content/ and templates/, site.yaml), and so are git's HEAD,
  SOURCE_DATE_EPOCH, the options and the build clock's day (planning leaves
  out posts dated later);
- each source that changed (at most MAX_EDITED) is a Markdown source that was
  planned, whose new parse differs from the planned one only by its body: the
  same front matter (fields and their lines), diagnostics and references, and
  the same images embedded in the body (their files are inputs, and outputs).

Each such item's body is then set to the new text, and the source's digest to
the new bytes': the cache keys (incremental.Fingerprints) hash those, so every
output that shows the item renders again. Anything else, and any doubt (no
snapshot, a damaged or foreign one, a source unreadable or saved again
meanwhile), plans afresh: a wrong guess costs time, never a byte.
tests/test_plan_snapshot.py, and the randomized equality tests (whose edits
include body-only ones), check the result equals a clean build.

The snapshot is written by a forked process while the build renders (pickling
a million objects takes a second), as two pickles: a header that tells whether
the plan can be used (the input digests, the frame, the settings), then the
plan, unpickled only when it is. It is read by our own unpickler, which makes
only the classes and planner functions a plan holds. Like every cache file it
is this machine's own (build_cache.py), never content from a pull request: its
outputs could name any file a planner could.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import pickle
import threading
import types
from pathlib import Path
from typing import Callable

from .build_cache import CacheFolder
from .content.discover import source_for
from .diagnostics import Diagnostics
from .graph import Site
from .history import is_shallow
from .incremental import outputs_by_input
from .input_state import InputState, file_digest
from .parsed_sources import ParsedSources, allowed_in_cache, shared_positions
from .render.image_refs import body_images
from .settings import Settings

NAME = "plan-snapshot"
MAX_EDITED = 32  # more sources edited since the snapshot: plan afresh (and keep that plan)
# The snapshot is two pickles: what tells whether the plan can be used, then the plan.
HEADER_TYPES = {"plan_id": str, "frame": str, "files": dict, "parsed": dict, "settings": Settings,
                "source_digests": dict}
PLAN_TYPES = {"site": Site, "outputs": list, "diagnostics": list, "dependents": dict}
HEADER = tuple(HEADER_TYPES)

# What a snapshot may make, besides a parsed source's own classes (parsed_sources).
_CLASSES = {
    "generator.graph": {"Site"},
    "generator.settings": {"Settings", "SearchSettings"},
    "generator.content.limits": {"Limits"},
    "generator.render.outputs": {"Output"},
    "generator.render.feeds": {"FeedSpec"},
    "generator.history": {"SourceDates"},
    "generator.diagnostics": {"Diagnostics"},
    "functools": {"partial"},
    "pathlib": {"PosixPath", "PurePosixPath"},
}
# Modules whose plain functions planners put in outputs (renderers, page contexts).
_PLANNER_MODULES = {"generator.render.pages", "generator.render.feeds", "generator.render.calendars",
                    "generator.render.extras", "generator.render.images"}


def plan_frame(options_text: str, today, git: str) -> str | None:
    """What a plan depends on besides the input files (`options_text`: the
    options but the clock, whose day is `today`); None when no snapshot may be
    kept or used (a shallow clone: its history, so its dates, can deepen under
    the same HEAD)."""
    if is_shallow(git):
        return None
    return repr((options_text, today.isoformat(), os.environ.get("SOURCE_DATE_EPOCH", "").strip(), git))


class SnapshotWriter:
    """The process writing a snapshot; `wait` before the build returns."""

    def __init__(self, pid: int = 0) -> None:
        self.pid = pid

    def wait(self) -> None:
        if self.pid:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = 0


def keep_plan(folder: CacheFolder, plan, inputs: InputState, frame: str, parsed: ParsedSources,
              plan_id: str) -> SnapshotWriter:
    """Write the plan's snapshot, named `plan_id`: in a forked process when this
    one has no other thread (a fork copies only the calling thread), else here."""
    state = {
        "plan_id": plan_id,
        "frame": frame,
        "files": {rel: entry[3] for rel, entry in inputs.files.items()},
        "parsed": {rel: key for rel, (_, key) in parsed.found.items()},
        "settings": plan.site.settings,
        "source_digests": plan.source_digests,
        "site": plan.site,
        "outputs": plan.outputs,
        "diagnostics": list(plan.diagnostics.items),
    }
    if not hasattr(os, "fork") or threading.active_count() > 1:
        _write(folder, state)
        return SnapshotWriter()
    pid = os.fork()
    if pid == 0:  # the writer: pickle, write, leave without running anything else
        try:
            gc.disable()  # a million objects, none freed: nothing for the collector to find
            _write(folder, state)
        finally:
            os._exit(0)
    return SnapshotWriter(pid)


def _write(folder: CacheFolder, state: dict) -> None:
    site = state["site"]
    # Which outputs each input's digest enters: a build that uses this plan keys
    # again only the outputs of the inputs it changed (incremental.Fingerprints.reused).
    state["dependents"] = outputs_by_input(site, state["outputs"])
    # Equal positions as one object each (parsed_sources.shared_positions): a
    # third of unpickling the snapshot was making 240,000 little tuples.
    shared: dict[tuple, tuple] = {}
    for item in site.all_items():
        object.__setattr__(item, "positions", shared_positions(item.positions, shared))
    # Memos by id(item): ids are this process's own.
    kept = site._shown, site._in_body
    site._shown, site._in_body = {}, {}

    def dump(handle) -> None:
        """The header, then the plan, with one pickler: the plan's settings are the header's."""
        pickler = pickle.Pickler(handle, pickle.HIGHEST_PROTOCOL)
        pickler.dump({name: state[name] for name in HEADER})
        pickler.dump({name: value for name, value in state.items() if name not in HEADER})
    try:
        folder.write_streamed(NAME, dump)
    finally:
        site._shown, site._in_body = kept


@dataclasses.dataclass(frozen=True)
class KeptPlan:
    """What a snapshot gives the pipeline's Plan."""

    site: Site
    outputs: list
    diagnostics: Diagnostics
    source_digests: dict[str, str]
    plan_id: str  # the name the build that made it gave it (its keys are recorded with it)
    dependents: dict[str, bytes]  # input token → the indices of the outputs whose key it enters


def reused_plan(folder: CacheFolder, inputs: InputState, parsed: ParsedSources, root: Path,
                frame_of: Callable[[object], str | None]) -> KeptPlan | None:
    """The kept plan with this build's edits in, or None (plan afresh).
    `frame_of(settings)`: plan_frame for this build's options."""
    mapped = folder.open_verified(NAME)
    if mapped is None:
        return None
    with mapped:
        unpickler = _PlanOnly(mapped)
        header = _unpickled(unpickler, HEADER_TYPES)
        if header is None:
            return None
        files, settings = header["files"], header["settings"]
        if files.keys() != inputs.files.keys() or frame_of(settings) != header["frame"]:
            return None
        edited = [rel for rel, entry in inputs.files.items() if entry[3] != files[rel]]
        if len(edited) > MAX_EDITED:
            return None
        # Whether each edit is to a body alone, before the plan itself is read: an
        # edit that plans afresh (a title, a new post) spent 0.45 s unpickling it.
        edits = []
        for rel in edited:
            found = _body_edit(rel, inputs, parsed, root, settings, header["parsed"].get(rel), header["source_digests"])
            if found is None:
                return None
            edits.append(found)
        state = _unpickled(unpickler, PLAN_TYPES)
    if (state is None or state["site"].settings is not settings
            or not all(type(indices) is bytes for indices in state["dependents"].values())):
        return None
    site, source_digests = state["site"], dict(header["source_digests"])
    bodies = []
    for source, body, digest in edits:
        planned = site.kind(source.kind).get(source.slug)
        if planned is not None and planned.source != source.rel:
            planned = None
        if planned is not None and tuple(body_images(planned.body)) != tuple(body_images(body)):
            return None
        source_digests[source.rel] = digest
        bodies.append((planned, body))
    for item, body in bodies:
        if item is not None:
            object.__setattr__(item, "body", body)  # as its own __init__ sets it: every output holds this item
    return KeptPlan(site, state["outputs"], Diagnostics(state["diagnostics"]), source_digests, header["plan_id"],
                    state["dependents"])


def _body_edit(rel: str, inputs: InputState, parsed: ParsedSources, root: Path, settings, planned_key: str | None,
               source_digests: dict[str, str]):
    """(the source, its new body, its bytes' digest) when the source's edit is to
    its body alone, as far as its own parse tells; else None."""
    source = source_for(root, rel)
    if source is None or not rel.endswith(".md") or planned_key is None or rel not in source_digests:
        return None
    before = parsed.stored_front(planned_key)
    try:
        data = source.path.read_bytes()
    except OSError:
        return None
    digest = file_digest(data)
    if before is None or digest != inputs.files[rel][3]:  # saved again since the input state was taken
        return None
    after = parsed.load_one(source, root / "content", data, settings.limits)
    if (after.item is None or before.item is None or after.diagnostics != before.diagnostics
            or after.orphan_refs != before.orphan_refs or after.file_checks != before.file_checks
            or dataclasses.replace(after.item, body="") != dataclasses.replace(before.item, body="")):
        return None
    return source, after.item.body, digest


class _PlanOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if name in _CLASSES.get(module, ()) or allowed_in_cache(module, name):
            return super().find_class(module, name)
        if module in _PLANNER_MODULES:
            found = super().find_class(module, name)
            if type(found) is types.FunctionType:
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a plan snapshot")


def _unpickled(unpickler: pickle.Unpickler, types_of: dict[str, type]) -> dict | None:
    """The snapshot's next part, with exactly these names of these types, or
    None for a damaged or foreign one."""
    try:
        part = unpickler.load()
    except Exception:  # corrupt or foreign: a miss, never an error
        return None
    if type(part) is not dict or part.keys() != types_of.keys():
        return None
    if not all(type(part[name]) is kind for name, kind in types_of.items()):
        return None
    return part
