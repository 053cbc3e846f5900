"""Every screen at both kiosk sizes: tappable things are big enough, text fits, all translated."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel
from pytestqt.qtbot import QtBot

from kiosk.content import Content
from kiosk.keyboards import layout_ids, load_layout
from kiosk.ui.audit import audit
from kiosk.ui.main_window import MainWindow
from kiosk.ui.screens.faq import FaqScreen
from kiosk.ui.screenshots import visit_all
from kiosk.validation import _texts

from uihelpers import LANDSCAPE, PORTRAIT, settle


@pytest.mark.parametrize(
    ("size", "text_step"),
    [(LANDSCAPE, 0), (PORTRAIT, 0), ((1280, 800), 0), (LANDSCAPE, 2), (PORTRAIT, 2)],
    ids=["landscape", "portrait", "windowed", "landscape-largest", "portrait-largest"],
)
@pytest.mark.parametrize("lang", ["en", "tr", "ar", "ru", "de"])
def test_touch_targets_and_text_fit(
    qtbot: QtBot,
    window: MainWindow,
    content: Content,
    size: tuple[int, int],
    text_step: int,
    lang: str,
) -> None:
    """Walk every visible clickable widget on every screen, in every language, at both
    kiosk sizes and at the normal and largest text: each is at least 20 mm (and 64 px) on
    both sides, and every label's text fits its widget (German and Russian words broken at
    a syllable, never cut). 1280x800 is `make run`'s window."""
    window.resize(*size)
    window.set_language(lang)
    window.set_text_step(text_step)
    settle()
    assert (window.width(), window.height()) == size  # nothing forced the window larger
    target = window.metrics().target
    assert target >= 64
    problems: list[str] = []
    checked_buttons = 0
    seen = []
    for name in visit_all(window, lang):
        settle()
        seen.append(name)
        assert (window.width(), window.height()) == size, f"{name} forced the window larger"
        found = audit(window, target)
        problems += [f"{name}: {p}" for p in found]
        checked_buttons += len([b for b in window.findChildren(QAbstractButton) if b.isVisible()])
    assert checked_buttons > 100  # the walk really saw the screens' controls
    assert "appointment-contact" in seen and "home" in seen
    assert problems == [], "\n".join(problems)


def test_audit_catches_small_targets_and_cut_text(qtbot: QtBot) -> None:
    """The audit itself fails on a tiny button and on text wider than its label."""
    from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

    root = QWidget()
    qtbot.addWidget(root)
    box = QVBoxLayout(root)
    small = QPushButton("OK")
    small.setObjectName("tiny")
    small.setFixedSize(40, 40)
    cut = QLabel("A sentence far too long for its little label")
    cut.setObjectName("cut")
    cut.setFixedWidth(60)
    box.addWidget(small)
    box.addWidget(cut)
    root.show()
    settle()
    found = audit(root, 64)
    assert any(p.startswith("tiny") and "touch target" in p for p in found)
    assert any(p.startswith("cut") for p in found)


# What the screens add to a text for its language (kiosk.bidi's marks, kiosk.hyphens' soft
# hyphens), taken off before it is compared with the content's.
_ADDED = str.maketrans("", "", "\u00ad\u200f\u2066\u2067\u2068\u2069")


def _visible_texts(window: MainWindow) -> list[str]:
    out: list[str] = []
    for widget in window.findChildren(QLabel) + window.findChildren(QAbstractButton):
        if widget.isVisible() and widget.text().strip():
            out.append(widget.text().replace("\n", " ").translate(_ADDED))
    return out


# The key that switches the name field to English letters is labelled as the English layout
# is ("ABC"), in every language.
KEYBOARD_NAMES = {load_layout(layout).label for layout in layout_ids()}


@pytest.mark.parametrize("lang", ["tr", "ar", "ru", "de"])
def test_no_english_on_other_languages_screens(
    window: MainWindow, content: Content, lang: str
) -> None:
    """No string that exists only in the English content or UI appears on a screen in
    another language (every screen translated)."""
    en, tr = content.languages["en"], content.languages[lang]

    def strings(lc) -> set[str]:
        parts = [lc.ui, *lc.sections, *lc.topics.values(), *lc.tables.values(), *lc.faq]
        parts += [*lc.disclaimers.values(), lc.form]
        return {text for part in parts for _path, text in _texts(part, "$")}

    english_only = strings(en) - strings(tr)
    assert len(english_only) > 50
    window.set_language(lang)
    seen: list[str] = []
    for name in visit_all(window, lang):
        screen = window.current_screen()
        if isinstance(screen, FaqScreen):
            for entry_id in screen.questions:
                screen.open_entry(entry_id)
                settle()
                seen += [t for t in _visible_texts(window) if t in english_only]
        settle()
        texts = _visible_texts(window)
        seen += texts
        # Attract mode waits for someone whose language nobody knows yet: it invites in
        # every language offered, the current one first.
        invites = {en.ui.attract_hint} if name == "attract" else set()
        leaked = [t for t in texts if t in english_only - invites - KEYBOARD_NAMES]
        assert leaked == [], f"{name}: {leaked}"
        if name == "attract":
            every = [content.languages[c].ui.attract_hint for c in window.context().languages]
            hints = [t for t in texts if t in every]
            assert hints[0] == tr.ui.attract_hint and sorted(hints) == sorted(every)
    assert len(seen) > 200
