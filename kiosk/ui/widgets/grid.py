"""A grid that picks its column count from the width it gets (tiles, cards)."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QWidget


class TileGrid(QWidget):
    """Lays tiles out in ``columns`` equal columns with the design's 24 px gaps."""

    def __init__(self, widgets: list[QWidget], columns: int, gap: int = 24) -> None:
        super().__init__()
        self.setObjectName("page")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(gap)
        grid.setVerticalSpacing(gap)
        for i, widget in enumerate(widgets):
            grid.addWidget(widget, i // columns, i % columns)
        for c in range(columns):
            grid.setColumnStretch(c, 1)
        self.widgets = widgets
