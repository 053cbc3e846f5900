"""A topic page: title, summary box, short blocks (or the treatment template), sources."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kiosk.content import Block, Topic
from kiosk.ui.context import ScreenContext
from kiosk.ui.theme import LIGHT
from kiosk.ui.widgets.blocks import SourceChips, boxed, bullets
from kiosk.ui.widgets.scroll_page import ScrollPage
from kiosk.ui.widgets.text import label

STATUS_ICONS = {
    "standard": "circle-check",
    "specialist": "hospital",
    "research": "flask-conical",
    "preclinical": "flask-conical",
}


def status_line(ctx: ScreenContext, status: str) -> QFrame:
    """The neutral status line: icon and words, never colour alone."""
    frame = QFrame()
    frame.setObjectName("status-line")
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


class TopicScreen(QWidget):
    """Shows one topic.

    Signals:
        source_chosen(str): a source chip was tapped (the source id).
    """

    source_chosen = Signal(str)

    def __init__(self, ctx: ScreenContext, topic: Topic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("topic-screen")
        self._ctx = ctx
        self.topic = topic
        self.page = ScrollPage(ctx.metrics)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.page)
        self.chips: list[SourceChips] = []
        body = self.page.body
        ui = ctx.lang.ui

        body.addWidget(label(topic.title, "screen-title"))
        if topic.treatment is not None:
            body.addWidget(status_line(ctx, topic.treatment.status))
        summary = boxed("summary-box", [topic.summary])
        if topic.summary_sources:
            summary.layout().addWidget(
                self._chips(topic.summary_sources), 0, Qt.AlignmentFlag.AlignLeading
            )
        body.addWidget(summary)

        for block in topic.blocks:
            self._add_block(block.heading, block)
        if topic.treatment is not None:
            t = topic.treatment
            for heading, block in (
                (ui.heading_who, t.who),
                (ui.heading_what_happens, t.what_happens),
                (ui.heading_evidence, t.evidence),
                (ui.heading_risks, t.risks),
                (ui.heading_alternatives, t.alternatives),
                (ui.heading_ask_doctor, t.ask_doctor),
            ):
                self._add_block(heading, block)

        notes = [ctx.lang.disclaimers[d].text for d in topic.disclaimers]
        if notes:
            box = boxed("notice-box", [ui.please_note, *notes], "secondary-text")
            box.setObjectName("notice-box")
            body.addWidget(box)
        self.page.finish()

    def _chips(self, ids: list[str]) -> SourceChips:
        ui = self._ctx.lang.ui
        chips = SourceChips(ui.sources_label, ui.source_chip, ids, self._ctx.content.source_order)
        chips.source_chosen.connect(self.source_chosen)
        self.chips.append(chips)
        return chips

    def _add_block(self, heading: str | None, block: Block) -> None:
        body = self.page.body
        chips = self._chips(block.sources) if block.sources else None
        if heading:
            # Sources sit beside the sub-title, so they cost no extra line of scrolling.
            row = QWidget()
            row.setObjectName("block-head")
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 8, 0, 0)
            line.setSpacing(16)
            line.addWidget(label(heading, "block-heading"), 1, Qt.AlignmentFlag.AlignBottom)
            if chips is not None:
                line.addWidget(chips, 0, Qt.AlignmentFlag.AlignBottom)
            body.addWidget(row)
            chips = None
        for paragraph in block.text:
            body.addWidget(label(paragraph, "body-text"))
        if block.bullets:
            body.addWidget(bullets(block.bullets))
        if chips is not None:
            body.addWidget(chips, 0, Qt.AlignmentFlag.AlignLeading)
