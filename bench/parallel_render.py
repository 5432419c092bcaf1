"""Does rendering in 2 processes make a full build faster? (The machine has 2 cores.)

Plans each benchmark site once, then times rendering every output in this
process against rendering them in N forked workers (each with its own
RenderContext, as `RenderContext` says: one per worker process), median of 5.
Checks that both give the same bytes.

    .venv/bin/python bench/parallel_render.py [--workers 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time

from sites import NOW, REPO, copy_default_site, make_big_site

sys.path.insert(0, str(REPO))

from generator import pipeline  # noqa: E402
from generator.cli import _parse_now  # noqa: E402


def render_share(job: tuple) -> dict[str, bytes]:
    """In a forked worker: render the `first`-th of `step` contiguous runs of outputs."""
    plan, options, first, step = job
    size = -(-len(plan.outputs) // step)  # contiguous runs keep related pages (and their caches) together
    share = pipeline.Plan(plan.diagnostics, plan.site, plan.outputs[first * size:(first + 1) * size], plan.now)
    return pipeline.render_outputs(share, options)


def render_in_processes(plan: pipeline.Plan, options: pipeline.Options, workers: int) -> dict[str, bytes]:
    # fork: the workers inherit the plan (render functions are partials over model
    # objects); only the rendered bytes travel back.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        shares = pool.map(render_share, [(plan, options, n, workers) for n in range(workers)])
    files = {}
    for share in shares:
        files.update(share)
    return {o.path: files[o.path] for o in plan.outputs}


def timed(function, runs: int = 5) -> tuple[float, dict]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--posts", type=int, default=1000)
    args = parser.parse_args()
    print(f"{'site':<14} {'outputs':>8} {'1 process':>10} {args.workers} processes {'speed-up':>9}")
    for name, root in (("default site", copy_default_site()), (f"{args.posts} posts", make_big_site(args.posts))):
        options = pipeline.Options(root=root, now=_parse_now(NOW))
        plan = pipeline.plan_site(options)
        assert not plan.diagnostics.has_errors()
        serial, expected = timed(lambda: pipeline.render_outputs(plan, options))
        parallel, got = timed(lambda: render_in_processes(plan, options, args.workers))
        assert got == expected, "parallel rendering changed the output"
        print(f"{name:<14} {len(expected):>8} {serial:>9.3f}s {parallel:>10.3f}s   {serial / parallel:>7.2f}x",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
