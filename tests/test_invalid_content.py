"""One invalid input per file under tests/invalid/, each asserting the exact messages.

A case file holds the files of a tiny site, each after a `==> PATH <==` line,
then `==> expect <==` and the diagnostics `mlcsite check` must report, one per
line as `PATH:LINE:COL SEVERITY: MESSAGE`, each optionally followed by an
indented `fix: HINT` line. The site also has a valid base (site.yaml, a member
`ada-lovelace`, a series `dlct`) so that cases stay small.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.pipeline import Options, plan_site

CASES = Path(__file__).parent / "invalid"
BASE_FILES = {
    "site.yaml": "title: Test Collective\nbase_url: https://example.org\ntimezone: America/Los_Angeles\n",
    "content/members/ada-lovelace.yaml": "name: Ada Lovelace\nrole: Research Lead\n",
    "content/series/dlct.yaml": 'title: "Deep Learning: Classics and Trends"\nshort: DLCT\n',
}
_SECTION = re.compile(r"^==> (.+) <==$", re.M)


def parse_case(text: str) -> tuple[dict[str, str], list[str]]:
    parts = _SECTION.split(text)
    files: dict[str, str] = {}
    expected: list[str] = []
    for name, body in zip(parts[1::2], parts[2::2]):
        body = body.removeprefix("\n")
        if name == "expect":
            expected = [line.rstrip() for line in body.splitlines() if line.strip()]
        else:
            files[name] = body
    return files, expected


def reported(root: Path) -> list[str]:
    plan = plan_site(Options(root=root))
    lines = []
    for d in plan.diagnostics.sorted():
        loc = d.location
        lines.append(f"{loc.path}:{loc.line}:{loc.column} {d.severity}: {d.message}")
        if d.hint:
            lines.append(f"  fix: {d.hint}")
    return lines


def write_site(root: Path, files: dict[str, str]) -> None:
    for rel, text in {**BASE_FILES, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "templates").mkdir(exist_ok=True)


def test_the_base_site_of_the_cases_is_valid(tmp_path):
    write_site(tmp_path, {})
    assert reported(tmp_path) == []


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.glob("*.txt")))
def test_invalid_case_reports_exactly(case, tmp_path):
    files, expected = parse_case((CASES / case).read_text(encoding="utf-8"))
    assert expected, f"{case} has no ==> expect <== section"
    write_site(tmp_path, files)
    actual = reported(tmp_path)
    # Hints are compared only where the case gives them.
    if not any(line.startswith("  fix:") for line in expected):
        actual = [line for line in actual if not line.startswith("  fix:")]
    assert actual == expected, "\n".join(["reported:", *actual])


def test_cases_cover_the_issue_list():
    names = {p.stem for p in CASES.glob("*.txt")}
    for needed in ("yaml-unclosed-quote", "yaml-colon-in-title", "yaml-tab-indentation", "wrong-type",
                   "missing-required-field", "unknown-key", "unknown-member-slug", "invalid-date",
                   "impossible-date", "invalid-timezone", "invalid-rrule", "end-before-start",
                   "duplicate-slug", "slug-uppercase", "slug-with-space", "python-tag", "alias-bomb",
                   "image-escapes-content"):
        assert needed in names
