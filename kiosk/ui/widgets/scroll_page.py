"""A page that scrolls by finger drag (QScroller), with a centred reading column."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QScroller, QVBoxLayout, QWidget
from shiboken6 import isValid

from kiosk.ui.theme import Metrics
from kiosk.ui.widgets.more_below import MoreBelow


class ScrollPage(QScrollArea):
    """Scroll area for one screen's content.

    There is no scroll bar to aim at: the page moves with the finger (or a mouse drag),
    which painful hands manage better than a thin bar. ``body`` is the column layout.
    Screens get their pages from a ``PagePool`` (see there), not by making them.
    """

    def __init__(self, metrics: Metrics, parent: QWidget | None = None, wide: bool = False) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # A viewport made here, not the one Qt made: handing Python a widget Qt created makes
        # PySide6 work out its class, which loads every QtWidgets class on the first call
        # (~80 enum types, ~20 ms of start-up).
        self.setViewport(QWidget())
        QScroller.grabGesture(self.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
        # A tap must not give the page keyboard focus: that restyles and repaints the whole
        # page before the tap does anything. Tab still reaches it (arrow keys scroll).
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        # See-through: the main window has painted the page colour already.
        self.viewport().setAutoFillBackground(False)
        # While more of the page lies below the fold, a sign says so (and scrolls on).
        self.more = MoreBelow(metrics.target, self)
        self.more.hide()
        self._more_allowed = True
        self._blank_below = 0  # (set by prepare)
        self.more.clicked.connect(self._scroll_on)
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._show_more)
        bar.rangeChanged.connect(self._show_more)
        self.prepare(metrics, wide)  # sets self.body

    def prepare(self, metrics: Metrics, wide: bool = False) -> None:
        """Give the page a new, empty column at the top (any previous content is deleted)."""
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
        self.setWidget(page)  # deletes the previous content, if any
        page.setAutoFillBackground(False)  # setWidget turns it on; see-through like the rest
        self.verticalScrollBar().setValue(0)
        self.more.set_side(metrics.target)
        self._blank_below = metrics.margin  # the page's own bottom margin is not "more"
        self._more_allowed = True
        self._show_more()

    def allow_more_sign(self, allowed: bool) -> None:
        """Show the "more below" sign when the page goes on (the default), or never (the
        form while the keyboard is up: the field being typed into must not be covered)."""
        self._more_allowed = allowed
        self._show_more()

    def _show_more(self) -> None:
        bar = self.verticalScrollBar()
        more = self._more_allowed and bar.value() < bar.maximum() - self._blank_below
        if more != self.more.isVisibleTo(self):
            self.more.setVisible(more)
        if more:
            self._place_more()

    def _place_more(self) -> None:
        view = self.viewport().geometry()
        self.more.move(
            view.center().x() - self.more.width() // 2,
            view.bottom() - self.more.height() - 12,
        )
        self.more.raise_()

    def _scroll_on(self) -> None:
        """Most of a screen further down, gliding (the scroller's own animation)."""
        bar = self.verticalScrollBar()
        target = min(bar.maximum(), bar.value() + round(self.viewport().height() * 0.8))
        QScroller.scroller(self.viewport()).scrollTo(QPointF(0, target), 400)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.more.isVisibleTo(self):
            self._place_more()

    def finish(self) -> None:
        """Push content to the top once every widget is added."""
        self.body.addStretch(1)

    def scroll_to(self, widget: QWidget, margin: int | None = None) -> None:
        """Bring ``widget`` into view with ``margin`` px of page around it (a third of the
        view by default, which puts it near the middle), scrolling as little as that
        needs; nothing happens if it is no longer on the page (a scroll queued by a screen
        since left may arrive after its page was emptied and handed to another screen)."""
        content = self.widget()
        if content is None or not isValid(widget) or not content.isAncestorOf(widget):
            return
        if margin is None:
            margin = self.viewport().height() // 3
        self.ensureWidgetVisible(widget, 0, margin)


class PagePool:
    """Scrolling pages for screens, reused from screens that have been deleted.

    Each page registers its finger scrolling with Qt once, when it is made, and every
    registration adds a gesture type that PySide6 keeps for good as a new Python enum class
    (~3.5 KiB). A page per screen built would make the kiosk grow with every visitor (forms
    in other languages and the staff screens are built afresh for each); reused pages keep
    it flat. The main window owns one pool and hands it to screens through their context.
    """

    def __init__(self) -> None:
        self._free: list[ScrollPage] = []
        self.made = 0  # pages ever made (tests and benchmarks watch it stay bounded)

    def page(self, metrics: Metrics, wide: bool = False) -> ScrollPage:
        """A page with an empty column, recycled if one is free."""
        if self._free:
            page = self._free.pop()
            page.prepare(metrics, wide)
            return page
        self.made += 1
        return ScrollPage(metrics, wide=wide)

    def recycle(self, screen: QWidget) -> None:
        """Take the pages out of ``screen``, which is about to be deleted, for later screens.
        Their content is deleted now, apart from the page (nothing a visitor typed stays in
        a reused page)."""
        for page in screen.findChildren(ScrollPage):
            QScroller.scroller(page.viewport()).stop()
            content = page.takeWidget()
            if content is not None:
                content.deleteLater()
            page.setParent(None)
            # Hidden now, but as a widget that lost its parent, not as one hidden on
            # purpose (a stacked widget's pages are): the next screen then shows it with
            # itself, as it would a new page.
            page.setAttribute(Qt.WidgetAttribute.WA_WState_ExplicitShowHide, False)
            # Back to a new page's size: the next screen's layout then resizes it, and all
            # its content gets the resize events of a first layout (tiles claim the height
            # of their wrapped text on resize).
            page.resize(1, 1)
            page.setObjectName("")
            self._free.append(page)

    def free(self) -> int:
        return len(self._free)
