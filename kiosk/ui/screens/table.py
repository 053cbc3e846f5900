"""A comparison table: a grid in landscape, one card per option in portrait."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette, QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from kiosk.content import Table
from kiosk.ui.context import ScreenContext
from kiosk.ui.screens.base import Screen
from kiosk.ui.screens.topic import STATUS_ICONS
from kiosk.ui.theme import LIGHT
from kiosk.ui.widgets.blocks import SourceChips, boxed
from kiosk.ui.widgets.painted import Panel
from kiosk.ui.widgets.text import label


class TableScreen(Screen):
    """Shows one table. Landscape keeps every column on screen (no sideways scrolling),
    and the column heads stay at the top of the page once the table scrolls under it (a
    copy, ``table-sticky-head``, shown only then); portrait reflows into cards with the same
    rows as labelled sections.

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
        self._heads: list[QWidget] = []
        self.sticky: QWidget | None = None
        if self.layout_mode == "grid":
            self.grid_frame = self._grid()
            body.addWidget(self.grid_frame)
            self.sticky = self._sticky_head()
            self.page.verticalScrollBar().valueChanged.connect(self._place_sticky)
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
            head = self._head(col.title, col.status)
            grid.addWidget(head, 0, c)
            grid.setColumnStretch(c, 3)
            self._heads.append(head)
        grid.setColumnStretch(0, 2)
        for r, row in enumerate(self.table.rows, start=1):
            zebra = "true" if r % 2 else "false"
            row_head = label(row.label, "table-row-head")
            row_head.setProperty("zebra", zebra)
            grid.addWidget(row_head, r, 0)
            for c, col in enumerate(self.table.columns, start=1):
                cell = label(row.cells[col.id], "table-cell")
                cell.setProperty("zebra", zebra)
                cell.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeading)
                grid.addWidget(cell, r, c)
        return frame

    def _head(self, col_title: str, status: str | None) -> Panel:
        head = Panel("table-head")
        box = QVBoxLayout(head)
        box.setContentsMargins(16, 12, 16, 12)
        box.addWidget(label(col_title, "table-head-text"))
        status_widget = self._status(status, LIGHT.on_primary)
        if status_widget is not None:
            box.addWidget(status_widget)
        box.addStretch(1)
        return head

    def _sticky_head(self) -> QWidget:
        """The column heads again, over the top of the page, for when the real ones have
        scrolled away: which column is which stays in view down to the last row. (A child
        of the screen, not of the page: pages are handed on to other screens.)"""
        sticky = QWidget(self)
        sticky.setObjectName("table-sticky-head")
        sticky.setAutoFillBackground(True)  # rows scrolling under it do not show through
        # A finger on the heads still drags the page under them.
        sticky.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        palette = sticky.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(LIGHT.background))
        sticky.setPalette(palette)
        self._copies = [self._head(col.title, col.status) for col in self.table.columns]
        for copy in self._copies:
            copy.setParent(sticky)
        sticky.hide()
        return sticky

    def _place_sticky(self) -> None:
        sticky = self.sticky
        if sticky is None or not self._heads:
            return
        view = self.page.viewport()
        head_top = self._heads[0].mapTo(view, QPoint(0, 0)).y()
        height = max(head.height() for head in self._heads)
        grid_bottom = self.grid_frame.mapTo(view, QPoint(0, self.grid_frame.height())).y()
        if head_top >= 0 or grid_bottom <= height:
            sticky.hide()  # the real heads are in view, or the table is gone above
            return
        sticky.setGeometry(
            QRect(view.mapTo(self, QPoint(0, 0)), view.size()).adjusted(
                0, 0, 0, height - view.height()
            )
        )
        for copy, head in zip(self._copies, self._heads, strict=True):
            x = head.mapTo(self, QPoint(0, 0)).x() - sticky.x()
            copy.setGeometry(x, 0, head.width(), height)
        sticky.show()
        sticky.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.sticky is not None:
            QTimer.singleShot(0, self._place_sticky)  # once the grid has its new widths

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
