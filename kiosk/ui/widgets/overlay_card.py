"""The card in the middle of an overlay (idle warning, leave question, attract mode)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QSizePolicy, QVBoxLayout, QWidget

from kiosk.ui.theme import Metrics


def centred_card(
    overlay: QWidget, name: str, metrics: Metrics, max_width: int
) -> tuple[QVBoxLayout, QFrame, QVBoxLayout]:
    """Empty ``overlay`` (its old card goes with its old layout) and give it a new card named
    ``name``, centred, at most ``max_width`` wide (and never wider than the window allows).
    Returns the overlay's layout, the card and the card's column for its contents."""
    old = overlay.layout()
    if old is not None:
        QWidget().setLayout(old)  # drop the old layout and its widgets
    outer = QVBoxLayout(overlay)
    outer.setAlignment(Qt.AlignmentFlag.AlignCenter)
    card = QFrame()
    card.setObjectName(name)
    card.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
    window = overlay.parentWidget() or overlay
    card.setMaximumWidth(min(max_width, max(600, window.width() - 2 * metrics.margin)))
    inner = QVBoxLayout(card)
    inner.setContentsMargins(56, 48, 56, 48)
    inner.setSpacing(metrics.gap)
    return outer, card, inner
