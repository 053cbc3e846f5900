"""Mixed Arabic and Latin text (kiosk.bidi) and soft hyphens in long words (kiosk.hyphens):
the text itself, before Qt lays it out (tests/ui/test_languages_on_screen.py looks at it
there)."""

from __future__ import annotations

import pytest

from kiosk.bidi import FSI, LRI, PDI, RLM, first_strong, isolated, left_to_right, rtl_paragraphs
from kiosk.hyphens import SOFT_HYPHEN, break_points, known, soft_hyphens


@pytest.mark.parametrize(
    ("text", "direction"),
    [("Lupus", "L"), ("الذئبة", "R"), ("2023: EULAR", "L"), ("+90 (212) 555", None), ("", None)],
)
def test_the_first_strong_letter_decides(text: str, direction: str | None) -> None:
    assert first_strong(text) == direction


def test_latin_first_paragraphs_get_a_right_to_left_mark() -> None:
    text = "EULAR 2023: يهدف العلاج\nيهدف العلاج\nClinic"
    assert rtl_paragraphs(text) == (
        f"{RLM}EULAR 2023: يهدف العلاج\nيهدف العلاج\n{RLM}{LRI}Clinic{PDI}"
    )
    assert rtl_paragraphs(rtl_paragraphs(text)) == rtl_paragraphs(text)  # never twice
    assert rtl_paragraphs("") == ""


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # Phone numbers read left to right, their "+" first, inside Arabic.
        ("تركيا +90", f"تركيا {LRI}+90{PDI}"),
        ("اتصل على 0212 555 01 23 الآن", f"اتصل على {LRI}0212 555 01 23{PDI} الآن"),
        ("رقم (0212) 555-0123 هنا", f"رقم {LRI}(0212) 555-0123{PDI} هنا"),
        # Numbers and words: the paragraph orders them right as they are ("1 in 6 (18 in
        # 100)"; isolated, "6 (18" read "18 ( 6").
        ("نحو 1 من كل 6 (18 من كل 100)", "نحو 1 من كل 6 (18 من كل 100)"),
        ("1 من كل 5 (57 من 325)", "1 من كل 5 (57 من 325)"),
        ("الرقم 112 فورًا، 95%", "الرقم 112 فورًا، 95%"),
        # A line of Latin only (a source): right-aligned, read left to right, its stop last.
        ("Fanouriakis A, et al. EULAR 2023.", f"{RLM}{LRI}Fanouriakis A, et al. EULAR 2023.{PDI}"),
    ],
)
def test_right_to_left_text_keeps_numbers_and_latin_in_order(text: str, shown: str) -> None:
    assert rtl_paragraphs(text) == shown
    assert rtl_paragraphs(shown) == shown  # never wrapped twice


def test_numbers_and_addresses_are_isolated() -> None:
    assert left_to_right("+90 532 123 45 67") == f"{LRI}+90 532 123 45 67{PDI}"
    assert isolated("Şişli, İstanbul") == f"{FSI}Şişli, İstanbul{PDI}"
    assert left_to_right("") == "" and isolated("") == ""


def test_long_german_and_russian_words_get_soft_hyphens() -> None:
    text = "Standardbehandlungsmöglichkeiten bei Lupus"
    hyphenated = soft_hyphens(text, "de_DE")
    assert hyphenated.replace(SOFT_HYPHEN, "") == text  # the same words, only breakable
    assert hyphenated.startswith(f"Stan{SOFT_HYPHEN}dard{SOFT_HYPHEN}be")
    assert hyphenated.endswith(" bei Lupus")  # short words stay whole
    assert SOFT_HYPHEN in soft_hyphens("гидроксихлорохин", "ru_RU")
    # No dictionary, or an unknown one: unchanged.
    assert soft_hyphens(text, "") == text and soft_hyphens(text, "xx_XX") == text
    assert known("de_DE") and not known("xx_XX")
    assert break_points("Schriftgröße", "de_DE") and break_points("Schriftgröße", "") == []
