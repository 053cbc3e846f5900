"""The persistent bar at the bottom of every screen."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPainter, QPen, QPixmap, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QToolButton, QWidget

from kiosk.content import UiStrings
from kiosk.hyphens import break_points
from kiosk.ui.icons import Icons
from kiosk.ui.theme import LIGHT, Metrics

# The smallest a bar label is shrunk to, rather than cut (the bar's own size is 24 px).
MIN_LABEL_PX = 18


def _level_icon(level: int, levels: int, side: int) -> QIcon:
    """Bars of rising height, as many filled as the text size's level (0 = the first)."""
    ratio = 2.0  # drawn sharp on high-density screens too
    pixmap = QPixmap(round(side * ratio), round(side * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    gap, width = 3.0, (side - 3.0 * (levels - 1)) / levels
    for i in range(levels):
        height = side * (0.4 + 0.6 * i / max(1, levels - 1))
        rect = QRectF(i * (width + gap) + 1, side - height + 1, width - 2, height - 2)
        painter.setPen(QPen(QColor(LIGHT.text), 2))
        painter.setBrush(QColor(LIGHT.primary) if i <= level else Qt.GlobalColor.transparent)
        painter.drawRoundedRect(rect, 2, 2)
    painter.end()
    return QIcon(pixmap)


class NavBar(QWidget):
    """Home · Back · Language · Text size · Help · I am done, and the appointment action.

    Every item is an icon with a label, at least the touch target in both directions.

    Signals:
        home_clicked, back_clicked, language_clicked, text_size_clicked, help_clicked,
        done_clicked, appointment_clicked: the visitor tapped that item.
    """

    home_clicked = Signal()
    back_clicked = Signal()
    language_clicked = Signal()
    text_size_clicked = Signal()
    help_clicked = Signal()
    done_clicked = Signal()
    appointment_clicked = Signal()

    ITEMS = (
        ("nav-home", "house", "home_clicked"),
        ("nav-back", "arrow-left", "back_clicked"),
        ("nav-language", "languages", "language_clicked"),
        ("nav-text-size", "type", "text_size_clicked"),
        ("nav-help", "circle-help", "help_clicked"),
        ("nav-done", "log-out", "done_clicked"),
        ("nav-appointment", "calendar-plus", "appointment_clicked"),
    )

    def __init__(self, icons: Icons, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nav-bar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._icons = icons
        self._labels: dict[str, str] = {}
        self._hyphenation = ""
        self._applied: tuple[object, ...] | None = None
        self._layout = QHBoxLayout(self)
        self.buttons: dict[str, QToolButton] = {}
        for name, _icon, signal_name in self.ITEMS:
            button = QToolButton()
            button.setObjectName(name)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            # Ignored: the bar shares its width out by stretch, and labels wrap to fit, so
            # seven long Turkish labels can never force the window wider than the screen.
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
            # Tab reaches it; a tap does not leave a focus ring on it.
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(getattr(self, signal_name).emit)
            self.buttons[name] = button
            self._layout.addWidget(button, 3 if name == "nav-appointment" else 2)

    def apply(
        self, ui: UiStrings, text_step: int, metrics: Metrics, rtl: bool, hyphenation: str = ""
    ) -> None:
        """Set labels, icons and sizes for the language (``hyphenation``: its dictionary,
        where a one-word label may break), text size and screen."""
        state = (id(ui), text_step, metrics, rtl, hyphenation)
        if state == self._applied:
            return  # unchanged: re-setting every icon and label would repaint the whole bar
        self._applied = state
        self._hyphenation = hyphenation
        self.setFixedHeight(metrics.bar_height)
        self._layout.setContentsMargins(metrics.margin // 2, 8, metrics.margin // 2, 8)
        self._layout.setSpacing(8)
        labels = {
            "nav-home": ui.bar_home,
            "nav-back": ui.bar_back,
            "nav-language": ui.bar_language,
            "nav-text-size": ui.bar_text_size,
            "nav-help": ui.bar_help,
            "nav-done": ui.bar_done,
            "nav-appointment": ui.bar_appointment,
        }
        # The bar is chrome, not reading matter: its size stays put so six labels always
        # fit across a portrait screen, whatever text size the visitor chose.
        size = 32
        for name, icon, _ in self.ITEMS:
            # (Back's arrow, mirrored, points the way the text came from; "I am done" out.)
            color = LIGHT.on_primary if name == "nav-appointment" else LIGHT.text
            button = self.buttons[name]
            if name == "nav-text-size":
                # The level now, as a meter of three bars, so a tap for "bigger" shows where
                # it got to (and that the next one after the largest starts again at normal).
                button.setIcon(_level_icon(text_step, len(ui.text_sizes), size))
            else:
                button.setIcon(self._icons.icon(icon, color, size, rtl))
            button.setIconSize(QSize(size, size))
            button.setMinimumSize(metrics.target, metrics.target)
        self._labels = labels
        self._fit_labels()
        current = ui.text_sizes[text_step]
        self.buttons["nav-text-size"].setAccessibleName(f"{ui.bar_text_size}: {current}")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_labels()

    def _fit_labels(self) -> None:
        """Fit each label to its button, never eliding it: on one line; else on two, broken
        between words or, for a long word ("Schriftgröße"), at a syllable with a hyphen;
        else, as a last resort, in smaller type (a style of its own: the bar's style sheet
        sets the type size)."""
        for name, button in self.buttons.items():
            text = self._labels.get(name, "")
            room = button.width() - 24
            if button.styleSheet():
                button.setStyleSheet("")  # (shrunk for an earlier label, or width)
            font = QFont(button.font())
            fitted, width = self._two_lines(text, QFontMetrics(font), room)
            while room > 0 and width > room and font.pixelSize() > MIN_LABEL_PX:
                font.setPixelSize(font.pixelSize() - 1)
                fitted, width = self._two_lines(text, QFontMetrics(font), room)
            if font.pixelSize() != button.font().pixelSize():
                button.setStyleSheet(f"font-size: {font.pixelSize()}px;")
            button.setText(fitted)

    def _two_lines(self, text: str, fm: QFontMetrics, room: int) -> tuple[str, int]:
        """``text`` on one line if it fits ``room``; else on two, broken between words if
        that fits, else where the two lines are narrowest, at a syllable too; and the width
        it takes."""
        one = fm.horizontalAdvance(text)
        if one <= room or "\n" in text:
            return text, one

        def width(pair: tuple[str, str]) -> int:
            return max(fm.horizontalAdvance(pair[0]), fm.horizontalAdvance(pair[1]))

        words = text.split(" ")
        splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
        if not splits or width(min(splits, key=width)) > room:
            for i, word in enumerate(words):  # a word broken only when it must be
                for at in break_points(word, self._hyphenation):
                    first = " ".join([*words[:i], word[:at] + "-"])
                    splits.append((first, " ".join([word[at:], *words[i + 1 :]])))
        if not splits:
            return text, one
        best = min(splits, key=width)
        if width(best) >= one:
            return text, one
        return f"{best[0]}\n{best[1]}", width(best)

    def set_back_enabled(self, enabled: bool) -> None:
        self.buttons["nav-back"].setEnabled(enabled)
