"""Rendering in worker processes gives what one process gives: the same bytes,
and on a template error the same diagnostic, exit status and untouched output/.

The site is the repository's default site plus generated posts (headings, lists,
a fenced code block, tags; some with a summary, some without), enough outputs
for several chunks per worker. Builds go through the real CLI; --jobs 3 forces
the pool whatever the machine's CPUs.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE_NOW, run_mlcsite
from generator import render_pool

POSTS = 220
TAGS = ["systems", "theory", "vision", "language", "robotics", "community"]
WORDS = "model data gradient layer attention kernel benchmark paper loss token sample probe".split()


def _post(number: int, rng: random.Random) -> str:
    words = lambda n: " ".join(rng.choice(WORDS) for _ in range(n))  # noqa: E731
    tags = "".join(f"  - {t}\n" for t in rng.sample(TAGS, rng.randint(1, 3)))
    summary = f"summary: \"{words(8)} *{number}*\"\n" if number % 2 else ""
    return (f"---\ntitle: Pool post {number}\ndate: 2024-{1 + number % 12:02d}-{1 + number % 28:02d}\n"
            f"authors:\n  - alex-rivera\ntags:\n{tags}{summary}---\n\n{words(40)} [link](https://example.org/{number}).\n\n"
            f"## Results\n\n- {words(9)}\n- **{words(5)}** `{rng.choice(WORDS)}`\n\n"
            f"```python\ndef step_{number % 7}(x):\n    return x * {number}  # {words(3)}\n```\n\n## Next\n\n{words(30)}\n")


@pytest.fixture(scope="module")
def big_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pool") / "site"
    root.mkdir()
    for name in ("content", "templates", "site.yaml"):
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copyfile
        copy(REPO / name, root / name)
    members = sorted(p.stem for p in (root / "content/members").glob("*.md"))
    rng = random.Random(9)
    for number in range(POSTS):
        text = _post(number, rng).replace("alex-rivera", rng.choice(members))
        (root / f"content/posts/2024-01-01-pool-post-{number:03d}.md").write_text(text, encoding="utf-8")
    return root


def _build(root: Path, out: Path, *args: str, env: dict | None = None):
    return run_mlcsite("build", "--no-cache", "--now", SAMPLE_NOW, "--out", str(out), *args, cwd=root, env=env)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_pooled_build_equals_one_process(big_site, tmp_path):
    one = _build(big_site, tmp_path / "one", "--jobs", "1")
    assert one.returncode == 0, one.output
    pooled = _build(big_site, tmp_path / "pooled", "--jobs", "3")
    assert pooled.returncode == 0, pooled.output
    expected = _files(tmp_path / "one")
    assert len(expected) > 8 * render_pool.CHUNK  # several chunks for each worker
    assert _files(tmp_path / "pooled") == expected
    from_env = _build(big_site, tmp_path / "env", env={"MLCSITE_JOBS": "2"})
    assert from_env.returncode == 0, from_env.output
    assert _files(tmp_path / "env") == expected


def test_template_error_in_a_worker_is_reported_as_in_one_process(big_site, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(big_site, site)
    out = tmp_path / "out"
    assert _build(site, out, "--jobs", "1").returncode == 0
    before = _files(out)
    # Two posts fail, far apart in the plan: the first in plan order is the one reported.
    post_template = site / "templates/post.html"
    failing = '{% if post.slug in ("pool-post-150", "pool-post-199") %}{{ no_such_helper() }}{% endif %}'
    text = post_template.read_text(encoding="utf-8")
    post_template.write_text(text.replace("{% block heading %}", "{% block heading %}" + failing, 1), encoding="utf-8")
    one = _build(site, out, "--jobs", "1")
    pooled = _build(site, out, "--jobs", "3")
    assert one.returncode == pooled.returncode == 1
    assert "templates/post.html" in one.stderr and "rendering /posts/pool-post-150/" in one.stderr, one.stderr
    assert "rendering /posts/pool-post-199/" not in one.stderr
    assert pooled.stderr == one.stderr
    assert pooled.stdout == one.stdout
    assert _files(out) == before  # output/ untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"]  # no staging folder left


def test_worker_count_follows_the_work():
    assert render_pool.worker_count(10) == 1  # a small site or rebuild: no fork
    assert render_pool.worker_count(10**6) == render_pool.available_cpus()
    assert render_pool.worker_count(10**6, jobs=1) == 1
    assert render_pool.worker_count(5, jobs=2) == 2


def test_bad_jobs_value_is_a_usage_error(big_site, tmp_path):
    result = _build(big_site, tmp_path / "out", env={"MLCSITE_JOBS": "many"})
    assert result.returncode == 2 and "MLCSITE_JOBS" in result.stderr
    result = _build(big_site, tmp_path / "out", "--jobs", "0")
    assert result.returncode == 2
