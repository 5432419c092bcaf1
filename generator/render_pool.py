"""Rendering many outputs in forked worker processes, with the result of one process.

Workers are forked after planning, so each inherits the plan, the graph and the
render context copy-on-write: nothing is pickled on the way in but chunk numbers.
A chunk is a run of consecutive outputs (neighbours share templates and
Markdown); a worker sends back each chunk's bytes as one message. The parent
takes chunks in plan order, so it writes and reports exactly as one process
would: the first failure in plan order is the one reported, and nothing after
it is used. At most WINDOW chunks are out at a time (rendering or waiting to be
written), so memory is bounded whatever the size of the site.

Forking costs a little (each worker compiles the templates and converts the
Markdown its pages share again), so small sites and small rebuilds stay in one
process: see `worker_count`.
"""

from __future__ import annotations

import gc
import os
import signal
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

from .render.outputs import Output

if TYPE_CHECKING:  # imported where workers start: most builds fork none, and it took 10 ms
    from multiprocessing.connection import Connection

CHUNK = 32  # outputs per message
AHEAD = 2  # chunks handed to a worker beyond the one it renders: it never waits for the next
OUTPUTS_PER_WORKER = 250  # fewer outputs to render than this per worker: forking does not pay


@dataclass(frozen=True)
class Failed:
    """An output that did not render, as plain data (it crosses from a worker):
    the arguments of Diagnostics.error."""

    problem: tuple


Attempt = Callable[[Output], "bytes | Failed"]


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def worker_count(outputs: int, jobs: int | None = None) -> int:
    """`jobs` when asked for (--jobs, MLCSITE_JOBS), else one worker per
    OUTPUTS_PER_WORKER outputs, at most one per available CPU; 1 means no fork."""
    if jobs is not None:
        return max(1, jobs)
    return max(1, min(available_cpus(), outputs // OUTPUTS_PER_WORKER))


def rendered_in_order(outputs: list[Output], attempt: Attempt, workers: int,
                      after_chunk: Callable[[], object] = lambda: None,
                      from_worker: Callable[[object], None] = lambda sent: None,
                      ) -> Iterator[tuple[Output, bytes | Failed]]:
    """Each output with its bytes (or failure), in the order given. Close the
    iterator when stopping early (contextlib.closing): that stops the workers.
    A worker calls `after_chunk` after each chunk (to bound what it keeps); what
    it returns (rows the worker made, fragment_memo.py) goes to `from_worker` here."""
    if workers <= 1 or len(outputs) <= CHUNK:
        for output in outputs:
            yield output, attempt(output)
        return
    pool = _Pool(outputs, attempt, workers, after_chunk, from_worker)
    try:
        for index in range(pool.chunks):
            for output, result in zip(outputs[index * CHUNK:], pool.take(index)):
                yield output, result
    finally:
        pool.stop()


class _Pool:
    """Forked workers, each fed chunk numbers over its own pipe, at most
    AHEAD + 1 at a time, and never past WINDOW chunks beyond the last one taken."""

    def __init__(self, outputs: list[Output], attempt: Attempt, workers: int,
                 after_chunk: Callable[[], object], from_worker: Callable[[object], None]) -> None:
        self.from_worker = from_worker
        self.chunks = -(-len(outputs) // CHUNK)
        self.window = workers * (1 + AHEAD)
        self.fed = self.taken = 0  # chunks handed out, and given to the caller (both in order)
        self.done: dict[int, list | _Crash] = {}  # received, not yet taken
        import multiprocessing  # here, not at the top: see TYPE_CHECKING above

        context = multiprocessing.get_context("fork")
        self.busy: dict[Connection, int] = {}  # chunks out per worker
        self.processes = []
        for _ in range(min(workers, self.chunks)):
            parent_end, child_end = context.Pipe()
            process = context.Process(target=_work, args=(child_end, [*self.busy, parent_end], outputs, attempt, after_chunk), daemon=True)
            process.start()
            child_end.close()
            self.busy[parent_end] = 0
            self.processes.append(process)
        self._feed()

    def _feed(self) -> None:
        """Round-robin, so that every worker starts at once."""
        while True:
            idle = [link for link, count in self.busy.items() if count <= AHEAD]
            if not idle or self.fed >= min(self.chunks, self.taken + self.window):
                return
            for link in idle[:min(self.chunks, self.taken + self.window) - self.fed]:
                link.send(self.fed)
                self.busy[link] += 1
                self.fed += 1

    def take(self, index: int) -> list:
        while index not in self.done:
            self._receive()
        self.taken = index + 1
        self._feed()
        results = self.done.pop(index)
        if isinstance(results, _Crash):
            raise RuntimeError(f"a render worker failed:\n{results.text}")
        return results

    def _receive(self) -> None:
        from multiprocessing.connection import Connection, wait  # imported by __init__ already

        ready = wait([*self.busy, *(p.sentinel for p in self.processes)])
        links = [r for r in ready if isinstance(r, Connection)]
        if not links:
            raise RuntimeError("a render worker stopped unexpectedly (out of memory?)")
        for link in links:
            index, results, sent = link.recv()
            self.done[index] = results
            self.from_worker(sent)
            self.busy[link] -= 1

    def stop(self) -> None:
        """Idle workers end when their link closes; busy ones (the caller
        stopped early) are stopped: their results are not wanted."""
        for link in self.busy:
            link.close()
        for process, count in zip(self.processes, self.busy.values()):
            process.join(timeout=None if count == 0 else 0)
            if process.is_alive():
                process.terminate()
                process.join()


@dataclass(frozen=True)
class _Crash:
    text: str  # the worker's traceback: a bug, not a content or template problem


def _work(link: Connection, parent_ends: list[Connection], outputs: list[Output], attempt: Attempt,
          after_chunk: Callable[[], object]) -> None:
    """In a forked worker: render the chunks the parent names until it closes the link."""
    for other in parent_ends:  # held here too, the links would never reach end-of-file
        other.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler (cli.py): just end
    gc.freeze()  # the inherited objects are never collected here: do not copy their pages to scan them
    while True:
        try:
            index = link.recv()
        except (EOFError, OSError):
            return
        sent = None
        try:
            results: list | _Crash = []
            for output in outputs[index * CHUNK:(index + 1) * CHUNK]:
                results.append(attempt(output))
                if isinstance(results[-1], Failed):
                    break
            sent = after_chunk()
        except Exception:
            results = _Crash(traceback.format_exc())
        try:
            link.send((index, results, sent))
        except OSError:  # the parent is gone (stopped early, or interrupted)
            return
