"""What every screen is built from: settings, content, the visitor's language and sizes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import QDate, QLocale

from kiosk.config import Settings
from kiosk.content import Content, LanguageContent
from kiosk.ui.icons import Icons
from kiosk.ui.theme import Metrics
from kiosk.ui.widgets.scroll_page import PagePool


def format_date(lang: LanguageContent, day: dt.date) -> str:
    """Return ``day`` written the way ``lang`` writes dates (22.11.2026 in Türkçe)."""
    return QLocale(lang.code).toString(QDate(day.year, day.month, day.day), lang.ui.date_format)


@dataclass
class FlowState:
    """Where the visitor is in the appointment form; kept by the main window beside the
    FormData, so a language change (which rebuilds the screen) keeps the step."""

    step: str = "notice"
    reference: str = ""
    editing: bool = False  # changing an answer from the review: Next returns there

    def reset(self) -> None:
        self.step = "notice"
        self.reference = ""
        self.editing = False


@dataclass(frozen=True)
class ScreenContext:
    """Passed to each screen's constructor; rebuilt when language or text size changes."""

    settings: Settings
    content: Content
    lang: LanguageContent
    metrics: Metrics
    icons: Icons
    languages: tuple[str, ...]
    pages: PagePool  # the main window's: screens take their scrolling pages from it

    def date_text(self, day: dt.date) -> str:
        """Return ``day`` written the way this language writes dates (22.11.2026 in Türkçe)."""
        return format_date(self.lang, day)

    def status_text(self, status: str) -> str:
        """Return the neutral, translated wording for a treatment status."""
        return str(getattr(self.lang.ui, f"status_{status}"))
