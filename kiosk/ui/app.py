"""Creating the QApplication: display check, bundled fonts, and the main window."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QPaintEvent
from PySide6.QtWidgets import QApplication, QWidget

from kiosk import paths
from kiosk.ui.theme import font_families

if TYPE_CHECKING:
    from kiosk.config import Managed, Settings
    from kiosk.content import Content
    from kiosk.store import AppointmentStore
    from kiosk.ui.main_window import MainWindow

log = logging.getLogger(__name__)

NO_DISPLAY = (
    "No display found: start the kiosk from a graphical session or an X server "
    "(DISPLAY), or set QT_QPA_PLATFORM=offscreen to run without a screen."
)
FONTS_DIR = "resources/fonts"


def font_files() -> tuple[str, ...]:
    """The bundled font files (every .ttf and .otf in resources/fonts): a script's font is
    added as a file, and its family named in resources/style.qss (theme.font_families)."""
    folder = paths.resource_path(FONTS_DIR)
    return tuple(sorted(p.name for p in folder.iterdir() if p.suffix.lower() in (".ttf", ".otf")))


def display_problem(env: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """Return a one-sentence explanation when Qt would find no display, else None.

    Qt aborts the whole process when its platform plugin cannot connect, so this is checked
    before the QApplication exists.
    """
    env = dict(os.environ) if env is None else env
    platform = sys.platform if platform is None else platform
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip()
    if not platform.startswith("linux"):
        return None
    if qpa in ("", "xcb"):
        if env.get("DISPLAY") or (qpa == "" and env.get("WAYLAND_DISPLAY")):
            return None
        return NO_DISPLAY
    if qpa.startswith("wayland") and not env.get("WAYLAND_DISPLAY"):
        return NO_DISPLAY
    return None


def load_fonts() -> list[str]:
    """Register the bundled Noto fonts; return the families loaded.

    Bundling them means Turkish and Arabic letters look the same on every kiosk PC,
    whatever fonts its operating system happens to have.
    """
    families: list[str] = []
    for name in font_files():
        font_id = QFontDatabase.addApplicationFont(str(paths.resource_path(f"{FONTS_DIR}/{name}")))
        if font_id < 0:
            log.warning("font_load_failed file=%s", name)
            continue
        families.extend(QFontDatabase.applicationFontFamilies(font_id))
    return sorted(set(families))


def create_app(argv: list[str] | None = None) -> QApplication:
    """Return the application (creating it once), with fonts loaded."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else [sys.argv[0]])
        app.setApplicationName("clinic-kiosk")
    load_fonts()
    font = QFont()
    font.setFamilies(list(font_families()))  # (Arabic from its own font, on any PC)
    font.setPixelSize(26)
    app.setFont(font)
    return app


def where(tb: TracebackType | None, depth: int = 8) -> str:
    """The innermost frames of a traceback as ``file:line function``, innermost first."""
    frames = traceback.extract_tb(tb)[-depth:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))


def install_error_recovery(recover: Callable[[], None]) -> Callable[..., None]:
    """Route uncaught exceptions (PySide6 reports those raised in slots and timers through
    sys.excepthook) to the log, then call ``recover`` from the event loop. Returns the hook."""

    def on_error(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        # Where it happened, never the exception's message: a message can quote what the
        # visitor typed, and logs must hold no personal data.
        log.error("unhandled_exception %s at %s", kind.__name__, where(tb))
        QTimer.singleShot(0, recover)

    sys.excepthook = on_error
    return on_error


class _FirstPaint(QObject):
    """Watches one widget for its first paint event, then calls back from the event loop."""

    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if isinstance(event, QPaintEvent):  # (not event.type(): no enum lookup before paint)
            watched.removeEventFilter(self)
            # Queued: it runs once the whole frame is painted and flushed, not in the middle.
            QTimer.singleShot(0, self._callback)
        return False


def call_after_first_paint(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call ``callback`` once ``widget`` has been painted for the first time (the frame done)."""
    _FirstPaint(widget, callback)


def show_main_window(window: QWidget, kiosk_mode: bool) -> None:
    """Put ``window`` on screen: covering the primary screen, frameless, in kiosk mode; a
    1280×800 window otherwise (development, ``kiosk run --windowed``)."""
    from PySide6.QtCore import Qt

    if kiosk_mode:
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        screen = QApplication.primaryScreen()
        if screen is not None:
            # Without a window manager (a bare X server) "full screen" is only a request:
            # cover the screen ourselves as well.
            window.setGeometry(screen.geometry())
        window.showFullScreen()
    else:
        window.resize(1280, 800)
        window.show()


def launch(
    settings: Settings,
    content: Content,
    languages: tuple[str, ...],
    content_warning: str | None,
    *,
    kiosk_mode: bool,
    open_store: Callable[[], AppointmentStore | None],
    after_first_paint: Callable[[MainWindow], None] | None = None,
    local_settings: Settings | None = None,
    managed: Managed | None = None,
) -> MainWindow:
    """Start the kiosk as ``kiosk run`` does (the real-display tests start it this way too).

    Home goes on screen first; the database, the keys (``open_store``), the heartbeat,
    attract mode and the building of the other screens follow right after its first frame
    (Home needs none of them)."""
    from PySide6.QtCore import Qt

    from kiosk.ui.main_window import MainWindow

    window = MainWindow(
        settings,
        content,
        languages,
        None,
        content_warning,
        kiosk_mode=kiosk_mode,
        local_settings=local_settings,
        managed=managed,
    )
    # A bug in a slot or timer must not drop a patient onto the desktop.
    install_error_recovery(window.recover)
    show_main_window(window, kiosk_mode)
    if kiosk_mode and settings.hide_cursor:
        QApplication.setOverrideCursor(Qt.CursorShape.BlankCursor)

    def finish_start_up() -> None:
        if after_first_paint is not None:
            after_first_paint(window)
        window.attach_store(open_store())
        window.start_heartbeat()  # READY=1: up, and able to save requests
        window.start_attract()
        window.finish_start_up()

    # The window's first frame, not the first Home's: a window manager may resize the
    # window (to portrait, say) before anything is painted, and the Home built for the old
    # shape is then replaced unpainted; waiting for it would wait for ever (no store, no
    # heartbeat: the watchdog would restart the kiosk in a loop).
    call_after_first_paint(window, finish_start_up)
    return window
