"""Refresh the feed golden files after an intended change to the feeds.

    .venv/bin/python tests/update_goldens.py

Builds the repository's sample site with the same pinned clock as the tests
(conftest.SAMPLE_NOW) into a temporary folder, through the real CLI, and copies
/feed.xml and /atom.xml into tests/golden/. Review the diff before committing:
every changed line is something every subscriber will see.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
GOLDEN = TESTS / "golden"
SAMPLE_NOW = "2026-11-27T12:00:00Z"  # keep equal to conftest.SAMPLE_NOW (a test checks)
# The output file → its golden file. Only the feeds' goldens: others own the rest of golden/.
FEED_GOLDENS = {"feed.xml": "feed.xml", "atom.xml": "atom.xml"}
REFRESH_COMMAND = ".venv/bin/python tests/update_goldens.py"


def build_sample(out: Path) -> None:
    command = [sys.executable, "-m", "generator", "build", "--out", str(out), "--now", SAMPLE_NOW]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"The sample site did not build:\n{result.stdout}{result.stderr}")


def main() -> int:
    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "output"
        build_sample(out)
        for built, golden in FEED_GOLDENS.items():
            shutil.copyfile(out / built, GOLDEN / golden)
            print(f"updated tests/golden/{golden}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
