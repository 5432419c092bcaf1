"""Time and peak memory of `mlcsite build` on the pathological inputs of issue 10.

Each case is a one-file scratch site (site.yaml, the repository's templates, one
post) built through the real CLI under /usr/bin/time -v, with a time cap; a
case that runs past the cap is printed as "> CAP s".

    .venv/bin/python bench/pathological.py [--cap SECONDS] [--code DIR] [CASE ...]

`--code DIR` runs the generator package (and theme) found in DIR (e.g. an export
of an older commit), so "before" and "after" are measured by the same script.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SITE_YAML = "title: Bench\nbase_url: https://example.org\ntimezone: UTC\n"


def _post(body: str, front: str = "") -> str:
    return f"---\ntitle: Bench\n{front}---\n{body}\n"


def _nested_divs(depth: int) -> str:
    return '<div markdown="1">\n' * depth + "x\n" + "</div>\n" * depth


def _nested_list(depth: int) -> str:
    return "".join("    " * level + "- item\n" for level in range(depth))


CASES = {
    "brackets-4k": lambda: _post("[" * 4000),
    "brackets-50k": lambda: _post("[" * 50_000),
    "tag-4000-times": lambda: _post("x", "tags:\n" + "  - community\n" * 4000),
    "footnotes-20k": lambda: _post("".join(f"x[^{n}] " for n in range(20_000)) + "\n\n"
                                   + "".join(f"[^{n}]: note {n}\n" for n in range(20_000))),
    "code-5mb": lambda: _post("```python\n" + "x = [1, 2, 3]  # comment\n" * 200_000 + "```"),
    "post-50mb": lambda: _post(("word " * 20 + "\n\n") * 500_000),
    "divs-1000-deep": lambda: _post(_nested_divs(1000)),
    "list-400-deep": lambda: _post(_nested_list(400)),
    # Past check's limits, stopped by the renderer's budget (render/time_budget.py):
    "emphasis-2000-deep": lambda: _post("*a " * 2000 + "b" + "*" * 2000),
    "definitions-30k": lambda: _post("term\n" + ": definition\n" * 30_000),
    "headings-60k-same": lambda: _post("# a\n\n" * 60_000),
    "hr-lines-100k": lambda: _post("---\n" * 100_000),
    # Slow inside one C call, so refused by check:
    "abbreviations-8k": lambda: _post("".join(f"*[A{n}]: x\n" for n in range(8000)) + "\n"
                                      + " ".join(f"A{n}" for n in range(8000))),
    "pre-100k-deep": lambda: _post("<pre>" * 100_000),
}


def measure(name: str, code: Path, cap: float) -> str:
    with tempfile.TemporaryDirectory(prefix=f"patho-{name}-") as tmp:
        root = Path(tmp)
        shutil.copytree(code / "templates", root / "templates")  # the theme that goes with that code
        (root / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
        post = root / "content/posts/2024-01-01-bench.md"
        post.parent.mkdir(parents=True)
        post.write_text(CASES[name](), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(code), "SOURCE_DATE_EPOCH": "1795780800"}
        command = ["/usr/bin/time", "-v", sys.executable, "-m", "generator", "build"]
        try:
            proc = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=cap)
        except subprocess.TimeoutExpired:
            return f"{name:16} > {cap:.0f} s (stopped)"
        wall = re.search(r"Elapsed \(wall clock\) time.*: (.+)", proc.stderr).group(1)
        peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
        outcome = f"exit {proc.returncode}"
        last = [line for line in proc.stderr.splitlines() if "error" in line.lower() or "Error" in line]
        detail = last[0].strip()[:90] if last and proc.returncode else ""
        return f"{name:16} {wall:>9} wall  {peak / 1024:7.0f} MB peak  {outcome}  {detail}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cap", type=float, default=120)
    parser.add_argument("--code", type=Path, default=REPO)
    parser.add_argument("cases", nargs="*", default=list(CASES))
    args = parser.parse_args()
    for name in args.cases:
        print(measure(name, args.code.resolve(), args.cap), flush=True)


if __name__ == "__main__":
    main()
