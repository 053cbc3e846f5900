"""Handing freed heap memory back to the system (glibc's malloc_trim), where there is one."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import lru_cache


@lru_cache(maxsize=1)
def _trim() -> object | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None


def release_free_memory() -> bool:
    """Return the heap pages that freed objects left empty to the system; True if done.

    glibc keeps freed memory for reuse, so a screen built and deleted (a visitor's form)
    stays counted in the kiosk's resident memory until something else reuses it. Trimming
    after a visit keeps the resident figure at what the kiosk actually holds.
    """
    trim = _trim()
    if trim is None:
        return False
    trim(0)  # type: ignore[operator]
    return True
