"""A language choice: the language in its own name and script, ticked when current."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk.ui.context import ScreenContext
from kiosk.ui.theme import LIGHT
from kiosk.ui.widgets.painted import PaintedButton


def language_button(ctx: ScreenContext, code: str, icon_size: int) -> PaintedButton:
    """Return the checkable button for language ``code`` (never a flag)."""
    lc = ctx.content.languages[code]
    button = PaintedButton(lc.meta.name)
    button.setObjectName("language-option")
    button.setCheckable(True)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # no focus ring after a tap
    current = code == ctx.lang.code
    button.setChecked(current)

    # A tap must not toggle it: the screen is kept and shown again, and it should still
    # mark the language it was built for (the tap itself switches the language).
    def keep_mark(on: bool) -> None:
        if on != current:
            button.setChecked(current)

    button.toggled.connect(keep_mark)
    if current:
        # A tick as well as the colour: the choice is never shown by colour alone.
        button.setIcon(ctx.icons.icon("circle-check", LIGHT.on_primary, icon_size))
    button.setLayoutDirection(
        Qt.LayoutDirection.RightToLeft if lc.rtl else Qt.LayoutDirection.LeftToRight
    )
    return button
