"""Notices any touch, click or key press on the kiosk's window."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QInputEvent


@cache
def input_events() -> frozenset[QEvent.Type]:
    """The events that count as someone using the kiosk (built on first use: creating
    Qt's event-type enum costs start-up time)."""
    return frozenset(
        {
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseButtonRelease,
            QEvent.Type.MouseMove,
            QEvent.Type.TouchBegin,
            QEvent.Type.TouchUpdate,
            QEvent.Type.KeyPress,
            QEvent.Type.Wheel,
        }
    )


class ActivityFilter(QObject):
    """Installed on the main window's QWindow, where the system delivers every touch, click
    and key press before Qt hands it to a widget; emits ``activity`` for each.

    Signals:
        activity(): someone touched, clicked, scrolled or typed.
    """

    activity = Signal()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # The cheap type test first: the enum lookup only for input events.
        if isinstance(event, QInputEvent) and event.type() in input_events():
            self.activity.emit()
        return False
