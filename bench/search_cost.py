"""What the search index costs a build, at 1,000 and 10,000 posts.

For each size, in one process per measurement (in-process builds, so the
search step can be timed from inside): a clean build without cache, a rebuild
with nothing changed, and a rebuild after editing one post (through the cache
folder, as `mlcsite build` does). Each prints the build's wall time, the time
spent on search (taking records as pages render, running Pagefind, staging
its files) and the index's size. Medians of --runs.

    .venv/bin/python bench/search_cost.py [--sizes 1000 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.timezone.utc)


def measure(root: Path, out: Path, cached: bool, edit: bool) -> dict:
    """One build of the site at root, timed; its search step timed from inside."""
    sys.path.insert(0, str(REPO))
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
    runs = []
    original = search_index.index_pages

    def counted(pages, config):
        runs.append(len(pages))
        return original(pages, config)
    search_index.index_pages = counted
    if edit:
        post = sorted((root / "content/posts").iterdir())[len(list((root / "content/posts").iterdir())) // 2]
        post.write_text(post.read_text("utf-8") + f"\nEdited at {time.time()}.\n", "utf-8")
    options = pipeline.Options(root=root, out=out, now=NOW)
    cache = RenderCache.persistent(root, out, in_place=False) if cached else None
    started = time.perf_counter()
    result = pipeline.build(options, cache)
    wall = time.perf_counter() - started
    assert not result.diagnostics.has_errors()
    size = sum(p.stat().st_size for p in (out / "pagefind").rglob("*") if p.is_file())
    return {"wall": wall, "search": spent[0], "pagefind_runs": len(runs), "pages": runs[0] if runs else 0,
            "index_mib": size / 2**20}


def run_one(root: Path, out: Path, cached: bool, edit: bool) -> dict:
    code = (f"import sys, json; sys.path.insert(0, {str(REPO / 'bench')!r}); import search_cost; "
            f"print(json.dumps(search_cost.measure(search_cost.Path({str(root)!r}), search_cost.Path({str(out)!r}), "
            f"{cached}, {edit})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    import json
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpora", type=Path, default=Path("/dev/shm"))
    args = parser.parse_args()
    for size in args.sizes:
        root = args.corpora / f"search-bench-{size}"
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(args.corpora / f"src-mlc-{size}", root)
        shutil.copytree(REPO / "templates", root / "templates", dirs_exist_ok=True)
        out = root / "output"
        rows = {"clean, no cache": [], "rebuild, nothing changed": [], "rebuild, one post edited": []}
        for _ in range(args.runs):
            shutil.rmtree(root / ".mlcsite-cache", ignore_errors=True)
            rows["clean, no cache"].append(run_one(root, out, cached=False, edit=False))
            run_one(root, out, cached=True, edit=False)  # fills the cache folder
            rows["rebuild, nothing changed"].append(run_one(root, out, cached=True, edit=False))
            rows["rebuild, one post edited"].append(run_one(root, out, cached=True, edit=True))
        print(f"{size} posts ({args.runs} runs, medians):")
        for name, results in rows.items():
            wall = statistics.median(r["wall"] for r in results)
            search = statistics.median(r["search"] for r in results)
            print(f"  {name:26} build {wall:7.2f} s   search {search:6.2f} s ({100 * search / wall:4.1f} %)   "
                  f"Pagefind runs {results[0]['pagefind_runs']} over {results[0]['pages']} pages, "
                  f"index {results[0]['index_mib']:.1f} MiB")
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
