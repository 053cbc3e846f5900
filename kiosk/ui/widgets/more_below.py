"""The sign that a page goes on below the fold: a round button with a downward chevron."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from kiosk.ui.theme import LIGHT
from kiosk.ui.widgets.painted import ButtonLook, PaintedButton


class MoreBelow(PaintedButton):
    """Sits at the bottom of a scrolling page while more of it lies below: a tile or a
    paragraph cut by the bar then reads as "more this way", not as a broken screen. It is
    a button too: a tap scrolls most of a screen on, for anyone who does not think of
    sliding the page. No words, so it needs no translation."""

    def __init__(self, side: int, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setObjectName("more-below")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.set_side(side)

    def set_side(self, side: int) -> None:
        self.setFixedSize(QSize(side, side))

    def set_look(self, look: ButtonLook) -> None:
        """Kept, but not drawn: the sign looks the same on every screen."""
        self._look = look

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(3, 3, -3, -3)
        fill = LIGHT.primary_pressed if self.isDown() else LIGHT.primary
        painter.setPen(QPen(QColor(LIGHT.surface), 3))  # a light rim: visible on any card
        painter.setBrush(QColor(fill))
        painter.drawEllipse(rect)
        c, r = rect.center(), rect.width() / 2
        chevron = QPainterPath(QPointF(c.x() - r * 0.42, c.y() - r * 0.18))
        chevron.lineTo(QPointF(c.x(), c.y() + r * 0.24))
        chevron.lineTo(QPointF(c.x() + r * 0.42, c.y() - r * 0.18))
        pen = QPen(QColor(LIGHT.on_primary), max(3.0, r * 0.14))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(chevron)
        painter.end()
