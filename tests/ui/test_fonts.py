"""The bundled Noto fonts load and cover Turkish and Arabic letters on any machine."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontInfo, QFontMetrics

from kiosk.ui.app import load_fonts


def test_bundled_fonts_cover_turkish_and_arabic(qapp) -> None:
    """Noto Sans has ğ ü ş ı ö ç İ; Noto Sans Arabic has Arabic letters."""
    families = load_fonts()
    assert {"Noto Sans", "Noto Sans Arabic"} <= set(families)
    latin = QFont("Noto Sans")
    assert QFontInfo(latin).family() == "Noto Sans"
    metrics = QFontMetrics(latin)
    assert all(metrics.inFontUcs4(ord(ch)) for ch in "ğüşıöçĞÜŞİÖÇ")
    arabic = QFontMetrics(QFont("Noto Sans Arabic"))
    assert all(arabic.inFontUcs4(ord(ch)) for ch in "العربية")
