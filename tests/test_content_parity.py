"""Every language says the same things: the same screens and blocks (paths), the same
numbers, the same placeholders and the same sources on the same blocks as English, so as
each other (issue 24). Wording is each language's own; facts are not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from kiosk import paths
from kiosk.content import Content, LanguageContent
from kiosk.validation import NOT_TEXT_FIELDS, _texts, load_content

CONTENT: Content = load_content(paths.bundled_content_dir())
OTHERS = sorted(code for code in CONTENT.languages if code != "en")

# Digits in any script, and the separators a language groups or splits them with
# (1,206 / 1.206 / 1 206; 2.5 / 2,5): folded away before numbers are compared.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NUMBER = re.compile(r"\d+(?:[.,\u00a0\u202f ]\d{3})*(?:[.,]\d+)?")
_SEPARATORS = re.compile(r"[.,\u00a0\u202f ]")
# Arabic writes two with the noun (a dual), not a digit: "about 2 years" is نحو سنتين.
# The words the content uses, folded to their number.
_NUMBER_WORDS = {"ar": {"سنتين": "2", "سنتان": "2", "عامين": "2", "يومين": "2", "شهرين": "2"}}
# And one with the noun too ("1 day" is يوم واحد, "a day"), where English has a digit: the
# staff's date buttons. (Folding واحد to 1 would find the "one" English writes as a word.)
_WORDED = {("ar", "staff$.day_earlier"), ("ar", "staff$.day_later")}
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _numbers(text: str, code: str) -> set[str]:
    text = text.translate(_DIGITS)
    found = {_SEPARATORS.sub("", m.group(0)) for m in _NUMBER.finditer(text)}
    words = _NUMBER_WORDS.get(code, {})
    found |= {number for word, number in words.items() if re.search(rf"\b{word}\b", text)}
    return found


def _parts(lc: LanguageContent) -> dict[str, Any]:
    return {
        "ui": lc.ui,
        "sections": lc.sections,
        "topics": list(lc.topics.values()),
        "tables": list(lc.tables.values()),
        "faq": lc.faq,
        "disclaimers": list(lc.disclaimers.values()),
        "form": lc.form,
        "staff": lc.staff,
    }


def _strings(lc: LanguageContent) -> dict[str, str]:
    return {
        f"{name}{path}": text
        for name, part in _parts(lc).items()
        for path, text in _texts(part, "$")
    }


def _sources(value: object, path: str) -> Iterator[tuple[str, object]]:
    """(path, source ids) of every block that cites, in a decoded struct."""
    if isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            item = getattr(value, name)
            if name in ("sources", "summary_sources"):
                yield f"{path}.{name}", item
            elif name not in NOT_TEXT_FIELDS:
                yield from _sources(item, f"{path}.{name}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _sources(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _sources(item, f"{path}.{key}")


ENGLISH = _strings(CONTENT.languages["en"])


def test_the_content_has_five_languages() -> None:
    assert OTHERS == ["ar", "de", "ru", "tr"]


@pytest.mark.parametrize("code", OTHERS)
def test_every_text_is_there_with_the_same_numbers_and_placeholders(code: str) -> None:
    """Every English text has its counterpart at the same place (the same ids, the same
    lists), with the same numbers (in any digits and grouping) and the same placeholders;
    equal to English, so every pair of languages is equal too."""
    theirs = _strings(CONTENT.languages[code])
    assert set(theirs) == set(ENGLISH)
    assert len(ENGLISH) > 600  # (the walk really reached the texts)
    numbers = [
        (path, sorted(_numbers(text, "en")), sorted(_numbers(theirs[path], code)))
        for path, text in ENGLISH.items()
        if _numbers(text, "en") != _numbers(theirs[path], code) and (code, path) not in _WORDED
    ]
    assert numbers == []
    placeholders = [
        path
        for path, text in ENGLISH.items()
        if sorted(_PLACEHOLDER.findall(text)) != sorted(_PLACEHOLDER.findall(theirs[path]))
    ]
    assert placeholders == []
    untranslated = [
        path for path, text in ENGLISH.items() if theirs[path] == text and len(text) > 12
    ]
    assert len(untranslated) <= 3, untranslated  # (names: "CAR-T", "EULAR/ACR 2019", ...)


@pytest.mark.parametrize("code", OTHERS)
def test_every_block_cites_the_same_sources(code: str) -> None:
    english = dict(_sources(_parts(CONTENT.languages["en"]), "$"))
    theirs = dict(_sources(_parts(CONTENT.languages[code]), "$"))
    assert len(english) > 50
    assert theirs == english


def test_a_changed_number_is_found() -> None:
    """The comparison itself: a number written differently folds the same, one changed
    does not."""
    assert _numbers("1,206 people, 2.5 mg", "en") == _numbers("1 206 человек, 2,5 мг", "ru")
    assert _numbers("١٢ من ٥٣", "ar") == {"12", "53"}
    assert _numbers("نحو سنتين", "ar") == {"2"}
    assert _numbers("7 of 53", "en") != _numbers("7 von 35", "de")
