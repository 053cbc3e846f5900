"""A page that scrolls by finger drag (QScroller), with a centred reading column."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QScroller, QVBoxLayout, QWidget

from kiosk.ui.theme import Metrics


class ScrollPage(QScrollArea):
    """Scroll area for one screen's content.

    There is no scroll bar to aim at: the page moves with the finger (or a mouse drag),
    which painful hands manage better than a thin bar. ``body`` is the column layout.
    """

    def __init__(self, metrics: Metrics, parent: QWidget | None = None, wide: bool = False) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        QScroller.grabGesture(self.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
        # A tap must not give the page keyboard focus: that restyles and repaints the whole
        # page before the tap does anything. Tab still reaches it (arrow keys scroll).
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        # See-through: the main window has painted the page colour already.
        self.viewport().setAutoFillBackground(False)

        page = QWidget()
        page.setObjectName("page")
        outer = QHBoxLayout(page)
        outer.setContentsMargins(
            metrics.margin, metrics.margin // 2, metrics.margin, metrics.margin
        )
        column = QWidget()
        column.setObjectName("page")
        if not wide:
            column.setMaximumWidth(metrics.column_width)
        self.body = QVBoxLayout(column)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(metrics.gap)
        outer.addStretch(0)
        outer.addWidget(column, 1)
        outer.addStretch(0)
        self.setWidget(page)
        page.setAutoFillBackground(False)  # setWidget turns it on; see-through like the rest

    def finish(self) -> None:
        """Push content to the top once every widget is added."""
        self.body.addStretch(1)

    def scroll_to(self, widget: QWidget) -> None:
        """Bring ``widget`` into view, near the top of the page."""
        self.ensureWidgetVisible(widget, 0, self.viewport().height() // 3)
