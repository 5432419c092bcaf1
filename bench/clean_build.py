"""Clean builds (--no-cache) of this checkout against a baseline checkout, alternating.

For each size, runs `mlcsite build --no-cache` of both checkouts in turn (ABBA
order, so both see the same machine load), each on its own copy of the corpus
with its own templates, and prints the medians of wall time and of CPU time
(user + system, pool workers and Pagefind included: what the build costs the
machine, which other engineers' load disturbs less than wall time), with the
ratio this/baseline. The baseline is a checkout run with this venv's python:

    git worktree add --detach /dev/shm/base <commit>
    .venv/bin/python bench/clean_build.py --baseline /dev/shm/base --sizes 1000 10000 --runs 3 1

`--jobs 1` times one process (no fork): the CPU figure without the pool's overhead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from scale import NOW, corpus, measured, working_copy

REPO = Path(__file__).resolve().parent.parent


def timed_build(checkout: Path, root: Path, jobs: str | None) -> tuple[float, float, int]:
    """(wall s, CPU s of the build and its waited-for children, peak MiB) of one clean build."""
    for name in ("output", ".mlcsite-cache"):
        shutil.rmtree(root / name, ignore_errors=True)
    command = [sys.executable, "-m", "generator", "-C", str(root), "build", "--no-cache", "--now", NOW,
               *(["--jobs", jobs] if jobs else [])]
    return measured(command, root, {**os.environ, "PYTHONPATH": str(checkout)})


def compare(size: int, runs: int, checkouts: dict[str, Path], scratch: Path, jobs: str | None) -> None:
    source = corpus("mlc", size, Path("/dev/shm"))
    roots = {label: working_copy(source, scratch, f"{label}-{size}", checkout / "templates")
             for label, checkout in checkouts.items()}
    figures: dict[str, list[tuple[float, float, int]]] = {label: [] for label in checkouts}
    for run in range(runs):
        order = list(checkouts) if run % 2 == 0 else list(reversed(checkouts))
        for label in order:
            figures[label].append(timed_build(checkouts[label], roots[label], jobs))
            wall, cpu, peak = figures[label][-1]
            print(f"  {size:>6} posts, run {run + 1}, {label:>8}: {wall:6.1f} s wall, {cpu:6.1f} s CPU, {peak} MiB",
                  flush=True)
    for root in roots.values():
        shutil.rmtree(root, ignore_errors=True)
    medians = {label: [statistics.median(f[i] for f in runs_) for i in range(3)] for label, runs_ in figures.items()}
    base, this = medians["baseline"], medians["this"]
    print(f"\n{size:,} posts, {runs} run(s) each, medians: "
          f"wall {base[0]:.1f} s → {this[0]:.1f} s ({this[0] / base[0]:.2f}×), "
          f"CPU {base[1]:.1f} s → {this[1]:.1f} s ({this[1] / base[1]:.2f}×), "
          f"peak {base[2]:.0f} → {this[2]:.0f} MiB\n", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the checkout to compare with")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--runs", type=int, nargs="+", default=[3], help="runs per size (one number: all sizes)")
    parser.add_argument("--jobs", help="passed to mlcsite build --jobs")
    args = parser.parse_args()
    runs = args.runs * len(args.sizes) if len(args.runs) == 1 else args.runs
    print(f"cores: {len(os.sched_getaffinity(0))}, load average: {os.getloadavg()[0]:.1f}", flush=True)
    checkouts = {"baseline": args.baseline.resolve(), "this": REPO}
    with tempfile.TemporaryDirectory(prefix="mlcsite-clean-", dir="/dev/shm") as scratch:
        for size, count in zip(args.sizes, runs):
            compare(size, count, checkouts, Path(scratch), args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
