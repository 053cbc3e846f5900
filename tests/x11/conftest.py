"""The real-display suite: the kiosk started as ``kiosk run`` starts it, on a real X server
(Xvfb, started by pytest-xvfb), with or without a window manager, driven by real presses
and releases through the X server (realx.Finger).

``make test`` runs this folder once per screen (1920×1080, 1080×1920) and window manager
(none, matchbox); KIOSK_X11_WM names the window manager. It is never run offscreen: the
point is what a person meets on a real screen.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

# Before any QApplication exists: this suite is about the real X platform, never offscreen.
os.environ["QT_QPA_PLATFORM"] = "xcb"

from PySide6.QtWidgets import QApplication
from shiboken6 import isValid
from Xlib import display as xdisplay

from kiosk.config import Settings
from kiosk.content import Content
from kiosk.store import AppointmentStore
from kiosk.ui.app import launch, load_fonts
from kiosk.ui.main_window import MainWindow

from realx import Finger

WINDOW_MANAGERS = {
    # A small window manager made for kiosks (full screen, no title bars).
    "matchbox": ["matchbox-window-manager", "-use_titlebar", "no", "-use_cursor", "no"],
}


def _wm_running(name: str) -> bool:
    """True once a window manager has announced itself on the display (EWMH)."""
    d = xdisplay.Display(name)
    try:
        atom = d.intern_atom("_NET_SUPPORTING_WM_CHECK")
        return d.screen().root.get_full_property(atom, 0) is not None
    finally:
        d.close()


@pytest.fixture(scope="session")
def x_display(xvfb: object, qapp: QApplication) -> Iterator[str]:
    """The X display under test, with the window manager KIOSK_X11_WM names started on it.
    Fails (never skips) without a real X server: CI installs Xvfb."""
    name = os.environ.get("DISPLAY", "")
    assert xvfb is not None and name, "the real-display suite needs Xvfb (pytest-xvfb)"
    assert qapp.platformName() == "xcb", qapp.platformName()
    wm = os.environ.get("KIOSK_X11_WM", "none")
    process = None
    if wm != "none":
        command = WINDOW_MANAGERS[wm]
        assert shutil.which(command[0]), f"{command[0]} is not installed"
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(500):  # the window manager takes a few milliseconds to start
            if _wm_running(name) or process.poll() is not None:
                break
            time.sleep(0.01)
        assert process.poll() is None and _wm_running(name), f"{wm} did not start"
    load_fonts()
    yield wm
    if process is not None:
        process.terminate()
        process.wait(10)


@pytest.fixture
def finger(qtbot: QtBot, start_kiosk: Callable[..., MainWindow]) -> Iterator[Finger]:
    """Real input through the X server. Each test ends with the finger lifted and the kiosk
    (still open: this fixture depends on start_kiosk) aware of it, so no button stays down
    into the next test."""
    f = Finger()
    yield f
    qtbot.waitUntil(f.lifted)
    f.close()


@pytest.fixture
def start_kiosk(
    qtbot: QtBot,
    x_display: str,
    tmp_path: Path,
    content: Content,
    make_store: Callable[..., AppointmentStore],
) -> Iterator[Callable[..., MainWindow]]:
    """Start the kiosk as ``kiosk run`` does (kiosk.ui.app.launch): full screen unless
    ``windowed``, Home first, a real SQLite store that can save opened after the first
    paint. Waits until start-up is over (every screen built)."""
    started: list[MainWindow] = []

    def start(windowed: bool = False, **overrides: object) -> MainWindow:
        settings = Settings(db_path=str(tmp_path / "kiosk.db"), **overrides)  # type: ignore[arg-type]
        window = launch(
            settings,
            content,
            tuple(settings.languages),
            None,
            kiosk_mode=not windowed,
            open_store=lambda: make_store(unlocked=False),
        )
        started.append(window)
        with qtbot.waitSignal(window.started_up, timeout=60_000):
            pass
        qtbot.waitExposed(window)
        return window

    yield start
    for window in started:
        window.allow_close()
        window.close()
        window.deleteLater()
        qtbot.waitUntil(lambda w=window: not isValid(w))  # (no window left for the next test)


@pytest.fixture
def kiosk(qtbot: QtBot, start_kiosk: Callable[..., MainWindow], finger: Finger) -> MainWindow:
    """The kiosk started full screen, attract mode dismissed by a tap, on Home in English,
    the tap guard quiet again (so the test's first tap counts)."""
    window = start_kiosk()
    qtbot.waitUntil(lambda: window.attract.isVisible())
    finger.tap(window.rect().center())
    qtbot.waitUntil(lambda: not window.attract.isVisible())
    qtbot.waitUntil(finger.lifted)
    qtbot.waitUntil(lambda: not window.tap_guard.guarding())
    return window


@pytest.fixture
def look(x_display: str) -> Callable[[str], None]:
    """``look(name)`` saves what the X server shows now (its own framebuffer, not a widget
    rendering) as a PNG in $KIOSK_X11_SHOTS, for a person to look at; without that
    variable it does nothing. Never committed: pictures of screens stay out of git."""
    folder = os.environ.get("KIOSK_X11_SHOTS")

    def save(name: str) -> None:
        if not folder:
            return
        screen = QApplication.primaryScreen()
        size = screen.geometry().size()
        path = Path(folder) / f"{name}-{size.width()}x{size.height()}-{x_display}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        assert screen.grabWindow(0).save(str(path))

    return save
