"""A cached rebuild renders the edited sources' own pages first.

After editing (or adding) one post of a 10,000-post site, the search index re-indexes that
post's shard, which takes Pagefind most of a second, and it could start only
once the post's page was rendered: after every output was keyed and every kept
file checked, so the build then waited for Pagefind at its end. Here the own
page of each edited or new content source is keyed and rendered as soon as the site is
planned, and the search index starts its shard at once (SearchIndex.start_early),
beside the rest of the build. The page's bytes are then used when its turn
comes, so it is rendered once. The result is the same bytes: the page is
rendered from the same plan and context as it would be in its turn, and a shard
started early is used only when its key is the one the build computes at its end.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from .build_cache import Written, digest_of
from .diagnostics import Location
from .input_state import InputState
from .output_update import Companion, Renderer
from .render.outputs import Output
from .render_pool import Failed

# More edited sources than this is not a small edit: the usual order serves it.
EDITED_LIMIT = 8


def edited_sources(inputs: InputState | None, before: InputState | None) -> list[str]:
    """The content files edited or added since the last build (not the removed
    ones); none when there are more than EDITED_LIMIT."""
    if inputs is None or before is None:
        return []
    edited = [rel for rel in inputs.changed_since(before) if rel.startswith("content/") and rel in inputs.files]
    return edited if len(edited) <= EDITED_LIMIT else []


def render_edited_pages(outputs: list[Output], sources: list[str], key_of: Callable[[Output], str],
                        previous: dict[str, Written], render: Renderer, companion: Companion) -> Renderer:
    """Render the own page of each of `sources` whose key changed, and hand them
    to the companion; the renderer to use from now on, which gives those bytes
    back instead of rendering the pages again. A page that fails is left to its
    turn, where the build reports it."""
    if not sources:
        return render
    origins = {Location(rel) for rel in sources}
    rendered: dict[str, bytes] = {}
    for output in outputs:
        if output.kind != "page" or output.origin not in origins:
            continue
        old = previous.get(output.path)
        if old is not None and old.key == key_of(output):
            continue
        data = render.attempt(output)
        if not isinstance(data, Failed):
            rendered[output.path] = data
    if not rendered:
        return render
    companion.start_early([(path, data, digest_of(data)) for path, data in rendered.items()])
    attempt = render.attempt

    def reused_or_rendered(output: Output) -> bytes | Failed:
        data = rendered.pop(output.path, None)
        return data if data is not None else attempt(output)
    return replace(render, attempt=reused_or_rendered)
