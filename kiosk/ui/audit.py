"""Checks a patient would make by eye: targets big enough to tap, text that fits its box."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QLabel, QToolButton, QWidget


def _label_problem(label: QLabel) -> str | None:
    text = label.text()
    if not text.strip() or label.pixmap() is not None and not label.pixmap().isNull():
        return None
    fm = label.fontMetrics()
    rect = label.contentsRect()
    if label.wordWrap():
        # Qt may break lines at zero-width spaces too (long links use them), after a hyphen
        # ("Anti-dsDNA-Antikörper"), and at a soft hyphen (kiosk.hyphens), where it draws one.
        pieces = text.replace("\u200b", " ").replace("\u00ad", "- ").replace("-", "- ").split()
        widest = max(fm.horizontalAdvance(word) for word in pieces)
        if widest > rect.width():
            return f"a word is {widest}px wide in a {rect.width()}px label"
        needed = label.heightForWidth(label.width())
        if needed > label.height():
            return f"needs {needed}px height, has {label.height()}px"
        return None
    width = max(fm.horizontalAdvance(line) for line in text.splitlines())
    if width > rect.width():
        return f"text is {width}px wide in a {rect.width()}px label"
    if fm.height() > rect.height():
        return f"text is {fm.height()}px tall in a {rect.height()}px label"
    return None


def _button_problem(button: QAbstractButton) -> str | None:
    text = button.text()
    if not text.strip():
        return None
    fm = button.fontMetrics()
    widest = max(fm.horizontalAdvance(line) for line in text.splitlines())
    room = button.width() - 16
    if not isinstance(button, QToolButton) and not button.icon().isNull():
        room -= button.iconSize().width() + 8
    if widest > room:
        return f"label is {widest}px wide, {room}px room"
    tall = fm.lineSpacing() * len(text.splitlines())
    if isinstance(button, QToolButton) and not button.icon().isNull():
        tall += button.iconSize().height()
    if tall > button.height() - 4:
        return f"label needs {tall}px height, button is {button.height()}px"
    return None


def _name(widget: QWidget) -> str:
    own = widget.objectName() or type(widget).__name__
    text = ""
    if isinstance(widget, (QLabel, QAbstractButton)):
        text = widget.text().replace("\n", " ")[:40]
    return f"{own} {text!r}" if text else own


def audit(root: QWidget, min_target: int) -> list[str]:
    """Return problems under ``root``: tappable things smaller than ``min_target`` px on either
    side (or their own ``touch_target`` property, for keyboard keys), and labels or button
    texts that do not fit their widget (cut off or overflowing)."""
    problems: list[str] = []
    widgets = [root, *root.findChildren(QWidget)]
    for widget in widgets:
        if not widget.isVisibleTo(root.window()) or not widget.isVisible():
            continue
        if isinstance(widget, QAbstractButton):
            # On-screen keyboard keys declare their own minimum (72 px: twelve share a row).
            own = widget.property("touch_target")
            need = int(own) if own else min_target
            if widget.width() < need or widget.height() < need:
                problems.append(
                    f"{_name(widget)}: {widget.width()}x{widget.height()}px, "
                    f"under the {need}px touch target"
                )
            if (why := _button_problem(widget)) is not None:
                problems.append(f"{_name(widget)}: {why}")
        elif isinstance(widget, QLabel) and (why := _label_problem(widget)) is not None:
            problems.append(f"{_name(widget)}: {why}")
    return problems
