"""Rendering the planned outputs into output/, only what changed.

An output is rendered when its cache key differs from the one the last build
recorded for its path (incremental.RenderCache); otherwise the file already in
output/ is kept. Two ways to put the result on disk:

- staged (`mlcsite build`, and watch when much changed): a new folder is filled
  as outputs render (unchanged files hard-linked from output/), then swapped in
  whole; an error discards it, leaving output/ untouched;
- in place (watch, few changes): the few rendered files are written over
  output/ one by one, only where their bytes differ.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .build_cache import Written
from .incremental import RenderCache
from .render.markup import TextTooCostly
from .render.outputs import Output, RenderContext
from .writer import Staging, update_files

IN_PLACE_LIMIT = 200  # more changed outputs than this: stage (bounded memory, one swap)


def digest_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class Update:
    """What a build did to output/."""

    files: dict[str, Written] = field(default_factory=dict)  # what output/ now holds
    rendered: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # files written or removed, sorted


Render = Callable[[Output], bytes | None]  # None: rendering failed (reported), stop


def update_output(outputs: list[Output], keys: dict[str, str], render: Render, out_dir: Path,
                  cache: RenderCache | None) -> Update | None:
    """Bring out_dir to the planned outputs; None when rendering failed (then
    out_dir is as it was)."""
    previous = cache.written if cache else {}
    todo = [o for o in outputs if previous.get(o.path) is None or previous[o.path].key != keys[o.path]]
    if previous and not todo and len(previous) == len(outputs):
        return Update(dict(previous))  # nothing changed: nothing rendered, nothing written
    if cache is not None and cache.in_place and previous and len(todo) <= IN_PLACE_LIMIT:
        return _in_place(outputs, todo, keys, render, out_dir, previous)
    return _staged(outputs, keys, render, out_dir, previous)


def _staged(outputs: list[Output], keys: dict[str, str], render: Render, out_dir: Path,
            previous: dict[str, Written]) -> Update | None:
    staging = Staging(out_dir)
    update = Update()
    try:
        for output in outputs:
            path, key = output.path, keys[output.path]
            old = previous.get(path)
            if old is not None and old.key == key and staging.keep(path, old.size):
                update.files[path] = old
                continue
            data = render(output)
            if data is None:
                return None
            staging.write(path, data)
            update.files[path] = Written(key, digest_of(data), len(data))
            update.rendered.append(path)
        staging.swap_in()
    finally:
        staging.discard()
    update.written = _changed(previous, update.files)
    return update


def _in_place(outputs: list[Output], todo: list[Output], keys: dict[str, str], render: Render, out_dir: Path,
              previous: dict[str, Written]) -> Update | None:
    update = Update({o.path: previous[o.path] for o in outputs if o.path in previous})
    changed: dict[str, bytes] = {}
    for output in todo:
        data = render(output)
        if data is None:
            return None
        written = Written(keys[output.path], digest_of(data), len(data))
        old = previous.get(output.path)
        if old is None or old.digest != written.digest:
            changed[output.path] = data
        update.files[output.path] = written
        update.rendered.append(output.path)
    gone = [path for path in previous if path not in update.files]
    update_files(out_dir, changed, gone)
    update.written = sorted([*changed, *gone])
    update.files = {o.path: update.files[o.path] for o in outputs}  # in plan order
    return update


def _changed(previous: dict[str, Written], now: dict[str, Written]) -> list[str]:
    differ = [path for path, w in now.items() if path not in previous or previous[path].digest != w.digest]
    return sorted([*differ, *(path for path in previous if path not in now)])


def render_with(ctx: RenderContext, on_error: Callable[[Exception, Output], None]) -> Render:
    """Render one output; a template error, or a Markdown text past its budget,
    is reported through `on_error`."""
    import jinja2

    def render(output: Output) -> bytes | None:
        try:
            return output.render(ctx)
        except (jinja2.TemplateError, TextTooCostly) as exc:
            on_error(exc, output)
            return None
    return render
