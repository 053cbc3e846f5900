"""Handing freed memory back to the system: done with glibc, skipped (and said so) elsewhere."""

from __future__ import annotations

import linecache
import platform
import sys

from kiosk.memory import release_free_memory


def test_release_free_memory_runs_where_glibc_is() -> None:
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert release_free_memory() is glibc


def test_release_free_memory_lets_go_of_cached_source_lines() -> None:
    """linecache holds the source of every module PySide6 scanned on import: let go."""
    assert linecache.getlines(__file__)  # read and cached, as PySide6's import hook does
    assert __file__ in linecache.cache
    release_free_memory()
    assert __file__ not in linecache.cache
