"""Fixtures for widget tests: the main window at kiosk sizes, and helpers to settle layouts."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from kiosk import crypto
from kiosk.clinic import for_clinic
from kiosk.config import Settings
from kiosk.content import Content
from kiosk.store import AppointmentStore, memory_database
from kiosk.ui.app import load_fonts
from kiosk.ui.context import format_date
from kiosk.ui.main_window import MainWindow

from uihelpers import LANDSCAPE


@pytest.fixture(scope="session", autouse=True)
def _fonts(qapp) -> None:
    load_fonts()


@pytest.fixture(scope="session")
def content(content: Content) -> Content:
    """The bundled content as the kiosk shows it with the default settings: no study named,
    so the study pages are hidden (MainWindow shapes any content it is given this way)."""
    return for_clinic(content, Settings(), format_date)


@pytest.fixture
def window(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
) -> MainWindow:
    """The main window in landscape 1080p, shown (offscreen), on Home in English (every
    language offered), with an in-memory request store that can save (the clinic's public
    key)."""
    store = AppointmentStore(memory_database(), sealer=keypair[0])
    w = MainWindow(settings, content, tuple(settings.languages), store)
    qtbot.addWidget(w)
    w.resize(*LANDSCAPE)
    w.show()
    qtbot.waitExposed(w)
    return w
