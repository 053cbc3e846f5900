"""Bundled Lucide SVG icons, tinted from the theme and rendered crisp at any size."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from kiosk import paths

# Icons that point a way (forward, back, out): mirrored on a right-to-left screen. The others
# (a house, a pill, a chevron pointing down) mean the same either way.
DIRECTIONAL = frozenset({"arrow-left", "arrow-right", "chevron-right", "log-out"})


class Icons:
    """Loads ``resources/icons/<name>.svg`` and paints it in a given colour.

    One instance is made by the main window and passed down; rendered pixmaps are cached.
    """

    def __init__(self) -> None:
        self._svg: dict[str, str] = {}
        self._cache: dict[tuple[str, str, int, bool], QPixmap] = {}

    def _source(self, name: str) -> str:
        if name not in self._svg:
            path = paths.resource_path(f"resources/icons/{name}.svg")
            self._svg[name] = path.read_text(encoding="utf-8")
        return self._svg[name]

    def pixmap(self, name: str, color: str, size: int, rtl: bool = False) -> QPixmap:
        """Return the icon ``name`` drawn ``size`` px square in ``color``; with ``rtl`` an
        icon that points a way (DIRECTIONAL) is drawn mirrored, as the screen is (Qt
        mirrors layouts, never a picture)."""
        mirrored = rtl and name in DIRECTIONAL
        key = (name, color, size, mirrored)
        if key not in self._cache:
            svg = self._source(name).replace("currentColor", color)
            renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
            pix = QPixmap(size, size)
            pix.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pix)
            renderer.render(painter, QRectF(0, 0, size, size))
            painter.end()
            if mirrored:
                pix = QPixmap.fromImage(pix.toImage().flipped(Qt.Orientation.Horizontal))
            self._cache[key] = pix
        return self._cache[key]

    def icon(self, name: str, color: str, size: int, rtl: bool = False) -> QIcon:
        """Return the icon as a QIcon (same pixmap for every state; states are styled)."""
        return QIcon(self.pixmap(name, color, size, rtl))
