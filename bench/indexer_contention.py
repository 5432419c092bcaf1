"""How long Pagefind takes to index one shard while the build's own thread is busy.

A rebuild indexes the edited post's shard in a thread beside the build, whose
main thread computes all the while. The thread that feeds Pagefind and reads
its answers needs the interpreter lock each time it wakes; a busy thread keeps
it for up to its switch interval (5 ms unless set: `mlcsite` sets
cli.SWITCH_INTERVAL). This prints, for several intervals, the median time to
index the same pages alone and beside a busy thread, alternating.

    .venv/bin/python bench/indexer_contention.py /dev/shm/w10k/output [--pages 148] [--runs 6]

The output folder is any built site's: the first posts' pages are indexed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.cli import SWITCH_INTERVAL  # noqa: E402
from generator.search.records import record_of  # noqa: E402
from generator.search.service import index_pages  # noqa: E402


def busy(stop: threading.Event) -> None:
    total = 0
    while not stop.is_set():
        for number in range(1000):
            total += number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--pages", type=int, default=148)
    parser.add_argument("--runs", type=int, default=6)
    args = parser.parse_args()
    pages = sorted((args.output / "posts").glob("*/index.html"))[:args.pages]
    records = [("/" + page.parent.relative_to(args.output).as_posix() + "/", record_of(page.read_bytes()).decode())
               for page in pages]
    print(f"{len(records)} pages, {sum(len(html) for _, html in records) / 1e6:.2f} MB of records")
    intervals = sorted({0.005, SWITCH_INTERVAL})
    times: dict[tuple[float, str], list[float]] = {}
    for _ in range(args.runs):
        for interval in intervals:
            sys.setswitchinterval(interval)
            for mode in ("alone", "beside a busy thread"):
                stop = threading.Event()
                if mode != "alone":
                    threading.Thread(target=busy, args=(stop,), daemon=True).start()
                started = time.perf_counter()
                index_pages(records, {})
                times.setdefault((interval, mode), []).append(time.perf_counter() - started)
                stop.set()
    for (interval, mode), seconds in sorted(times.items()):
        print(f"switch interval {interval * 1000:g} ms, {mode:21s} median {statistics.median(seconds):.3f} s")


if __name__ == "__main__":
    main()
