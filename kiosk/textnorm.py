"""Language-aware text folding used to match banned claims in content."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Languages whose dotted/dotless i pairs case differently from English (I <-> ı, İ <-> i).
_TURKIC = frozenset({"tr", "az"})

# Languages written in a script other than Latin: in their files a whole word of look-alike
# letters is a genuine word ("сос"), not a disguised Latin one.
_NON_LATIN_SCRIPT = frozenset(
    {"ru", "uk", "bg", "be", "sr", "mk", "kk", "ky", "el", "hy", "ka", "ar", "fa", "ur", "he"}
)

# Letters of other scripts that look like a Latin letter, and that Latin letter. Taken from
# Unicode's confusables data (UTS #39, via confusable-homoglyphs 3.3.1, generated once, not a
# dependency): every Cyrillic, Greek, Armenian, Coptic and Cherokee letter whose prototype is
# one ASCII letter and that NFKD does not already fold. Capital iotas map to "I", not "l":
# they stand in for I in disguised capitals ("FDA APPROVED").
_LOOKALIKE_FROM = (
    "ͿΑΒΕΖΗΙΚΜΝΟΡΤΥΧαγινορσυϜϳϺЅІЈАВЕКМНОРСТУХЬагеорсухѕіјѡѴѵҮүһҽӀӏԁԌԛԜԝՍՏՕագզհոռսցքօ"
    "ᎠᎡᎢᎥᎩᎪᎫᎬᎳᎷᎻᎽᏀᏂᏃᏏᏒᏔᏕᏙᏚᏞᏟᏢᏦᏧᏳᏴᴦⲅⲎⲒⲔⲘⲚⲞⲟⲢⲣⲤⲥⲦⲨⲬⳐꙇꭵꮁꮃꮓꮩꮪꮯ"
)
_LOOKALIKE_TO = (
    "JABEZHIKMNOPTYXayivopouFjMSIJABEKMHOPCTYXbareopcyxsijwVvYyheIidGqWwUSOwqqhnnugfo"
    "DRTiYAJEWMHYGhZbRWSVSLCPKdGBrrHIKMNOoPpCcTYXLiirwzvsc"
)
_TO_LATIN = str.maketrans(_LOOKALIKE_FROM, _LOOKALIKE_TO)
# Look-alikes that NFKD would turn into other Greek letters (ϲ into ς): read as Latin first.
# They are symbols, not letters of running Greek text.
_BEFORE_NFKD = str.maketrans("ϲϹϱϒ", "cCpY")
_LOOKALIKES = frozenset(_LOOKALIKE_FROM)
# The reverse, for a mostly-Cyrillic word with Latin letters slipped in ("лечeние").
_TO_CYRILLIC = str.maketrans("aceopxyABEKMHOPCTXY", "асеорхуАВЕКМНОРСТХУ")

# Apostrophes and percent signs written differently but read the same.
_SAME_AS = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "٪": "%", "\u0640": None})

_WORD = re.compile(r"\w+")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
# Three or more single letters or digits, each followed by one separator: "c u r e",
# "c.u.r.e", "g-a-r-a-n-t-i". A wider gap ends the run, so "b e s t  c l i n i c" keeps
# its two words apart and normal text (at most one or two one-letter words) is untouched.
_SPACED = re.compile(r"(?<!\w)\w(?:[ .·•*_/|~+\-]\w){2,}(?!\w)")
_SPACED_ANY = re.compile(r"(?<!\w)\w(?:[ .·•*_/|~+\-]\w)+(?!\w)")
_SEPARATORS = re.compile(r"[ .·•*_/|~+\-]")
_INNER_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")


def _is_latin(ch: str) -> bool:
    if ch.isascii():
        return ch.isalnum()
    return unicodedata.name(ch, "").startswith("LATIN")


def _unconfuse(text: str, lang: str) -> str:
    """Give look-alike letters of another script their Latin face where they disguise a word.

    Only where a word mixes scripts (or, in a Latin-script language's file, where a word is
    made of look-alikes alone): a genuine Russian or Greek word is left as it is, so it can
    only ever match phrases of its own language, and a Russian word with a Latin letter
    slipped in is read as Russian.
    """
    if _LOOKALIKES.isdisjoint(text) and not _CYRILLIC.search(text):
        return text

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        if word.isascii():
            return word
        latin = sum(_is_latin(ch) for ch in word)
        if latin == 0:
            if lang in _NON_LATIN_SCRIPT or not _LOOKALIKES.issuperset(word):
                return word
            return word.translate(_TO_LATIN)
        if latin == len(word):
            return word
        # Mixed scripts. If every other letter has a Latin face, it is a Latin word in
        # disguise ("сurе", "clаѕѕ"); if a Cyrillic letter has none, it is a Russian word
        # with Latin look-alikes slipped in ("лечeние").
        if _LOOKALIKES.issuperset(ch for ch in word if not _is_latin(ch)):
            return word.translate(_TO_LATIN)
        if _CYRILLIC.search(word):
            return word.translate(_TO_CYRILLIC)
        return word.translate(_TO_LATIN)

    return _WORD.sub(fix, text)


def _strip(text: str, lang: str) -> str:
    """Decompose ``text`` and drop accents and invisible format characters."""
    if lang in _TURKIC:
        text = text.replace("I", "ı").replace("İ", "i")
    decomposed = unicodedata.normalize("NFKD", text.translate(_BEFORE_NFKD)).translate(_SAME_AS)
    # Drop accents, and invisible format characters (soft hyphen, zero-width space) that
    # could hide a banned word from the lint while the screen shows it whole.
    # Each distinct character is looked at once (a text has few), not every occurrence.
    drop = {
        ord(ch): None
        for ch in set(decomposed)
        if not ch.isascii() and (unicodedata.combining(ch) or unicodedata.category(ch) == "Cf")
    }
    return decomposed.translate(drop) if drop else decomposed


def fold(text: str, lang: str) -> str:
    """Return ``text`` lower-cased by the rules of ``lang``, without diacritics.

    Dotless ı is folded onto i as well, so "KESİN", "kesin" and "kesın" all match; "ß"
    becomes "ss"; fullwidth and other compatibility forms become their plain letters, and
    look-alike letters from other scripts inside a Latin word become Latin ("сurе" → "cure").
    """
    if text.isascii():
        # No accents, dotted capitals, look-alikes or invisible characters: the same result.
        return text.lower()
    return _unconfuse(_strip(text, lang), lang).casefold().replace("ı", "i")


def fold_variants(text: str, lang: str) -> list[str]:
    """Return ``fold(text)``, and also the folded text with spaced-out letters joined up
    ("c u r e" → "cure") and with hyphens inside words dropped ("gua-ran-teed"), when it
    has any."""
    if text.isascii():
        folded = stripped = text.lower()
    else:
        stripped = _strip(text, lang)
        folded = _unconfuse(stripped, lang).casefold().replace("ı", "i")
    variants = [folded]
    if _SPACED.search(stripped):
        # Someone spaced letters out: join every run, pairs too ("N o  s i d e").
        joined = _SPACED_ANY.sub(lambda m: _SEPARATORS.sub("", m.group()), stripped)
        variants.append(_unconfuse(joined, lang).casefold().replace("ı", "i"))
    if _INNER_HYPHEN.search(folded):
        variants.append(_INNER_HYPHEN.sub("", folded))  # "gua-ran-teed" → "guaranteed"
    return variants


def _edge(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


@lru_cache(maxsize=4096)
def phrase_body(phrase: str, lang: str) -> tuple[re.Pattern[str], bool]:
    """Compile a banned phrase into a regex over folded text, without its leading word
    boundary; return it and whether a match must start at a word boundary.

    The boundary is left to the caller because a regex that starts with a literal is
    searched many times faster than one that starts with a look-behind.
    """
    open_end = phrase.endswith("*")
    core = fold(phrase.rstrip("*").strip(), lang)
    # A hyphen inside a word may also be written as a space or a spaced hyphen: "risk-free"
    # matches "risk free" and "risk - free".
    body = r"\s+".join(
        r"(?:\s*-\s*|\s+)".join(re.escape(piece) for piece in _INNER_HYPHEN.split(part))
        for part in core.split()
    )
    tail = r"\w*" if open_end else ""
    end = r"(?!\w)" if open_end or _edge(core[-1]) else ""
    return re.compile(f"{body}{tail}{end}"), _edge(core[0])


@lru_cache(maxsize=4096)
def phrase_pattern(phrase: str, lang: str) -> re.Pattern[str]:
    """Compile a banned phrase into a regex over folded text.

    Words must match whole; a trailing ``*`` lets the last word continue (Turkish
    suffixes: ``garanti*`` catches "garantili" and "garantisi"). A phrase that starts or
    ends with a sign (``€``, ``%100``) needs no word boundary on that side ("€500").
    """
    body, head = phrase_body(phrase, lang)
    return re.compile((r"(?<!\w)" if head else "") + body.pattern)


def phrase_words(phrase: str, lang: str) -> list[str]:
    """The folded words of ``phrase`` (a hyphenated word gives its pieces): every match
    contains each of them literally, in this order."""
    core = fold(phrase.rstrip("*").strip(), lang)
    return [piece for part in core.split() for piece in _INNER_HYPHEN.split(part)]


def phrase_key(phrase: str, lang: str) -> str:
    """The first folded word of ``phrase``: every match contains it literally."""
    return phrase_words(phrase, lang)[0]


@lru_cache(maxsize=64)
def _matchers(phrases: tuple[str, ...], lang: str) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """Each phrase with its first folded word (any match contains it literally) and regex."""
    return tuple((p, phrase_key(p, lang), phrase_pattern(p, lang)) for p in phrases)


def find_phrases(text: str, phrases: list[str], lang: str) -> list[str]:
    """Return the phrases from ``phrases`` that occur in ``text`` (case/diacritic-insensitive)."""
    variants = fold_variants(text, lang)
    # The substring test first (fast, in C): the regex runs only where it could match.
    return [
        phrase
        for phrase, word, pattern in _matchers(tuple(phrases), lang)
        if any(word in folded and pattern.search(folded) for folded in variants)
    ]
