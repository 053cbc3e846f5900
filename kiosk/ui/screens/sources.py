"""The sources: every reference with a QR code to open it on the visitor's phone."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from kiosk.qr import short_display
from kiosk.ui.context import ScreenContext
from kiosk.ui.screens.base import Screen
from kiosk.ui.theme import LIGHT
from kiosk.ui.widgets.grid import TileGrid
from kiosk.ui.widgets.painted import Panel
from kiosk.ui.widgets.qr_widget import QrWidget
from kiosk.ui.widgets.text import breakable, label

HIGHLIGHT_WIDTH = 4
CARD_RADIUS = 20  # as the "card" box in kiosk/ui/look.py


class SourceCard(Panel):
    """One reference's card. The highlight (the source a chip opened) is a thicker border in
    the primary colour, painted over the card's own border: changing it repaints the card
    and never re-lays out the page (a changed border width or a shown child widget would
    re-lay out all 26 cards)."""

    def __init__(self) -> None:
        super().__init__("card")
        self.setProperty("highlight", "false")
        self._highlight = False

    def set_highlight(self, on: bool) -> None:
        if on != self._highlight:
            self._highlight = on
            self.setProperty("highlight", "true" if on else "false")
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self._highlight:
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor(LIGHT.primary), HIGHLIGHT_WIDTH))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            inset = HIGHLIGHT_WIDTH / 2
            rect = QRectF(self.rect()).adjusted(inset, inset, -inset, -inset)
            painter.drawRoundedRect(rect, CARD_RADIUS - inset, CARD_RADIUS - inset)
            painter.end()


class SourcesScreen(Screen):
    """Numbered references in the order the chips count them; ``focus`` is highlighted."""

    def __init__(
        self,
        ctx: ScreenContext,
        title: str,
        focus: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sources-screen")
        m, ui = ctx.metrics, ctx.lang.ui
        self.page = ctx.pages.page(m, wide=not m.portrait)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.page)
        self.page.body.addWidget(label(title, "screen-title"))
        self.page.body.addWidget(label(ui.sources_intro, "body-text"))
        self.cards: dict[str, SourceCard] = {}
        self.codes: dict[str, QrWidget] = {}
        qr_side = max(m.mm(35.0), 200)
        for number, source in enumerate(ctx.content.sources.values(), start=1):
            card = SourceCard()
            row = QHBoxLayout(card)
            row.setContentsMargins(28, 24, 28, 24)
            row.setSpacing(m.gap)
            text = QVBoxLayout()
            text.setSpacing(6)
            text.addWidget(label(f"{number}. {source.title}", "card-title-small"))
            text.addWidget(label(source.authors, "source-meta"))
            text.addWidget(label(f"{source.journal}, {source.year}", "source-meta"))
            link = source.link()
            if link:
                text.addWidget(label(ui.sources_scan, "secondary-text"))
                text.addWidget(label(breakable(short_display(link)), "qr-url"))
            else:
                text.addWidget(label(ui.sources_no_link, "secondary-text"))
            text.addStretch(1)
            row.addLayout(text, 1)
            if link:
                code = QrWidget(link, qr_side)
                code.setObjectName("source-qr")
                row.addWidget(code, 0, Qt.AlignmentFlag.AlignTop)
                self.codes[source.id] = code
            self.cards[source.id] = card
        # Two columns of references in landscape halve the scrolling.
        self.page.body.addWidget(TileGrid(list(self.cards.values()), 820, 2, m.gap))
        self.page.finish()
        self.focus: str | None = None
        self.set_focus(focus)

    def shown_fresh(self, arg: str | None) -> None:
        """The source ``arg`` marked (scrolled to when shown); at the top without one."""
        self.set_focus(arg)
        if not arg:
            super().shown_fresh(arg)

    def set_focus(self, focus: str | None) -> None:
        """Highlight the source ``focus`` (None: none); it is scrolled to when shown."""
        focus = focus if focus in self.cards else None
        for source_id in {s for s in (self.focus, focus) if s is not None}:
            self.cards[source_id].set_highlight(source_id == focus)
        self.focus = focus

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self.focus:
            self.page.scroll_to(self.cards[self.focus])
