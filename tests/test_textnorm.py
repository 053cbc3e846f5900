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
    ],
)
def test_find_phrases(text: str, phrases: list[str], lang: str, found: list[str]) -> None:
    """Whole words match case- and diacritic-insensitively; ``*`` allows suffixes."""
    assert find_phrases(text, phrases, lang) == found
