"""A tap acts on the screen it was aimed at: presses made as the screen changes are dropped."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, Signal
from PySide6.QtGui import QMouseEvent

log = logging.getLogger(__name__)

# A second tap within this time of a screen change belongs to the tap that changed it: a
# double tap (older hands, a tremor, a habit from the desktop) or a press made while the
# new screen was being drawn. The review's double taps came 80-300 ms apart; 400 ms is
# also Qt's double-click interval on X11. A deliberate tap on a new screen comes later:
# the screen must first be seen (it paints 40-90 ms after the tap) and read, and visual
# reaction alone takes 200-300 ms, more with age. tests/x11/test_taps.py plays taps at
# 80, 150 and 300 ms (dropped), and one 500 ms after a change (served), through a real X
# server. (The default of the `tap_guard_ms` setting.)
GUARD_MS = 400

_OFF = QPointF(-1e6, -1e6)  # far outside every widget: "the finger slid off"


class TapGuard(QObject):
    """Installed on the main window's QWindow (where every press arrives before a widget
    sees it). ``changed()`` marks a change of what is on screen (a new screen, a new form
    step, attract mode dismissed). After it:

    - a press within GUARD_MS is dropped with its moves and release;
    - a press that began before the change is not completed on the new screen: its
      release is delivered far outside the widget that was pressed, as if the finger had
      slid off, so that widget lets go without acting (and shows no pressed state later).

    Touches reach widgets as mouse events that Qt makes from them (no widget here takes
    touch events), so guarding mouse events guards fingers too.

    Signals:
        dropped(): a press was dropped (tests and the log count them).
    """

    dropped = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        interval_ms: int = GUARD_MS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self._interval = interval_ms / 1000
        self._clock = clock
        self._changed_at = float("-inf")
        self._down = False  # a press we let through, not yet released
        self._stale = False  # ...and the screen changed under it
        self._dropping = False  # a dropped press, until its release
        self._types: dict[QEvent.Type, str] | None = None

    def changed(self) -> None:
        """What is on screen has just changed."""
        self._changed_at = self._clock()
        if self._down:
            self._stale = True

    def guarding(self) -> bool:
        """True while a new press would be dropped."""
        return self._clock() - self._changed_at < self._interval

    def _kind(self, event: QEvent) -> str | None:
        if self._types is None:  # (built on first use: Qt's enum lookups cost start-up time)
            t = QEvent.Type
            self._types = {
                t.MouseButtonPress: "press",
                t.MouseButtonDblClick: "double",
                t.MouseMove: "move",
                t.MouseButtonRelease: "release",
            }
        return self._types.get(event.type())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if not isinstance(event, QMouseEvent):
            return False
        kind = self._kind(event)
        if kind == "double":
            # A double click's second press arrives as a press, then this: it goes the way
            # of that press.
            return self._dropping
        if kind == "press":
            # A new press means any earlier one was lifted, even if its release never came
            # here (the window lost it): nothing is left dropping or stale for ever.
            self._dropping = self._stale = False
            if self.guarding():
                log.info("tap_dropped")
                self.dropped.emit()
                self._dropping = True
                return True
            self._down = True
            return False
        if kind == "move":
            return self._dropping
        if kind == "release":
            if self._dropping:
                self._dropping = False
                return True
            self._down = False
            if self._stale:
                self._stale = False
                off = QMouseEvent(
                    QEvent.Type.MouseButtonRelease,
                    _OFF,
                    _OFF,
                    event.button(),
                    event.buttons(),
                    event.modifiers(),
                )
                QCoreApplication.sendEvent(watched, off)  # (a release: passes this filter)
                return True
        return False
