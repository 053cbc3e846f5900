"""Folding and phrase matching for the banned-claims lint."""

from __future__ import annotations

import pytest

from kiosk.textnorm import find_phrases, fold


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("KESİN TEDAVİ", "tr", "kesin tedavi"),
        ("ISPARTA", "tr", "isparta"),  # dotless I lowers to ı, then folds onto i
        ("Işık", "tr", "isik"),
        ("GARANTİLİ", "tr", "garantili"),
        ("Yan Etkisiz", "tr", "yan etkisiz"),
        ("Miracle CURE", "en", "miracle cure"),
        ("naïve café", "en", "naive cafe"),
        ("GROSSE Straße", "de", "grosse strasse"),  # casefold: ß is ss
        ("FDA’dan", "tr", "fda'dan"),  # one apostrophe for all
        ("\u0441ur\u0435", "en", "cure"),  # Cyrillic с, е in a Latin word
        ("\uff23\uff35\uff32\uff25", "en", "cure"),  # fullwidth
        ("\u0639\u0640\u0644\u0627\u062c", "ar", "\u0639\u0644\u0627\u062c"),  # tatweel
        ("лечение", "ru", "лечение"),  # a genuine Russian word is left alone
    ],
)
def test_fold(text: str, lang: str, expected: str) -> None:
    """Folding lowers by the language's rules and strips diacritics."""
    assert fold(text, lang) == expected


@pytest.mark.parametrize(
    ("text", "phrases", "lang", "found"),
    [
        ("This is not a CURE.", ["cure*"], "en", ["cure*"]),
        ("The cells cured nobody", ["cure*"], "en", ["cure*"]),
        ("A secure procedure", ["cure*"], "en", []),
        ("Sonuç GARANTİLİDİR", ["garanti*"], "tr", ["garanti*"]),
        ("Kesin  tedavi yoktur", ["kesin tedavi*"], "tr", ["kesin tedavi*"]),
        ("kesinlikle tedavi", ["kesin tedavi*"], "tr", []),
        ("%100 başarı", ["%100"], "tr", ["%100"]),
        ("100% safe", ["100%"], "en", ["100%"]),
        ("1000% nonsense", ["100%"], "en", []),
        ("mucizevi bir yöntem", ["mucize*"], "tr", ["mucize*"]),
        ("Yan etkisı yok", ["yan etkisi yok*"], "tr", ["yan etkisi yok*"]),
        ("A risk free drip", ["risk-free"], "en", ["risk-free"]),
        ("Only €500", ["€"], "en", ["€"]),
        ("It c u r e s", ["cure*"], "en", ["cure*"]),
        ("a b c", ["abc"], "en", ["abc"]),  # three one-letter words: read joined too
    ],
)
def test_find_phrases(text: str, phrases: list[str], lang: str, found: list[str]) -> None:
    """Whole words match case- and diacritic-insensitively; ``*`` allows suffixes."""
    assert find_phrases(text, phrases, lang) == found
