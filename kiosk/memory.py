"""Handing freed heap memory back to the system (glibc's malloc_trim), where there is one."""

from __future__ import annotations

import ctypes
import linecache
import sys
from collections.abc import Callable
from functools import lru_cache


@lru_cache(maxsize=1)
def _trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        # The C library already loaded into the process (no search, no subprocess).
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory() -> bool:
    """Return the heap pages that freed objects left empty to the system; True if done.

    glibc keeps freed memory for reuse, so a screen built and deleted (a visitor's form)
    stays counted in the kiosk's resident memory until something else reuses it. Trimming
    after a visit keeps the resident figure at what the kiosk actually holds.

    The source lines that linecache holds go first: PySide6 reads the source of every
    module imported after it (looking for ``from __feature__ import``), and linecache
    keeps them all, ~3 MiB of text once the store and the form checks are loaded. Nothing
    needs them (a traceback reads the lines it shows again).
    """
    linecache.clearcache()
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True
