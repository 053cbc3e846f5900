"""Idle warning, reset for the next visitor, kiosk mode, and recovery from errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from kiosk.config import Settings
from kiosk.content import Content
from kiosk.logs import setup_logging
from kiosk.store import AppointmentStore
from kiosk.ui.app import install_error_recovery
from kiosk.ui.main_window import HOME, MainWindow, Route
from kiosk.ui.screens.appointment import AppointmentScreen

from uihelpers import LANDSCAPE, settle


@pytest.fixture
def kiosk(
    qtbot: QtBot, content: Content, make_store: Callable[..., AppointmentStore]
) -> MainWindow:
    """A window with short idle times (the minimum the config allows is 20 s; tests shrink
    the timers directly so they run in milliseconds)."""
    store = make_store()
    window = MainWindow(Settings(default_language="en"), content, ("en", "tr"), store)
    qtbot.addWidget(window)
    window.resize(*LANDSCAPE)
    window.show()
    return window


def fill_form(window: MainWindow, name: str) -> AppointmentScreen:
    window.navigate(Route("appointment"))
    form = window.current_screen()
    assert isinstance(form, AppointmentScreen)
    form.next_button.click()
    form.fields["name"].setText(name)
    form.keyboard.key_button("{shift}").click()
    QApplication.clipboard().setText(name)
    return form


def test_at_rest_home_has_no_idle_clock(kiosk: MainWindow) -> None:
    """Home in the default language needs no reset, so no warning ever appears there."""
    assert kiosk.at_rest() and not kiosk.visit.idle_timer.isActive()
    kiosk.navigate(Route("help"))
    assert kiosk.visit.idle_timer.isActive()
    assert kiosk.visit.idle_timer.interval() == 90_000
    kiosk.navigate(Route("appointment"))
    assert kiosk.visit.idle_timer.interval() == 120_000  # longer inside the form


def test_warning_then_reset_wipes_everything(qtbot: QtBot, kiosk: MainWindow) -> None:
    """After the quiet time the overlay counts down; at zero every trace of the visit goes:
    fields, keyboard state, clipboard, language, text size, screen, staff."""
    kiosk.set_language("tr")
    kiosk.set_text_step(2)
    fill_form(kiosk, "Hüseyin Gizliad")
    kiosk.visit.idle_timer.start(10)
    qtbot.waitUntil(lambda: kiosk.overlay.isVisible(), timeout=2000)
    assert kiosk.overlay.left == 30
    assert "30" in kiosk.overlay.message.text()
    assert kiosk.overlay.continue_button.text() == "Evet, devam edin"
    kiosk.overlay._timer.setInterval(5)
    with qtbot.waitSignal(kiosk.overlay.expired, timeout=3000):
        pass
    settle()
    assert kiosk.route == HOME and kiosk.language == "en" and kiosk.text_step == 0
    assert kiosk.form.is_empty() and kiosk.history == ()
    assert QApplication.clipboard().text() == ""
    leftovers = [w for w in kiosk.findChildren(QLineEdit) if "Gizliad" in w.text()]
    leftovers += [w for w in kiosk.findChildren(QLabel) if "Gizliad" in w.text()]
    assert leftovers == []
    kiosk.navigate(Route("appointment"))
    form = kiosk.current_screen()
    assert form.step == "notice" and not form.keyboard.shifted


def test_yes_continue_keeps_the_visit(qtbot: QtBot, kiosk: MainWindow) -> None:
    """ "Yes, continue" closes the overlay and keeps what was typed; it can be used again."""
    fill_form(kiosk, "Ada Devam")
    for _ in range(3):
        kiosk.visit.idle_timer.start(10)
        qtbot.waitUntil(lambda: kiosk.overlay.isVisible(), timeout=2000)
        kiosk.overlay.continue_button.click()
        assert not kiosk.overlay.isVisible() and kiosk.visit.idle_timer.isActive()
    assert kiosk.form.name == "Ada Devam" and kiosk.route.name == "appointment"


def test_i_am_done_resets_at_once(kiosk: MainWindow) -> None:
    """The "I am done" bar button ends the visit, at once after "Erase and leave" (asked
    because the form holds what was typed)."""
    fill_form(kiosk, "Bitti Hemen")
    kiosk.bar.buttons["nav-done"].click()
    assert kiosk.leave.isVisible()
    kiosk.leave.discard_button.click()
    assert kiosk.route == HOME and kiosk.form.is_empty()
    assert all(not e.text() for e in kiosk.findChildren(QLineEdit))


def test_touch_restarts_the_idle_clock(qtbot: QtBot, kiosk: MainWindow) -> None:
    """Any touch pushes the warning back."""
    from PySide6.QtCore import Qt

    kiosk.navigate(Route("help"))
    kiosk.visit.idle_timer.start(300)
    qtbot.mouseClick(kiosk.bar.buttons["nav-text-size"], Qt.MouseButton.LeftButton)
    assert kiosk.visit.idle_timer.remainingTime() > 1000


def test_kiosk_mode_ignores_close_and_escape(qtbot: QtBot, content: Content) -> None:
    """In kiosk mode close requests (Alt+F4) and Escape do nothing; after "Exit kiosk"
    (allow_close) the window may close."""
    from PySide6.QtCore import Qt

    window = MainWindow(Settings(), content, ("en", "tr"), kiosk_mode=True)
    qtbot.addWidget(window)
    window.show()
    window.navigate(Route("help"))
    assert window.close() is False and window.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.isVisible() and window.route == Route("help")
    window.allow_close()
    assert window.close() is True


@pytest.mark.qt_no_exception_capture
def test_exception_in_a_slot_returns_home(
    qtbot: QtBot, kiosk: MainWindow, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug raised inside a timer's slot is logged with where it happened and the kiosk goes
    back to a clean Home instead of crashing."""
    import sys

    previous = sys.excepthook
    install_error_recovery(kiosk.recover)
    try:
        fill_form(kiosk, "Hata Anı")

        def broken() -> None:
            raise RuntimeError("simulated bug")

        with caplog.at_level(logging.ERROR):
            QTimer.singleShot(0, broken)
            qtbot.waitUntil(lambda: kiosk.route == HOME, timeout=3000)
    finally:
        sys.excepthook = previous
    assert kiosk.form.is_empty()
    assert any("unhandled_exception RuntimeError" in r.getMessage() for r in caplog.records)


def test_log_files_hold_no_personal_data(qtbot: QtBot, tmp_path: Path, kiosk: MainWindow) -> None:
    """A request with a unique name goes through; no log file contains the name or number."""
    from test_appointment_flow import fill_to_review

    logs = tmp_path / "logs"
    setup_logging(logs)
    try:
        kiosk.set_language("tr")
        kiosk.navigate(Route("appointment"))
        form = kiosk.current_screen()
        fill_to_review(form, "Benzersiz Kişiadı", phone="05321112233")
        with qtbot.waitSignal(form.submitted):
            form.next_button.click()
        kiosk.reset_visit()
    finally:
        setup_logging(None)
    text = "".join(p.read_text("utf-8") for p in logs.glob("kiosk.log*"))
    assert "request_saved" in text and "visit_reset" in text
    assert "Benzersiz" not in text and "1112233" not in text
    assert all(line.count(" ") >= 3 for line in text.splitlines())  # time level name event


def test_attract_mode_after_reset(qtbot: QtBot, kiosk: MainWindow) -> None:
    """After a reset Home shows one topic at a time; the first touch only dismisses it."""
    from PySide6.QtCore import Qt

    kiosk.navigate(Route("help"))
    kiosk.reset_visit()
    attract = kiosk.attract
    assert attract.isVisible() and attract.rotating
    assert attract._timer.interval() == 12_000  # slow: a new card every 12 s
    first = attract.title.text()
    attract.next_topic()
    assert attract.title.text() != first
    qtbot.mouseClick(attract, Qt.MouseButton.LeftButton)
    assert not attract.isVisible() and not attract.rotating
    assert kiosk.route == HOME  # the waking touch opened nothing


def test_attract_mode_can_be_off(qtbot: QtBot, content: Content) -> None:
    """attract_mode = false leaves Home as it is."""
    window = MainWindow(Settings(attract_mode=False), content, ("en", "tr"))
    qtbot.addWidget(window)
    window.show()
    window.reset_visit()
    assert not window.attract.isVisible()


def test_navigating_away_stops_attract(kiosk: MainWindow) -> None:
    """Any screen other than Home stops the rotation."""
    kiosk.reset_visit()
    kiosk.navigate(Route("help"))
    assert not kiosk.attract.isVisible() and not kiosk.attract.rotating
