"""A section with several topics (e.g. the types of lupus): one large row per topic."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.content import Section
from kiosk.ui.context import ScreenContext
from kiosk.ui.screens.base import Screen
from kiosk.ui.theme import LIGHT
from kiosk.ui.widgets.grid import TileGrid
from kiosk.ui.widgets.text import label
from kiosk.ui.widgets.tile import Tile


class SectionScreen(Screen):
    """Lists the topics of one section.

    Signals:
        topic_chosen(str): the id of the tapped topic.
    """

    topic_chosen = Signal(str)

    def __init__(self, ctx: ScreenContext, section: Section, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("section-screen")
        m = ctx.metrics
        self.page = ctx.pages.page(m)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.page)
        self.page.body.addWidget(label(section.title, "screen-title"))
        self.page.body.addWidget(label(ctx.lang.ui.section_choose, "secondary-text"))
        self.rows: dict[str, Tile] = {}
        for topic_id in section.items:
            topic = ctx.lang.topics[topic_id]
            icon = ctx.icons.pixmap(topic.icon or section.icon, LIGHT.primary, m.icon)
            row = Tile(topic.title, topic.subtitle, icon, m.button_height + 40, horizontal=True)
            row.setObjectName("topic-row")
            row.clicked.connect(lambda _=False, t=topic_id: self.topic_chosen.emit(t))
            self.rows[topic_id] = row
        rows = list(self.rows.values())
        self.page.body.addWidget(TileGrid(rows, round(520 * m.scale), 2, m.gap))
        self.page.finish()
