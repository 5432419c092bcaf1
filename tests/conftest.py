"""Shared test fixtures, in layers (STYLE 13):

- `sample_build`: the repository's own default site, built once per test run
  through the real CLI with a pinned clock;
- `make_site`: a scratch site per test from dedented strings;
- `run_cli`: the real `mlcsite` command in a subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The sample content is written around this day: some events past, some upcoming.
SAMPLE_NOW = "2026-11-27T12:00:00Z"
SAMPLE_EPOCH = "1795780800"  # the same instant as SAMPLE_NOW

MINIMAL_SITE_YAML = """\
title: Test Collective
base_url: https://example.org
timezone: America/Los_Angeles
"""


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_mlcsite(*args: str, cwd: Path, env: dict | None = None, timeout: float = 120) -> CliResult:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def run_cli():
    return run_mlcsite


class ScratchSite:
    """A site in a temp folder: site.yaml, the repo's templates, and given files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(REPO / "templates", root / "templates")
        (root / "content").mkdir()
        self.write("site.yaml", MINIMAL_SITE_YAML)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def write_bytes(self, rel: str, data: bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def cli(self, *args: str, **kwargs) -> CliResult:
        return run_mlcsite(*args, cwd=self.root, **kwargs)

    @property
    def output(self) -> Path:
        return self.root / "output"


@pytest.fixture
def make_site(tmp_path):
    def factory(files: dict[str, str] | None = None) -> ScratchSite:
        site = ScratchSite(tmp_path / "site")
        for rel, text in (files or {}).items():
            site.write(rel, text)
        return site
    return factory


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> Path:
    """The default site, built once through the CLI; returns its output folder."""
    out = tmp_path_factory.mktemp("sample") / "output"
    result = run_mlcsite("build", "--out", str(out), "--now", SAMPLE_NOW, cwd=REPO)
    assert result.returncode == 0, result.output
    return out
