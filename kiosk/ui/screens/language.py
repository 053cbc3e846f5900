"""Language choice: each language in its own name and script, never a flag."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from kiosk.ui.context import ScreenContext
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets.language_button import language_button
from kiosk.ui.widgets.text import label


class LanguageScreen(Screen):
    """One big button per language; the current one is marked with a tick and words.

    Signals:
        language_chosen(str): the chosen language code.
    """

    language_chosen = Signal(str)

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("language-screen")
        self.page = ctx.pages.page(ctx.metrics)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.page)
        self.page.body.addWidget(label(ctx.lang.ui.language_title, "screen-title"))
        self.buttons: dict[str, QPushButton] = {}
        for code in ctx.languages:
            button = language_button(ctx, code, 40)
            button.setMinimumHeight(ctx.metrics.button_height)
            button.clicked.connect(lambda _=False, c=code: self.language_chosen.emit(c))
            self.buttons[code] = button
            self.page.body.addWidget(button)
        self.page.finish()
