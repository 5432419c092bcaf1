"""The cycle collector around a build: paused while planning, the planned objects
frozen before it resumes (so it never scans them), all unfrozen when the build ends."""

from __future__ import annotations

import gc

from generator import pipeline
from generator.cli import _parse_now
from generator.incremental import RenderCache

NOW = _parse_now("2026-06-01T12:00:00Z")
POST = """\
---
title: A post
authors: [ada]
---
Hello.
"""
MEMBER = "---\nname: Ada\n---\n"


def test_objects_made_while_paused_are_frozen_before_the_collector_resumes():
    assert gc.get_freeze_count() == 0
    try:
        with pipeline.collector_paused(then_freeze=True):
            assert not gc.isenabled()
            made = [[n] for n in range(1000)]
        assert gc.isenabled() and gc.get_freeze_count() >= len(made)
    finally:
        gc.unfreeze()


def test_a_build_leaves_nothing_frozen_whether_it_succeeds_or_fails(make_site):
    site = make_site({"content/members/ada.md": MEMBER, "content/posts/2026-01-02-a-post.md": POST})
    options = pipeline.Options(root=site.root, now=NOW, jobs=1)
    frozen = []
    real_render_and_write = pipeline._render_and_write

    def spy(*args):
        frozen.append(gc.get_freeze_count())
        return real_render_and_write(*args)

    pipeline._render_and_write = spy
    try:
        result = pipeline.build(options, RenderCache())
    finally:
        pipeline._render_and_write = real_render_and_write
    assert not result.diagnostics.has_errors(), result.diagnostics.items
    assert frozen and frozen[0] > 1000  # rendering ran with the planned graph frozen
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    site.write("content/posts/2026-01-03-broken.md", POST.replace("[ada]", "[nobody]"))
    assert pipeline.build(options, RenderCache()).diagnostics.has_errors()
    assert gc.get_freeze_count() == 0 and gc.isenabled()
