"""The "Are you still there?" overlay: dims the screen, counts down, one big button."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QWidget

from kiosk.content import UiStrings
from kiosk.ui.theme import LIGHT, Metrics
from kiosk.ui.widgets.overlay_card import centred_card
from kiosk.ui.widgets.text import label


class CountdownRing(QLabel):
    """The seconds left, in numbers and as a ring that empties (no flashing)."""

    def __init__(self, total: int) -> None:
        super().__init__()
        self.setObjectName("idle-countdown")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.total = max(1, total)
        self.left = total
        self.setFixedSize(180, 180)

    def set_left(self, seconds: int) -> None:
        self.left = seconds
        self.setText(str(seconds))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(10, 10, -10, -10)
        painter.setPen(QPen(QColor(LIGHT.zebra), 12))
        painter.drawEllipse(rect)
        painter.setPen(QPen(QColor(LIGHT.primary), 12))
        span = int(360 * 16 * self.left / self.total)
        painter.drawArc(rect, 90 * 16, span)
        painter.end()
        super().paintEvent(event)


class IdleOverlay(QWidget):
    """Covers the whole window. ``start`` begins the countdown; at zero ``expired`` fires.

    Signals:
        continued(): the visitor tapped "Yes, continue".
        expired(): nobody answered in time.
    """

    continued = Signal()
    expired = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("idle-overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self.left = 0
        self._box: QFrame | None = None
        self.hide()

    @property
    def counting(self) -> bool:
        return self._timer.isActive()

    def build(self, ui: UiStrings, metrics: Metrics, seconds: int) -> None:
        """(Re)build the card for the current language and sizes."""
        self._ui, self.total = ui, seconds
        outer, box, inner = centred_card(self, "idle-card", metrics, 1000)
        inner.addWidget(label(ui.idle_title, "screen-title"), 0, Qt.AlignmentFlag.AlignHCenter)
        self.ring = CountdownRing(seconds)
        inner.addWidget(self.ring, 0, Qt.AlignmentFlag.AlignHCenter)
        self.message = label("", "body-text")
        self.message.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        inner.addWidget(self.message)
        self.continue_button = QPushButton(ui.idle_continue)
        self.continue_button.setObjectName("idle-continue")
        self.continue_button.setMinimumSize(metrics.target * 4, metrics.button_height + 24)
        self.continue_button.clicked.connect(self._continue)
        inner.addWidget(self.continue_button, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addWidget(box)
        self._box = box
        self._show_left()

    def start(self) -> None:
        """Show the overlay over everything and start counting down."""
        self.left = self.total
        self._show_left()
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.hide()

    def _show_left(self) -> None:
        self.ring.set_left(self.left)
        self.message.setText(self._ui.idle_body.format(seconds=self.left))

    def _continue(self) -> None:
        self.stop()
        self.continued.emit()

    def _tick(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.stop()
            self.expired.emit()
        else:
            self._show_left()
