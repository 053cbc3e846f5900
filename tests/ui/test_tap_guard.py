"""The tap guard's rules on their own, with a clock the test moves (the real-display suite
plays the same through an X server: tests/x11/test_taps.py)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QMouseEvent

from kiosk.ui.tap_guard import TapGuard


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _event(kind: QEvent.Type) -> QMouseEvent:
    pos = QPointF(10, 10)
    left = Qt.MouseButton.LeftButton
    held = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else left
    return QMouseEvent(kind, pos, pos, left, held, Qt.KeyboardModifier.NoModifier)


PRESS, DOUBLE, RELEASE = (
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.MouseButtonRelease,
)


def test_a_press_soon_after_a_change_is_dropped_with_its_release(qapp: object) -> None:
    clock, target = Clock(), QObject()
    guard = TapGuard(None, 400, clock)
    guard.changed()
    clock.now += 0.15
    assert guard.eventFilter(target, _event(PRESS)) is True
    assert guard.eventFilter(target, _event(DOUBLE)) is True
    assert guard.eventFilter(target, _event(RELEASE)) is True
    clock.now += 0.3  # 450 ms after the change: a deliberate tap
    assert guard.eventFilter(target, _event(PRESS)) is False
    assert guard.eventFilter(target, _event(RELEASE)) is False


def test_a_lost_release_never_leaves_the_guard_dropping(qapp: object) -> None:
    """A dropped press whose release never reached the window: the next press, once the
    guard is quiet, is served (the kiosk does not go deaf)."""
    clock, target = Clock(), QObject()
    guard = TapGuard(None, 400, clock)
    guard.changed()
    assert guard.eventFilter(target, _event(PRESS)) is True
    clock.now += 5
    assert guard.eventFilter(target, _event(PRESS)) is False
    assert guard.eventFilter(target, _event(RELEASE)) is False
