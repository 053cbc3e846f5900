"""Notices any touch, click or key press anywhere in the application."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal

INPUT_EVENTS = frozenset(
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
    """Installed on the QApplication; emits ``activity`` for every input event.

    Signals:
        activity(): someone touched, clicked, scrolled or typed.
    """

    activity = Signal()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in INPUT_EVENTS:
            self.activity.emit()
        return False
