"""Handing the memory a build has freed back to the system.

Loading frees about as much as it keeps (each source's bytes, YAML trees,
unpickling buffers), in blocks scattered among the objects that stay. glibc
keeps such holes resident, and every render worker, forked after planning,
would count them as its own too. malloc_trim gives their pages back.
"""

from __future__ import annotations

import ctypes
import ctypes.util


def return_freed_memory() -> None:
    """Best effort: a C library without malloc_trim (not glibc) keeps its pages."""
    try:
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass
