"""The form kept for the default language: it shows the visit's data only while on screen,
shows the current data when it comes back, and is empty once the visit ends."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit
from pytestqt.qtbot import QtBot
from test_appointment_flow import choose

from kiosk import crypto
from kiosk.config import Settings
from kiosk.content import Content
from kiosk.store import AppointmentStore, memory_database
from kiosk.ui.main_window import MainWindow, Route
from kiosk.ui.screens.appointment import AppointmentScreen

from uihelpers import LANDSCAPE, PORTRAIT, settle

Keypair = tuple[crypto.Sealer, crypto.Unlocked]


def _form(window: MainWindow) -> AppointmentScreen:
    screen = window.current_screen()
    assert isinstance(screen, AppointmentScreen), type(screen)
    return screen


def _fill_to_review(form: AppointmentScreen, name: str) -> None:
    form.next_button.click()
    form.fields["name"].insert(name)
    form.next_button.click()
    form.fields["phone"].insert("05321234567")
    form.next_button.click()
    choose(form, "language-choice", "tr")
    choose(form, "method-option", "sms")
    choose(form, "time-option", "evening")
    form.next_button.click()
    form.consent_buttons["notice_read"].click()
    form.consent_buttons["contact"].click()
    form.next_button.click()
    assert form.step == "review", form.message.text()


def _leftovers(*parts: str) -> list[str]:
    """Every label or field, anywhere, that still shows one of ``parts``."""
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return [
        f"{type(w).__name__} {w.objectName()}: {w.text()!r}"
        for w in QApplication.allWidgets()
        if isinstance(w, (QLabel, QLineEdit)) and any(p in w.text() for p in parts)
    ]


def _window(qtbot: QtBot, settings: Settings, content: Content, store: object) -> MainWindow:
    w = MainWindow(settings, content, ("en", "tr"), store)  # type: ignore[arg-type]
    qtbot.addWidget(w)
    w.resize(*LANDSCAPE)
    w.show()
    return w


@pytest.mark.parametrize("how", ["language", "size"])
@pytest.mark.parametrize("outcome", ["saved", "failed"])
def test_a_request_sent_from_another_form_leaves_no_copy_in_the_kept_one(
    window: MainWindow, how: str, outcome: str
) -> None:
    """Filled in the kept form, then sent from the form in another language or text size:
    while the thank-you or failure page is up, the hidden kept form shows nothing."""
    window.navigate(Route("appointment"))
    kept = _form(window)
    _fill_to_review(kept, "Zeynep Marker")
    if how == "language":
        window.navigate(Route("language"))
        window.set_language("tr")
    else:
        window.cycle_text_size()
    other = _form(window)
    assert other is not kept and other.step == "review"
    assert other.fields["name"].text() == "Zeynep Marker"  # nothing typed was lost
    if outcome == "failed":
        window.store.db.execute("PRAGMA query_only = ON")
    other.next_button.click()
    assert other.step == ("thanks" if outcome == "saved" else "failed")
    settle()
    assert _leftovers("Zeynep Marker", "0532", "5321234567") == []


def test_the_thank_you_page_stays_until_the_visitor_is_done(
    qtbot: QtBot, tmp_path: Path, content: Content, keypair: Keypair
) -> None:
    """The reference code stays on screen (no countdown Home), also after a change of text
    size, until the visitor taps "I am done"."""
    settings = Settings(db_path=str(tmp_path / "k.db"))
    window = _window(
        qtbot, settings, content, AppointmentStore(memory_database(), sealer=keypair[0])
    )
    window.navigate(Route("appointment"))
    kept = _form(window)
    _fill_to_review(kept, "Patient Person")
    kept.next_button.click()
    assert kept.step == "thanks"
    reference = kept.reference_label.text()
    assert reference
    window.cycle_text_size()
    big = _form(window)
    assert big is not kept and big.step == "thanks"
    assert big.reference_label.text() == reference
    # Nothing on the form counts down to Home (it did: a one-second timer, 15 times);
    # only the idle clock of the form, with its warning, can end the visit now.
    assert [t for t in big.findChildren(QTimer) if t.isActive()] == []
    assert window.visit.idle_timer.isActive()
    assert window.visit.idle_timer.interval() == settings.idle_form_seconds * 1000
    window.bar.buttons["nav-done"].click()
    assert window.route.name == "home"


def test_language_there_and_back_shows_the_current_answers(window: MainWindow) -> None:
    """Answers changed in the other language's form are what the kept form shows again,
    review included, with no undo history carrying the old ones."""
    window.navigate(Route("appointment"))
    kept = _form(window)
    _fill_to_review(kept, "First Name")
    kept.show_step("name")
    window.navigate(Route("language"))
    window.set_language("tr")
    tr = _form(window)
    assert tr.fields["name"].text() == "First Name"
    tr.fields["name"].setText("Second Name")
    tr.show_step("contact")
    choose(tr, "country-option", "other")
    tr.show_step("consents")
    tr.consent_buttons["contact"].click()  # no longer agreed
    tr.show_step("contact")
    window.navigate(Route("language"))
    window.set_language("en")
    assert _form(window) is kept
    assert kept.step == "contact" and kept._shown is kept._page_of["contact"]
    assert kept.fields["name"].text() == "Second Name"
    assert not kept.fields["name"].isUndoAvailable()
    assert kept.phone_hint.isVisibleTo(kept)  # another country: the hint shows
    assert not kept.consent_buttons["contact"].isChecked()
    for key, group in kept.groups.items():
        chosen = [b.property("choice") for b in group.buttons() if b.isChecked()]
        choices = [b.property("choice") for b in group.buttons()]
        value = getattr(window.form, key)
        assert chosen == ([value] if value in choices else []), key
    kept.show_step("review")
    shown = " ".join(lab.text() for lab in kept.findChildren(QLabel) if lab.isVisibleTo(kept))
    assert "Second Name" in shown and "First Name" not in shown
    window.go_home()
    settle()
    assert window.at_rest()
    assert _leftovers("First Name", "Second Name", "5321234567") == []


def test_text_size_there_and_back_keeps_what_was_typed(window: MainWindow) -> None:
    window.navigate(Route("appointment"))
    kept = _form(window)
    kept.next_button.click()
    kept.fields["name"].insert("Size Person")
    window.cycle_text_size()
    big = _form(window)
    assert big is not kept and big.fields["name"].text() == "Size Person"
    assert kept.fields["name"].text() == ""  # hidden: empty
    big.fields["name"].setText("Size Person Two")
    window.cycle_text_size()
    window.cycle_text_size()
    assert _form(window) is kept
    assert kept.step == "name" and kept.fields["name"].text() == "Size Person Two"
    window.reset_visit()
    settle()
    assert window.at_rest()
    assert _leftovers("Size Person") == []


def test_a_detour_to_help_keeps_the_answers(window: MainWindow) -> None:
    window.navigate(Route("appointment"))
    kept = _form(window)
    _fill_to_review(kept, "Help Person")
    kept.show_step("contact")
    window.navigate(Route("help"))
    assert _leftovers("Help Person", "5321234567") == []  # not while the form is away
    window.go_back()
    assert _form(window) is kept
    assert kept.step == "contact"
    assert kept.fields["phone"].text() == "05321234567"
    assert window.form.name == "Help Person"


@pytest.mark.parametrize("where", ["form", "help"])
def test_turning_the_screen_loses_nothing_and_leaves_nothing(
    window: MainWindow, where: str
) -> None:
    window.navigate(Route("appointment"))
    kept = _form(window)
    kept.next_button.click()
    kept.fields["name"].insert("Turn Person")
    if where == "help":
        window.navigate(Route("help"))
    window.resize(*PORTRAIT)
    settle()
    if where == "help":
        window.go_back()
    turned = _form(window)
    assert turned is not kept and turned.fields["name"].text() == "Turn Person"
    window.reset_visit()
    settle()
    assert window.at_rest()
    assert _leftovers("Turn Person") == []


def test_after_the_thank_you_page_the_kept_form_starts_over(window: MainWindow) -> None:
    window.navigate(Route("appointment"))
    kept = _form(window)
    _fill_to_review(kept, "Ref Person")
    kept.next_button.click()
    reference = window.flow.reference
    assert kept.step == "thanks" and reference
    window.go_home()
    settle()
    assert _leftovers(reference, "Ref Person") == []
    window.navigate(Route("appointment"))
    assert _form(window) is kept
    assert kept._shown is kept._page_of["notice"]
    assert not kept.keyboard.isVisibleTo(kept)
    assert window.form.is_empty()


@pytest.mark.parametrize("with_store", [True, False])
def test_start_up_leaves_the_kiosk_at_rest(
    qtbot: QtBot, tmp_path: Path, content: Content, keypair: Keypair, with_store: bool
) -> None:
    """The form built while the kiosk waits records nothing; without a store it opens on
    the online-form page, and a store attached later gets a form that can save."""
    store = AppointmentStore(memory_database(), sealer=keypair[0]) if with_store else None
    window = _window(qtbot, Settings(db_path=str(tmp_path / "k.db")), content, store)
    with qtbot.waitSignal(window.started_up, timeout=60_000):
        window.finish_start_up()
    assert window.at_rest() and window.flow.step == "notice"
    window.navigate(Route("appointment"))
    kept = _form(window)
    assert kept._shown is kept._page_of["notice" if with_store else "failed"]
    window.go_home()
    assert window.at_rest()
    if not with_store:
        window.attach_store(AppointmentStore(memory_database(), sealer=keypair[0]))
        window.navigate(Route("appointment"))
        assert _form(window) is not kept and _form(window).step == "notice"
        window.go_home()
        settle()
        assert window.at_rest()


def test_the_start_up_job_leaves_a_visit_in_the_form_alone(window: MainWindow) -> None:
    """A visitor already in a form when start-up's turn to build the kept one comes (on a
    detour, nothing typed yet): their step stays, and no form is built for them."""
    window.set_language("tr")
    window.navigate(Route("appointment"))
    _form(window).next_button.click()
    assert window.flow.step == "name"
    window.navigate(Route("help"))
    window.keep_form_built()
    assert window.screens.kept_form is None
    window.go_back()
    assert _form(window).step == "name"


def test_the_start_up_job_keeps_the_form_a_visitor_made(window: MainWindow) -> None:
    """A visitor opened the form before start-up built it (so it was built and kept on
    demand), typed and erased a name: the job leaves that form, and the field, put away,
    holds nothing to undo."""
    window.navigate(Route("appointment"))
    kept = _form(window)
    kept.next_button.click()
    kept.fields["name"].insert("Secret Name")
    for _ in "Secret Name":
        kept.fields["name"].backspace()
    assert window.form.is_empty()
    window.navigate(Route("help"))
    window.keep_form_built()
    assert window.screens.kept_form is kept
    window.go_home()
    settle()
    kept.fields["name"].undo()
    assert kept.fields["name"].text() == ""


def test_after_a_detour_the_keys_type_what_they_show(window: MainWindow) -> None:
    """Shift (or the other layout) chosen, then Help and back: the keyboard is as it was
    left, and a key types the letter on it."""
    window.navigate(Route("appointment"))
    kept = _form(window)
    kept.next_button.click()
    keyboard = kept.keyboard
    keyboard.key_button("{layout}").click()
    keyboard.key_button("{shift}").click()
    window.navigate(Route("help"))
    window.go_back()
    assert _form(window) is kept and kept.step == "name"
    assert keyboard.key_button("{shift}").isChecked() == keyboard.shifted
    letter = next(b for b in keyboard.buttons if len(b.property("key")) == 1)
    shown = letter.text()
    letter.click()
    assert kept.fields["name"].text() == shown == window.form.name


def test_the_next_visitor_gets_a_fresh_keyboard(window: MainWindow) -> None:
    """The end of a visit starts the kept form's keyboard afresh: first layout, no shift."""
    window.navigate(Route("appointment"))
    kept = _form(window)
    kept.next_button.click()
    first_layout = kept.keyboard.layout_id
    kept.keyboard.key_button("{layout}").click()
    kept.keyboard.key_button("{shift}").click()  # off: the name's first capital refused
    assert kept.keyboard.layout_id != first_layout and not kept.keyboard.shifted
    window.reset_visit()
    settle()
    window.navigate(Route("appointment"))
    assert _form(window) is kept
    kept.next_button.click()
    assert kept.keyboard.layout_id == first_layout
    # Shift as a fresh name field has it: on for the first capital, nothing left over.
    assert kept.keyboard.shifted and kept.keyboard.key_button("{shift}").isChecked()
    kept.keyboard.key_button("a").click()
    assert kept.fields["name"].text() == "A" and not kept.keyboard.shifted
