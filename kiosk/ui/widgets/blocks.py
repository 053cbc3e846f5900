"""Building blocks of reading screens: summary and notice boxes, bullets, source chips."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.ui.widgets.painted import PaintedButton, Panel
from kiosk.ui.widgets.text import label


def boxed(name: str, texts: Sequence[str], text_name: str = "body-text") -> Panel:
    """Return a rounded box (summary, notice) holding paragraphs."""
    frame = Panel(name)
    box = QVBoxLayout(frame)
    box.setContentsMargins(28, 20, 28, 20)
    box.setSpacing(10)
    for text in texts:
        box.addWidget(label(text, text_name))
    return frame


def bullets(items: Sequence[str]) -> QWidget:
    """Return a bulleted list; the bullet is its own label so wrapped lines align."""
    widget = QWidget()
    box = QVBoxLayout(widget)
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(8)
    for item in items:
        row = QHBoxLayout()
        dot = QLabel("•")
        dot.setObjectName("bullet-text")
        dot.setAlignment(Qt.AlignmentFlag.AlignTop)
        row.addWidget(dot, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(label(item, "bullet-text"), 1)
        box.addLayout(row)
    return widget


CHIPS_PER_ROW = 6


class SourceChips(QWidget):
    """ "Sources: [1] [4]" - each number is a full-size target that opens the Sources screen.

    Signals:
        source_chosen(str): the id of the tapped source.
    """

    source_chosen = Signal(str)

    def __init__(
        self, caption: str, chip_name: str, ids: Sequence[str], order: Sequence[str]
    ) -> None:
        # The chips are sized to the touch target by their look, never shrunk to fit.
        super().__init__()
        self.setObjectName("source-chips")
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(12)
        grid.addWidget(label(caption, "secondary-text"), 0, 0, Qt.AlignmentFlag.AlignVCenter)
        self.buttons: list[QPushButton] = []
        for i, source_id in enumerate(ids):
            number = order.index(source_id) + 1
            button = PaintedButton(str(number))
            button.setObjectName("source-chip")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # no focus ring after a tap
            button.setAccessibleName(chip_name.format(n=number))
            button.clicked.connect(lambda _=False, s=source_id: self.source_chosen.emit(s))
            # Rows of a few chips: a table citing a dozen sources still fits a portrait page.
            grid.addWidget(button, i // CHIPS_PER_ROW, 1 + i % CHIPS_PER_ROW)
            self.buttons.append(button)
