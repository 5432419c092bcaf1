"""Regenerate the screenshots in this folder from a fresh build of the default site.

    .venv/bin/python docs/screenshots/take.py

Builds with the sample clock (tests/conftest.py), serves the output on 127.0.0.1
and photographs a few pages at 390 px (phone) and 1280 px (laptop) in Chromium.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NOW = "2026-11-27T12:00:00Z"  # tests/conftest.py SAMPLE_NOW
PAGES = {"home": "/", "member": "/members/jordan-ellis/", "post": "/posts/how-to-run-an-open-collab/"}
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "output"
        subprocess.run([sys.executable, "-m", "generator", "build", "--out", str(out), "--now", NOW],
                       cwd=REPO, check=True)
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(out)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for size, viewport in SIZES.items():
                context = browser.new_context(viewport=viewport, timezone_id="Europe/Berlin", locale="en-US",
                                              color_scheme="light", is_mobile=size == "phone",
                                              device_scale_factor=1)
                page = context.new_page()
                for name, path in PAGES.items():
                    page.goto(base + path, wait_until="networkidle")
                    page.screenshot(path=str(HERE / f"{name}-{size}.png"), full_page=True)
                context.close()
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
