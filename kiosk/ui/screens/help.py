"""Help: how to use the kiosk, and that the reception desk is glad to help."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.ui.context import ScreenContext
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets.text import label


class HelpScreen(Screen):
    """Plain instructions, one short paragraph each."""

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("help-screen")
        self.page = ctx.pages.page(ctx.metrics)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.page)
        self.page.body.addWidget(label(ctx.lang.ui.help_title, "screen-title"))
        for paragraph in ctx.lang.ui.help_body:
            self.page.body.addWidget(label(paragraph, "body-text"))
        self.page.finish()
