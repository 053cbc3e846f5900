"""The banned-claims lint: categories of marketing claims matched in every language (no Qt)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import msgspec

from kiosk import paths
from kiosk.content import Problem
from kiosk.textnorm import fold, fold_variants, phrase_body, phrase_key, phrase_words

BANNED_CLAIMS_FILE = "data/banned-claims.json"

K = TypeVar("K")

# Shorthands a pattern in the data file may use; patterns match folded text (lower case,
# no accents, ı as i), so these are written folded too.
_NUMBER = r"\d+(?:[.,]\d+)?"
_PERCENT_WORD = r"(?:percent|per\s?cent|prozent|процент\w*|بالمئة|بالمائة)"
_TENS = (
    r"(?:ten|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|(?:one\s)?hundred"
    r"|zehn|zwanzig|dreissig|vierzig|funfzig|sechzig|siebzig|achtzig|neunzig|hundert)"
)
_TURKISH_TENS = r"(?:on|yirmi|otuz|kirk|elli|altmis|yetmis|seksen|doksan|yuz)"
MACROS = {
    # A percentage in digits or words, in any order and any of the kiosk's languages.
    "pct": (
        rf"(?:%\s?{_NUMBER}|{_NUMBER}\s?(?:%|{_PERCENT_WORD})|{_PERCENT_WORD}\s?{_NUMBER}"
        rf"|yuzde\s?(?:{_NUMBER}|{_TURKISH_TENS}\w*)"
        rf"|{_TENS}(?:[\s-]\w+)?\s(?:{_PERCENT_WORD})"
        r"|(?:десят\w*|двадцат\w*|тридцат\w*|сорок\w*|пятьдесят\w*|шестьдесят\w*"
        r"|семьдесят\w*|восемьдесят\w*|девяност\w*|сто)(?:\s\w+)?\s" + _PERCENT_WORD + ")"
    ),
    # Up to four words between two parts of a pattern.
    "gap": r"(?:\W+\w+){0,4}?\W+",
}


class Category(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One kind of claim: phrases per language, and regular expressions for any language."""

    description: str = ""
    phrases: dict[str, list[str]] = {}
    patterns: list[str] = []
    negatable: bool = False


class Negations(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Words that turn a claim of a ``negatable`` category into an honest statement:
    ``before`` it ("not FDA-approved"), or ``after`` it ("FDA onaylı değildir")."""

    before: dict[str, list[str]] = {}
    after: dict[str, list[str]] = {}


class BannedClaims(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """``data/banned-claims.json``: claims no patient-facing text may make, by category."""

    categories: dict[str, Category]
    allow: dict[str, list[str]] = {}
    negations: Negations = Negations()
    notes: list[str] = []

    def phrases(self) -> list[tuple[str, str, str]]:
        """Every phrase as (category, language, phrase)."""
        return [
            (name, lang, phrase)
            for name, cat in self.categories.items()
            for lang, phrases in cat.phrases.items()
            for phrase in phrases
        ]


def load_banned_claims(path: Path | None = None) -> BannedClaims:
    """Load the banned-claims list shipped in ``data/`` (ValueError if a pattern is broken)."""
    path = path or paths.resource_path(BANNED_CLAIMS_FILE)
    banned = msgspec.json.decode(path.read_bytes(), type=BannedClaims)
    matcher(banned)  # compile now: a broken pattern is the file's fault, said at load
    return banned


@dataclass(frozen=True)
class Claim:
    """One banned claim found in a text: its category, the listed phrase (or, for a pattern,
    the words it matched) and the folded words found."""

    category: str
    phrase: str
    found: str


@dataclass(frozen=True)
class _Rule:
    category: str
    label: str
    key: str | None  # the first folded word of a phrase (None for a pattern)
    words: tuple[str, ...]  # all its folded words
    phrase: str
    lang: str
    pattern: re.Pattern[str] | None
    negatable: bool

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        """The first match in ``text`` from ``pos`` that starts a word (if a phrase must)."""
        # Phrases compile on first use (cached): most never can match, and start-up is
        # quicker without compiling hundreds of them.
        regex, head = (self.pattern, False) if self.pattern else phrase_body(self.phrase, self.lang)
        while (m := regex.search(text, pos)) is not None:
            if not head or m.start() == 0 or not _edge(text[m.start() - 1]):
                return m
            pos = m.start() + 1
        return None


def _edge(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _expand(pattern: str) -> str:
    for name, body in MACROS.items():
        pattern = pattern.replace("{" + name + "}", body)
    return pattern


def _alternation(words: Iterable[tuple[str, str]]) -> str:
    """A regex matching any of the (language, word-with-optional-*) pairs, folded."""
    parts = []
    for lang, word in words:
        core = re.escape(fold(word.rstrip("*"), lang))
        parts.append(core.replace(r"\ ", r"\s+") + (r"\w*" if word.endswith("*") else ""))
    return "|".join(sorted(parts, key=len, reverse=True))


_WORD = re.compile(r"\w+")


# Turkish says "not" inside the word: onaylan-ma-mış, onaylan-maz, onaylan-ma-dı (but
# onaylan-mak, "to be approved", is not a negation).
_TURKISH_NOT = re.compile(r"m[ae](?!k)")


def _negative_suffix(rule: _Rule, match: re.Match[str]) -> bool:
    """Whether the matched word carries a Turkish negative suffix after the phrase's stem."""
    if rule.key is None or not rule.phrase.endswith("*"):
        return False
    words = _WORD.findall(match.group())
    stem = rule.words[-1]
    if not words or not words[-1].startswith(stem):
        return False
    return _TURKISH_NOT.match(words[-1], len(stem)) is not None


class Matcher:
    """The compiled form of a :class:`BannedClaims`: finds every claim in a set of texts."""

    def __init__(self, banned: BannedClaims) -> None:
        self.rules: list[_Rule] = []
        for name, cat in banned.categories.items():
            for lang, phrases in cat.phrases.items():
                for phrase in phrases:
                    words = tuple(phrase_words(phrase, lang))
                    label = phrase.rstrip("*")
                    self.rules.append(
                        _Rule(name, label, words[0], words, phrase, lang, None, cat.negatable)
                    )
            for pattern in cat.patterns:
                try:
                    regex = re.compile(_expand(pattern))
                except re.error as exc:
                    raise ValueError(f"banned claims: bad pattern {pattern!r}: {exc}") from None
                self.rules.append(_Rule(name, pattern, None, (), "", "", regex, cat.negatable))
        allowed = [(lang, p) for lang, ps in banned.allow.items() for p in ps]
        self.allow_keys = {phrase_key(p, lang) for lang, p in allowed}
        self.allow = re.compile(rf"(?<!\w)(?:{_alternation(allowed)})(?!\w)") if allowed else None
        before = [(lang, w) for lang, ws in banned.negations.before.items() for w in ws]
        after = [(lang, w) for lang, ws in banned.negations.after.items() for w in ws]
        self.before = re.compile(rf"(?<!\w)(?:{_alternation(before)})\W*$") if before else None
        self.after = re.compile(rf"^\W*(?:{_alternation(after)})(?!\w)") if after else None

    def _candidates(self, blob: str) -> list[_Rule]:
        """The rules that can match somewhere in ``blob``: every word of a phrase must be
        there (the last one may be the start of a word for ``cure*``); a pattern must match."""
        words = set(_WORD.findall(blob))
        ordered = sorted(words)

        def present(word: str, prefix: bool) -> bool:
            if not word.isalnum():
                return word in blob  # "fda-approved", "100%", "€": literally there
            if not prefix:
                return word in words
            i = bisect.bisect_left(ordered, word)
            return i < len(ordered) and ordered[i].startswith(word)

        def possible(rule: _Rule) -> bool:
            if rule.key is None:
                return rule.search(blob) is not None
            last = len(rule.words) - 1
            open_end = rule.phrase.endswith("*")
            return all(present(w, i == last and open_end) for i, w in enumerate(rule.words)) and (
                len(rule.words) == 1 or rule.search(blob) is not None
            )

        return [r for r in self.rules if possible(r)]

    def _negated(self, text: str, start: int, end: int) -> bool:
        return bool(
            (self.before and self.before.search(text, max(0, start - 40), start))
            or (self.after and self.after.match(text[end : end + 40]))
        )

    def _find(self, variants: list[str], rules: list[_Rule]) -> list[Claim]:
        """One claim per category (the first phrase that matches, else a pattern's match):
        a text stuffed with superlatives gives one clear line, not ten."""
        found: dict[str, Claim] = {}
        for folded in variants:
            if self.allow is not None and any(k in folded for k in self.allow_keys):
                # An allowed safety statement ("permanent heart block") is blanked out; the
                # NUL keeps the words on either side from joining into a new phrase.
                folded = self.allow.sub("\0", folded)
            for rule in rules:
                if rule.category in found:
                    continue
                if rule.key is not None and rule.key not in folded:
                    continue
                pos = 0
                while (m := rule.search(folded, pos)) is not None:
                    negated = rule.negatable and (
                        self._negated(folded, m.start(), m.end()) or _negative_suffix(rule, m)
                    )
                    if not negated:
                        # A pattern is named by what it matched, a phrase as it is listed.
                        phrase = m.group() if rule.key is None else rule.label
                        found[rule.category] = Claim(rule.category, phrase, m.group())
                        break
                    pos = m.start() + 1
        return list(found.values())

    def find(self, text: str, lang: str) -> list[Claim]:
        """Return the claims in ``text``, read by the rules of language ``lang``."""
        return self._find(fold_variants(text, lang), self.rules)

    def scan(self, items: Iterable[tuple[K, str]], lang: str) -> list[tuple[K, str, Claim]]:
        """Return (where, text, claim) for every claim in the (where, text) ``items``; scan
        many texts in one call, it is much quicker than one call per text."""
        folded = [(path, text, fold_variants(text, lang)) for path, text in items]
        # Most rules cannot match anywhere in a clean file: drop them once, for all texts.
        # NUL between texts: no phrase (words joined by spaces) can match across two texts.
        rules = self._candidates("\0".join(v for _p, _t, vs in folded for v in vs))
        if not rules:
            return []
        return [
            (path, text, claim)
            for path, text, variants in folded
            for claim in self._find(variants, rules)
        ]


_MATCHERS: dict[int, tuple[BannedClaims, Matcher]] = {}


def matcher(banned: BannedClaims) -> Matcher:
    """Return the compiled matcher of ``banned`` (built once per list)."""
    entry = _MATCHERS.get(id(banned))
    if entry is None or entry[0] is not banned:
        if len(_MATCHERS) >= 8:
            _MATCHERS.clear()  # lists loaded again and again (each check) must not pile up
        entry = (banned, Matcher(banned))
        _MATCHERS[id(banned)] = entry
    return entry[1]


def claim_message(claim: Claim, text: str) -> str:
    """The one-line message for a claim found in ``text``."""
    return f"banned claim ({claim.category}) '{claim.phrase}': {text!r}"


def lint_texts(
    items: Iterable[tuple[str, str]],
    banned: BannedClaims | None = None,
    *,
    file: str = "config",
    lang: str = "und",
) -> list[Problem]:
    """Return one error Problem per banned claim in the (json_path, text) ``items`` of
    ``file``; every language's phrases apply, whatever ``lang`` the texts are in ("und",
    undetermined: no language's own case rules, as for the config's mixed strings)."""
    found = matcher(banned or load_banned_claims()).scan(items, lang)
    return [Problem(file, path, claim_message(claim, text)) for path, text, claim in found]
