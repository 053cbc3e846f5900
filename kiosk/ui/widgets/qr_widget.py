"""Draws a QR code: dark on light whatever the theme, quiet zone included."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPicture
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from kiosk.qr import qr_matrix
from kiosk.ui.theme import LIGHT


@lru_cache(maxsize=128)
def module_image(text: str) -> QImage:
    """The code for ``text`` as an image of one pixel per module (cached: the sources screen
    alone shows 26 codes, and computing one takes milliseconds)."""
    matrix = qr_matrix(text)
    n = len(matrix)
    light, dark = QColor(LIGHT.qr_light).value(), QColor(LIGHT.qr_dark).value()
    data = bytes(dark if cell else light for row in matrix for cell in row)
    # copy(): the image must own its pixels, not borrow the bytes above. In the screen's
    # own pixel format, so drawing it is a plain scaled copy, with no conversion.
    image = QImage(data, n, n, n, QImage.Format.Format_Grayscale8).copy()
    return image.convertToFormat(QImage.Format.Format_RGB32)


def _paint(painter: QPainter, rect: QRect, modules: QImage) -> None:
    # One scaled blit, nearest neighbour: every module a sharp square of whole pixels.
    n = modules.width()
    module = max(1, min(rect.width(), rect.height()) // n)
    painter.fillRect(rect, QColor(LIGHT.qr_light))
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    painter.drawImage(QRect(rect.x(), rect.y(), module * n, module * n), modules)


class QrWidget(QWidget):
    """A square QR code for ``text``; the module size is a whole number of pixels so the
    code stays sharp and decodable. Qt paints it from a recorded picture held by a child
    label: a paintEvent written in Python costs more than the drawing itself."""

    def __init__(self, text: str, side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = text
        self._modules = module_image(text)
        n = self._modules.width()
        self._side = max(1, side // n) * n
        picture = QPicture()
        painter = QPainter(picture)
        _paint(painter, QRect(0, 0, self._side, self._side), self._modules)
        painter.end()
        self._picture = QLabel(self)
        self._picture.setPicture(picture)
        self._picture.setGeometry(0, 0, self._side, self._side)
        self._picture.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFixedSize(self._side, self._side)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(text)

    @property
    def text(self) -> str:
        return self._text

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._side, self._side)

    def to_image(self) -> QImage:
        """Render the code alone (used by tests and by the poster export)."""
        image = QImage(self._side, self._side, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        _paint(painter, QRect(0, 0, self._side, self._side), self._modules)
        painter.end()
        return image
