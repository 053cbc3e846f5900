"""The form's flow with real taps: leaving a started form asks once, in large type."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QPushButton, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from kiosk.ui.main_window import HOME, MainWindow, Route
from kiosk.ui.screens.appointment import AppointmentScreen

from realx import Finger, centre, on_screen, visible_part


def _tap(qtbot: QtBot, kiosk: MainWindow, finger: Finger, widget: object) -> None:
    """A tap once the tap guard is quiet (a deliberate tap, not a double tap)."""
    qtbot.waitUntil(lambda: not kiosk.tap_guard.guarding())
    finger.tap(centre(widget))  # type: ignore[arg-type]
    qtbot.waitUntil(finger.lifted)


@pytest.mark.parametrize("lang", ["en", "tr"])
@pytest.mark.parametrize("leave_by", ["nav-home", "nav-done"])
def test_leaving_a_started_form_asks_once(
    qtbot: QtBot,
    kiosk: MainWindow,
    finger: Finger,
    lang: str,
    leave_by: str,
    look: Callable[[str], None],
) -> None:
    """A name typed, then Home (or "I am done"): a question in large type, whole on screen,
    above everything; "Keep going" keeps the name, "Erase and leave" leaves."""
    kiosk.set_language(lang)
    kiosk.navigate(Route("appointment"))
    form = kiosk.current_screen()
    assert isinstance(form, AppointmentScreen)
    _tap(qtbot, kiosk, finger, form.next_button)
    qtbot.waitUntil(lambda: form.step == "name")
    for key in "al":
        _tap(qtbot, kiosk, finger, form.keyboard.key_button(key))
    qtbot.waitUntil(lambda: form.fields["name"].text() == "Al")

    _tap(qtbot, kiosk, finger, kiosk.bar.buttons[leave_by])
    qtbot.waitUntil(lambda: kiosk.leave.isVisible())
    assert on_screen(kiosk.leave) == on_screen(kiosk)
    look(f"leave-form-{lang}")
    for button in (kiosk.leave.keep_button, kiosk.leave.discard_button):
        assert visible_part(button) == on_screen(button)
        assert button.height() >= kiosk.metrics().target
    _tap(qtbot, kiosk, finger, kiosk.leave.keep_button)
    qtbot.waitUntil(lambda: not kiosk.leave.isVisible())
    assert kiosk.current_screen() is form and form.fields["name"].text() == "Al"

    _tap(qtbot, kiosk, finger, kiosk.bar.buttons[leave_by])
    qtbot.waitUntil(lambda: kiosk.leave.isVisible())
    _tap(qtbot, kiosk, finger, kiosk.leave.discard_button)
    qtbot.waitUntil(lambda: kiosk.route == HOME)
    assert kiosk.form.is_empty()


def _tap_in_view(qtbot: QtBot, kiosk: MainWindow, finger: Finger, widget: QWidget) -> None:
    """Tap ``widget`` as a person would: scrolled into view first if the page hides it."""
    if visible_part(widget) != on_screen(widget):
        page = widget.parentWidget()
        while page is not None and not isinstance(page, QScrollArea):
            page = page.parentWidget()
        assert page is not None, widget.objectName()

        def in_view() -> bool:
            # Scrolled again while the page settles (a step's layout may finish after it is
            # shown and move the field): a person, too, scrolls on until they see it.
            page.ensureWidgetVisible(widget, 0, 40)
            return visible_part(widget) == on_screen(widget)

        qtbot.waitUntil(in_view)
    _tap(qtbot, kiosk, finger, widget)


def _choice(form: AppointmentScreen, name: str, value: str) -> QWidget:
    return next(b for b in form.findChildren(QPushButton, name) if b.property("choice") == value)


def test_a_whole_request_with_real_taps(
    qtbot: QtBot, kiosk: MainWindow, finger: Finger, look: Callable[[str], None]
) -> None:
    """The form's flow as a person taps it: a one-letter name is refused and the message
    goes as soon as the name is fixed; capitals come by themselves; no topic, no topic
    consent; "Change" on the review comes back to the review; the reference code stays
    on the thank-you screen until "I am done"."""
    kiosk.navigate(Route("appointment"))
    form = kiosk.current_screen()
    assert isinstance(form, AppointmentScreen)
    _tap(qtbot, kiosk, finger, form.next_button)
    qtbot.waitUntil(lambda: form.step == "name")
    name, error = form.fields["name"], form.errors["name"]
    _tap(qtbot, kiosk, finger, form.keyboard.key_button("a"))
    qtbot.waitUntil(lambda: name.text() == "A")
    _tap(qtbot, kiosk, finger, form.next_button)
    qtbot.waitUntil(lambda: error.isVisible())
    assert form.step == "name"
    _tap(qtbot, kiosk, finger, form.keyboard.key_button("l"))
    qtbot.waitUntil(lambda: not error.isVisible())
    assert name.text() == "Al" and form.message.text() == ""
    _tap(qtbot, kiosk, finger, form.next_button)
    qtbot.waitUntil(lambda: form.step == "contact")

    phone = form.fields["phone"]
    _tap_in_view(qtbot, kiosk, finger, phone)
    qtbot.waitUntil(lambda: form.keyboard.isVisible() and phone.hasFocus())
    for digit in "5321234567":
        _tap(qtbot, kiosk, finger, form.keyboard.key_button(digit))
    qtbot.waitUntil(lambda: phone.text() == "5321234567")
    _tap(qtbot, kiosk, finger, form.next_button)
    qtbot.waitUntil(lambda: form.step == "preferences")
    for group, value in (("language-choice", "tr"), ("method-option", "sms")):
        _tap_in_view(qtbot, kiosk, finger, _choice(form, group, value))
    _tap_in_view(qtbot, kiosk, finger, _choice(form, "time-option", "morning"))
    qtbot.waitUntil(lambda: form.form.time_window == "morning")
    _tap(qtbot, kiosk, finger, form.next_button)
    qtbot.waitUntil(lambda: form.step == "consents")
    assert not form.consent_buttons["health_topic"].isVisible()  # no topic chosen
    for consent in ("notice_read", "contact"):
        _tap_in_view(qtbot, kiosk, finger, form.consent_buttons[consent])
    _tap(qtbot, kiosk, finger, form.next_button)
    qtbot.waitUntil(lambda: form.step == "review")

    _tap_in_view(qtbot, kiosk, finger, form.edit_buttons["name"])
    qtbot.waitUntil(lambda: form.step == "name")
    _tap(qtbot, kiosk, finger, form.keyboard.key_button("i"))
    qtbot.waitUntil(lambda: name.text() == "Ali")
    _tap(qtbot, kiosk, finger, form.next_button)
    qtbot.waitUntil(lambda: form.step == "review")  # not contact, preferences, consents

    _tap(qtbot, kiosk, finger, form.next_button)  # "Send my request"
    qtbot.waitUntil(lambda: form.step == "thanks")
    code = form.reference_label
    assert code.text() and visible_part(code) == on_screen(code)
    look("thank-you")
    assert kiosk.visit.idle_timer.isActive()  # only the idle warning, or "I am done", ends it
    _tap(qtbot, kiosk, finger, kiosk.bar.buttons["nav-done"])
    qtbot.waitUntil(lambda: kiosk.route == HOME)
    assert kiosk.form.is_empty()
    assert kiosk.store is not None and kiosk.store.count_matching() == 1  # saved, once
