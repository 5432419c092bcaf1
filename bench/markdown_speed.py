"""Markdown conversion speed: median ms per post, ours against plain Python-Markdown.

    .venv/bin/python bench/markdown_speed.py SITE [--posts 300] [--rounds 5] [--before PYTHON:CHECKOUT]

SITE is a generated site (../shared/bench/gen_corpus.py --format mlc); the post
bodies are its content/posts/*.md after the front matter. Printed, each the median
of the rounds (rounds alternate between renderers, so machine load hits all alike):

- plain:  markdown.Markdown() with no extensions, one instance reset per post
- ours:   generator.render.markup.render_markdown_with_toc (dialect + sanitizer)
- before: the same function from another checkout, timed in its own interpreter
          (e.g. --before /work/main/.venv/bin/python:/path/to/old/checkout)

CPU time of this process (time.process_time), not wall time: five other builds
share the two cores, and CPU time is what they disturb least.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

TIMER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import markdown
from generator.render import markup
bodies = json.load(sys.stdin)
kind = sys.argv[2]
if kind == "plain":
    md = markdown.Markdown()
    def convert(text):
        md.reset()
        return md.convert(text)
else:
    convert = markup.render_markdown_with_toc
convert(bodies[0])  # warm: build the instance, compile the regexes
start = time.process_time()
for text in bodies:
    convert(text)
print(json.dumps((time.process_time() - start) / len(bodies) * 1000))
"""


def post_bodies(site: Path, count: int) -> list[str]:
    posts = sorted((site / "content" / "posts").glob("*.md"))[:count]
    if not posts:
        raise SystemExit(f"no posts under {site / 'content' / 'posts'}")
    return [path.read_text("utf-8").split("\n---\n", 1)[-1] for path in posts]


def time_once(python: str, checkout: str, kind: str, bodies: list[str]) -> float:
    """ms/post, in a fresh interpreter so no renderer warms another's caches."""
    done = subprocess.run([python, "-c", TIMER, checkout, kind], input=json.dumps(bodies),
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", help="PYTHON:CHECKOUT of the renderer to compare with")
    args = parser.parse_args()
    bodies = post_bodies(args.site, args.posts)
    here = str(Path(__file__).resolve().parent.parent)
    runs = {"plain": (sys.executable, here, "plain"), "ours": (sys.executable, here, "ours")}
    if args.before:
        python, checkout = args.before.split(":", 1)
        runs["before"] = (python, checkout, "ours")
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, (python, checkout, kind) in runs.items():
            times[name].append(time_once(python, checkout, kind, bodies))
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{len(bodies)} posts, {args.rounds} rounds, median CPU ms/post")
    for name, value in medians.items():
        print(f"  {name:7} {value:7.2f} ms/post   {value / medians['plain']:5.2f}x plain")
    if "before" in medians:
        print(f"  speed-up, before → ours: {medians['before'] / medians['ours']:.2f}x")


if __name__ == "__main__":
    main()
