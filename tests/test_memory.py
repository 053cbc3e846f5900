"""Handing freed memory back to the system: done with glibc, skipped (and said so) elsewhere."""

from __future__ import annotations

import platform
import sys

from kiosk.memory import release_free_memory


def test_release_free_memory_runs_where_glibc_is() -> None:
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert release_free_memory() is glibc
