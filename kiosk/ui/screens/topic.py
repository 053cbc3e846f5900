"""A topic page: title, summary box, short blocks (or the treatment template), sources."""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk.content import Block, Topic
from kiosk.ui.context import ScreenContext
from kiosk.ui.screens.base import Screen
from kiosk.ui.theme import LIGHT
from kiosk.ui.widgets.blocks import SourceChips, boxed, bullets
from kiosk.ui.widgets.columns import BalancedColumns
from kiosk.ui.widgets.painted import Panel
from kiosk.ui.widgets.text import label

STATUS_ICONS = {
    "standard": "circle-check",
    "specialist": "hospital",
    "research": "flask-conical",
    "preclinical": "flask-conical",
}


def status_line(ctx: ScreenContext, status: str) -> Panel:
    """The neutral status line: icon and words, never colour alone."""
    frame = Panel("status-line")
    row = QHBoxLayout(frame)
    row.setContentsMargins(24, 16, 24, 16)
    row.setSpacing(16)
    icon = QLabel()
    icon.setPixmap(ctx.icons.pixmap(STATUS_ICONS[status], LIGHT.text, ctx.metrics.icon))
    row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
    text = label(ctx.status_text(status), "status-text")
    row.addWidget(text, 1)
    frame.setProperty("status", status)
    return frame


class TopicScreen(Screen):
    """Shows one topic: in landscape the summary and blocks sit in two columns of cards, so
    a page stays within about one screen; in portrait (or with large text) one column.

    Signals:
        source_chosen(str): a source chip was tapped (the source id).
    """

    source_chosen = Signal(str)

    def __init__(self, ctx: ScreenContext, topic: Topic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("topic-screen")
        self._ctx = ctx
        self.topic = topic
        m = ctx.metrics
        self.columns = 1 if m.portrait or m.scale > 1.25 else 2
        self.page = ctx.pages.page(m, wide=self.columns == 2)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.page)
        self.chips: list[SourceChips] = []
        body = self.page.body
        ui = ctx.lang.ui

        body.addWidget(label(topic.title, "screen-title"))
        if topic.treatment is not None:
            body.addWidget(status_line(ctx, topic.treatment.status))
        if topic.warning_signs is not None:
            # First and full width: the one thing on the page that must never be missed.
            body.addWidget(self._warning(topic.warning_signs))

        cells: list[QWidget] = []
        summary = boxed("summary-box", [topic.summary])
        if topic.summary_sources:
            cast(QVBoxLayout, summary.layout()).addWidget(
                self._chips(topic.summary_sources), 0, Qt.AlignmentFlag.AlignLeading
            )
        cells.append(summary)
        for block in topic.blocks:
            cells.append(self._block(block.heading, block))
        if topic.treatment is not None:
            t = topic.treatment
            # On a research page "who it is for" would suggest a service to sign up for.
            studied = t.status in ("research", "preclinical")
            for heading, block in (
                (ui.heading_who_studied if studied else ui.heading_who, t.who),
                (ui.heading_what_happens, t.what_happens),
                (ui.heading_evidence, t.evidence),
                (ui.heading_risks, t.risks),
                (ui.heading_alternatives, t.alternatives),
                (ui.heading_ask_doctor, t.ask_doctor),
            ):
                cells.append(self._block(heading, block))
        notes = [ctx.lang.disclaimers[d].text for d in topic.disclaimers]

        if self.columns == 1:
            if notes:
                cells.append(boxed("notice-box", [ui.please_note, *notes], "secondary-text"))
            for cell in cells:
                body.addWidget(cell)
        else:
            body.addWidget(BalancedColumns(cells, m.gap))
            if notes:
                # Across the page, in two columns of its own: every caution stays in view
                # at a third of the height it takes in one column.
                body.addWidget(self._notes(ui.please_note, notes))
        self.page.finish()

    def _chips(self, ids: list[str]) -> SourceChips:
        ui = self._ctx.lang.ui
        chips = SourceChips(ui.sources_label, ui.source_chip, ids, self._ctx.content.source_order)
        chips.source_chosen.connect(self.source_chosen)
        self.chips.append(chips)
        return chips

    def _notes(self, title: str, notes: list[str]) -> Panel:
        box = Panel("notice-box")
        grid = QGridLayout(box)
        grid.setContentsMargins(28, 20, 28, 20)
        grid.setHorizontalSpacing(self._ctx.metrics.gap * 2)
        grid.setVerticalSpacing(10)
        grid.addWidget(label(title, "secondary-text"), 0, 0, 1, 2)
        half = (len(notes) + 1) // 2
        for i, note in enumerate(notes):
            grid.addWidget(
                label(note, "secondary-text"), 1 + i % half, i // half, Qt.AlignmentFlag.AlignTop
            )
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(1 + half, 1)
        return box

    def _warning(self, block: Block) -> Panel:
        card = Panel("warning-box")
        icon = QLabel()
        icon.setObjectName("warning-icon")
        icon.setPixmap(
            self._ctx.icons.pixmap("triangle-alert", LIGHT.error, self._ctx.metrics.icon)
        )
        box = QVBoxLayout(card)
        box.setContentsMargins(28, 20, 28, 24)
        box.setSpacing(12)
        self._fill(box, block.heading, block, icon)
        return card

    def _block(self, heading: str | None, block: Block) -> Panel:
        card = Panel("block-card")
        box = QVBoxLayout(card)
        box.setContentsMargins(28, 20, 28, 24)
        box.setSpacing(12)
        self._fill(box, heading, block)
        box.addStretch(1)
        return card

    def _fill(
        self, box: QVBoxLayout, heading: str | None, block: Block, icon: QLabel | None = None
    ) -> None:
        chips = self._chips(block.sources) if block.sources else None
        if heading:
            # Sources sit beside the sub-title, so they cost no extra line of scrolling.
            row = QHBoxLayout()
            row.setSpacing(16)
            if icon is not None:
                row.addWidget(icon, 0, Qt.AlignmentFlag.AlignVCenter)
            row.addWidget(label(heading, "block-heading"), 1, Qt.AlignmentFlag.AlignVCenter)
            if chips is not None:
                row.addWidget(chips, 0, Qt.AlignmentFlag.AlignVCenter)
                chips = None
            box.addLayout(row)
        for paragraph in block.text:
            box.addWidget(label(paragraph, "body-text"))
        if block.bullets:
            box.addWidget(bullets(block.bullets))
        if chips is not None:
            box.addWidget(chips, 0, Qt.AlignmentFlag.AlignLeading)
