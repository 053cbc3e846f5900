"""What a person sees when the kiosk starts on a real screen: Home, whole, at once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from kiosk.ui.main_window import MainWindow

from realx import Finger, on_screen, visible_part


def _screen_rect() -> QRect:
    screen = QApplication.primaryScreen()
    assert screen is not None
    return screen.geometry()


def _assert_home_whole(window: MainWindow, area: QRect) -> None:
    home = window.current_screen()
    assert home.objectName() == "home-screen"
    # Home fills the space above the bar, the bar spans the window.
    assert on_screen(window) == area
    assert on_screen(window.stack).width() == area.width()
    assert on_screen(home) == on_screen(window.stack)
    assert on_screen(window.bar).width() == area.width()
    # Every tile is on screen, whole, above the bar.
    bar_top = on_screen(window.bar).top()
    tiles: list[QWidget] = [*home.tiles.values(), home.appointment_tile]
    for tile in tiles:
        seen = visible_part(tile)
        assert seen == on_screen(tile), f"{tile.property('section_id')} is cut: {seen}"
        assert seen.bottom() < bar_top
    # The header (name, language buttons) and the notice are whole too.
    for part in (*home.language_buttons.values(), home.findChild(QWidget, "notice-box")):
        assert visible_part(part) == on_screen(part)


@pytest.mark.parametrize("lang", ["en", "tr"])
def test_home_fills_the_screen_at_start(
    qtbot: QtBot,
    start_kiosk: Callable[..., MainWindow],
    finger: Finger,
    lang: str,
    look: Callable[[str], None],
) -> None:
    """Started full screen (no window manager, or one), Home covers the whole screen and
    shows every tile, before and after the touch that dismisses attract mode."""
    window = start_kiosk(default_language=lang)
    area = _screen_rect()
    qtbot.waitUntil(lambda: on_screen(window) == area)
    _assert_home_whole(window, area)
    assert window.attract.isVisible()
    finger.tap(area.center())
    qtbot.waitUntil(lambda: not window.attract.isVisible())
    _assert_home_whole(window, area)
    look(f"home-at-start-{lang}")


def test_home_fills_a_window_at_start(
    qtbot: QtBot, start_kiosk: Callable[..., MainWindow], x_display: str
) -> None:
    """``kiosk run --windowed`` (make run): Home fills its window, 1280×800 on a bare X
    server (a kiosk window manager such as matchbox makes every window full screen)."""
    window = start_kiosk(windowed=True)
    if x_display == "none":
        qtbot.waitUntil(lambda: window.size().toTuple() == (1280, 800))
    else:
        qtbot.waitUntil(lambda: on_screen(window) == _screen_rect())
    home = window.current_screen()
    assert window.stack.width() == window.bar.width() == window.width()
    assert window.stack.height() + window.bar.height() == window.height()
    assert home.geometry() == window.stack.rect()
    inside = on_screen(window)
    for tile in [*home.tiles.values(), home.appointment_tile]:
        # No tile is cut sideways (the page scrolls down to the ones below).
        assert inside.left() <= on_screen(tile).left() <= on_screen(tile).right() <= inside.right()
