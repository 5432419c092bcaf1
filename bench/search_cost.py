"""What the search index costs a build, at 1,000 and 10,000 posts, against a
baseline checkout in the same invocation.

For each size and each checkout (this one, and --baseline if given, taking
turns): a clean build (empty cache folder and output/, which fills the cache
folder), then rebuilds after editing one post's body. Each build runs in a
process of its own, in-process builds so that the search step can be timed from
inside; each prints the build's wall time, the time spent on search (taking
records as pages render, running Pagefind, staging its files), how many pages
Pagefind indexed, the peak memory of the largest Pagefind process (VmHWM, read
before it is stopped) and of the build process itself. Medians of the runs.

    git worktree add ../base <commit before the change>
    .venv/bin/python bench/search_cost.py --sizes 1000 10000 --runs 3 --clean-runs 1 --baseline ../base
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.timezone.utc)


def _peak_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _watch_pagefind(peaks: list[int]) -> None:
    """Record each Pagefind process's peak memory when its input is closed
    (it has answered everything then, and has not exited yet)."""
    from generator.search import service

    real_popen = service.subprocess.Popen

    class Closing:
        def __init__(self, stream, pid):
            self.stream, self.pid = stream, pid

        def __getattr__(self, name):
            return getattr(self.stream, name)

        def close(self):
            peaks.append(_peak_kib(self.pid))
            self.stream.close()

    class Watched(real_popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if "--service" in args[0]:  # Pagefind (service.py), not git or anything else run meanwhile
                self.stdin = Closing(self.stdin, self.pid)
    service.subprocess.Popen = Watched


def measure(repo: Path, root: Path, out: Path, edit: bool) -> dict:
    """One build, with the cache folder, of the site at root by the generator in repo."""
    sys.path.insert(0, str(repo))
    from generator import pipeline
    from generator.incremental import RenderCache
    from generator.search import index as search_index

    spent = [0.0]

    def timing(method):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - started
        return timed
    for name in ("take", "stage", "write_in_place", "finish", "known"):
        setattr(search_index.SearchIndex, name, timing(getattr(search_index.SearchIndex, name)))
    runs: list[int] = []
    original = search_index.index_pages

    def counted(pages, config):
        runs.append(len(pages))
        return original(pages, config)
    search_index.index_pages = counted
    peaks: list[int] = []
    _watch_pagefind(peaks)
    if edit:
        posts = sorted((root / "content/posts").iterdir())
        post = posts[len(posts) // 2]
        post.write_text(post.read_text("utf-8") + f"\nEdited at {time.time()}.\n", "utf-8")
    cache = RenderCache.persistent(root, out, in_place=False)
    started = time.perf_counter()
    result = pipeline.build(pipeline.Options(root=root, out=out, now=NOW), cache)
    wall = time.perf_counter() - started
    assert not result.diagnostics.has_errors()
    return {"wall": wall, "search": spent[0], "pagefind_runs": len(runs), "pages": sum(runs),
            "largest_run": max(runs, default=0), "pagefind_mib": max(peaks, default=0) / 1024,
            "build_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_one(repo: Path, root: Path, edit: bool) -> dict:
    code = (f"import sys, json; sys.path.insert(0, {str(REPO / 'bench')!r}); import search_cost as s; "
            f"print(json.dumps(s.measure(s.Path({str(repo)!r}), s.Path({str(root)!r}), "
            f"s.Path({str(root / 'output')!r}), {edit})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def copy_site(corpora: Path, size: int, repo: Path, name: str) -> Path:
    root = Path("/dev/shm") / f"search-bench-{name}-{size}"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(corpora / f"src-mlc-{size}", root)
    shutil.copytree(repo / "templates", root / "templates", dirs_exist_ok=True)
    return root


def report(size: int, name: str, rows: dict[str, list[dict]]) -> None:
    print(f"{size} posts, {name}:")
    for label, results in rows.items():
        if not results:
            continue
        med = {key: statistics.median(r[key] for r in results)
               for key in ("wall", "search", "pagefind_mib", "build_mib", "pages", "largest_run")}
        print(f"  {label:28} ({len(results)} runs) build {med['wall']:7.2f} s   search {med['search']:6.2f} s   "
              f"Pagefind: {results[0]['pagefind_runs']} runs over {med['pages']:.0f} pages (largest "
              f"{med['largest_run']:.0f}), peak {med['pagefind_mib']:6.0f} MiB   build process {med['build_mib']:4.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3, help="rebuilds after editing one post")
    parser.add_argument("--clean-runs", type=int, default=1, help="clean builds")
    parser.add_argument("--corpora", type=Path, default=Path("/dev/shm"))
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare with")
    args = parser.parse_args()
    checkouts = {"this checkout": REPO} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    for size in args.sizes:
        roots = {name: copy_site(args.corpora, size, repo, name.split()[0]) for name, repo in checkouts.items()}
        rows = {name: {"clean build": [], "rebuild, one post edited": []} for name in checkouts}
        for _ in range(args.clean_runs):  # taking turns, so that the machine's load hits both alike
            for name, repo in checkouts.items():
                shutil.rmtree(roots[name] / ".mlcsite-cache", ignore_errors=True)
                shutil.rmtree(roots[name] / "output", ignore_errors=True)
                rows[name]["clean build"].append(run_one(repo, roots[name], edit=False))
        for _ in range(args.runs):
            for name, repo in checkouts.items():
                rows[name]["rebuild, one post edited"].append(run_one(repo, roots[name], edit=True))
        for name in checkouts:
            report(size, name, rows[name])
        for root in roots.values():
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
