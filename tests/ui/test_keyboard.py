"""The on-screen keyboard: Turkish casing, layouts, big keys, no state kept."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from kiosk.content import Content
from kiosk.keyboards import layout_ids, load_layout
from kiosk.ui.main_window import MainWindow, Route
from kiosk.ui.screens.appointment import AppointmentScreen
from kiosk.ui.theme import Metrics
from kiosk.ui.widgets.keyboard import OnScreenKeyboard

from uihelpers import LANDSCAPE, PORTRAIT, settle


@pytest.fixture
def keyboard(qtbot: QtBot, content: Content) -> tuple[OnScreenKeyboard, QLineEdit]:
    """A keyboard typing into a line edit, Turkish layout first."""
    field = QLineEdit()
    kb = OnScreenKeyboard(content.languages["tr"].form, Metrics(dpi=100).key_size)
    qtbot.addWidget(field)
    qtbot.addWidget(kb)
    kb.set_target(field, ("tr", "en"))
    kb.show()
    return kb, field


def test_turkish_casing(keyboard: tuple[OnScreenKeyboard, QLineEdit]) -> None:
    """Shift+i gives İ and shift+ı gives I, whatever the machine's locale; shift lets go."""
    kb, field = keyboard
    for key in ("{shift}", "i", "ğ", "{shift}", "ı", "ş", "{space}", "ç", "ö", "ü"):
        kb.key_button(key).click()
    assert field.text() == "İğIş çöü"
    assert not kb.shifted


def test_backspace_and_layout_switch(keyboard: tuple[OnScreenKeyboard, QLineEdit]) -> None:
    """Backspace deletes; the layout key switches Türkçe Q to English and back."""
    kb, field = keyboard
    kb.key_button("a").click()
    kb.key_button("{backspace}").click()
    assert field.text() == ""
    assert kb.layout_id == "tr"
    kb.key_button("{layout}").click()
    assert kb.layout_id == "en"
    with pytest.raises(KeyError):
        kb.key_button("ğ")
    kb.key_button("{layout}").click()
    assert kb.layout_id == "tr"


def test_keys_are_big_and_never_take_focus(keyboard: tuple[OnScreenKeyboard, QLineEdit]) -> None:
    """Keys are at least 20 mm (and 72 px) tall and wide, and leave focus on the field."""
    kb, _field = keyboard
    size = Metrics(dpi=100).key_size
    assert size >= max(72, Metrics(dpi=100).mm(20))
    assert Metrics(dpi=80).key_size == 72 and Metrics(dpi=80, portrait=True).key_size == 90
    for button in kb.buttons:
        assert button.height() >= size and button.width() >= 72
        assert button.focusPolicy().name == "NoFocus"


def test_reset_forgets_target_and_shift(keyboard: tuple[OnScreenKeyboard, QLineEdit]) -> None:
    """After a reset, keys type nowhere and shift is off."""
    kb, field = keyboard
    kb.key_button("{shift}").click()
    kb.reset()
    kb.key_button("a").click()
    assert field.text() == "" and not kb.shifted


@pytest.mark.parametrize("layout_id", layout_ids())
def test_layout_files(layout_id: str) -> None:
    """Every layout file decodes; phone has digits and +, e-mail has @ and domains."""
    layout = load_layout(layout_id)
    keys = layout.keys()
    assert layout.id == layout_id and keys
    if layout_id == "phone":
        assert set("0123456789+") <= set(keys)
    if layout_id == "email":
        assert "@" in keys and "gmail.com" in keys
    if layout_id == "tr":
        assert set("ğüşıöç") <= set(keys) and layout.shift["i"] == "İ" and layout.shift["ı"] == "I"


def test_replaced_keys_vanish_at_once(
    qtbot: QtBot, keyboard: tuple[OnScreenKeyboard, QLineEdit]
) -> None:
    """A new set of keys (another layout) hides the old ones straight away: they are
    deleted only when the event loop gets a turn, and must not show through in a frame
    before. Shift keeps the keys and changes their letters (a held key stays held)."""
    kb, _field = keyboard
    old = list(kb.buttons)
    kb.key_button("{shift}").click()
    assert kb.buttons == old and kb.key_button("a").text() == "A"
    kb.key_button("{layout}").click()
    assert old and all(b.isHidden() for b in old)
    qtbot.waitUntil(lambda: all(b.isVisible() for b in kb.buttons))


@pytest.mark.parametrize("step", [0, 1, 2], ids=["normal", "large", "largest"])
@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_no_key_label_is_clipped(
    window: MainWindow, size: tuple[int, int], step: int, lang: str
) -> None:
    """At every text size, in both orientations, every label of every layout (letters,
    "boşluk", "Tamam", e-mail domains) fits inside its key, which is at least 72 px tall."""
    window.resize(*size)
    window.set_language(lang)
    window.set_text_step(step)
    window.navigate(Route("appointment"))
    form = window.current_screen()
    assert isinstance(form, AppointmentScreen)
    form.show_step("name")
    settle()
    assert window.size().toTuple() == size  # the keyboard never widens the window
    seen: set[str] = set()
    for field in ("name", "phone", "email"):
        form.fields[field].setFocus()
        if field == "name":
            form.keyboard.set_target(form.fields[field], ("tr", "en"))
        for _layout in range(2):
            settle()
            seen.add(form.keyboard.layout_id)
            for button in form.keyboard.buttons:
                button.ensurePolished()
                metrics = QFontMetrics(button.font())
                text = button.text()
                assert button.height() >= 72, (text, button.height())
                need_w = metrics.horizontalAdvance(text) + 2 * 3  # the (pressed) border
                need_h = metrics.height() + 2 * 3
                assert need_w <= button.width(), (form.keyboard.layout_id, text, button.width())
                assert need_h <= button.height(), (text, need_h, button.height())
            if field == "name":
                form.keyboard.key_button("{layout}").click()
            else:
                break
        if field == "name":
            form.show_step("contact")
    assert seen == {"tr", "en", "phone", "email"}
