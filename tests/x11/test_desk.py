"""The front-desk console on a real X server, with a real keyboard and mouse (XTEST): signing
in by typing and Tab, the shortcuts, the list and the details at a desk PC's 1366×768."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pgserver import Central
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from kiosk import crypto
from kiosk.content import load_desk_strings
from kiosk.fleet.desk import DeskSession
from kiosk.paths import bundled_content_dir
from kiosk.ui.desk.app import desk_app
from kiosk.ui.desk.window import DeskWindow

from realx import Finger, Keys, centre, on_screen, visible_part

OWN = "730518264903"
MARKER = "Leyla Xserver-Marker"


@pytest.fixture
def keys(x_display: str) -> Iterator[Keys]:
    k = Keys()
    yield k
    k.close()


@pytest.fixture
def desk(
    qtbot: QtBot,
    x_display: str,
    central: Central,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
    tmp_path: object,
) -> Iterator[DeskWindow]:
    central.deliver(keypair[0], "salon-1", "Main", [f"{MARKER} {i}" for i in range(3)])
    central.add_account(keypair[1], "ayse", "482910375612")
    first = DeskSession.sign_in(central.desk_target(), "ayse", "482910375612", cost=crypto.MIN_COST)
    first.set_passphrase(OWN, cost=crypto.MIN_COST)
    first.close()
    desk_app()  # the desk's font and size on the suite's application
    strings, _lang = load_desk_strings(bundled_content_dir(), "en")
    window = DeskWindow(central.desk_target(), strings, "Europe/Istanbul", cost=crypto.MIN_COST)
    # A reception PC's 1366×768, or the screen's width where it is narrower (portrait).
    free = QApplication.primaryScreen().availableGeometry().size()
    window.resize(QSize(1366, 768).boundedTo(free))
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    yield window
    window.sign_out("")
    window.runner.wait(10_000)
    window.close()
    window.deleteLater()
    qtbot.waitUntil(lambda: not isValid(window))


def _whole(widget: QWidget) -> bool:
    """Every pixel of ``widget`` can be seen (nothing cut off by the window or the screen)."""
    return visible_part(widget) == on_screen(widget)


def test_staff_sign_in_with_the_keyboard_and_work_with_shortcuts(
    qtbot: QtBot, desk: DeskWindow, keys: Keys, finger: Finger
) -> None:
    window = desk
    finger.tap(centre(window.account_field))
    qtbot.waitUntil(lambda: window.account_field.hasFocus())
    keys.type(f"ayse\t{OWN}")
    qtbot.waitUntil(lambda: window.passphrase_field.text() == OWN)  # Tab went there
    assert window.account_field.text() == "ayse"
    with qtbot.waitSignal(window.list_ready, timeout=20_000):
        keys.type("\n")
    qtbot.waitUntil(lambda: window.model.cached_rows() == 3, timeout=10_000)
    assert window.passphrase_field.text() == ""
    for widget in (window.table, window.find_field, window.export_button, window.sign_out_button):
        assert _whole(widget), widget.objectName()

    # Ctrl+F, a reference code typed, Enter: the request and its details.
    reference = window.model.row(1).reference
    keys.press("Control_L", "f")
    qtbot.waitUntil(lambda: window.find_field.hasFocus())
    keys.type(reference.lower() + "\n")
    qtbot.waitUntil(lambda: window.detail_title.text().startswith(reference), timeout=10_000)
    assert MARKER in window.detail_fields.text()
    assert _whole(window.mark_button) and _whole(window.note_field)

    # Ctrl+M marks it contacted; Ctrl+Z takes it back.
    keys.press("Control_L", "m")
    qtbot.waitUntil(lambda: window.model.row(0).status == "contacted", timeout=10_000)
    qtbot.waitUntil(lambda: window.undo_button.isVisible())
    keys.press("Control_L", "z")
    qtbot.waitUntil(lambda: window.model.row(0).status == "new", timeout=10_000)

    # A note typed, then Ctrl+M and Ctrl+Z: the mark is undone, not the typing.
    finger.tap(centre(window.note_field))
    qtbot.waitUntil(lambda: window.note_field.hasFocus())
    keys.type("called")
    qtbot.waitUntil(lambda: window.note_field.toPlainText() == "called")
    keys.press("Control_L", "m")
    qtbot.waitUntil(lambda: window.model.row(0).status == "contacted", timeout=10_000)
    qtbot.waitUntil(lambda: window.undo_button.isVisible())
    keys.press("Control_L", "z")
    qtbot.waitUntil(lambda: window.model.row(0).status == "new", timeout=10_000)

    # Sign out with the mouse: the sign-in page, nothing of the list left.
    finger.tap(centre(window.sign_out_button))
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.sign_in_page)
    assert window.model.rowCount() == 0 and window.detail_fields.text() == ""
    qtbot.waitUntil(finger.lifted)
