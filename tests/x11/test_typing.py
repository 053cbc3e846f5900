"""The on-screen keyboard types where the visitor can see it: the field, its caret, its ring."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QScroller
from pytestqt.qtbot import QtBot

from kiosk.ui.main_window import MainWindow, Route
from kiosk.ui.screens.appointment import AppointmentScreen

from realx import Finger, centre, on_screen, visible_part


def _open_form(qtbot: QtBot, kiosk: MainWindow, finger: Finger, lang: str) -> AppointmentScreen:
    if lang != kiosk.language:
        kiosk.set_language(lang)
    kiosk.navigate(Route("appointment"))
    form = kiosk.current_screen()
    assert isinstance(form, AppointmentScreen)
    qtbot.waitUntil(lambda: not kiosk.tap_guard.guarding())
    return form


def _next(qtbot: QtBot, kiosk: MainWindow, finger: Finger, form: AppointmentScreen) -> None:
    step = form.step
    finger.tap(centre(form.next_button))
    qtbot.waitUntil(lambda: form.step != step)
    qtbot.waitUntil(lambda: not kiosk.tap_guard.guarding())


def _assert_in_view_with_caret(form: AppointmentScreen, field: QLineEdit) -> None:
    """The field is whole on screen, above the keyboard, and shows the caret and the focus
    ring (it has the focus, in the active window)."""
    assert visible_part(field) == on_screen(field)
    assert on_screen(field).bottom() < on_screen(form.keyboard).top()
    assert form.keyboard.isVisible()
    assert field.hasFocus() and QApplication.focusWidget() is field
    assert not form.pages.currentWidget().more.isVisible()  # nothing sits on the field
    assert field.window().isActiveWindow()


def _type(qtbot: QtBot, finger: Finger, form: AppointmentScreen, field: QLineEdit, keys: str):
    for key in keys:
        before = field.text()
        finger.tap(centre(form.keyboard.key_button(key)))
        qtbot.waitUntil(lambda b=before: field.text() != b)
        qtbot.waitUntil(finger.lifted)
        _assert_in_view_with_caret(form, field)


@pytest.mark.parametrize("text_step", [0, 2], ids=["normal", "largest"])
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_the_name_field_keeps_its_caret(
    qtbot: QtBot,
    kiosk: MainWindow,
    finger: Finger,
    lang: str,
    text_step: int,
    look: Callable[[str], None],
) -> None:
    """Typing a name with real taps on the keys: after every key the field is in view
    above the keyboard with its caret and focus ring (they used to vanish at the first),
    at the largest text too, and the keyboard fits the screen."""
    kiosk.set_text_step(text_step)
    form = _open_form(qtbot, kiosk, finger, lang)
    _next(qtbot, kiosk, finger, form)
    assert form.step == "name"
    field = form.fields["name"]
    qtbot.waitUntil(lambda: field.hasFocus())
    qtbot.waitUntil(lambda: visible_part(field) == on_screen(field))
    screen = QApplication.primaryScreen().geometry()
    assert on_screen(kiosk) == screen
    for key in form.keyboard.buttons:
        assert screen.contains(on_screen(key)) and key.height() >= 72
    if text_step == 0:  # (at the largest text in landscape the title gives way to the field)
        title = form.findChildren(QLabel, "screen-title")
        assert any(t.isVisible() and visible_part(t) == on_screen(t) for t in title)
    _type(qtbot, finger, form, field, "ayse")
    look(f"name-typed-{lang}-text{text_step}")
    assert field.text() == "Ayse"  # the capital came by itself


def test_the_phone_field_comes_back_into_view_as_keys_are_tapped(
    qtbot: QtBot, kiosk: MainWindow, finger: Finger
) -> None:
    """The contact step opens at its title, no keyboard; a tap on the phone field brings
    the keypad with the field above it. Drag the page back to the title and tap a digit:
    the field comes back into view with the digit in it, not typed out of sight."""
    form = _open_form(qtbot, kiosk, finger, "en")
    _next(qtbot, kiosk, finger, form)
    field = form.fields["name"]
    _type(qtbot, finger, form, field, "al")
    _next(qtbot, kiosk, finger, form)
    assert form.step == "contact"
    page = form.pages.currentWidget()
    titles = [t for t in form.findChildren(QLabel, "screen-title") if t.isVisible()]
    assert len(titles) == 1 and visible_part(titles[0]) == on_screen(titles[0])
    assert not form.keyboard.isVisible()

    phone = form.fields["phone"]
    page.verticalScrollBar().setValue(page.verticalScrollBar().maximum())  # (to reach it)
    qtbot.waitUntil(lambda: visible_part(phone) == on_screen(phone))
    finger.tap(centre(phone))
    qtbot.waitUntil(lambda: form.keyboard.isVisible() and phone.hasFocus())
    qtbot.waitUntil(lambda: visible_part(phone) == on_screen(phone))
    _assert_in_view_with_caret(form, phone)

    # The visitor drags the page down (as often as it takes) to read the title again: the
    # field goes out of sight (in landscape; in portrait the step fits above the keypad).
    view = on_screen(page.viewport())
    scroller = QScroller.scroller(page.viewport())
    for _ in range(5):
        if visible_part(titles[0]) == on_screen(titles[0]):
            break
        finger.drag(
            QPoint(view.left() + 20, view.top() + 20), QPoint(view.left() + 20, view.bottom())
        )
        qtbot.waitUntil(finger.lifted)
        qtbot.waitUntil(lambda: scroller.state() == QScroller.State.Inactive, timeout=10_000)
    assert visible_part(titles[0]) == on_screen(titles[0])
    if not kiosk.metrics().portrait:
        assert visible_part(phone).isEmpty()
    _type(qtbot, finger, form, phone, "5")

    # A country tapped between keys takes the focus for a moment; the next key brings it back.
    country = next(
        b
        for b in form.findChildren(QPushButton, "country-option")
        if b.isVisible() and not visible_part(b).isEmpty()
    )
    finger.tap(centre(country))
    qtbot.waitUntil(lambda: country.isChecked())
    qtbot.waitUntil(finger.lifted)
    _type(qtbot, finger, form, phone, "3")
    assert phone.text() == "53"
