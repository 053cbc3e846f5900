"""Helpers shared by the widget tests (sizes, settling layouts)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

LANDSCAPE = (1920, 1080)
PORTRAIT = (1080, 1920)


def settle() -> None:
    """Let queued layouts and deferred calls run (processing events, not sleeping)."""
    for _ in range(3):
        QCoreApplication.processEvents()
        QCoreApplication.sendPostedEvents()
