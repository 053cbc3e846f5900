"""Large tappable tile: icon, title and a one-line subtitle, all inside one button."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QSizePolicy, QVBoxLayout, QWidget

from kiosk.ui.widgets.painted import PaintedButton
from kiosk.ui.widgets.text import label


class Tile(PaintedButton):
    """A button laid out like a card. The labels inside ignore the mouse, so the whole
    card is one target and a near miss on the text still counts as a tap."""

    def __init__(
        self,
        title: str,
        subtitle: str,
        icon_pixmap: object | None,
        min_height: int,
        horizontal: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("", parent)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        # Keyboard focus only: a tap must not leave a focus ring behind (it reads as
        # "selected"), nor restyle and repaint the screen it is leaving.
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._min_height = min_height
        box = QHBoxLayout(self) if horizontal else QVBoxLayout(self)
        box.setContentsMargins(24, 20, 24, 20)
        box.setSpacing(16 if horizontal else 8)
        self.icon_label: QLabel | None = None
        if icon_pixmap is not None or horizontal:
            self.icon_label = QLabel()
            self.icon_label.setObjectName("tile-icon")
            if icon_pixmap is not None:
                self.icon_label.setPixmap(icon_pixmap)  # type: ignore[arg-type]
            self.icon_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            box.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        texts = QVBoxLayout()
        texts.setSpacing(4)
        self.title_label = label(title, "tile-title")
        self.subtitle_label = label(subtitle, "tile-subtitle")
        for lab in (self.title_label, self.subtitle_label):
            lab.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            texts.addWidget(lab)
        texts.addStretch(1)
        box.addLayout(texts, 1)
        self.setAccessibleName(f"{title}. {subtitle}")
        self.setText("")

    def set_icon(self, pixmap: object) -> None:
        """Change the icon (a consent tick, say) without rebuilding the tile."""
        if self.icon_label is not None:
            self.icon_label.setPixmap(pixmap)  # type: ignore[arg-type]

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        # Grid layouts do not ask children for height-for-width, so the tile claims the
        # height its wrapped text needs at the width it was given.
        need = self.heightForWidth(self.width())
        if self.minimumHeight() != need:
            self.setMinimumHeight(need)

    def _own_layout(self) -> QLayout:
        box = self.layout()
        assert box is not None, "a tile lays out its icon and text"
        return box

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return max(self._min_height, self._own_layout().totalHeightForWidth(width))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = self._own_layout().totalSizeHint()
        return QSize(max(hint.width(), 280), max(self._min_height, hint.height()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._min_height, self._min_height)
