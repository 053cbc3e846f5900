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


# prctl(2) options (linux/prctl.h).
_PR_SET_DUMPABLE = 4
_PR_GET_DUMPABLE = 3


def forbid_core_dumps() -> bool:
    """Make sure no copy of this process's memory is written to disk; True if done.

    A core dump (a crash, or the watchdog's SIGABRT) holds whatever was in memory: the last
    visitor's name and phone, an unlocked staff key. The core file size limit goes to 0
    and, on Linux, the process is marked not dumpable (no core, no core pattern pipe such as
    systemd-coredump or apport, and no other process of the same user may read its memory).
    """
    done = False
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        done = True
    except (ImportError, ValueError, OSError):  # Windows has no resource module
        pass
    if sys.platform.startswith("linux"):
        try:
            prctl = ctypes.CDLL(None, use_errno=True).prctl
            done = prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 and done
        except (OSError, AttributeError):
            done = False
    return done


def core_dumps_forbidden() -> bool:
    """Whether :func:`forbid_core_dumps` is in force for this process."""
    try:
        import resource

        if resource.getrlimit(resource.RLIMIT_CORE) != (0, 0):
            return False
    except ImportError:
        return False
    if sys.platform.startswith("linux"):
        try:
            return ctypes.CDLL(None).prctl(_PR_GET_DUMPABLE, 0, 0, 0, 0) == 0
        except (OSError, AttributeError):
            return False
    return True
