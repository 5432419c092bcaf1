"""Issue 10: property-based tests over front matter and Markdown, valid and broken.

For any content file the strategies in fuzz_content.py draw, written into a real
scratch site beside a few good files:

- `check` and `build` never end in a traceback: exit 0 or 1, nothing raised;
- every error names a file of the site and a line in it;
- `check` and `build` agree: what `check` accepts, `build` builds, and what it
  refuses, `build` refuses;
- a failed build leaves output/ as it was, byte for byte.

Most examples run in-process through the real CLI entry (`generator.cli.main`)
for speed; a few go through a real subprocess. The examples are bounded and
derandomized (profile "ci", the default), so every run tries the same inputs;
HYPOTHESIS_PROFILE=explore tries many more, at random. A failure prints the
smallest failing file, and the seed to reproduce it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import REPO, run_mlcsite
from fuzz_content import MEMBER, PROJECT, SERIES, ContentFile, content_files
from generator.cli import main

settings.register_profile(
    "ci", max_examples=40, derandomize=True, database=None, print_blob=True, deadline=timedelta(seconds=30),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
settings.register_profile("explore", parent=settings.get_profile("ci"), max_examples=1000, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

NOW = "2024-06-01T12:00:00Z"
BASE_FILES = {
    "site.yaml": "title: Fuzz\nbase_url: https://example.org/sub/\ntimezone: UTC\n",
    f"content/members/{MEMBER}.yaml": "name: Ada Lovelace\n",
    f"content/series/{SERIES}.yaml": "title: Jam\n",
    f"content/projects/{PROJECT}.md": f"---\ntitle: Atlas\nauthors: [{MEMBER}]\n---\nA *project*.\n",
    "content/events/jam-1.md": f"---\ntitle: Jam one\nseries: {SERIES}\nstart: 2024-07-01 10:00\n---\nCome.\n",
    "content/posts/2024-01-01-hello.md": "---\ntitle: Hello\ntags: [community]\n---\nHello [^1].\n\n[^1]: Note.\n",
    "content/pages/about.md": "---\ntitle: About\n---\n# About\n\nUs.\n",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A small site, built once: the fuzzed file is added to it, then removed."""
    root = tmp_path_factory.mktemp("fuzz") / "site"
    shutil.copytree(REPO / "templates", root / "templates")
    for rel, text in BASE_FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    code, out, err = run_in_process(root, "build", "--now", NOW)
    assert code == 0, out + err
    return root


def run_in_process(root: Path, *args: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["-C", str(root), *args])  # an exception here fails the test with its traceback
    return code, stdout.getvalue(), stderr.getvalue()


def hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@contextlib.contextmanager
def added(root: Path, *files: ContentFile):
    for file in files:
        (root / file.rel).parent.mkdir(parents=True, exist_ok=True)
        (root / file.rel).write_bytes(file.data)
    try:
        yield
    finally:
        for file in files:
            (root / file.rel).unlink()


# Errors about a file's name or size concern no line of it: "whole file" is their place.
WHOLE_FILE_PROBLEMS = ("have the slug", "is not a valid slug", "bytes; the limit is")


def assert_errors_name_a_file_and_line(root: Path, check_json: str) -> None:
    for problem in json.loads(check_json):
        if problem["severity"] != "error" or "more" in problem:
            continue
        assert (root / problem["file"]).exists(), problem
        assert problem["line"] or any(words in problem["message"] for words in WHOLE_FILE_PROBLEMS), problem


def assert_check_and_build_agree(root: Path, check: tuple[int, str, str], build: tuple[int, str, str],
                                 before: dict[str, str]) -> None:
    (check_code, check_out, check_err), (build_code, _, build_err) = check, build
    assert check_code in (0, 1) and build_code in (0, 1), (check_code, build_code, build_err)
    assert "Traceback" not in check_err + build_err
    assert check_code == build_code, f"check said {check_code}, build said {build_code}:\n{check_out}\n{build_err}"
    if build_code == 1:
        assert hashes(root / "output") == before, "a failed build changed output/"
        assert "nothing was written" in build_err


# One file, or two (of two kinds, or one slug written as both .md and .yaml).
changes = st.lists(content_files(), min_size=1, max_size=2, unique_by=lambda file: file.rel)


@given(files=changes)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_check_and_build_agree_and_never_crash(site, files):
    with added(site, *files):
        before = hashes(site / "output")
        check = run_in_process(site, "check", "--format", "json")
        assert check[0] in (0, 1), check
        assert_errors_name_a_file_and_line(site, check[1])
        build = run_in_process(site, "build", "--now", NOW)
        event(f"{len(files)} file(s): check {check[0]}, build {build[0]}")  # --hypothesis-show-statistics
        assert_check_and_build_agree(site, check, build, before)


@given(file=content_files())
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_real_command_agrees_too(site, file):
    """The same property through a subprocess: what stdout, stderr and the exit
    status look like to CI, with nothing of the test's process shared."""
    with added(site, file):
        before = hashes(site / "output")
        check = run_mlcsite("check", "--format", "json", cwd=site)
        assert check.returncode in (0, 1), check.output
        assert_errors_name_a_file_and_line(site, check.stdout)
        build = run_mlcsite("build", "--now", NOW, cwd=site)
        assert_check_and_build_agree(site, (check.returncode, check.stdout, check.stderr),
                                     (build.returncode, build.stdout, build.stderr), before)


@given(text=st.text(max_size=200))
def test_any_text_after_front_matter_builds_or_is_reported(tmp_path_factory, text):
    """Plain Hypothesis text (every code point, surrogates aside) as a page body."""
    root = tmp_path_factory.getbasetemp() / "any-text"
    if not root.exists():
        shutil.copytree(REPO / "templates", root / "templates")
        (root / "site.yaml").write_text(BASE_FILES["site.yaml"], encoding="utf-8")
    file = ContentFile("content/pages/any.md", f"---\ntitle: Any\n---\n{text}\n".encode("utf-8", "surrogatepass"))
    with added(root, file):
        check = run_in_process(root, "check", "--format", "json")
        build = run_in_process(root, "build", "--now", NOW)
    assert check[0] == build[0] == 0, (check, build)
