"""Stop a piece of work that runs past its time budget, in whatever thread it runs.

Python-Markdown has superlinear paths that no check sees coming (issue 10, case
4): a thousand `: definition` lines, a heading repeated ten thousand times, a
long row of `---` lines each take seconds to minutes in pure Python. A check at
`check` time cannot list them all, so the conversion itself runs on a budget.

How: one watchdog thread per process holds the deadline of each thread inside
`limit()`. When one passes, it raises `OutOfTime` in that thread with
PyThreadState_SetAsyncExc, the CPython call behind KeyboardInterrupt-like
interruptions: the exception appears at the next bytecode the thread runs.
Unlike signal.alarm this works outside the main thread (watch builds in a
thread) and in forked render workers (each process starts its own watchdog);
unlike a cooperative check it needs no hook in the library's loops. It cannot
cut a single long C call short (one regex search, nh3's parse): the inputs that
make those slow are bounded by `check` instead (content/limits.py).

The budget is the thread's CPU time, not the wall clock's: on a machine busy
with other work (a CI runner, a laptop building two sites) an ordinary text
waiting for a core is not at fault. The deadline is first set on the wall
clock (CPU time never runs ahead of it); when it passes, the thread's CPU clock
decides: spent, it is interrupted; not yet, the deadline moves to when the
rest could at the earliest be spent. Where a thread's CPU clock cannot be read,
the wall clock alone decides.

`OutOfTime` derives from BaseException so that library code catching
`Exception` cannot swallow it.

An interruption sent but not yet raised when the work ends must not reach the
code after it. It is not cancelled with PyThreadState_SetAsyncExc(thread, NULL):
CPython 3.11 then leaves its "exception pending" signal raised with nothing to
raise, and a thread that runs under a trace or profile function (coverage,
cProfile, a debugger) spins on it forever. It is replaced by one the thread
raises and catches at once (`_absorb_pending`), which lowers the signal.
"""

from __future__ import annotations

import ctypes
import math
import os
import threading
import time
from contextlib import contextmanager
from typing import Iterator

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
RETRY = 1.0  # seconds between interruptions, should one be swallowed anyway


class OutOfTime(BaseException):
    """Raised inside the work when its budget is spent."""


class Watchdog:
    """Deadlines by thread, watched by one daemon thread (started on first use
    in each process: a forked child starts its own)."""

    def __init__(self) -> None:
        self._pid = -1

    def _start_if_needed(self) -> None:
        if self._pid == os.getpid():
            return
        # New in this process: a lock inherited through fork may be held by a thread that is not here.
        self._pid = os.getpid()
        self._changed = threading.Condition()
        self._deadlines: dict[int, float] = {}  # thread → when to look at it next (wall clock)
        self._budgets: dict[int, tuple[int | None, float, float]] = {}  # thread → (its CPU clock, CPU at start, seconds)
        self._interrupted: set[int] = set()  # threads sent OutOfTime since their limit() began
        self._wakes_at = math.inf  # when the watchdog looks next, unless woken before
        threading.Thread(target=self._watch, name="mlcsite-time-budget", daemon=True).start()

    @contextmanager
    def limit(self, seconds: float) -> Iterator[None]:
        """Run the body with `seconds` to spend; past them it gets OutOfTime."""
        me = threading.get_ident()
        self._start_if_needed()
        clock = _cpu_clock(me)
        started = _cpu_seconds(clock)
        deadline = time.monotonic() + seconds
        with self._changed:
            self._deadlines[me] = deadline
            self._budgets[me] = clock, started, seconds
            # Waking the watchdog for every text cost a thread switch each (a tenth of
            # a build's time): it is woken only when it would otherwise look too late.
            if deadline < self._wakes_at:
                self._changed.notify()
        try:
            yield
        finally:
            self._leave(me)

    def _leave(self, me: int) -> None:
        """Stop watching this thread and cancel an interruption not yet delivered.
        An interruption may land while this runs: then it is taken and the work
        is over anyway, so retry until the thread is off the list."""
        while True:
            try:
                with self._changed:
                    self._deadlines.pop(me, None)
                    self._budgets.pop(me, None)
                    interrupted = me in self._interrupted
                    self._interrupted.discard(me)
                break
            except OutOfTime:
                continue
        if interrupted:  # none is sent from now on; one sent before may be pending still
            _absorb_pending(me)

    def _watch(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                for thread, deadline in list(self._deadlines.items()):
                    if deadline > now:
                        continue
                    left = self._cpu_left(thread)
                    if left > 0:  # it waited for a core: look again when it could have spent the rest
                        self._deadlines[thread] = now + left
                        continue
                    _set_async_exc(thread, OutOfTime)
                    self._interrupted.add(thread)
                    self._deadlines[thread] = now + RETRY
                # _leave does not wake it: it may wake for a deadline already gone, find none due, and sleep on.
                self._wakes_at = min(self._deadlines.values(), default=math.inf)
                self._changed.wait(None if self._wakes_at == math.inf else self._wakes_at - now)

    def _cpu_left(self, thread: int) -> float:
        """CPU seconds the thread may still spend (0 when its clock cannot be read)."""
        clock, started, seconds = self._budgets[thread]
        spent = _cpu_seconds(clock)
        if clock is None or spent is None or started is None:
            return 0.0
        return seconds - (spent - started)


class _Absorbed(BaseException):
    """Takes the place of an interruption still pending, and is caught at once."""


def _absorb_pending(me: int) -> None:
    """Replace this thread's pending interruption, if any, with one raised here.
    CPython raises it at the next check of its eval loop, which the loop's first
    backward jump makes."""
    try:
        _set_async_exc(me, _Absorbed)
        for _ in range(100):
            pass
    except _Absorbed:
        pass


def _cpu_clock(thread: int) -> int | None:
    """The CPU clock of a thread (by its threading ident), where the system has one."""
    try:
        return time.pthread_getcpuclockid(thread)
    except (AttributeError, OSError):  # not a POSIX system with per-thread clocks
        return None


def _cpu_seconds(clock: int | None) -> float | None:
    if clock is None:
        return None
    try:
        return time.clock_gettime(clock)
    except OSError:
        return None
