"""Outputs render item pages first, lists after (output_update.in_render_order),
so a list finds its items' Markdown converted by whichever render worker made
their pages; the bytes are the same in any order (test_incremental and
test_build_cache compare builds with clean ones)."""

from __future__ import annotations

from generator import pipeline
from generator.output_update import in_render_order
from test_incremental import NOW
from test_watch import copy_sample_site


def test_lists_feeds_and_calendars_come_after_the_pages_of_their_items(tmp_path):
    root = copy_sample_site(tmp_path / "site")
    outputs = pipeline.plan_site(pipeline.Options(root=root, now=NOW)).outputs
    order = in_render_order(outputs)
    assert sorted(o.path for o in order) == sorted(o.path for o in outputs)  # the same outputs, each once
    shown = [len(o.shows) for o in order]
    assert shown == sorted(shown) and shown[0] <= 1 < shown[-1]
    plan_position = {o.path: n for n, o in enumerate(outputs)}
    for earlier, later in zip(order, order[1:]):  # ties keep plan order
        if len(earlier.shows) == len(later.shows):
            assert plan_position[earlier.path] < plan_position[later.path]
    position = {o.path: n for n, o in enumerate(order)}
    post_pages = [o.path for o in outputs if o.path.startswith("posts/") and len(o.shows) == 1]
    assert post_pages and max(position[p] for p in post_pages) < min(position["calendar.ics"], position["feed.xml"])
