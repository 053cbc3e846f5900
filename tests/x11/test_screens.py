"""Every screen on a real display: nothing lies outside the screen, nothing runs off sideways."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget
from pytestqt.qtbot import QtBot

from kiosk.ui.main_window import MainWindow
from kiosk.ui.screenshots import visit_all

from realx import on_screen


def _scroll_view(widget: QWidget) -> QWidget | None:
    """The viewport of the scrolling page ``widget`` lies on, if any."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and parent.viewport().isAncestorOf(widget):
            return parent.viewport()
        parent = parent.parentWidget()
    return None


def _outside(window: MainWindow) -> list[str]:
    """Visible widgets (on the screen shown, the bar and the overlays) that lie beyond the
    screen, or, on a scrolling page, beyond its sides (a page may run on downwards only)."""
    screen = QApplication.primaryScreen().geometry()
    problems = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.width() == 0 or widget.height() == 0:
            continue
        rect = on_screen(widget)
        view = _scroll_view(widget)
        if view is None:
            if not screen.contains(rect):
                problems.append(f"{widget.objectName() or type(widget).__name__} at {rect}")
        else:
            sides = on_screen(view)
            if rect.left() < sides.left() or rect.right() > sides.right():
                problems.append(f"{widget.objectName() or type(widget).__name__} wider: {rect}")
    return problems


@pytest.mark.parametrize("lang", ["en", "tr"])
def test_no_widget_lies_outside_the_screen(qtbot: QtBot, kiosk: MainWindow, lang: str) -> None:
    """Every screen (form steps, staff pad, overlays included), at the normal and the
    largest text size: the window covers the screen exactly and no part of any screen lies
    outside it or runs off the side of its page."""
    screen = QApplication.primaryScreen().geometry()
    kiosk.set_language(lang)
    walked = 0
    for step in (0, 2):
        kiosk.set_text_step(step)
        for name in visit_all(kiosk, lang):
            qtbot.waitUntil(lambda: on_screen(kiosk) == screen)
            QApplication.processEvents()
            assert _outside(kiosk) == [], f"{name} at text step {step}"
            walked += 1
    assert walked > 60
