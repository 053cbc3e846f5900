"""Starting the desk console: its QApplication (a desktop's font and size), its strings and
names from the content folder, its window, and the event loop."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import platformdirs
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from kiosk import paths
from kiosk.config import DeskSettings
from kiosk.content import ContentError, DeskStrings, load_desk_strings
from kiosk.fleet.desk import SWITCH_INTERVAL_S, DeskTarget
from kiosk.ui.desk.model import Names
from kiosk.ui.desk.style import BODY_PX
from kiosk.ui.desk.window import DeskWindow

log = logging.getLogger(__name__)


def desk_app(argv: list[str] | None = None) -> QApplication:
    """The application (made once), with the bundled fonts at a desktop's size."""
    from kiosk.ui.app import load_fonts

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else [sys.argv[0]])
        app.setApplicationName("clinic-desk")
        sys.setswitchinterval(SWITCH_INTERVAL_S)
    load_fonts()
    font = QFont("Noto Sans")
    font.setPixelSize(BODY_PX)
    app.setFont(font)
    return app


def names(settings: DeskSettings, lang: str) -> Names:
    """The words for topics, contact languages, methods and times in ``lang`` (the ids where
    the content cannot be read: the console still works)."""
    from kiosk.languages import languages_of
    from kiosk.validation import load_content

    try:
        content = load_content(settings.content_path())
    except ContentError:
        log.warning("desk_content_unreadable; topics shown by id")
        return Names()
    form = (content.languages.get(lang) or next(iter(content.languages.values()))).form
    known = languages_of(content).known
    return Names(
        topics={c.id: c.label for c in form.topics},
        languages={code: entry.name for code, entry in known.items()},
        methods={c.id: c.label for c in form.contact_methods},
        times={c.id: c.label for c in form.time_windows},
    )


def state_file() -> Path:
    """Where the window keeps its geometry and column widths (nothing of any patient)."""
    return platformdirs.user_state_path(paths.APP_NAME, appauthor=False) / "desk-window.ini"


def build_window(settings: DeskSettings, strings: DeskStrings, lang: str) -> DeskWindow:
    server = settings.server
    target = DeskTarget(server.host, server.port, server.database, Path(server.ca_file))
    return DeskWindow(
        target,
        strings,
        settings.time_zone,
        names=names(settings, lang),
        idle_minutes=settings.idle_minutes,
        state_file=state_file(),
    )


def run_desk(settings: DeskSettings, *, exit_after_first_paint: bool = False) -> int:
    """Show the console until it is closed (or, with ``exit_after_first_paint``, until it
    is painted, printing ``desk painted``); the exit status."""
    from kiosk.ui.app import call_after_first_paint

    app = desk_app()
    strings, lang = load_desk_strings(settings.content_path(), settings.language)
    window = build_window(settings, strings, lang)
    if exit_after_first_paint:

        def painted() -> None:
            print("desk painted", flush=True)
            window.close()
            app.quit()

        call_after_first_paint(window, painted)
    window.show()
    return app.exec()
