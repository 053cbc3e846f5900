"""Label helpers: wrapped text whose objectName gives its role (kiosk/ui/look.py, style.qss)."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QWidget


def label(text: str, name: str = "body-text", parent: QWidget | None = None) -> QLabel:
    """Return a word-wrapped plain-text label whose objectName selects its style."""
    widget = QLabel(text, parent)
    widget.setObjectName(name)
    widget.setWordWrap(True)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return widget


ZERO_WIDTH_SPACE = "\u200b"


def breakable(url: str) -> str:
    """Let a long link wrap after its separators instead of running off the screen."""
    for sep in "/?&=-.":
        url = url.replace(sep, sep + ZERO_WIDTH_SPACE)
    return url


# A word wider than this, in its label's type, may be broken at a syllable: the narrowest
# boxes of text (a tile of six in a row, a table's column at 1920 px wide) are a little
# wider, so a shorter word always fits whole.
LONG_WORD_PX = 190


def _wide(fm: QFontMetrics, limit: float, word: str) -> bool:
    return fm.horizontalAdvance(word) > limit


def ready_for_language(root: QWidget, rtl: bool, hyphenation: str, scale: float = 1.0) -> None:
    """Ready every label under ``root`` (a screen just built and polished: its labels have
    their type) for its language:

    - ``hyphenation`` (a dictionary name, kiosk.hyphens): a wrapped label's long words (wider
      than LONG_WORD_PX at the text size's ``scale``) get soft hyphens, so a German compound
      breaks at a syllable, with a hyphen, instead of running out of its box (Qt breaks
      lines only between words, and after a hyphen, otherwise);
    - ``rtl``: a text that starts with a Latin letter (the clinic's name from the config, a
      guideline's name) gets a right-to-left mark, so it is aligned and punctuated like the
      Arabic around it (Qt lays a paragraph out in the direction of its first letter, not
      the widget's); phone numbers read left to right; and a right-to-left button's line
      is isolated as right to left (Qt draws a button's text left to right). See
      kiosk.bidi.
    """
    if not rtl and not hyphenation:
        return
    from kiosk.bidi import rtl_paragraphs
    from kiosk.hyphens import soft_hyphens

    for widget in root.findChildren(QLabel):  # (a button's one line never wraps)
        text = ready = widget.text()
        if hyphenation and widget.wordWrap():
            # (polished: measured in the type it is shown in; at a larger text size the
            # boxes are wider too, fewer to a row)
            wide = partial(_wide, widget.fontMetrics(), LONG_WORD_PX * scale)
            ready = soft_hyphens(ready, hyphenation, wide)
        if rtl:
            ready = rtl_paragraphs(ready)
        if ready != text:
            widget.setText(ready)
    if rtl:
        from PySide6.QtWidgets import QAbstractButton

        from kiosk.bidi import rtl_line

        for button in root.findChildren(QAbstractButton):  # ("تركيا +90", in that order)
            if button.layoutDirection() != Qt.LayoutDirection.RightToLeft:
                continue  # (the keyboard's keys, a Latin language's own name)
            line = rtl_line(button.text())
            if line != button.text():
                button.setText(line)
