"""A canary for one crash: bindings that return None, True or False without a reference.

PySide6 6.12.0 on Python 3.11 does (void methods return None, ``Signal.emit`` returns True,
each without the reference the caller then drops): every such call lowers the object's
reference count by one, and when it reaches zero CPython aborts ("Fatal Python error:
none_dealloc / bool_dealloc"). From Python 3.12 these objects are immortal and nothing
happens; PySide6 6.11 returns them correctly.

To let the screen-switch and soak benchmarks run to the end on such a build, ``pin`` gives
the three objects a reference count so large that it cannot run out (what Python 3.12 does),
after noting their real counts; ``report`` then says how fast they were falling, and after
how many taps the kiosk itself would abort.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

PIN = 1 << 40
OBJECTS = {"None": None, "True": True, "False": False}


def _count(obj: object) -> int:
    return sys.getrefcount(obj) - 1  # minus getrefcount's own argument


class Singletons:
    def __init__(self) -> None:
        self.natural: dict[str, int] = {}
        self.pinned: dict[str, int] = {}

    def pin(self) -> None:
        """Note the real counts, then make None, True and False effectively immortal
        (CPython only: ob_refcnt is the first field of every object)."""
        if self.pinned or sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
            return
        for name, obj in OBJECTS.items():
            self.natural[name] = _count(obj)
            ctypes.c_ssize_t.from_address(id(obj)).value += PIN
            self.pinned[name] = _count(obj)

    def mark(self) -> dict[str, int]:
        """The counts now (compare two marks to see the drift over some work)."""
        return {name: _count(obj) for name, obj in OBJECTS.items()}

    def report(self, start: dict[str, int], end: dict[str, int], taps: int) -> dict[str, Any]:
        """Drift per 1,000 taps between two marks, and the taps until an unpinned kiosk
        would abort (None when nothing drains)."""
        drift = {n: (end[n] - start[n]) * 1000 / max(1, taps) for n in OBJECTS}
        until = [
            self.natural[n] / (-drift[n] / 1000)
            for n in OBJECTS
            if drift[n] < 0 and self.natural.get(n)
        ]
        return {
            "natural": self.natural,
            "drift_per_1000_taps": drift,
            "taps_until_abort": min(until) if until else None,
            "pinned": bool(self.pinned),
        }
