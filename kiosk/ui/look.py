"""The content screens' look without a style sheet: the rules of resources/style.qss as code.

Qt's style sheet engine keeps state for every widget under a sheet: a plain widget costs
~13 KiB under a sheet that matches nothing, ~4 KiB under none (measured), and each one is
matched against the rules as it is built. The content screens (Home, sections, topics,
tables, FAQ, sources, about, help, language) are built once and kept, in every language, so
they are styled here instead, once, by object name: fonts, text colours and the boxes that
Panel and PaintedButton draw. The form, the staff screens, the bar and the overlays keep the
style sheet. Change a rule in both places (tests/ui/test_look.py compares them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QAbstractButton, QFrame, QLabel, QWidget

from kiosk.ui.theme import LIGHT, Metrics, Palette, font_families
from kiosk.ui.widgets.painted import Box, ButtonLook, PaintedButton, Panel


@dataclass(frozen=True)
class Text:
    """A label's type: size role (a Metrics property), weight and colour token."""

    size: str = "body"
    bold: bool = False
    color: str = "text"


# QLabel#<name> rules.
LABELS: dict[str, Text] = {
    "screen-title": Text("title", True),
    "clinic-name": Text("title", True, "primary"),
    "block-heading": Text("section", True),
    "card-title": Text("section", True),
    "secondary-text": Text("secondary", color="muted"),
    "source-meta": Text("secondary", color="muted"),
    "qr-url": Text("secondary", color="muted"),
    "body-text": Text(),
    "bullet-text": Text(),
    "status-text": Text("body", True),
    "tile-title": Text("section", True),
    "tile-subtitle": Text("secondary", color="muted"),
    "table-head-text": Text("section", True, "on_primary"),
    "status-small": Text("secondary", True),
    "table-row-head": Text("body", True),
    "table-cell": Text(),
    "card-field": Text("secondary", True, "muted"),
    "card-title-small": Text("body", True),
    "faq-question-text": Text("body", True),
    "about-key": Text("secondary", True, "muted"),
    "language-name": Text("section"),
}
# Labels padded and filled like table cells (QLabel#table-cell, #table-row-head).
CELLS = frozenset({"table-cell", "table-row-head"})
CELL_PADDING = 16


def panels(p: Palette = LIGHT) -> dict[str, Box]:
    """QFrame#<name> rules: the boxes Panel draws."""
    return {
        "summary-box": Box(p.tint, radius=16),
        "notice-box": Box(p.notice_bg, radius=16),
        "status-line": Box(p.surface, p.border, 3, 16),
        "card": Box(p.surface, p.border, 2, 20),
        "block-card": Box(p.surface, p.border, 1, 16),
        # When to call 112: framed in the error colour, with an icon and words (never colour
        # alone), on white so it stays calm and readable.
        "warning-box": Box(p.surface, p.error, 3, 16),
        "table-head": Box(p.primary),
    }


def buttons(m: Metrics, p: Palette = LIGHT) -> dict[str, ButtonLook]:
    """QPushButton#<name> rules ("" is the plain QPushButton rule)."""
    plain = ButtonLook(
        normal=Box(p.surface, p.primary, 3, 16),
        down=Box(p.pressed, p.primary, 3, 16),
        checked=Box(p.pressed, p.primary, 3, 16),
        focus=Box(p.surface, p.primary, 4, 16),
        disabled=Box(p.surface, p.border, 3, 16),
        text=p.text,
        disabled_text=p.muted,
        pad_v=8,
        pad_h=24,
        min_height=m.button_height,
    )
    card = ButtonLook(
        normal=Box(p.surface, p.border, 2, 20),
        down=Box(p.pressed, p.primary, 4, 20),
        text=p.text,
        min_height=m.button_height,
    )
    return {
        "": plain,
        "language-option": replace(
            plain, checked=Box(p.primary, p.primary, 3, 16), checked_text=p.on_primary
        ),
        # No padding: the chip is the touch target square, its number centred.
        "source-chip": replace(plain, pad_v=0, pad_h=0, min_width=m.target, min_height=m.target),
        "tile": card,
        "topic-row": card,
        "tile-appointment": ButtonLook(
            normal=Box(p.primary, p.primary, 2, 20),
            down=Box(p.primary_pressed, p.primary, 2, 20),
            text=p.on_primary,
            min_height=m.button_height,
        ),
        "faq-question": ButtonLook(
            normal=Box(p.surface, p.border, 2, 16),
            down=Box(p.pressed, p.border, 2, 16),
            checked=Box(p.surface, p.primary, 4, 16),
            min_height=m.button_height,
            text=p.text,
        ),
    }


# QPushButton#<name> font rules: (size role, bold).
BUTTON_TEXT: dict[str, tuple[str, bool]] = {"source-chip": ("secondary", True)}


@lru_cache(maxsize=64)
def font(pixels: int, bold: bool) -> QFont:
    """The kiosk's type at ``pixels`` px (one shared QFont per size and weight)."""
    f = QFont()
    f.setFamilies(list(font_families()))
    f.setPixelSize(pixels)
    f.setBold(bold)
    return f


@lru_cache(maxsize=32)
def _palette(text: str, fill: str | None = None) -> QPalette:
    pal = QPalette()
    # Labels inside a button draw in ButtonText (they take the button's background role).
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        pal.setColor(role, QColor(text))
    if fill is not None:
        pal.setColor(QPalette.ColorRole.Window, QColor(fill))
    return pal


def base_palette(p: Palette = LIGHT) -> QPalette:
    """The window's palette: page colour behind, text colour for labels."""
    pal = QPalette(_palette(p.text, p.background))
    pal.setColor(QPalette.ColorRole.Base, QColor(p.surface))
    return pal


class LookError(Exception):
    """A content screen holds a part the look cannot draw (a plain QFrame box or button)."""


def apply_look(screen: QWidget, m: Metrics, p: Palette = LIGHT) -> None:
    """Style ``screen`` (a content screen, built with no style sheet) once, in place."""
    _Styler(m, p).walk(screen, None)


class _Styler:
    def __init__(self, m: Metrics, p: Palette) -> None:
        self.m = m
        self.p = p
        self.panels = panels(p)
        self.buttons = buttons(m, p)

    def color(self, token: str) -> str:
        return str(getattr(self.p, token))

    def walk(self, widget: QWidget, within: str | None) -> None:
        """Style ``widget``'s children; ``within`` names the nearest box that changes the
        colour of the text inside it (notice box, appointment tile, table head)."""
        for child in widget.children():
            if not isinstance(child, QWidget):
                continue
            name = child.objectName()
            if isinstance(child, QLabel):
                self.label(child, name, within)
            elif isinstance(child, QAbstractButton):
                self.button(child, name)
            elif name in self.panels:
                if not isinstance(child, Panel):
                    raise LookError(f"{name} is a {type(child).__name__}, not a Panel")
                child.set_box(self.panels[name])
            inner = within
            if name in ("notice-box", "tile-appointment", "table-head"):
                inner = name
            self.walk(child, inner)

    def label(self, label: QLabel, name: str, within: str | None) -> None:
        text = LABELS.get(name, Text())
        size, color = text.size, text.color
        if within == "notice-box":
            # QFrame#notice-box QLabel: smaller, in the notice colour.
            size, color = "secondary", "notice_text"
        elif within == "tile-appointment" or (within == "table-head" and name == "status-small"):
            color = "on_primary"
        label.setFont(font(getattr(self.m, size), text.bold))
        fill = None
        if name in CELLS:
            fill = self.p.zebra if label.property("zebra") == "true" else self.p.surface
            label.setMargin(CELL_PADDING)
            # A padded label under the style sheet indents its text by half an "x" and
            # sizes itself for a whole one (QLabel's indent for a label with a frame), on
            # the sides its alignment names: kept, so cells read and line up the same.
            half = label.fontMetrics().horizontalAdvance("x") // 2
            label.setIndent(half)
            top = bool(
                label.alignment() & (Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignBottom)
            )
            label.setContentsMargins(0, 0, 0, half if top else 0)
            label.setAutoFillBackground(True)
        if color != "text" or fill is not None:
            label.setPalette(_palette(self.color(color), fill))

    def button(self, button: QAbstractButton, name: str) -> None:
        if not isinstance(button, PaintedButton):
            raise LookError(f"{name or 'a button'} is a {type(button).__name__}")
        look = self.buttons.get(name, self.buttons[""])
        button.set_look(look)
        size, bold = BUTTON_TEXT.get(name, ("body", False))
        button.setFont(font(getattr(self.m, size), bold))
        # Buttons take the platform's button palette, not their parent's: give the labels
        # inside (tiles, questions) the text colour back.
        button.setPalette(_palette(look.text))


def unpainted(screen: QWidget) -> list[str]:
    """Frames and buttons under ``screen`` that would need the style sheet to be drawn (for
    tests): every named box must be a Panel and every button a PaintedButton."""
    boxes = panels()
    found = []
    for widget in screen.findChildren(QWidget):
        name = widget.objectName()
        if isinstance(widget, QAbstractButton) and not isinstance(widget, PaintedButton):
            found.append(f"button {name or type(widget).__name__}")
        elif isinstance(widget, QFrame) and name in boxes and not isinstance(widget, Panel):
            found.append(f"frame {name}")
    return found
