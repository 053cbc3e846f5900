"""Reading on a real screen: the sign of more below, and the table's column heads."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QLabel, QScroller
from pytestqt.qtbot import QtBot

from kiosk.ui.main_window import MainWindow, Route
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.screens.table import TableScreen

from realx import Finger, centre, on_screen, visible_part


def _quiet(qtbot: QtBot, kiosk: MainWindow, finger: Finger) -> None:
    qtbot.waitUntil(finger.lifted)
    qtbot.waitUntil(lambda: not kiosk.tap_guard.guarding())


def test_a_cut_tile_comes_with_a_sign_that_the_page_goes_on(
    qtbot: QtBot, kiosk: MainWindow, finger: Finger, look: Callable[[str], None]
) -> None:
    """At a larger text size Home no longer fits: the round "more below" sign shows, whole,
    above the bar; each tap on it scrolls on, and it goes once the last tile is in view."""
    kiosk.set_text_step(1)
    home = kiosk.current_screen()
    assert isinstance(home, HomeScreen)
    more = home.page.more
    tiles = [*home.tiles.values(), home.appointment_tile]
    qtbot.waitUntil(lambda: home.page.verticalScrollBar().maximum() > 0)
    assert any(visible_part(t) != on_screen(t) for t in tiles)  # some tile is cut...
    qtbot.waitUntil(lambda: more.isVisible())  # ...and the sign says there is more
    assert visible_part(more) == on_screen(more)
    assert on_screen(more).bottom() < on_screen(kiosk.bar).top()
    look("home-large-more-below")
    scroller = QScroller.scroller(home.page.viewport())
    for _ in range(6):
        if not more.isVisible():
            break
        _quiet(qtbot, kiosk, finger)
        before = home.page.verticalScrollBar().value()
        finger.tap(centre(more))
        qtbot.waitUntil(lambda b=before: home.page.verticalScrollBar().value() > b)
        qtbot.waitUntil(lambda: scroller.state() == QScroller.State.Inactive)
    assert not more.isVisible()
    last = home.appointment_tile
    assert visible_part(last) == on_screen(last)


def test_the_table_keeps_its_column_heads_in_view(
    qtbot: QtBot, kiosk: MainWindow, finger: Finger, look: Callable[[str], None]
) -> None:
    """Scrolled down the comparison table (a finger drag), the column heads stay at the top
    of the page, each over its own column (landscape; portrait shows one card per option)."""
    kiosk.navigate(Route("table", "treatment-options"))
    table = kiosk.current_screen()
    assert isinstance(table, TableScreen)
    if table.layout_mode != "grid":
        assert kiosk.metrics().portrait
        return
    assert table.sticky is not None and not table.sticky.isVisible()
    _quiet(qtbot, kiosk, finger)
    view = on_screen(table.page.viewport())
    finger.drag(
        QPoint(view.left() + 30, view.bottom() - 20), QPoint(view.left() + 30, view.top() + 150)
    )
    qtbot.waitUntil(finger.lifted)
    qtbot.waitUntil(lambda: visible_part(table._heads[0]).isEmpty(), timeout=10_000)
    qtbot.waitUntil(lambda: table.sticky.isVisible())
    assert on_screen(table.sticky).top() == view.top()
    look("table-sticky-head")
    for copy, head in zip(table._copies, table._heads, strict=True):
        assert visible_part(copy) == on_screen(copy)
        assert on_screen(copy).left() == on_screen(head).left()
        assert on_screen(copy).width() == on_screen(head).width()
        texts = [lab.text() for lab in copy.findChildren(QLabel)]
        assert texts[0] == [lab.text() for lab in head.findChildren(QLabel)][0]
