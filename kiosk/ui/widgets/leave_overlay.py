"""Asked once before a started form is thrown away: keep going, or erase and leave."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from kiosk.content import UiStrings
from kiosk.ui.theme import Metrics
from kiosk.ui.widgets.overlay_card import centred_card
from kiosk.ui.widgets.text import label


class LeaveOverlay(QWidget):
    """Covers the window with one question in large type and two big answers. "Keep
    going" is the first and the coloured one: a hurried tap keeps the visitor's work.

    Signals:
        kept(): the visitor chose to keep going (the overlay is gone).
        discarded(): the visitor chose to erase what was typed and leave (then the way
            out asked for runs).
    """

    kept = Signal()
    discarded = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("leave-overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._then: Callable[[], None] | None = None
        self.hide()

    def ask(self, ui: UiStrings, metrics: Metrics, then: Callable[[], None]) -> None:
        """Build the card in the visitor's language and size, and show it over everything;
        ``then`` (the way out: Home, Back, "I am done") runs if the visitor erases."""
        self._then = then
        outer, card, inner = centred_card(self, "leave-card", metrics, 1100)
        inner.addWidget(label(ui.leave_title, "screen-title"))
        inner.addWidget(label(ui.leave_body, "body-text"))
        buttons = QHBoxLayout()
        buttons.setSpacing(metrics.gap * 2)
        self.keep_button = QPushButton(ui.leave_keep)
        self.keep_button.setObjectName("leave-keep")
        self.discard_button = QPushButton(ui.leave_discard)
        self.discard_button.setObjectName("leave-discard")
        for button in (self.keep_button, self.discard_button):
            button.setMinimumSize(metrics.target * 4, metrics.button_height + 24)
            # A tap leaves no focus behind: hidden, a focused button would hand it on to
            # the bar's Home (a ring on it), and the field typed into would lose its caret.
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            buttons.addWidget(button)
        self.keep_button.clicked.connect(self._keep)
        self.discard_button.clicked.connect(self._discard)
        inner.addLayout(buttons)
        outer.addWidget(card)
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()

    def stop(self) -> None:
        self._then = None
        self.hide()

    def _keep(self) -> None:
        self.stop()
        self.kept.emit()

    def _discard(self) -> None:
        then, self._then = self._then, None
        self.hide()
        self.discarded.emit()
        if then is not None:
            then()
