"""Ctrl-C and SIGTERM handled by the caller for the length of a `with` block."""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Callable, Iterator


@contextmanager
def handling_stop_signals(handler: Callable) -> Iterator[None]:
    """SIGINT and SIGTERM call `handler` inside the block; the previous handlers come back after."""
    previous = {number: signal.signal(number, handler) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
