"""Language-aware text folding used to match banned claims in content."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Languages whose dotted/dotless i pairs case differently from English (I <-> ı, İ <-> i).
_TURKIC = frozenset({"tr", "az"})


def fold(text: str, lang: str) -> str:
    """Return ``text`` lower-cased by the rules of ``lang``, without diacritics.

    Dotless ı is folded onto i as well, so "KESİN", "kesin" and "kesın" all match.
    """
    if text.isascii():
        # No accents, dotted capitals or invisible characters to fold: the same result.
        return text.lower()
    if lang in _TURKIC:
        text = text.replace("I", "ı").replace("İ", "i")
    text = text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    # Drop accents, and invisible format characters (soft hyphen, zero-width space) that
    # could hide a banned word from the lint while the screen shows it whole.
    # Each distinct character is looked at once (a text has few), not every occurrence.
    drop = {
        ord(ch): None
        for ch in set(decomposed)
        if not ch.isascii() and (unicodedata.combining(ch) or unicodedata.category(ch) == "Cf")
    }
    stripped = decomposed.translate(drop) if drop else decomposed
    return stripped.replace("ı", "i")


@lru_cache(maxsize=512)
def phrase_pattern(phrase: str, lang: str) -> re.Pattern[str]:
    """Compile a banned phrase into a regex over folded text.

    Words must match whole; a trailing ``*`` lets the last word continue (Turkish
    suffixes: ``garanti*`` catches "garantili" and "garantisi").
    """
    open_end = phrase.endswith("*")
    core = fold(phrase.rstrip("*").strip(), lang)
    body = r"\s+".join(re.escape(part) for part in core.split())
    tail = r"\w*" if open_end else ""
    return re.compile(rf"(?<!\w){body}{tail}(?!\w)")


@lru_cache(maxsize=64)
def _matchers(phrases: tuple[str, ...], lang: str) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """Each phrase with its first folded word (any match contains it literally) and regex."""
    return tuple(
        (p, fold(p.rstrip("*").strip(), lang).split()[0], phrase_pattern(p, lang)) for p in phrases
    )


def find_phrases(text: str, phrases: list[str], lang: str) -> list[str]:
    """Return the phrases from ``phrases`` that occur in ``text`` (case/diacritic-insensitive)."""
    folded = fold(text, lang)
    # The substring test first (fast, in C): the regex runs only where it could match.
    return [
        phrase
        for phrase, word, pattern in _matchers(tuple(phrases), lang)
        if word in folded and pattern.search(folded)
    ]
