"""The bundled Noto fonts load and cover Turkish and Arabic letters on any machine."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontInfo, QFontMetrics

from kiosk.ui.app import load_fonts


def test_bundled_fonts_cover_turkish_and_arabic(qapp) -> None:
    """Noto Sans has ğ ü ş ı ö ç İ; Noto Sans Arabic UI has Arabic letters."""
    families = load_fonts()
    assert {"Noto Sans", "Noto Sans Arabic UI"} <= set(families)
    latin = QFont("Noto Sans")
    assert QFontInfo(latin).family() == "Noto Sans"
    metrics = QFontMetrics(latin)
    assert all(metrics.inFontUcs4(ord(ch)) for ch in "ğüşıöçĞÜŞİÖÇ")
    arabic = QFontMetrics(QFont("Noto Sans Arabic UI"))
    assert all(arabic.inFontUcs4(ord(ch)) for ch in "العربية")


def test_russian_and_german_letters_need_no_other_font(qapp) -> None:
    load_fonts()
    metrics = QFontMetrics(QFont("Noto Sans"))
    assert all(metrics.inFontUcs4(ord(ch)) for ch in "ЙЦУКЕНёЁщЩъыэюя«»№äöüßẞÄÖÜ„“–")


def test_arabic_lines_are_as_tall_as_latin_ones(qapp) -> None:
    """The UI variant of Noto Sans Arabic: an Arabic line takes the height of a Latin one
    (Noto Sans Arabic's own line is half as tall again, so tiles and cards grew in Arabic)."""
    load_fonts()
    latin, arabic = QFont("Noto Sans"), QFont("Noto Sans Arabic UI")
    for font in (latin, arabic):
        font.setPixelSize(30)
    ratio = QFontMetrics(arabic).height() / QFontMetrics(latin).height()
    assert 0.9 <= ratio <= 1.1, ratio
