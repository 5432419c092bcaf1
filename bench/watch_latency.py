"""Edit-to-updated-file latency of `mlcsite watch`, against a full build.

For the default site and for a generated site of 1,000 posts (under bench/sites/):
- full build: median of 5 runs of `mlcsite build` (hyperfine when installed);
- watch: median time from saving a post's title to its page holding the new
  title, over 20 edits of one post, with `mlcsite watch` running.

    .venv/bin/python bench/watch_latency.py [--posts 1000] [--edits 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sites import NOW, REPO, copy_default_site, make_big_site

HYPERFINE = Path("/usr/bin/hyperfine")
POST = "content/posts/2021-06-21-a-year-of-mlc.md"
PAGE = "posts/a-year-of-mlc/index.html"


def mlcsite(*args: str) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def full_build_seconds(root: Path, runs: int = 5) -> float:
    out = root / "output"
    command = mlcsite("-C", str(root), "build", "--out", str(out), "--now", NOW)
    if HYPERFINE.exists():
        with tempfile.NamedTemporaryFile(suffix=".json") as report:
            subprocess.run([str(HYPERFINE), "--runs", str(runs), "--warmup", "1", "--style", "none",
                            "--export-json", report.name, " ".join(command)],
                           check=True, env=env(), stdout=subprocess.DEVNULL)
            return json.loads(Path(report.name).read_text())["results"][0]["median"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, env=env(), stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def watch_latency_seconds(root: Path, edits: int) -> float:
    out = root / "output-watch"
    shutil.rmtree(out, ignore_errors=True)
    watcher = subprocess.Popen(mlcsite("-C", str(root), "watch", "--out", str(out), "--now", NOW),
                               env={**env(), "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        for line in watcher.stdout:
            if line.startswith("Watching"):
                break
        source, page = root / POST, out / PAGE
        original = source.read_text(encoding="utf-8")
        times = []
        for number in range(edits):
            marker = f"Latency probe {number}"
            started = time.perf_counter()
            source.write_text(original.replace("title: ", f"title: {marker} ", 1), encoding="utf-8")
            while marker not in _read(page):
                time.sleep(0.001)
                if time.perf_counter() - started > 60:
                    raise SystemExit(f"watch did not update {page} within 60 s")
            times.append(time.perf_counter() - started)
        source.write_text(original, encoding="utf-8")
        return statistics.median(times)
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    sites = {"default site": copy_default_site(), f"{args.posts} posts": make_big_site(args.posts)}
    print(f"{'site':<14} {'full build':>11} {'watch edit':>11} {'ratio':>7}")
    for name, root in sites.items():
        build = full_build_seconds(root)
        latency = watch_latency_seconds(root, args.edits)
        print(f"{name:<14} {build:>10.3f}s {latency:>10.3f}s {build / latency:>6.1f}x", flush=True)
    print(f"(medians: {args.edits} edits of {POST}; 5 full builds"
          f"{' with hyperfine' if HYPERFINE.exists() else ''}; watch waits {0.1:.1f} s of quiet before building)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
