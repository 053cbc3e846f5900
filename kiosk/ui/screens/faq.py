"""Questions and answers as an accordion: big question rows, one answer open at a time."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QSizePolicy, QVBoxLayout, QWidget

from kiosk.content import FaqEntry
from kiosk.ui.context import ScreenContext
from kiosk.ui.screens.base import Place, Screen
from kiosk.ui.theme import LIGHT
from kiosk.ui.widgets.blocks import SourceChips
from kiosk.ui.widgets.painted import PaintedButton
from kiosk.ui.widgets.text import label


class _Question(PaintedButton):
    """A question row: wrapped text and a chevron that shows open or closed."""

    def __init__(self, ctx: ScreenContext, text: str) -> None:
        super().__init__()
        self.setObjectName("faq-question")
        self.setCheckable(True)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # no focus ring after a tap
        # A button may not shrink below its size hint by default; a question row may (its
        # text wraps): a long question at the largest text must not widen the page.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._ctx = ctx
        row = QHBoxLayout(self)
        row.setContentsMargins(24, 16, 24, 16)
        row.setSpacing(16)
        self.text_label = label(text, "faq-question-text")
        self.chevron = QLabel()
        for child in (self.text_label, self.chevron):
            child.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        row.addWidget(self.text_label, 1)
        row.addWidget(self.chevron, 0)
        self.setAccessibleName(text)
        self.toggled.connect(self._show_state)
        self._show_state(False)

    def _show_state(self, open_: bool) -> None:
        icon = "chevron-up" if open_ else "chevron-down"
        self.chevron.setPixmap(self._ctx.icons.pixmap(icon, LIGHT.primary, 40))

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def _own_layout(self) -> QLayout:
        box = self.layout()
        assert box is not None, "a question row lays out its text and chevron"
        return box

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return max(self._ctx.metrics.button_height, self._own_layout().totalHeightForWidth(width))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = self._own_layout().totalSizeHint()
        hint.setHeight(max(hint.height(), self._ctx.metrics.button_height))
        return hint

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        # The question wraps to any width (heightForWidth gives the height it then needs),
        # whatever its label would ask for on one line.
        side = self._ctx.metrics.button_height
        return QSize(side, side)


class FaqScreen(Screen):
    """All questions of the FAQ.

    Signals:
        source_chosen(str): a source chip inside an answer was tapped.
    """

    source_chosen = Signal(str)

    def __init__(
        self,
        ctx: ScreenContext,
        title: str,
        entries: tuple[FaqEntry, ...],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("faq-screen")
        self.page = ctx.pages.page(ctx.metrics)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.page)
        self.page.body.addWidget(label(title, "screen-title"))
        self.questions: dict[str, _Question] = {}
        self.answers: dict[str, QWidget] = {}
        ui = ctx.lang.ui
        for entry in entries:
            question = _Question(ctx, entry.question)
            answer = QWidget()
            answer.setObjectName("faq-answer")
            box = QVBoxLayout(answer)
            box.setContentsMargins(24, 0, 24, 8)
            box.setSpacing(12)
            for paragraph in entry.answer:
                box.addWidget(label(paragraph, "body-text"))
            if entry.sources:
                chips = SourceChips(
                    ui.sources_label, ui.source_chip, entry.sources, ctx.content.source_order
                )
                chips.source_chosen.connect(self.source_chosen)
                box.addWidget(chips, 0, Qt.AlignmentFlag.AlignLeading)
            answer.setVisible(False)
            question.toggled.connect(lambda on, e=entry.id: self._toggle(e, on))
            self.questions[entry.id] = question
            self.answers[entry.id] = answer
            self.page.body.addWidget(question)
            self.page.body.addWidget(answer)
        self.page.finish()

    def close_answers(self) -> None:
        """Close every answer (the screen is shown again to a new visitor)."""
        for question in self.questions.values():
            question.setChecked(False)

    def shown_fresh(self, arg: str | None) -> None:
        super().shown_fresh(arg)
        self.close_answers()

    def place(self) -> Place:
        return replace(super().place(), opened=self.open_id())

    def return_to(self, place: Place) -> None:
        if place.opened is not None and place.opened in self.questions:
            self.open_entry(place.opened)  # (which scrolls to it)
        else:
            super().return_to(place)

    def open_id(self) -> str | None:
        """The question whose answer is open, if any."""
        return next((i for i, q in self.questions.items() if q.isChecked()), None)

    def open_entry(self, entry_id: str) -> None:
        """Open one answer (closing any other) and scroll it into view."""
        self.questions[entry_id].setChecked(True)

    def _toggle(self, entry_id: str, on: bool) -> None:
        self.answers[entry_id].setVisible(on)
        if not on:
            return
        for other, question in self.questions.items():
            if other != entry_id and question.isChecked():
                question.setChecked(False)
        # Wait for the layout to place the opened answer before scrolling to it.
        QTimer.singleShot(0, lambda: self.page.scroll_to(self.answers[entry_id]))
