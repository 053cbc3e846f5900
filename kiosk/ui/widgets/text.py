"""Label helpers: wrapped text whose objectName gives its role (kiosk/ui/look.py, style.qss)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


def label(text: str, name: str = "body-text", parent: QWidget | None = None) -> QLabel:
    """Return a word-wrapped plain-text label whose objectName selects its style."""
    widget = QLabel(text, parent)
    widget.setObjectName(name)
    widget.setWordWrap(True)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return widget


ZERO_WIDTH_SPACE = "\u200b"


def breakable(url: str) -> str:
    """Let a long link wrap after its separators instead of running off the screen."""
    for sep in "/?&=-.":
        url = url.replace(sep, sep + ZERO_WIDTH_SPACE)
    return url
