"""Speed at scale: the issue-9 figures for 1,000 and 10,000 posts, medians of several runs.

For each size it prints: clean build without cache, rebuild with nothing changed,
rebuild after editing one post (at the pinned clock, and at the wall clock as a
contributor rebuilds), a build into a new output folder with the cache folder of
those builds (what CI does with a restored cache), watch from save to updated
page, and the peak memory of the build process. Where `hugo` is on PATH,
Hugo's clean build of the same content is timed in the same run, alternating
with ours, with the ratio; and Hugo followed by Pagefind over its output (the
same Pagefind our build runs), which is what a Hugo site with the same search
takes.
`--baseline-python` times another checkout's generator side by side (its own
venv's python, e.g. /work/main-before/.venv/bin/python).

Corpora come from ../shared/bench/gen_corpus.py (reused from --corpora when
already there: src-mlc-N and src-hugo-N); every run works on a copy, on tmpfs.

    .venv/bin/python bench/scale.py [--sizes 1000 10000] [--runs 3] [--baseline-python PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GEN_CORPUS = REPO.parent / "shared" / "bench" / "gen_corpus.py"
HUGO_LAYOUTS = REPO.parent / "shared" / "bench" / "hugo"
NOW = "2026-11-27T12:00:00Z"


def corpus(kind: str, posts: int, corpora: Path) -> Path:
    """The generated site (never modified: runs use copies)."""
    folder = corpora / f"src-{kind}-{posts}"
    if not folder.exists():
        members, events = max(100, posts // 10), max(200, posts // 5)
        subprocess.run([sys.executable, str(GEN_CORPUS), "--format", kind, "--posts", str(posts), "--members",
                        str(members), "--events", str(events), "--out", str(folder)], check=True)
        if kind == "hugo":
            shutil.copytree(HUGO_LAYOUTS, folder, dirs_exist_ok=True)
    return folder


def working_copy(source: Path, scratch: Path, name: str, templates: Path | None) -> Path:
    root = scratch / name
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(source, root)
    if templates is not None:
        shutil.copytree(templates, root / "templates", dirs_exist_ok=True)
    return root


def measured(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, with any children it waited for,
    such as render workers) and peak resident MiB of one process (wait4's own rusage)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{process.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def timed(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, int]:
    """Wall seconds and peak resident MiB of one process."""
    seconds, _, peak = measured(command, cwd, env)
    return seconds, peak


class Generator:
    """One checkout's `mlcsite`, run through its own python."""

    def __init__(self, python: str, label: str, ours: bool) -> None:
        self.python, self.label = python, label
        # As an installed generator runs: with its modules' bytecode kept (.pyc), not compiled
        # again by every run (PYTHONDONTWRITEBYTECODE, if set here, cost each build 0.3 s).
        env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        self.env = {**env, "PYTHONPATH": str(REPO)} if ours else env
        checkout = REPO if ours else Path(python).absolute().parents[2]  # CHECKOUT/.venv/bin/python
        self.templates = checkout / "templates"

    def build(self, root: Path, *extra: str, pinned: bool = True) -> tuple[float, int]:
        """One `mlcsite build`; `pinned`: at the benchmark's clock (--now), else at the
        wall clock's, as contributors build."""
        clock = ["--now", NOW] if pinned else []
        return timed([self.python, "-m", "generator", "-C", str(root), "build", *clock, *extra], root, self.env)

    def clean_build(self, root: Path) -> tuple[float, int]:
        for name in ("output", ".mlcsite-cache"):
            shutil.rmtree(root / name, ignore_errors=True)
        return self.build(root)

    def watch_seconds(self, root: Path, post: Path, page: Path, edits: int) -> list[float]:
        """Save a post with a new title; time until its page holds it."""
        command = [self.python, "-u", "-m", "generator", "-C", str(root), "watch", "--now", NOW]
        watcher = subprocess.Popen(command, cwd=root, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
        try:
            for line in watcher.stdout:
                if line.startswith("Watching"):
                    break
            text, times = post.read_text(encoding="utf-8"), []
            for number in range(edits):
                title = f"Watched edit {number} {time.time_ns()}"
                started = time.perf_counter()
                post.write_text(text.replace("title: ", f"title: {title} ", 1), encoding="utf-8")
                while title not in _read(page):
                    if time.perf_counter() - started > 120:
                        raise SystemExit(f"{self.label}: watch never updated {page}")
                    time.sleep(0.005)
                times.append(time.perf_counter() - started)
                time.sleep(0.3)  # let the burst window close before the next save
            post.write_text(text, encoding="utf-8")
            return times
        finally:
            watcher.terminate()
            watcher.wait(timeout=30)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def pagefind_executable() -> str:
    """The Pagefind binary our build runs (the pagefind_bin wheel's)."""
    from pagefind_bin import get_executable
    return str(get_executable())


def first_post(root: Path) -> tuple[Path, Path]:
    """A post and its page under output/ (slug = file name without the date)."""
    post = sorted((root / "content/posts").iterdir())[0]
    slug = post.stem[11:] if post.stem[:4].isdigit() else post.stem
    return post, root / "output/posts" / slug / "index.html"


def measure(generator: Generator, root: Path, runs: int, watch_edits: int, hugo_root: Path | None,
            figures: dict) -> None:
    post, page = first_post(root)
    for run in range(runs):
        seconds, peak = generator.clean_build(root)
        figures.setdefault("clean build, no cache (s)", []).append(seconds)
        figures.setdefault("peak memory, clean build (MiB)", []).append(peak)
        if hugo_root is not None:  # alternating, so both see the same machine load
            shutil.rmtree(hugo_root / "public", ignore_errors=True)
            hugo_seconds = timed(["hugo", "--quiet"], hugo_root)[0]
            figures.setdefault("Hugo clean build (s)", []).append(hugo_seconds)
            search_seconds = timed([pagefind_executable(), "--site", "public", "--silent"], hugo_root)[0]
            figures.setdefault("Hugo + Pagefind, the same search (s)", []).append(hugo_seconds + search_seconds)
        figures.setdefault("rebuild, nothing changed (s)", []).append(generator.build(root)[0])
        with post.open("a", encoding="utf-8") as handle:
            handle.write(f"\nOne more sentence, run {run}.\n")
        seconds, peak = generator.build(root)
        figures.setdefault("rebuild after editing one post (s)", []).append(seconds)
        figures.setdefault("peak memory, one-post rebuild (MiB)", []).append(peak)
        fresh = root.parent / f"{root.name}-new-output"  # CI: the cache folder restored, output/ not
        shutil.rmtree(fresh, ignore_errors=True)
        figures.setdefault("new output folder, warm cache (s)", []).append(generator.build(root, "--out", str(fresh))[0])
        shutil.rmtree(fresh, ignore_errors=True)
        # As a contributor rebuilds: the clock not pinned, a few seconds later than the last
        # build's. The first such build moves the clock from the pinned day to today's.
        for number in range(2):
            with post.open("a", encoding="utf-8") as handle:
                handle.write(f"\nA sentence on the wall clock, run {run}.{number}.\n")
            seconds = generator.build(root, pinned=False)[0]
        figures.setdefault("rebuild after editing one post, clock not pinned (s)", []).append(seconds)
    if watch_edits:
        figures["watch: save a post → page updated (s)"] = generator.watch_seconds(root, post, page, watch_edits)


def report(size: int, columns: dict[str, dict[str, list[float]]]) -> None:
    print(f"\n## {size:,} posts (medians)")
    labels = list(columns)
    print("| figure | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    rows = sorted({row for figures in columns.values() for row in figures}, key=_row_order)
    for row in rows:
        cells = [f"{statistics.median(columns[label][row]):.2f}" if row in columns[label] else "—" for label in labels]
        print(f"| {row} | " + " | ".join(cells) + " |")
    ours = columns[labels[0]]
    if "Hugo clean build (s)" in ours:
        ratio = statistics.median(ours["clean build, no cache (s)"]) / statistics.median(ours["Hugo clean build (s)"])
        print(f"\nclean build / Hugo's in the same run: {ratio:.2f}×")
        with_search = statistics.median(ours["Hugo + Pagefind, the same search (s)"])
        print(f"clean build / Hugo + Pagefind's: {statistics.median(ours['clean build, no cache (s)']) / with_search:.2f}×")


def _row_order(row: str) -> tuple:
    order = ["clean", "Hugo clean", "Hugo +", "rebuild, nothing", "rebuild after editing one post (s)",
             "rebuild after", "new output", "watch",
             "peak memory, clean", "peak memory, one"]
    return (next((i for i, prefix in enumerate(order) if row.startswith(prefix)), 99), row)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--watch-edits", type=int, default=5)
    parser.add_argument("--baseline-python", metavar="PATH", help="another checkout's venv python, timed alongside")
    parser.add_argument("--corpora", type=Path, default=Path("/dev/shm"), help="where src-mlc-N/src-hugo-N live")
    args = parser.parse_args()
    hugo = shutil.which("hugo")
    generators = [Generator(sys.executable, "this checkout", ours=True)]
    if args.baseline_python:
        generators.append(Generator(args.baseline_python, "baseline", ours=False))
    print(f"cores: {len(os.sched_getaffinity(0))}, load average: {os.getloadavg()[0]:.1f}, hugo: {hugo or 'not found'}")
    with tempfile.TemporaryDirectory(prefix="mlcsite-scale-", dir=args.corpora) as scratch:
        for size in args.sizes:
            source = corpus("mlc", size, args.corpora)
            hugo_source = corpus("hugo", size, args.corpora) if hugo else None
            columns: dict[str, dict[str, list[float]]] = {}
            for index, generator in enumerate(generators):
                root = working_copy(source, Path(scratch), f"mlc-{size}-{index}", generator.templates)
                hugo_root = working_copy(hugo_source, Path(scratch), f"hugo-{size}", None) \
                    if hugo_source and index == 0 else None
                columns[generator.label] = {}
                measure(generator, root, args.runs, args.watch_edits, hugo_root, columns[generator.label])
                shutil.rmtree(root, ignore_errors=True)
            report(size, columns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
