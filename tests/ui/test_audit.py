"""Every screen at both kiosk sizes: tappable things are big enough, text fits, all translated."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel
from pytestqt.qtbot import QtBot

from kiosk.content import Content
from kiosk.ui.audit import audit
from kiosk.ui.main_window import MainWindow
from kiosk.ui.screens.faq import FaqScreen
from kiosk.ui.screenshots import visit_all
from kiosk.validation import _texts

from uihelpers import LANDSCAPE, PORTRAIT, settle


@pytest.mark.parametrize(
    "size", [LANDSCAPE, PORTRAIT, (1280, 800)], ids=["landscape", "portrait", "windowed"]
)
@pytest.mark.parametrize("lang", ["en", "tr"])
def test_touch_targets_and_text_fit(
    qtbot: QtBot, window: MainWindow, content: Content, size: tuple[int, int], lang: str
) -> None:
    """Walk every visible clickable widget on every screen: each is at least 20 mm (and 64 px)
    on both sides, and every label's text fits its widget. 1280x800 is `make run`'s window."""
    window.resize(*size)
    window.set_language(lang)
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


def _visible_texts(window: MainWindow) -> list[str]:
    out: list[str] = []
    for widget in window.findChildren(QLabel) + window.findChildren(QAbstractButton):
        if widget.isVisible() and widget.text().strip():
            out.append(widget.text().replace("\n", " "))
    return out


def test_no_english_on_turkish_screens(window: MainWindow, content: Content) -> None:
    """No string that exists only in the English content or UI appears on a Türkçe screen."""
    en, tr = content.languages["en"], content.languages["tr"]

    def strings(lc) -> set[str]:
        parts = [lc.ui, *lc.sections, *lc.topics.values(), *lc.tables.values(), *lc.faq]
        parts += [*lc.disclaimers.values(), lc.form]
        return {text for part in parts for _path, text in _texts(part, "$")}

    english_only = strings(en) - strings(tr)
    assert len(english_only) > 50
    window.set_language("tr")
    seen: list[str] = []
    for name in visit_all(window, "tr"):
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
        leaked = [t for t in texts if t in english_only - invites]
        assert leaked == [], f"{name}: {leaked}"
        if name == "attract":
            hints = [t for t in texts if t in (tr.ui.attract_hint, en.ui.attract_hint)]
            assert hints == [tr.ui.attract_hint, en.ui.attract_hint]
    assert len(seen) > 200
