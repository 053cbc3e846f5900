"""What makes a top-level window behave as a kiosk's: no way out but staff's, no menus, no
focus painting, and every touch seen once by the activity filter and the tap guard."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import (
    QCloseEvent,
    QContextMenuEvent,
    QFocusEvent,
    QKeyEvent,
    QShowEvent,
    QWindow,
)
from PySide6.QtWidgets import QWidget


class KioskWindow(QWidget):
    """A window that, in kiosk mode, cannot be closed (Alt+F4, the window manager, a stray
    close) until ``allow_close``, nor left by Escape; that shows no context menu and paints
    no focus of its own; and that hands every event of its QWindow to ``watch_input``'s
    filters (where the system delivers each touch, click and key press before Qt gives it
    to a widget; an application-wide filter would run Python for every paint and layout
    event of every widget). Subclasses tidy up in ``closing``."""

    def __init__(self, kiosk_mode: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kiosk_mode = kiosk_mode
        self._closing_allowed = not kiosk_mode
        # Focus is put on the window by code only, never by a tap: a tap on something that
        # takes no focus (a key of the on-screen keyboard, the page while dragging it)
        # would otherwise hand focus to the nearest ancestor that takes it, this window,
        # and the field being typed into would lose its caret and focus ring.
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._filters: tuple[QObject, ...] = ()
        self._filtering: QWindow | None = None

    def watch_input(self, *filters: QObject) -> None:
        """Install ``filters`` on the window's QWindow once it exists; the last runs first."""
        self._filters = filters

    def allow_close(self) -> None:
        """Let the next close request through (staff confirmed "Exit kiosk")."""
        self._closing_allowed = True

    def closing(self) -> None:
        """The window is closing for good: stop what runs in the background."""

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self._closing_allowed:
            event.ignore()
            return
        self.closing()
        if self._filtering is not None:
            for watcher in self._filters:
                self._filtering.removeEventFilter(watcher)
            self._filtering = None
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        handle = self.windowHandle()
        if handle is not None and handle is not self._filtering:
            for watcher in self._filters:
                handle.installEventFilter(watcher)
            self._filtering = handle

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if self.kiosk_mode and event.key() == Qt.Key.Key_Escape:
            event.accept()  # Escape must not leave full screen
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        event.accept()  # the window shows no focus: QWidget's default would repaint it all

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        event.accept()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        event.accept()  # no right-click or long-press menus anywhere
