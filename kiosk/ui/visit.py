"""The clocks of a visit: the quiet time before the kiosk asks "Are you still there?" (longer
inside the form), and the staff screen's lock after a quiet spell."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.config import Settings


class VisitClock(QObject):
    """Runs the visit's two timers; the window decides what they mean for the screens.

    Signals:
        quiet(): nobody touched the kiosk for the idle time: ask whether anyone is there.
        staff_quiet(): nobody touched the staff screen for its lock time: lock it.
    """

    quiet = Signal()
    staff_quiet = Signal()

    def __init__(self, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.timeout.connect(self.quiet)
        self.staff_timer = QTimer(self)
        self.staff_timer.setSingleShot(True)
        self.staff_timer.setInterval(settings.staff_idle_seconds * 1000)
        self.staff_timer.timeout.connect(self.staff_quiet)

    def restart(self, screen: str, at_rest: bool) -> None:
        """Start the quiet-time clock again for ``screen`` (a route name): longer inside the
        form; none on Home at rest (nothing to reset) or on the staff screens (they have
        their own lock)."""
        if at_rest or screen.startswith("staff"):
            self.idle_timer.stop()
            return
        s = self._settings
        seconds = s.idle_form_seconds if screen == "appointment" else s.idle_seconds
        self.idle_timer.start(seconds * 1000)

    def stop(self) -> None:
        self.idle_timer.stop()

    def staff_screen(self, shown: bool) -> None:
        """The staff screen is on display (its lock clock runs) or not."""
        if shown:
            self.staff_timer.start()
        else:
            self.staff_timer.stop()

    def touched(self, screen: str, at_rest: bool, asking: bool) -> None:
        """A touch: both clocks start over (not while the kiosk is ``asking`` whether anyone
        is there: the question's own countdown runs then)."""
        if self.staff_timer.isActive():
            self.staff_timer.start()
        if not asking:
            self.restart(screen, at_rest)
