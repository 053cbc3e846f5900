"""An Arabic visitor's journey with real taps on a real X server: Home turned into Arabic by
its own button, a topic, then the form typed on the Arabic keys to the review."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from kiosk.ui.main_window import MainWindow
from kiosk.ui.screens.appointment import AppointmentScreen
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.screens.section import SectionScreen

from realx import Finger, on_screen, visible_part


def _tap(qtbot: QtBot, kiosk: MainWindow, finger: Finger, widget: QWidget) -> None:
    """A deliberate tap (the tap guard quiet) where ``widget`` shows: scrolled into view
    first, as a person scrolls until they see it, then tapped in the middle of what shows."""
    if visible_part(widget) != on_screen(widget):
        qtbot.waitUntil(lambda: _mostly_in_view(widget))
    qtbot.waitUntil(lambda: not kiosk.tap_guard.guarding())
    seen = visible_part(widget)
    # (a quarter in from its left: the round "more below" sign may sit on a wide field's
    # middle, and a person taps beside it)
    finger.tap(QPoint(seen.left() + seen.width() // 4, seen.center().y()))
    qtbot.waitUntil(finger.lifted)


def _mostly_in_view(widget: QWidget) -> bool:
    from PySide6.QtWidgets import QScrollArea

    page = widget.parentWidget()
    while page is not None and not isinstance(page, QScrollArea):
        page = page.parentWidget()
    if page is not None:
        page.ensureWidgetVisible(widget, 0, 40)
    seen = visible_part(widget)
    return seen.height() * 4 >= widget.height() * 3 and seen.width() == widget.width()


def _choice(form: AppointmentScreen, name: str, value: str) -> QWidget:
    return next(b for b in form.findChildren(QPushButton, name) if b.property("choice") == value)


def test_an_arabic_journey_with_real_taps(
    qtbot: QtBot, kiosk: MainWindow, finger: Finger, look: Callable[[str], None]
) -> None:
    """Right to left throughout (the bar's Home on the right), except the keyboard, whose
    keys stay where a printed Arabic keyboard has them; the name typed on them comes out
    joined and in order, and the review shows it, and the phone number, as typed."""
    home = kiosk.current_screen()
    assert isinstance(home, HomeScreen)
    _tap(qtbot, kiosk, finger, home.language_buttons["ar"])
    qtbot.waitUntil(lambda: kiosk.language == "ar")
    assert kiosk.layoutDirection() == Qt.LayoutDirection.RightToLeft
    bar = kiosk.bar.buttons
    assert (
        bar["nav-home"].mapToGlobal(bar["nav-home"].rect().center()).x()
        > bar["nav-appointment"].mapToGlobal(bar["nav-appointment"].rect().center()).x()
    )
    home = kiosk.current_screen()
    assert isinstance(home, HomeScreen)
    look("arabic-home")

    _tap(qtbot, kiosk, finger, home.tiles["about-lupus"])
    qtbot.waitUntil(lambda: kiosk.route.name == "section")
    section = kiosk.current_screen()
    assert isinstance(section, SectionScreen)
    topic_id, row = next(iter(section.rows.items()))
    _tap(qtbot, kiosk, finger, row)
    qtbot.waitUntil(lambda: kiosk.route.name == "topic" and kiosk.route.arg == topic_id)
    title = kiosk.context().content.languages["ar"].topics[topic_id].title
    assert any(title in label.text() for label in kiosk.current_screen().findChildren(QLabel))
    look("arabic-topic")

    _tap(qtbot, kiosk, finger, bar["nav-appointment"])
    qtbot.waitUntil(lambda: kiosk.route.name == "appointment")
    form = kiosk.current_screen()
    assert isinstance(form, AppointmentScreen)
    _tap(qtbot, kiosk, finger, form.next_button)
    qtbot.waitUntil(lambda: form.step == "name" and form.keyboard.layout_id == "ar")
    keys = form.keyboard
    left, right = keys.key_button("ض"), keys.key_button("د")  # a printed row's two ends
    assert left.mapToGlobal(left.rect().center()).x() < right.mapToGlobal(right.rect().center()).x()
    for letter in "علي":
        _tap(qtbot, kiosk, finger, keys.key_button(letter))
    name = form.fields["name"]
    qtbot.waitUntil(lambda: name.text() == "علي")
    look("arabic-name")
    _tap(qtbot, kiosk, finger, form.next_button)
    qtbot.waitUntil(lambda: form.step == "contact")

    phone = form.fields["phone"]
    _tap(qtbot, kiosk, finger, phone)
    qtbot.waitUntil(lambda: form.keyboard.isVisible() and phone.hasFocus())
    for digit in "5321234567":
        _tap(qtbot, kiosk, finger, form.keyboard.key_button(digit))
    qtbot.waitUntil(lambda: phone.text() == "5321234567")
    assert phone.layoutDirection() == Qt.LayoutDirection.LeftToRight
    _tap(qtbot, kiosk, finger, form.next_button)
    qtbot.waitUntil(lambda: form.step == "preferences")
    for group, value in (("language-choice", "ar"), ("method-option", "sms")):
        _tap(qtbot, kiosk, finger, _choice(form, group, value))
    _tap(qtbot, kiosk, finger, _choice(form, "time-option", "morning"))
    qtbot.waitUntil(lambda: form.form.time_window == "morning")
    _tap(qtbot, kiosk, finger, form.next_button)
    qtbot.waitUntil(lambda: form.step == "consents")
    for consent in ("notice_read", "contact"):
        _tap(qtbot, kiosk, finger, form.consent_buttons[consent])
    _tap(qtbot, kiosk, finger, form.next_button)
    qtbot.waitUntil(lambda: form.step == "review")
    texts = [label.text() for label in form.findChildren(QLabel) if label.isVisible()]
    assert "علي" in texts
    assert any("\u20665321234567\u2069" in text for text in texts)  # read left to right
    look("arabic-review")
