"""The real `mlcsite` command in a subprocess: exit codes, formats, atomic builds."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from conftest import REPO, run_mlcsite

BROKEN_PROJECT = """\
---
title: Broken
authors: [nobody-here]
year: soon
---
"""


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_check_passes_the_default_site():
    result = run_mlcsite("check", cwd=REPO)
    assert result.returncode == 0, result.output
    assert "All content is valid" in result.stdout


def test_check_text_output_is_numbered_grouped_and_quotes_the_line(make_site):
    site = make_site({"content/projects/broken.md": BROKEN_PROJECT})
    result = site.cli("check")
    assert result.returncode == 1
    assert "Traceback" not in result.output
    assert result.stdout.splitlines()[:9] == [
        "content/projects/broken.md",
        "  1. error (line 3, column 11): There is no member with the slug \"nobody-here\".",
        "     3 | authors: [nobody-here]",
        "       |           ^",
        "     fix: Add content/members/nobody-here.yaml, or fix the spelling.",
        "  2. error (line 4, column 7): year should be a year like 2021, but it is text.",
        "     4 | year: soon",
        "       |       ^",
        "     fix: Write it like: year: 2021",
    ]
    assert result.stdout.rstrip().endswith("2 errors, 0 warnings in 1 file.")


def test_check_github_format_prints_workflow_annotations(make_site):
    site = make_site({"content/projects/broken.md": BROKEN_PROJECT})
    result = site.cli("check", "--format", "github")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == ("::error file=content/projects/broken.md,line=3,col=11,title=mlcsite check::"
                        "There is no member with the slug \"nobody-here\". "
                        "Add content/members/nobody-here.yaml, or fix the spelling.")
    assert all(line.startswith("::error file=") for line in lines)


def test_check_json_format_is_machine_readable(make_site):
    site = make_site({"content/projects/broken.md": BROKEN_PROJECT})
    result = site.cli("check", "--format", "json")
    data = json.loads(result.stdout)
    assert [(d["file"], d["line"], d["column"], d["severity"]) for d in data] == [
        ("content/projects/broken.md", 3, 11, "error"), ("content/projects/broken.md", 4, 7, "error")]


def test_misuse_exits_2(make_site):
    site = make_site()
    assert site.cli("check", "--format", "xml").returncode == 2
    assert site.cli("frobnicate").returncode == 2
    result = site.cli("build", "--out", str(site.root / "content"))
    assert result.returncode == 2 and "must not replace" in result.stderr
    assert site.cli("build", "--out", str(site.root)).returncode == 2
    assert (site.root / "site.yaml").exists()


def test_failed_build_leaves_previous_output_byte_for_byte_untouched(make_site):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHello.\n"})
    assert site.cli("build").returncode == 0
    before = snapshot(site.output)
    assert "about/index.html" in before
    site.write("content/projects/broken.md", BROKEN_PROJECT)
    site.write("content/pages/about.md", "---\ntitle: About us\n---\nChanged.\n")
    result = site.cli("build")
    assert result.returncode == 1
    assert "nothing was written" in result.stderr and "Traceback" not in result.output
    assert snapshot(site.output) == before
    assert [p.name for p in site.root.iterdir() if p.name.startswith(".output")] == []


def test_a_good_build_replaces_output_and_removes_stale_files(make_site):
    site = make_site({"content/pages/old.md": "---\ntitle: Old\n---\n"})
    assert site.cli("build").returncode == 0
    (site.root / "content/pages/old.md").rename(site.root / "content/pages/new.md")
    assert site.cli("build").returncode == 0
    assert (site.output / "new/index.html").exists() and not (site.output / "old").exists()


def test_build_is_deterministic_and_honours_out_and_base_url(make_site, tmp_path):
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\n[Members](/members/)\n"})
    for name in ("a", "b"):
        args = ("build", "--out", str(tmp_path / name), "--base-url", "https://example.org/pr-42/")
        assert site.cli(*args, env={"SOURCE_DATE_EPOCH": "1700000000"}).returncode == 0
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    html = (tmp_path / "a/about/index.html").read_text()
    assert 'href="/pr-42/members/"' in html
    assert "https://example.org/pr-42/sitemap.xml" in (tmp_path / "a/robots.txt").read_text()


def test_content_files_other_than_items_are_copied_as_is(make_site):
    site = make_site()
    site.write_bytes("content/images/logo.png", b"\x89PNG fake")
    site.write("content/members/ada.yaml", "name: Ada\nrole: Lead\nphoto: images/logo.png\n")
    assert site.cli("build").returncode == 0
    assert (site.output / "images/logo.png").read_bytes() == b"\x89PNG fake"


def test_alias_becomes_a_redirect_page(make_site):
    site = make_site({"content/pages/about.md": "---\ntitle: About\naliases: [/about-us/]\n---\n"})
    assert site.cli("build").returncode == 0
    html = (site.output / "about-us/index.html").read_text()
    assert 'url=/about/' in html and "https://example.org/about/" in html


def test_new_writes_a_starter_that_passes_check(make_site):
    site = make_site({"content/members/ada-lovelace.yaml": "name: Ada\nrole: Lead\n"})
    for kind in ("member", "project", "series", "event", "post", "page", "rfp"):
        result = site.cli("new", kind, f"my-{kind}")
        assert result.returncode == 0, result.output
    result = site.cli("check")
    assert result.returncode == 0, result.output
    again = site.cli("new", "member", "my-member")
    assert again.returncode == 2 and "already exists" in again.stderr
    bad = site.cli("new", "post", "My Post")
    assert bad.returncode == 2 and '"my-post"' in bad.stderr


def test_python_m_generator_is_the_same_command():
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "generator", "--help"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0 and "check" in proc.stdout and "build" in proc.stdout


def test_the_command_ends_at_once_with_everything_it_printed(make_site):
    # `mlcsite` leaves the process with os._exit (cli.run): its buffered output must be out by then.
    site = make_site({"content/projects/broken.md": BROKEN_PROJECT})
    broken = site.cli("build")
    assert broken.returncode == 1 and "nobody-here" in broken.output and "nothing was written" in broken.stderr
    site.root.joinpath("content/projects/broken.md").unlink()
    built = site.cli("build", "--now", "2026-06-01T12:00:00Z")
    assert built.returncode == 0 and built.stdout.startswith("Built ") and built.stdout.endswith(" s.\n")
    checked = site.cli("check", "--format", "json")
    assert checked.returncode == 0 and json.loads(checked.stdout) is not None
