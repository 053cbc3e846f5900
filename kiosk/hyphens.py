"""Soft hyphens in long words, so German and Russian compounds break at a syllable, with a
hyphen, instead of running out of their box (pyphen's dictionaries; no Qt). Done as text
is put on screen, never in the content files: editors, the claims lint and searches see
the words whole."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import pyphen

SOFT_HYPHEN = "\u00ad"
# Without a measure (tests, IT's tools), a word this long is taken as long.
MIN_LETTERS = 15
# A word shorter than this is never broken, however it is measured.
_WORD = re.compile(r"[^\W\d_]{6,}")


@lru_cache(maxsize=8)
def _dictionary(name: str) -> pyphen.Pyphen | None:
    if name not in pyphen.LANGUAGES:
        return None
    return pyphen.Pyphen(lang=name)


def known(name: str) -> bool:
    """Whether there is a hyphenation dictionary called ``name`` (kiosk content check)."""
    return _dictionary(name) is not None


def soft_hyphens(text: str, dictionary: str, long: Callable[[str], bool] | None = None) -> str:
    """``text`` with soft hyphens at the syllables of its long words (``long``: which words
    are, e.g. wider than the narrowest box on screen; by default those of MIN_LETTERS
    letters or more). Only those: Qt fills lines greedily at any soft hyphen, and a word
    broken that did not need to be is harder to read. ``dictionary``: pyphen's name for
    the language; empty or unknown: ``text`` unchanged."""
    words = _dictionary(dictionary) if dictionary else None
    if words is None or not text:
        return text
    is_long = long or (lambda word: len(word) >= MIN_LETTERS)

    def hyphenate(match: re.Match[str]) -> str:
        word = match.group(0)
        return words.inserted(word, hyphen=SOFT_HYPHEN) if is_long(word) else word

    return _WORD.sub(hyphenate, text)


def break_points(word: str, dictionary: str) -> list[int]:
    """Where ``word`` may be broken with a hyphen (positions), none without a dictionary."""
    words = _dictionary(dictionary) if dictionary else None
    return list(words.positions(word)) if words is not None else []
