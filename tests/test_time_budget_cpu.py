"""The Markdown time budget counts the work's own CPU time, not the wall clock's:
on a busy machine an ordinary text that waits for a core must not fail the build
(render/time_budget.py). A thread that waits (here: sleeps) past its budget and
then works a little is that case; one that works past it is still stopped."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_markdown_budget import _spin

from generator.render.time_budget import OutOfTime, Watchdog


def test_waiting_past_the_budget_is_not_spending_it():
    watchdog = Watchdog()
    with watchdog.limit(0.2):
        time.sleep(0.6)  # three budgets of wall time, no CPU
        _spin(0.05)  # bytecode after the deadline: a wall-clock budget interrupts here


def test_working_past_the_budget_is_stopped():
    watchdog = Watchdog()
    started = time.monotonic()
    with pytest.raises(OutOfTime):
        with watchdog.limit(0.2):
            _spin(20)
    assert time.monotonic() - started < 15


def test_the_budget_is_each_threads_own():
    """A thread that waits is not charged for another thread's work in the same process."""
    watchdog, outcome = Watchdog(), {}

    def waits() -> None:
        try:
            with watchdog.limit(0.3):
                time.sleep(0.8)
                _spin(0.05)
            outcome["waiter"] = "finished"
        except OutOfTime:
            outcome["waiter"] = "stopped"

    waiter = threading.Thread(target=waits)
    waiter.start()
    with pytest.raises(OutOfTime):
        with watchdog.limit(0.3):
            _spin(20)
    waiter.join()
    assert outcome["waiter"] == "finished"


TRACED = """
import sys, threading
from generator.render.time_budget import OutOfTime, Watchdog

def tracer(frame, event, arg):  # what coverage, cProfile or a debugger installs
    return tracer

sys.settrace(tracer)
watchdog = Watchdog()
for attempt in range(3):
    try:
        with watchdog.limit(0.05):
            x = 0
            for i in range(50_000_000):  # in this frame: the interruption lands in traced code
                x += i
        print("finished")
    except OutOfTime:
        print("stopped")
    total = sum(range(1000))  # the code after the work runs on, interrupted by nothing
print("after", total)
"""


def test_an_interrupted_text_ends_cleanly_under_a_trace_function(tmp_path):
    """Under a trace function (coverage, cProfile, a debugger) the thread spun
    forever after its interruption: cancelling a pending one with
    PyThreadState_SetAsyncExc(NULL) leaves CPython 3.11's signal raised."""
    script = tmp_path / "traced.py"
    script.write_text(TRACED, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["stopped"] * 3 + ["after", "499500"]
