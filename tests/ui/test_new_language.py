"""A language added as files only (tests/conftest.py ``new_language``) is on screen: on Home,
in the name field's keyboard and among the contact languages, by its own name."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from kiosk import crypto, paths
from kiosk.config import Settings
from kiosk.store import AppointmentStore, memory_database
from kiosk.ui.main_window import MainWindow, Route
from kiosk.ui.screens.appointment import AppointmentScreen
from kiosk.ui.screens.home import HomeScreen
from kiosk.validation import load_content

from uihelpers import LANDSCAPE, settle


def test_a_language_added_as_files_is_on_screen(
    qtbot: QtBot,
    tmp_path: Path,
    new_language: Path,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
) -> None:
    """Home offers "Xish", its form's name field types with the xx keys (the layout key
    offering nothing else), and the preferences step offers it as a contact language."""
    content = load_content(paths.bundled_content_dir())
    settings = Settings(db_path=str(tmp_path / "kiosk.db"), contact_languages=["xx", "tr"])
    assert settings.languages == ["en", "tr", "ar", "ru", "de", "xx"]
    store = AppointmentStore(memory_database(), sealer=keypair[0])
    window = MainWindow(settings, content, tuple(settings.languages), store)
    qtbot.addWidget(window)
    window.resize(*LANDSCAPE)
    window.show()
    qtbot.waitExposed(window)

    home = window.current_screen()
    assert isinstance(home, HomeScreen)
    offered = [b.text() for b in home.findChildren(QPushButton, "language-option")]
    assert "Xish" in offered

    window.set_language("xx")
    window.navigate(Route("appointment"))
    settle()
    form = window.current_screen()
    assert isinstance(form, AppointmentScreen)
    form.next_button.click()
    assert form.step == "name" and form.keyboard.layout_id == "xx"
    form.keyboard.key_button("ẋ")  # the xx file's own key
    form.keyboard.key_button("{layout}").click()
    assert form.keyboard.layout_id == "xx"  # one layout: the key comes back to it

    form.fields["name"].insert("Ẋavier Example")
    form.next_button.click()
    form.fields["phone"].insert("05321234567")
    form.next_button.click()
    assert form.step == "preferences"
    choices = {  # (the line's right-to-left isolate off: kiosk.bidi.rtl_line)
        b.property("choice"): b.text().strip("\u2067\u2069")
        for b in form.findChildren(QPushButton, "language-choice")
    }
    assert choices == {"xx": "Xish", "tr": "Türkçe"}
