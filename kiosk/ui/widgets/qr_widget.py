"""Draws a QR code with QPainter: dark on light whatever the theme, quiet zone included."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from kiosk.qr import qr_matrix
from kiosk.ui.theme import LIGHT


class QrWidget(QWidget):
    """A square QR code for ``text``; the module size is a whole number of pixels so the
    code stays sharp and decodable."""

    def __init__(self, text: str, side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = text
        self._matrix = qr_matrix(text)
        self._side = side
        self.setFixedSize(self.sizeHint())
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(text)

    @property
    def text(self) -> str:
        return self._text

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        n = len(self._matrix)
        module = max(1, self._side // n)
        return QSize(module * n, module * n)

    def paint_into(self, painter: QPainter, rect: QRect) -> None:
        n = len(self._matrix)
        module = max(1, min(rect.width(), rect.height()) // n)
        painter.fillRect(rect, QColor(LIGHT.qr_light))
        dark = QColor(LIGHT.qr_dark)
        for y, row in enumerate(self._matrix):
            for x, cell in enumerate(row):
                if cell:
                    painter.fillRect(
                        rect.x() + x * module, rect.y() + y * module, module, module, dark
                    )

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self.paint_into(painter, self.rect())
        painter.end()

    def to_image(self) -> QImage:
        """Render the code alone (used by tests and by the poster export)."""
        size = self.sizeHint()
        image = QImage(size, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        self.paint_into(painter, QRect(0, 0, size.width(), size.height()))
        painter.end()
        return image
