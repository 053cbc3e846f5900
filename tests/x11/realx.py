"""Real input for the real-display tests: presses and releases sent through the X server.

XTEST asks the X server to act as if the mouse moved and its button went down and up; the
server then delivers the events to the kiosk's window as it would a person's (the same
path a touch screen's emulated pointer takes). A delay on an event is kept by the server,
not by the test: a double tap 80 ms apart is 80 ms apart however busy the test is.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget
from Xlib import X, display
from Xlib.ext import xtest


class Finger:
    """One finger (the pointer's first button) on the X display the kiosk runs on."""

    def __init__(self, name: str | None = None) -> None:
        self._display = display.Display(name)
        if not self._display.has_extension("XTEST"):
            raise RuntimeError("the X server has no XTEST extension")
        self._root = self._display.screen().root
        self._syncing: threading.Thread | None = None

    def close(self) -> None:
        self._ready()
        self._display.close()

    def lifted(self) -> bool:
        """True once the X server has played every event sent so far (delays included) and
        the kiosk has seen the finger lifted; for ``qtbot.waitUntil``.

        The wait for the server runs in a thread, never in the GUI thread: blocked there,
        Qt would read a whole drag at once when the wait ended, and its finger scrolling
        (which times events as it handles them) would see a drag of 0 ms and not scroll."""
        if self._syncing is None:
            self._syncing = threading.Thread(target=self._display.sync, daemon=True)
            self._syncing.start()
        if self._syncing.is_alive():
            return False
        self._syncing = None
        return QGuiApplication.mouseButtons() == Qt.MouseButton.NoButton

    def _ready(self) -> None:
        """Before sending more: the connection is not shared with a wait in progress."""
        if self._syncing is not None:
            self._syncing.join()
            self._syncing = None

    def move(self, point: QPoint, *, after_ms: int = 0) -> None:
        self._ready()
        xtest.fake_input(
            self._display, X.MotionNotify, 0, after_ms or X.CurrentTime, self._root,
            point.x(), point.y(),
        )  # fmt: skip
        self._display.flush()

    def press(self, point: QPoint, *, after_ms: int = 0) -> None:
        """Put the finger down at ``point`` (screen coordinates), ``after_ms`` after the
        previous event this finger sent."""
        self.move(point, after_ms=after_ms)
        xtest.fake_input(self._display, X.ButtonPress, 1)
        self._display.flush()

    def release(self, *, after_ms: int = 0) -> None:
        self._ready()
        xtest.fake_input(self._display, X.ButtonRelease, 1, after_ms or X.CurrentTime)
        self._display.flush()

    def tap(self, point: QPoint, *, after_ms: int = 0, hold_ms: int = 60) -> None:
        """A tap: down at ``point`` ``after_ms`` after the previous event, up ``hold_ms``
        later. Returns at once; the server plays the events at their times."""
        self.press(point, after_ms=after_ms)
        self.release(after_ms=hold_ms)

    def tap_widget(self, widget: QWidget, *, after_ms: int = 0) -> None:
        self.tap(centre(widget), after_ms=after_ms)

    def drag(self, start: QPoint, end: QPoint, steps: int = 12, step_ms: int = 16) -> None:
        """Press at ``start``, move in ``steps`` to ``end``, hold still, and lift."""
        self.press(start)
        for i in range(1, steps + 1):
            x = start.x() + (end.x() - start.x()) * i // steps
            y = start.y() + (end.y() - start.y()) * i // steps
            self.move(QPoint(x, y), after_ms=step_ms)
        # Still for a moment before lifting: a drag that stops, not a flick that flies on.
        self.release(after_ms=200)


def on_screen(widget: QWidget) -> QRect:
    """The widget's rectangle in screen coordinates."""
    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


def centre(widget: QWidget) -> QPoint:
    return on_screen(widget).center()


def visible_part(widget: QWidget) -> QRect:
    """What of ``widget`` a person can see, in screen coordinates: its rectangle clipped by
    every ancestor (a scrolling page's viewport among them) and by the screen."""
    rect = on_screen(widget)
    parent = widget.parentWidget()
    while parent is not None:
        rect = rect.intersected(on_screen(parent))
        parent = parent.parentWidget()
    screen = widget.screen()
    return rect.intersected(screen.geometry()) if screen is not None else rect


class Keys:
    """A keyboard on the X display: key presses and releases sent through the X server
    (XTEST), delivered to the window with the input focus as a person's typing is."""

    _NAMES = {"\t": "Tab", "\n": "Return", " ": "space", "-": "minus", ".": "period"}

    def __init__(self, name: str | None = None) -> None:
        self._display = display.Display(name)
        if not self._display.has_extension("XTEST"):
            raise RuntimeError("the X server has no XTEST extension")

    def close(self) -> None:
        self._display.close()

    def _code(self, name: str) -> int:
        from Xlib import XK

        code = self._display.keysym_to_keycode(XK.string_to_keysym(name))
        if not code:
            raise ValueError(f"no key for {name!r} on this display")
        return int(code)

    def press(self, *names: str) -> None:
        """Press the keys ``names`` together (``"Control_L", "m"``), then release them."""
        codes = [self._code(n) for n in names]
        for code in codes:
            xtest.fake_input(self._display, X.KeyPress, code)
        for code in reversed(codes):
            xtest.fake_input(self._display, X.KeyRelease, code)
        self._display.flush()

    def type(self, text: str) -> None:
        """Type ``text``: lower-case letters, digits, space, '-', '.', Tab and Enter."""
        for char in text:
            self.press(self._NAMES.get(char, char))

    def sync(self) -> None:
        """Wait until the X server has played every key sent so far."""
        self._display.sync()
