"""Issue 10, case 4: small files that stalled or crashed the build are refused
by `check`, with the file and the line, in a fraction of the time they took.

Each input is built through the real CLI; the subprocess timeout is what fails
the test if a quadratic path comes back (the inputs took minutes before).
"""

from __future__ import annotations

import pytest

POST = "content/posts/2024-01-01-big.md"
QUICK = 60  # seconds: every case below took from 5 s to more than 10 minutes before


def _post(body: str, front: str = "") -> str:
    return f"---\ntitle: Big\n{front}---\n{body}\n"


PATHOLOGICAL = {
    "50 KB of [": (_post("[" * 50_000), 4, "too many `[` or `(` that are never closed"),
    "unclosed link parentheses": (_post("[a](" * 20_000), 4, "too many `[` or `(` that are never closed"),
    "unclosed angle brackets": (_post("<a " * 20_000), 4, "too many `<` that are never closed"),
    "20,000 footnotes": (_post("".join(f"x[^{n}] " for n in range(20_000)) + "\n\n"
                               + "".join(f"[^{n}]: note {n}\n" for n in range(20_000))), 306,
                         "more than 300 footnotes"),
    "a 5 MB code block": (_post("```python\n" + "x = [1, 2, 3]  # comment\n" * 200_000 + "```"), 0,
                          "the limit is 1,000,000"),
    "a 200 KB code block": (_post("```python\n" + "x = [1, 2, 3]  # comment\n" * 8_000 + "```"), 4,
                            "This code block has 200,000 characters"),
    "<div markdown> 1,000 deep": (_post('<div markdown="1">\n' * 1000 + "x\n" + "</div>\n" * 1000), 24,
                                  "nested more than 20 deep"),
    "a list 400 deep": (_post("".join("    " * level + "- item\n" for level in range(400))), 24,
                        "nested more than 20 deep"),
    "a list 4,000 deep on one line": (_post("1. " * 4000), 4, "nested more than 20 deep"),
    "quotes 4,000 deep on one line": (_post("> " * 4000), 4, "nested more than 20 deep"),
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_a_pathological_text_is_refused_by_check_with_its_line(name, make_site):
    text, line, words = PATHOLOGICAL[name]
    site = make_site({POST: text})
    result = site.cli("check", "--format", "github", timeout=QUICK)
    assert result.returncode == 1, result.output
    assert words in result.stdout
    expected = f"file={POST},line={line}," if line else f"file={POST},title="
    assert expected in result.stdout, result.stdout
    assert "Traceback" not in result.output


def test_a_50_mb_post_is_refused_before_it_is_parsed(make_site):
    site = make_site({})
    site.write_bytes(POST, _post(("word " * 20 + "\n\n") * 500_000).encode())
    result = site.cli("build", timeout=QUICK)
    assert result.returncode == 1
    assert "This file has 51,000,020 bytes; the limit is 1,000,000." in result.stderr
    assert not site.output.exists()


def test_a_build_of_a_pathological_text_fails_cleanly_and_writes_nothing(make_site):
    site = make_site({POST: _post("[" * 50_000)})
    result = site.cli("build", timeout=QUICK)
    assert result.returncode == 1
    assert POST in result.stderr and "Traceback" not in result.stderr
    assert not site.output.exists()


def test_limits_come_from_site_yaml(make_site):
    site = make_site({POST: _post("- a\n    - b\n        - c\n")})
    assert site.cli("check").returncode == 0
    site.write("site.yaml", "title: T\nbase_url: https://example.org\ntimezone: UTC\nlimits: {nesting_depth: 2}\n")
    result = site.cli("check")
    assert result.returncode == 1
    assert "nested more than 2 deep" in result.stdout


def test_ordinary_brackets_links_and_html_stay_within_the_limits(make_site):
    links = " ".join(f"[link {n}](https://example.org/{n}) [^{n}]" for n in range(200))
    notes = "\n".join(f"[^{n}]: A note with <em>html</em> and [a link](https://example.org)." for n in range(200))
    nested = "".join("    " * level + "- item\n" for level in range(10))
    site = make_site({POST: _post(f"{links}\n\n{nested}\n{notes}\n\nA [bracket] or two [ and an x < y.")})
    result = site.cli("build", timeout=QUICK)
    assert result.returncode == 0, result.output


def test_a_tag_listed_4000_times_is_one_tag_and_builds_quickly(make_site):
    site = make_site({POST: _post("x", "tags:\n" + "  - community\n" * 4000)})
    site.write("site.yaml", "title: T\nbase_url: https://example.org\ntimezone: UTC\nlimits: {tags: 5000}\n")
    result = site.cli("build", "--now", "2024-06-01T00:00:00Z", timeout=QUICK)
    assert result.returncode == 0, result.output
    assert result.stderr.count('The tag "community" is listed twice') == 21  # 20 shown, then the count
    assert '… and 3,979 more like this: The tag "community" is listed twice' in result.stderr
    page = (site.output / "tags/community/index.html").read_text(encoding="utf-8")
    assert page.count('href="/posts/big/"') == 1


def test_a_tag_listed_4000_times_is_past_the_default_limit(make_site):
    site = make_site({POST: _post("x", "tags:\n" + "  - community\n" * 4000)})
    result = site.cli("check", timeout=QUICK)
    assert result.returncode == 1
    assert "There are 4000 tags here; the limit is 20." in result.stdout


def test_100000_unknown_keys_print_a_few_errors_and_the_count(make_site):
    site = make_site({})
    site.write("content/members/many.yaml", "name: Many\nrole: Lead\n" + "".join(f"k{n}: 1\n" for n in range(100_000)))
    result = site.cli("check", timeout=3 * QUICK)  # parsing 100,000 keys is linear, but not instant
    assert result.returncode == 1
    assert len(result.stdout) < 20_000, len(result.stdout)
    assert 'error: … and 99,980 more like this: Unknown field "k' in result.stdout
    assert result.stdout.rstrip().endswith("100000 errors, 0 warnings in 1 file.")
    github = site.cli("check", "--format", "github", timeout=3 * QUICK).stdout
    assert github.count("\n") == 21 and "99,980 more like this" in github
