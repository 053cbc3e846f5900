"""What every screen is to the main window: a widget with lifecycle hooks the window calls
without knowing which screen it is."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QScrollArea, QScrollBar, QWidget
from shiboken6 import isValid


@dataclass(frozen=True)
class Place:
    """Where a visitor is on a screen: how far down (0 to 1) and what they opened there."""

    fraction: float = 0.0
    opened: str | None = None


class Screen(QWidget):
    """A screen of the kiosk. The main window calls these hooks; each default suits a
    screen of content, and a screen overrides only what it does differently.

    - shown_fresh(arg): a kept screen is shown again as if new (not on Back): at the top.
    - put_away(): the screen left the display (kept, or about to be deleted): a screen
      showing a visitor's data empties its widgets (the data itself lives in the visit).
    - place() / return_to(place): the reading place, kept across a change of language.
    - go_back(): the bar's Back, inside the screen first (the form's steps); False when
      there is nothing to go back to here and the window should leave the screen.
    - resume_typing(): the field being typed into takes the focus back.
    - form_visit_ended(): the visitor's form data is gone; a screen showing it empties its
      widgets (it may wait for deletion a while).
    - staff_session_ended(): staff signed out; a screen showing patients' data empties it.
    """

    def shown_fresh(self, arg: str | None) -> None:
        for area in self.findChildren(QScrollArea):
            area.verticalScrollBar().setValue(0)

    def place(self) -> Place:
        bar = self._scroll_bar()
        if bar is None or bar.maximum() <= 0:
            return Place()
        return Place(bar.value() / bar.maximum())

    def return_to(self, place: Place) -> None:
        if place.fraction <= 0:
            return
        bar = self._scroll_bar()
        if bar is None:
            return

        # Once the screen is laid out: its length is known only then.
        def scroll() -> None:
            if isValid(bar):  # (the screen may be gone by then)
                bar.setValue(round(place.fraction * bar.maximum()))

        QTimer.singleShot(0, scroll)

    def put_away(self) -> None:
        return None

    def go_back(self) -> bool:
        return False

    def resume_typing(self) -> None:
        return None

    def form_visit_ended(self) -> None:
        return None

    def staff_session_ended(self) -> None:
        return None

    def _scroll_bar(self) -> QScrollBar | None:
        areas = self.findChildren(QScrollArea)
        return areas[0].verticalScrollBar() if areas else None
