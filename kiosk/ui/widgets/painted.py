"""Panels and buttons that paint their own rounded boxes (the content screens' look, kiosk.ui.look).

Under a style sheet (the form, the staff screens) they are plain QFrame and QPushButton and
the sheet draws them; once given a look they draw it themselves, with no style sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QPushButton, QWidget

ICON_GAP = 4  # between a button's icon and its label, as Qt's own buttons draw them


@dataclass(frozen=True)
class Box:
    """A rounded box: fill, border (colour and width, drawn inside the edge) and radius."""

    fill: str | None
    border: str | None = None
    width: int = 0
    radius: int = 0


def paint_box(painter: QPainter, rect: QRect, box: Box) -> None:
    """Draw ``box`` filling ``rect``, as the style sheet draws background and border."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, box.radius > 0)
    inset = box.width / 2 if box.border else 0.0
    area = QRectF(rect).adjusted(inset, inset, -inset, -inset)
    if box.border and box.width:
        painter.setPen(QPen(QColor(box.border), box.width))
    else:
        painter.setPen(Qt.PenStyle.NoPen)
    if box.fill:
        painter.setBrush(QColor(box.fill))
    else:
        painter.setBrush(Qt.BrushStyle.NoBrush)
    if box.radius:
        radius = max(0.0, box.radius - inset)
        painter.drawRoundedRect(area, radius, radius)
    else:
        painter.drawRect(area)


class Panel(QFrame):
    """A frame (card, summary or notice box) that draws its own box once given one."""

    def __init__(self, name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if name:
            self.setObjectName(name)
        self._box: Box | None = None

    def set_box(self, box: Box) -> None:
        """Draw ``box`` from now on; the border is kept clear of the content."""
        self._box = box
        self.setContentsMargins(box.width, box.width, box.width, box.width)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        if self._box is None:
            super().paintEvent(event)
            return
        painter = QPainter(self)
        paint_box(painter, self.rect(), self._box)
        painter.end()


@dataclass(frozen=True, kw_only=True)
class ButtonLook:
    """How a button looks in each state, and the room around its label."""

    normal: Box
    down: Box
    checked: Box | None = None  # None: as normal
    focus: Box | None = None  # None: as normal (keyboard focus only: taps never take it)
    disabled: Box | None = None
    text: str
    checked_text: str | None = None
    disabled_text: str | None = None
    pad_v: int = 0
    pad_h: int = 0
    min_width: int = 0
    min_height: int = 0


class PaintedButton(QPushButton):
    """A push button that draws its own box, icon and label once given a look; a button
    laid out with child widgets (a tile, a question row) draws only the box."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._look: ButtonLook | None = None

    def set_look(self, look: ButtonLook) -> None:
        self._look = look
        if look.min_height:
            # As a style sheet's min-height: the content's, with padding and border on top.
            self.setMinimumHeight(look.min_height + 2 * (look.pad_v + look.normal.width))
        self.updateGeometry()
        self.update()

    def _box(self, look: ButtonLook) -> Box:
        # As the style sheet ranks its rules: a checked look outranks pressed (the current
        # language stays filled while held), and keyboard focus adds only its border.
        if not self.isEnabled() and look.disabled is not None:
            return look.disabled
        if self.isChecked() and look.checked is not None:
            box = look.checked
        elif self.isDown():
            box = look.down
        else:
            box = look.normal
        if self.hasFocus() and look.focus is not None:
            box = Box(box.fill, look.focus.border, look.focus.width, box.radius)
        return box

    def _text_color(self, look: ButtonLook) -> str:
        if not self.isEnabled() and look.disabled_text:
            return look.disabled_text
        if self.isChecked() and look.checked_text:
            return look.checked_text
        return look.text

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        look = self._look
        if look is None:
            super().paintEvent(event)
            return
        painter = QPainter(self)
        box = self._box(look)
        paint_box(painter, self.rect(), box)
        text, icon = self.text(), self.icon()
        if text or not icon.isNull():
            self._paint_label(painter, look, box, text, icon)
        painter.end()

    def _paint_label(
        self, painter: QPainter, look: ButtonLook, box: Box, text: str, icon: QIcon
    ) -> None:
        # Icon and text as one centred group, the icon first in reading order.
        fm = self.fontMetrics()
        room = self.rect().adjusted(box.width, box.width, -box.width, -box.width)
        icon_size = self.iconSize() if not icon.isNull() else QSize(0, 0)
        gap = ICON_GAP if text and not icon.isNull() else 0
        text_width = fm.horizontalAdvance(text) if text else 0
        width = min(room.width(), icon_size.width() + gap + text_width)
        left = room.x() + (room.width() - width) // 2
        rtl = self.layoutDirection() == Qt.LayoutDirection.RightToLeft
        if not icon.isNull():
            x = left + width - icon_size.width() if rtl else left
            y = room.y() + (room.height() - icon_size.height()) // 2
            icon.paint(painter, QRect(x, y, icon_size.width(), icon_size.height()))
        if text:
            x = left if rtl else left + icon_size.width() + gap
            area = QRect(x, room.y(), width - icon_size.width() - gap, room.height())
            painter.setPen(QColor(self._text_color(look)))
            painter.setFont(self.font())
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, text)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        look = self._look
        if look is None or self.layout() is not None:
            return super().sizeHint()
        # As the style sheet's box model: the minimum is the content's, padding and border
        # come on top.
        fm = self.fontMetrics()
        width = fm.horizontalAdvance(self.text())
        if not self.icon().isNull():
            width += self.iconSize().width() + (ICON_GAP if self.text() else 0)
        height = max(fm.height(), self.iconSize().height() if not self.icon().isNull() else 0)
        edge = look.normal.width
        return QSize(
            max(look.min_width, width) + 2 * (look.pad_h + edge),
            max(look.min_height, height) + 2 * (look.pad_v + edge),
        )

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        if self._look is None or self.layout() is not None:
            return super().minimumSizeHint()
        return self.sizeHint()
