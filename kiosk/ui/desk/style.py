"""The desk console's look: the kiosk's colour tokens (kiosk.ui.theme.Palette, contrast-checked
in the design brief) at a desktop's sizes, for a keyboard and a mouse."""

from __future__ import annotations

from string import Template

from kiosk.ui.theme import LIGHT, Palette

# Desktop sizes: a 1366×768 reception screen read from an arm's length.
BODY_PX = 15
SMALL_PX = 13
TITLE_PX = 20

_SHEET = Template(
    """
QMainWindow, QWidget#desk-page { background: $background; color: $text; }
QWidget { font-size: ${body}px; }
QLabel { color: $text; }
QLabel#desk-title { font-size: ${title}px; font-weight: bold; color: $primary; }
QLabel#desk-hint, QLabel#desk-count, QLabel#desk-connection { color: $muted; }
QLabel#desk-sign-in-message, QLabel#desk-change-message, QLabel#desk-detail-message,
QLabel#desk-export-message {
    color: $notice_text; background: $notice_bg; padding: 6px; border-radius: 4px;
}
QLabel#desk-sign-in-message:!enabled { background: transparent; }
QFrame#desk-card, QFrame#desk-detail {
    background: $surface; border: 1px solid $border; border-radius: 8px;
}
QLineEdit, QPlainTextEdit, QComboBox, QDateEdit {
    background: $surface; color: $text; border: 1px solid $border; border-radius: 4px;
    padding: 4px 6px; min-height: 24px;
}
QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus, QDateEdit:focus {
    border: 2px solid $primary;
}
QPushButton {
    background: $surface; color: $text; border: 1px solid $border; border-radius: 4px;
    padding: 6px 14px; min-height: 24px;
}
QPushButton:focus { border: 2px solid $primary; }
QPushButton:pressed { background: $pressed; }
QPushButton:disabled { color: $muted; }
QPushButton#desk-sign-in, QPushButton#desk-save-passphrase, QPushButton#desk-mark-contacted,
QPushButton#desk-export {
    background: $primary; color: $on_primary; font-weight: bold; border-color: $primary;
}
QPushButton#desk-sign-in:pressed, QPushButton#desk-save-passphrase:pressed,
QPushButton#desk-mark-contacted:pressed, QPushButton#desk-export:pressed {
    background: $primary_pressed;
}
QPushButton#desk-sign-in:disabled, QPushButton#desk-save-passphrase:disabled,
QPushButton#desk-mark-contacted:disabled, QPushButton#desk-export:disabled {
    background: $surface; color: $muted; border-color: $border;
}
QPushButton#desk-delete { color: $error; }
QScrollArea#desk-detail-scroll, QScrollArea#desk-detail-scroll > QWidget > QWidget {
    background: transparent;
}
QTableView {
    background: $surface; alternate-background-color: $zebra; gridline-color: $border;
    selection-background-color: $primary; selection-color: $on_primary;
}
QHeaderView::section {
    background: $zebra; color: $text; font-weight: bold; padding: 4px 6px;
    border: 1px solid $border;
}
QTabBar::tab {
    background: $zebra; color: $text; padding: 6px 16px; border: 1px solid $border;
}
QTabBar::tab:selected { background: $surface; color: $primary; font-weight: bold; }
QStatusBar { background: $surface; color: $text; }
"""
)


def stylesheet(p: Palette = LIGHT) -> str:
    return _SHEET.substitute({**vars(p), "body": BODY_PX, "small": SMALL_PX, "title": TITLE_PX})
