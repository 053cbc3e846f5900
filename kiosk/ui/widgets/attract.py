"""Attract mode: after a reset, Home shows one topic at a time, changing slowly and calmly."""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, Qt, QTimeLine, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QGraphicsOpacityEffect, QWidget

from kiosk.content import LanguageContent
from kiosk.ui.theme import Metrics
from kiosk.ui.widgets.overlay_card import centred_card
from kiosk.ui.widgets.text import label

FADE_MS = 1500  # a slow cross-fade: nothing flashes, nothing jumps
# 20 frames a second is smooth for a fade this slow, and a third of the CPU of Qt's 60:
# every frame repaints the card and the Home screen under the see-through overlay.
FADE_FRAME_MS = 50


class AttractOverlay(QWidget):
    """Covers the window with a calm card; the first touch anywhere dismisses it (and is
    not passed on, so it cannot open a tile by accident).

    Signals:
        dismissed(): a visitor touched the screen.
    """

    dismissed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("attract-overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.next_topic)
        self._topics: list[tuple[str, str]] = []
        self.index = 0
        self._effect: QGraphicsOpacityEffect | None = None
        self._fade = QTimeLine(FADE_MS, self)
        self._fade.setUpdateInterval(FADE_FRAME_MS)
        self._fade.setEasingCurve(QEasingCurve.Type.InOutSine)
        self.hide()

    @property
    def rotating(self) -> bool:
        return self._timer.isActive()

    def start(
        self,
        lang: LanguageContent,
        metrics: Metrics,
        seconds: int,
        hints: tuple[str, ...] = (),
    ) -> None:
        """Show the first topic and change it every ``seconds``, with "touch the screen to
        start" in ``hints`` (one per language offered: nobody has chosen one yet)."""
        self._topics = [(t.title, t.summary) for t in lang.topics.values()]
        if not self._topics:
            return
        outer, card, inner = centred_card(self, "attract-card", metrics, 1200)
        self.title = label("", "screen-title")
        self.summary = label("", "body-text")
        inner.addWidget(self.title)
        inner.addWidget(self.summary)
        outer.addWidget(card)
        outer.addSpacing(metrics.gap * 2)
        for text in hints or (lang.ui.attract_hint,):
            hint = label(text, "attract-hint")
            hint.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            outer.addWidget(hint)
        self._effect = QGraphicsOpacityEffect(card)
        card.setGraphicsEffect(self._effect)
        # Signal to Qt slot: each frame of the fade is set by Qt, with no Python call.
        self._fade.valueChanged.connect(self._effect.setOpacity)
        self.index = -1
        self.next_topic()
        window = self.parentWidget()
        if window is not None:
            self.setGeometry(window.rect())
        self.show()
        self.raise_()
        self._timer.start(seconds * 1000)

    def next_topic(self) -> None:
        """Show the next topic, fading it in gently."""
        self.index = (self.index + 1) % len(self._topics)
        title, summary = self._topics[self.index]
        self.title.setText(title)
        self.summary.setText(summary)
        self._fade.stop()
        self._set_opacity(0.0)
        self._fade.start()

    def _set_opacity(self, value: float) -> None:
        if self._effect is not None:
            self._effect.setOpacity(value)

    def freeze(self) -> None:
        """Stop the rotation with the current card fully shown (for screenshots)."""
        self._timer.stop()
        self._fade.stop()
        self._set_opacity(1.0)

    def stop(self) -> None:
        self._timer.stop()
        self._fade.stop()
        self.hide()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        event.accept()  # the touch that wakes the kiosk does nothing else
        self.stop()
        self.dismissed.emit()
