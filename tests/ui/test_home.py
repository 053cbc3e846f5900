"""Home on its own: clinic name and logo from config, language choice, tiles, disclaimers."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QFrame, QLabel
from pytestqt.qtbot import QtBot

from kiosk.config import Settings
from kiosk.content import Content
from kiosk.ui.context import ScreenContext
from kiosk.ui.icons import Icons
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.theme import Metrics
from kiosk.ui.widgets.scroll_page import PagePool


def _context(settings: Settings, content: Content, lang: str = "en") -> ScreenContext:
    return ScreenContext(
        settings=settings,
        content=content,
        lang=content.languages[lang],
        metrics=Metrics(dpi=100.0),
        icons=Icons(),
        languages=("en", "tr"),
        pages=PagePool(),
    )


@pytest.fixture
def home(qtbot: QtBot, tmp_path: Path, content: Content) -> HomeScreen:
    """Home with a configured clinic name and logo file."""
    logo = tmp_path / "logo.png"
    image = QImage(400, 200, QImage.Format.Format_RGB32)
    image.fill(QColor("#5A3E8E"))
    assert image.save(str(logo))
    settings = Settings(clinic_name="Klinik Örnek", clinic_logo=str(logo))
    screen = HomeScreen(_context(settings, content))
    qtbot.addWidget(screen)
    return screen


def test_clinic_name_and_logo_from_config(home: HomeScreen) -> None:
    """The header shows the configured name and the logo scaled to the touch-target height."""
    assert home.findChild(QLabel, "clinic-name").text() == "Klinik Örnek"
    pixmap = home.logo.pixmap()
    assert pixmap.height() == Metrics(dpi=100.0).target
    assert pixmap.width() == 2 * pixmap.height()


def test_one_tile_per_section_and_an_appointment_tile(
    qtbot: QtBot, home: HomeScreen, content: Content
) -> None:
    """Every section has a tile; the appointment tile emits its own signal."""
    assert list(home.tiles) == [s.id for s in content.languages["en"].sections]
    with qtbot.waitSignal(home.appointment_chosen):
        home.appointment_tile.click()
    first = next(iter(home.tiles))
    with qtbot.waitSignal(home.section_chosen) as blocker:
        home.tiles[first].click()
    assert blocker.args == [first]


def test_language_choice_always_on_home(qtbot: QtBot, home: HomeScreen) -> None:
    """Each language appears in its own name; tapping one asks for that language."""
    assert {c: b.text().strip() for c, b in home.language_buttons.items()} == {
        "en": "English",
        "tr": "Türkçe",
    }
    assert home.language_buttons["en"].isChecked()
    with qtbot.waitSignal(home.language_chosen) as blocker:
        home.language_buttons["tr"].click()
    assert blocker.args == ["tr"]


def test_short_disclaimers_on_home(home: HomeScreen, content: Content) -> None:
    """The disclaimers marked for Home are shown there."""
    notice = home.findChild(QFrame, "notice-box")
    text = " ".join(lab.text() for lab in notice.findChildren(QLabel))
    for disclaimer in content.languages["en"].disclaimers.values():
        assert (disclaimer.text in text) is disclaimer.home


def test_missing_logo_file_falls_back_to_icon(qtbot: QtBot, content: Content) -> None:
    """An unreadable logo path still gives a balanced header (the built-in clinic icon)."""
    screen = HomeScreen(_context(Settings(clinic_logo="/nonexistent/logo.png"), content))
    qtbot.addWidget(screen)
    assert not screen.logo.pixmap().isNull()
