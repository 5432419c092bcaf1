"""An output's cache key covers every input it declares.

Outputs declare their inputs in parts (render/outputs.py): what they read (files,
the theme, the settings, the clock) and the items they show, each of which reads
Site.sources_shown_by. The key is made from those parts, one digest per item
(incremental.Fingerprints), never from `Output.inputs`, their union. Here each
input of the sample site is changed in turn, and every output that declares it
must get a new key: a key that missed an input would keep serving stale bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from generator import pipeline
from generator.incremental import RenderCache
from generator.render.outputs import CLOCK, THEME
from test_incremental import NOW
from test_watch import copy_sample_site


def keys(plan: pipeline.Plan, ctx, source_digests: dict[str, str]) -> dict[str, str]:
    fingerprints = RenderCache().begin(ctx, source_digests)
    return {o.path: fingerprints.of(o) for o in plan.outputs}


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {path for path, key in after.items() if before[path] != key}


def test_changing_any_declared_input_changes_the_key_of_every_output_that_declares_it(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    options = pipeline.Options(root=root, now=NOW)
    plan = pipeline.plan_site(options)
    assert not plan.diagnostics.has_errors()
    ctx = pipeline._render_context(plan, options)
    declaring: dict[str, set[str]] = {}
    for output in plan.outputs:
        for token in output.inputs:
            declaring.setdefault(token, set()).add(output.path)
    assert sum(o.inputs > o.reads for o in plan.outputs) > 100  # the items shown add sources to what is read
    before = keys(plan, ctx, plan.source_digests)

    sources = [token for token in declaring if token in plan.source_digests]
    assert len(sources) > 20
    for source in sources:  # a source edited: its parsed bytes' digest changes
        after = keys(plan, ctx, {**plan.source_digests, source: "edited"})
        assert declaring[source] <= changed(before, after), source

    images = [token for token in declaring if token.startswith("content/images/")]
    assert images
    for image in images:  # an image replaced on disk
        path = root / image
        original = path.read_bytes()
        path.write_bytes(original + b"\0")
        after = keys(plan, ctx, plan.source_digests)
        path.write_bytes(original)
        assert declaring[image] <= changed(before, after), image

    (root / "templates/base.html").write_text((root / "templates/base.html").read_text("utf-8") + "\n", "utf-8")
    assert declaring[THEME] <= changed(before, keys(plan, ctx, plan.source_digests))
    later = dataclasses.replace(ctx, now=ctx.now + dt.timedelta(days=1))
    assert declaring[CLOCK] <= changed(before, keys(plan, later, plan.source_digests))
