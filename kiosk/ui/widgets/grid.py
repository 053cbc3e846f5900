"""A grid that picks its column count from the width it gets (tiles, cards)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QWidget


class TileGrid(QWidget):
    """Lays tiles out in as many equal columns as fit ``min_width`` each (up to
    ``max_columns``), re-flowing when its width changes, with the design's 24 px gaps."""

    def __init__(
        self,
        widgets: Sequence[QWidget],
        min_width: int,
        max_columns: int,
        gap: int = 24,
        fit_contents: bool = False,
    ) -> None:
        """``fit_contents``: no column narrower than the widest widget's size hint either,
        measured as the grid is laid out (buttons of one line: their type is final then)."""
        super().__init__()
        self.setObjectName("tile-grid")
        self.widgets = widgets
        self._min_width = min_width
        self._fit_contents = fit_contents
        self._max_columns = max_columns
        self._gap = gap
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(gap)
        self._grid.setVerticalSpacing(gap)
        self.columns = 0
        self._place(1)

    def columns_for(self, width: int) -> int:
        """Return how many columns fit ``width`` px."""
        need = self._min_width
        if self._fit_contents and self.widgets:
            need = max(need, *(w.sizeHint().width() for w in self.widgets))
        fit = (width + self._gap) // (need + self._gap)
        return max(1, min(self._max_columns, fit))

    def _place(self, columns: int) -> None:
        if columns == self.columns:
            return
        for widget in self.widgets:
            self._grid.removeWidget(widget)
        for c in range(max(self.columns, columns)):
            self._grid.setColumnStretch(c, 1 if c < columns else 0)
        for i, widget in enumerate(self.widgets):
            self._grid.addWidget(widget, i // columns, i % columns)
        self.columns = columns

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._place(self.columns_for(event.size().width()))
