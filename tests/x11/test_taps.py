"""A tap acts on the screen it was aimed at: double taps and presses across a change."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from kiosk.ui.main_window import MainWindow, Route
from kiosk.ui.tap_guard import GUARD_MS

from realx import Finger, centre

HOLD_MS = 40  # how long the finger rests on the glass in a quick tap


def _record(window: MainWindow) -> list[str]:
    shown: list[str] = []
    window.screen_changed.connect(shown.append)
    return shown


@pytest.mark.parametrize("gap_ms", [80, 150, 300])
def test_a_double_tap_opens_one_screen(
    qtbot: QtBot, kiosk: MainWindow, finger: Finger, gap_ms: int
) -> None:
    """Two taps on the "Types of lupus" tile, ``gap_ms`` apart (press to press): the
    section opens, and the second tap does not open the row now under the finger."""
    shown = _record(kiosk)
    tile = kiosk.current_screen().tiles["types"]
    with qtbot.waitSignal(kiosk.tap_guard.dropped, timeout=5000):
        finger.tap(centre(tile), hold_ms=HOLD_MS)
        finger.tap(centre(tile), after_ms=gap_ms - HOLD_MS, hold_ms=HOLD_MS)
    qtbot.waitUntil(finger.lifted)
    assert shown == ["section-types"]
    assert kiosk.route == Route("section", "types")


def test_a_tap_after_the_guard_is_served(qtbot: QtBot, kiosk: MainWindow, finger: Finger) -> None:
    """A tap 100 ms after the guard has passed (here on the bar's Help) acts on the new
    screen: the guard never swallows a deliberate tap."""
    shown = _record(kiosk)
    tile = kiosk.current_screen().tiles["types"]
    finger.tap(centre(tile), hold_ms=HOLD_MS)
    qtbot.waitUntil(lambda: len(shown) == 1)  # the new screen is up: the guard starts now
    finger.tap(centre(kiosk.bar.buttons["nav-help"]), after_ms=GUARD_MS + 100, hold_ms=HOLD_MS)
    qtbot.waitUntil(lambda: len(shown) == 2)
    qtbot.waitUntil(finger.lifted)
    assert shown == ["section-types", "help"]


def test_a_double_tap_on_next_moves_one_step(
    qtbot: QtBot, kiosk: MainWindow, finger: Finger
) -> None:
    """In the form, a double tap on Next shows the name step, without a second Next that
    would complain the name is missing."""
    kiosk.navigate(Route("appointment"))
    form = kiosk.current_screen()
    qtbot.waitUntil(lambda: not kiosk.tap_guard.guarding())
    with qtbot.waitSignal(kiosk.tap_guard.dropped, timeout=5000):
        finger.tap(centre(form.next_button), hold_ms=HOLD_MS)
        finger.tap(centre(form.next_button), after_ms=150 - HOLD_MS, hold_ms=HOLD_MS)
    qtbot.waitUntil(finger.lifted)
    assert form.step == "name"
    assert not any(err.isVisible() for err in form.errors.values())
    assert form.findChild(QLabel, "form-message").text() == ""


def test_a_press_across_a_change_does_not_act(
    qtbot: QtBot, kiosk: MainWindow, finger: Finger
) -> None:
    """A finger already down when the screen changes (a timer went Home, say) does nothing
    when lifted: neither the hidden tile nor what is now under it acts."""
    tile = kiosk.current_screen().tiles["types"]
    finger.press(centre(tile))
    qtbot.waitUntil(lambda: QGuiApplication.mouseButtons() == Qt.MouseButton.LeftButton)
    assert tile.isDown()
    kiosk.navigate(Route("help"))
    shown = _record(kiosk)
    qtbot.waitUntil(lambda: not kiosk.tap_guard.guarding())
    finger.release()
    qtbot.waitUntil(finger.lifted)
    assert shown == []
    assert kiosk.route == Route("help")
    assert not tile.isDown()
