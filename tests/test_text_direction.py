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
    assert rtl_paragraphs(text) == f"{RLM}EULAR 2023: يهدف العلاج\nيهدف العلاج\n{RLM}Clinic"
    assert rtl_paragraphs(rtl_paragraphs(text)) == rtl_paragraphs(text)  # never twice
    assert rtl_paragraphs("") == ""


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
