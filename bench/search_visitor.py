"""What a search costs a visitor: time to the first results and bytes transferred,
in Chromium, on built sites served over HTTP on 127.0.0.1.

    .venv/bin/python bench/search_visitor.py OUT [OUT ...] [--runs 5] [--query 'q=learning']

Each OUT is a built output folder (`mlcsite build --out OUT`, base URL /). Runs
alternate between the folders, each in a fresh browser context (nothing cached),
and the medians are printed per folder and query: milliseconds from navigation
to the result list shown, and the bytes of every response (headers included), of
Pagefind's files only, and the count of Pagefind scripts and WebAssembly files.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

QUERIES = ["q=learning", "q=learning&kind=Member", "q=zanzibarian"]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


def measure(browser, base: str, query: str) -> dict[str, float]:
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(base + "search/?" + query)
    tab.wait_for_function("/found|Nothing/.test(document.getElementById('Search-status').textContent)",
                          timeout=120_000)
    found = tab.evaluate("""() => {
      const entries = performance.getEntriesByType("resource");
      const pagefind = entries.filter(e => e.name.includes("/pagefind/"));
      return {ms: performance.now(), bytes: entries.reduce((n, e) => n + e.transferSize, 0),
              pagefind_bytes: pagefind.reduce((n, e) => n + e.transferSize, 0),
              scripts: pagefind.filter(e => e.name.endsWith("/pagefind.js")).length,
              wasm: pagefind.filter(e => e.name.includes("/wasm.")).length,
              status: document.getElementById("Search-status").textContent};
    }""")
    context.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outs", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--query", action="append", help="a search page query string (repeatable)")
    args = parser.parse_args()
    queries = args.query or QUERIES
    servers = [serve(out) for out in args.outs]
    samples: dict[tuple[int, str], list[dict]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        for _ in range(args.runs):
            for query in queries:
                for n, (_, base) in enumerate(servers):
                    samples.setdefault((n, query), []).append(measure(browser, base, query))
        browser.close()
    for query in queries:
        for n, out in enumerate(args.outs):
            runs = samples[(n, query)]
            median = {key: statistics.median(run[key] for run in runs)
                      for key in ("ms", "bytes", "pagefind_bytes", "scripts", "wasm")}
            print(f"{query:28} {str(out):40} {median['ms']:8.0f} ms {median['bytes'] / 2**20:7.2f} MiB "
                  f"(Pagefind {median['pagefind_bytes'] / 2**20:.2f} MiB, {median['scripts']:.0f} scripts, "
                  f"{median['wasm']:.0f} wasm)  {runs[-1]['status']}")
    for server, _ in servers:
        server.shutdown()


if __name__ == "__main__":
    main()
