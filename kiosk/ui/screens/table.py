"""A comparison table: a grid in landscape, one card per option in portrait."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from kiosk.content import Table
from kiosk.ui.context import ScreenContext
from kiosk.ui.screens.topic import STATUS_ICONS
from kiosk.ui.theme import LIGHT
from kiosk.ui.widgets.blocks import SourceChips, boxed
from kiosk.ui.widgets.painted import Panel
from kiosk.ui.widgets.text import label


class TableScreen(QWidget):
    """Shows one table. Landscape keeps every column on screen (no sideways scrolling);
    portrait reflows into cards with the same rows as labelled sections.

    Signals:
        source_chosen(str): a source chip was tapped.
    """

    source_chosen = Signal(str)

    def __init__(self, ctx: ScreenContext, table: Table, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("table-screen")
        self._ctx = ctx
        self.table = table
        m = ctx.metrics
        self.page = ctx.pages.page(m, wide=True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.page)
        body = self.page.body
        body.addWidget(label(table.title, "screen-title"))
        body.addWidget(label(table.intro, "body-text"))
        self.layout_mode = "cards" if m.portrait or m.scale > 1.25 else "grid"
        if self.layout_mode == "grid":
            body.addWidget(self._grid())
        else:
            for card in self._cards():
                body.addWidget(card)
        if table.sources:
            ui = ctx.lang.ui
            chips = SourceChips(
                ui.sources_label, ui.source_chip, table.sources, ctx.content.source_order
            )
            chips.source_chosen.connect(self.source_chosen)
            body.addWidget(chips, 0, Qt.AlignmentFlag.AlignLeading)
        notes = [ctx.lang.disclaimers[d].text for d in table.disclaimers]
        if notes:
            box = boxed("notice-box", [ctx.lang.ui.please_note, *notes], "secondary-text")
            box.setObjectName("notice-box")
            body.addWidget(box)
        self.page.finish()

    def _status(self, status: str | None, color: str = LIGHT.text) -> QWidget | None:
        if status is None:
            return None
        holder = QWidget()
        holder.setObjectName("status-holder")
        row = QGridLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.setHorizontalSpacing(8)
        icon = QLabel()
        icon.setPixmap(self._ctx.icons.pixmap(STATUS_ICONS[status], color, 28))
        row.addWidget(icon, 0, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(label(self._ctx.status_text(status), "status-small"), 0, 1)
        row.setColumnStretch(1, 1)
        return holder

    def _grid(self) -> QWidget:
        frame = QFrame()
        frame.setObjectName("table-grid")
        grid = QGridLayout(frame)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(0)
        grid.setVerticalSpacing(0)
        for c, col in enumerate(self.table.columns, start=1):
            head = Panel("table-head")
            box = QVBoxLayout(head)
            box.setContentsMargins(16, 12, 16, 12)
            box.addWidget(label(col.title, "table-head-text"))
            status = self._status(col.status, LIGHT.on_primary)
            if status is not None:
                box.addWidget(status)
            box.addStretch(1)
            grid.addWidget(head, 0, c)
            grid.setColumnStretch(c, 3)
        grid.setColumnStretch(0, 2)
        for r, row in enumerate(self.table.rows, start=1):
            zebra = "true" if r % 2 else "false"
            head = label(row.label, "table-row-head")
            head.setProperty("zebra", zebra)
            grid.addWidget(head, r, 0)
            for c, col in enumerate(self.table.columns, start=1):
                cell = label(row.cells[col.id], "table-cell")
                cell.setProperty("zebra", zebra)
                cell.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeading)
                grid.addWidget(cell, r, c)
        return frame

    def _cards(self) -> list[Panel]:
        cards: list[Panel] = []
        t = self.table
        if t.cards == "column":
            groups = [
                (col.title, col.status, [(row.label, row.cells[col.id]) for row in t.rows])
                for col in t.columns
            ]
        else:
            groups = [
                (row.label, None, [(col.title, row.cells[col.id]) for col in t.columns])
                for row in t.rows
            ]
        for title, status, pairs in groups:
            card = Panel("card")
            box = QVBoxLayout(card)
            box.setContentsMargins(28, 24, 28, 24)
            box.setSpacing(8)
            box.addWidget(label(title, "card-title"))
            status_widget = self._status(status)
            if status_widget is not None:
                box.addWidget(status_widget)
            for name, text in pairs:
                box.addSpacing(8)
                box.addWidget(label(name, "card-field"))
                box.addWidget(label(text, "body-text"))
            cards.append(card)
        return cards
