"""The form's flow with real taps: leaving a started form asks once, in large type."""

from __future__ import annotations

from collections.abc import Callable

import pytest
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
