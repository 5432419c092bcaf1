"""What a cached `mlcsite build` costs on a big site, this checkout against another, alternating.

For each checkout it fills the cache with one build, then, run after run and
checkout after checkout (so both see the same machine load), times:

- a rebuild with nothing changed;
- a rebuild after appending a sentence to one post's body;

and prints medians (wall seconds of the whole process, imports included) and the
peak memory of the one-post rebuild. `--no-search` leaves the search index out of
every build (a stand-in that indexes nothing), to see the rest of a rebuild on its
own: re-indexing a changed page has its own benchmark (bench/search_cost.py).

    .venv/bin/python bench/rebuild_cost.py --corpus /dev/shm/src-mlc-10000 \\
        --baseline ../base-checkout [--runs 3] [--no-search] [--scratch /dev/shm]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from scale import NOW, measured

REPO = Path(__file__).resolve().parent.parent

# Run in the checkout's generator: `mlcsite build`, optionally with an index that indexes nothing.
DRIVER = """
import sys
from generator import cli, pipeline
if sys.argv[1] == "no-search":
    class NoSearch:
        def begin(self, *settings): pass
        def known(self, written): return written
        def start_early(self, pages): pass
        def expect(self, planned, rendering): pass
        def take(self, path, data, digest): pass
        def stage(self, staging, files): return []
        def write_in_place(self, out_dir, files): return []
        def finish(self): pass
    pipeline._search_index = lambda cache, out_dir, settings: NoSearch()
sys.exit(cli.main(sys.argv[2:]))
"""


class Checkout:
    def __init__(self, folder: Path, label: str, corpus: Path, scratch: Path, search: bool) -> None:
        self.label, self.search = label, search
        self.env = {**os.environ, "PYTHONPATH": str(folder)}
        self.root = scratch / label.replace(" ", "-")
        shutil.copytree(corpus, self.root)
        shutil.copytree(folder / "templates", self.root / "templates", dirs_exist_ok=True)
        self.post = sorted((self.root / "content/posts").iterdir())[0]

    def build(self) -> tuple[float, int, float]:
        """Wall seconds, peak resident MiB and CPU seconds (user + system, the
        process and its render workers) of one build process."""
        command = [sys.executable, "-c", DRIVER, "search" if self.search else "no-search",
                   "-C", str(self.root), "build", "--now", NOW]
        # cwd: the site, never a checkout (python -c puts the working folder first on sys.path)
        seconds, cpu, peak = measured(command, self.root, self.env)
        return seconds, peak, cpu

    def edit_one_post(self, run: int) -> None:
        with self.post.open("a", encoding="utf-8") as handle:
            handle.write(f"\nOne more sentence, run {run}.\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/dev/shm/src-mlc-10000"))
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout's folder")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-search", dest="search", action="store_false")
    parser.add_argument("--scratch", type=Path, default=Path("/dev/shm"))
    args = parser.parse_args()
    print(f"cores: {len(os.sched_getaffinity(0))}, load average: {os.getloadavg()[0]:.1f}, "
          f"corpus: {args.corpus}, search: {'on' if args.search else 'off'}")
    with tempfile.TemporaryDirectory(prefix="rebuild-cost-", dir=args.scratch) as scratch:
        checkouts = [Checkout(REPO, "this checkout", args.corpus, Path(scratch), args.search),
                     Checkout(args.baseline.resolve(), "baseline", args.corpus, Path(scratch), args.search)]
        figures: dict[str, dict[str, list[float]]] = {c.label: {} for c in checkouts}
        for checkout in checkouts:
            figures[checkout.label]["fill build (s)"] = [checkout.build()[0]]
        for run in range(args.runs):
            for checkout in checkouts:
                row = figures[checkout.label]
                seconds, _, cpu = checkout.build()
                row.setdefault("rebuild, nothing changed (s)", []).append(seconds)
                row.setdefault("rebuild, nothing changed (CPU s)", []).append(cpu)
                checkout.edit_one_post(run)
                seconds, peak, cpu = checkout.build()
                row.setdefault("rebuild after editing one post (s)", []).append(seconds)
                row.setdefault("rebuild after editing one post (CPU s)", []).append(cpu)
                row.setdefault("peak memory, one-post rebuild (MiB)", []).append(peak)
            print(f"run {run + 1}: " + ", ".join(
                f"{c.label} {figures[c.label]['rebuild after editing one post (s)'][-1]:.2f} s" for c in checkouts))
        report(figures)
    return 0


def report(figures: dict[str, dict[str, list[float]]]) -> None:
    labels = list(figures)
    print("\n| figure (medians) | " + " | ".join(labels) + " | ratio |")
    print("|---|" + "---|" * (len(labels) + 1))
    for row in figures[labels[0]]:
        medians = [statistics.median(figures[label][row]) for label in labels]
        ratio = f"{medians[0] / medians[1]:.2f}×" if len(medians) > 1 and medians[1] else "—"
        print(f"| {row} | " + " | ".join(f"{m:.2f}" for m in medians) + f" | {ratio} |")
    for label in labels:
        print(f"{label}: one-post rebuilds {', '.join(f'{s:.2f}' for s in figures[label]['rebuild after editing one post (s)'])}")


if __name__ == "__main__":
    sys.exit(main())
