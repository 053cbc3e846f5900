"""What every screen is built from: settings, content, the visitor's language and sizes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import QDate, QLocale
from PySide6.QtWidgets import QWidget

from kiosk.config import Settings
from kiosk.content import Content, LanguageContent
from kiosk.ui.icons import Icons
from kiosk.ui.theme import Metrics
from kiosk.ui.widgets.scroll_page import PagePool


def window_metrics(window: QWidget, configured_dpi: float, text_step: int) -> Metrics:
    """The sizes for ``window`` as it is now: its screen's density (unless the clinic set
    one, or the screen reports nonsense), its shape, and the visitor's text size."""
    screen = window.screen()
    reported = screen.physicalDotsPerInch() if screen is not None else 96.0
    dpi = Metrics.sane_dpi(reported, configured_dpi)
    return Metrics(dpi=dpi, text_step=text_step, portrait=window.height() > window.width())


def format_date(lang: LanguageContent, day: dt.date) -> str:
    """Return ``day`` written the way ``lang`` writes dates (22.11.2026 in Türkçe)."""
    locale = QLocale(lang.meta.locale or lang.code)
    return locale.toString(QDate(day.year, day.month, day.day), lang.ui.date_format)


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
