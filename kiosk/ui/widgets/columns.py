"""Two columns of cards, balanced by height, so a topic page is as short as it can be."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget


class BalancedColumns(QWidget):
    """Cards in reading order, each put in the column that is shorter so far.

    The first card goes left and the second right, as in a grid; after that a card goes where
    it leaves the least empty space. Unlike a grid, a short card never stands in a row as tall
    as its neighbour. The cards are placed again when the width changes (their heights do).
    """

    def __init__(self, cards: Sequence[QWidget], gap: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("topic-grid")
        self.cards = list(cards)
        self._gap = gap
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(gap)
        self._columns = (QVBoxLayout(), QVBoxLayout())
        for column in self._columns:
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(gap)
            column.addStretch(1)
            row.addLayout(column, 1)
        self._placed: list[int] = []
        # Until the first resize: alternate, which is right for cards of equal height.
        self._place([i % 2 for i in range(len(self.cards))])

    def placement(self, width: int) -> list[int]:
        """Return the column (0 or 1) of each card at ``width``."""
        column_width = max(1, (width - self._gap) // 2)
        heights = [0, 0]
        out = []
        for card in self.cards:
            side = 0 if heights[0] <= heights[1] else 1
            out.append(side)
            hint = card.heightForWidth(column_width)
            heights[side] += (hint if hint > 0 else card.sizeHint().height()) + self._gap
        return out

    def _place(self, placement: list[int]) -> None:
        if placement == self._placed:
            return
        self._placed = placement
        for column in self._columns:
            while column.count() > 1:  # the stretch at the end stays
                column.takeAt(0)
        for card, side in zip(self.cards, placement, strict=True):
            column = self._columns[side]
            column.insertWidget(column.count() - 1, card)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._place(self.placement(event.size().width()))
