"""What the kiosk knows about languages, all of it read from data files (no Qt).

A language the kiosk shows is a content folder, ``data/content/<code>/``: its ``meta.json``
gives the language's own name (as patients read it), its writing direction and the
keyboard layouts of the name field. A patient may also ask to be called back in a
language the kiosk has no screens in (the clinic has staff who speak it): those are named
in ``data/languages.json``, which also holds the order in which languages are offered when
the clinic's config does not say. No code lists language codes or names; adding a
language is a folder of content and a keyboard layout file (README.md, "Adding a language").

``data/languages.json`` is bundled data, not part of a content set: the clinic's config
is checked against it before any content is read, and a content folder from an older
release (without it) still validates the same contact languages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from msgspec import Meta, Struct

from kiosk import paths
from kiosk.content import (
    Content,
    ContentError,
    LanguageMeta,
    Problem,
    decode_file,
    language_folders,
)

LANGUAGES_FILE = "data/languages.json"
# A BCP 47 language code as the config and content folders write it: "tr", "en", "pt-BR".
CODE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$"
LangCode = Annotated[str, Meta(pattern=CODE_PATTERN)]
Direction = Literal["ltr", "rtl"]


class OtherLanguage(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """A language patients may be contacted in that has no content folder (no screens)."""

    name: Annotated[str, Meta(min_length=1)]  # in its own name and script
    direction: Direction = "ltr"


class LanguagesFile(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """``data/languages.json``.

    ``screen_order``: the order Home offers the content's languages in when the config has
    no ``languages`` (the first is shown at start); a folder not named here comes after
    them, in code order. ``contact``: the contact languages offered when the config has no
    ``contact_languages``. ``other``: the names of languages without a content folder; a
    content folder's ``meta.json`` wins over an entry here.
    """

    notes: list[str] = []
    screen_order: list[LangCode] = []
    contact: list[LangCode] = []
    other: dict[LangCode, OtherLanguage] = {}


@dataclass(frozen=True)
class Language:
    """One language as patients see it named, and whether the kiosk has screens in it."""

    code: str
    name: str
    direction: Direction
    has_content: bool


@dataclass(frozen=True)
class Languages:
    """Every language the kiosk can name: the content's first, in their offered order."""

    known: dict[str, Language]
    screen: tuple[str, ...]  # the content's languages, in the default order
    contact: tuple[str, ...]  # the default contact languages

    def name(self, code: str) -> str:
        """The language's own name ("Türkçe"), or the code itself when none is known."""
        language = self.known.get(code)
        return language.name if language else code


def load_languages_file(path: Path | None = None) -> LanguagesFile:
    """Decode ``data/languages.json`` (or ``path``); raise ContentError naming the problem."""
    path = path or paths.resource_path(LANGUAGES_FILE)
    return decode_file(path, LanguagesFile, LANGUAGES_FILE)


def combine(metas: dict[str, LanguageMeta], data: LanguagesFile) -> Languages:
    """Put the content folders' ``meta.json`` (by code) and ``data/languages.json`` together."""
    order = {code: i for i, code in enumerate(data.screen_order)}
    screen = tuple(sorted(metas, key=lambda code: (order.get(code, len(order)), code)))
    known = {
        code: Language(code, metas[code].name, metas[code].direction, has_content=True)
        for code in screen
    }
    for code, other in data.other.items():
        known.setdefault(code, Language(code, other.name, other.direction, has_content=False))
    contact = tuple(code for code in data.contact if code in known) or screen
    return Languages(known=known, screen=screen, contact=contact)


def languages_of(content: Content, data: LanguagesFile | None = None) -> Languages:
    """The languages of loaded ``content`` with the bundled ``data/languages.json``."""
    metas = {code: lc.meta for code, lc in content.languages.items()}
    return combine(metas, data if data is not None else load_languages_file())


def languages_in(root: Path, data: LanguagesFile | None = None) -> Languages:
    """The languages of the content folder ``root``, reading only each ``meta.json``.

    For the config, which is checked before the content is loaded. A folder whose
    ``meta.json`` cannot be read is left out (``kiosk content check`` says why); an
    unreadable ``root`` gives the bundled content's languages, which the kiosk falls back to.
    """
    data = data if data is not None else load_languages_file()
    metas: dict[str, LanguageMeta] = {}
    try:
        codes = language_folders(root)
    except OSError:
        codes = []
    for code in codes:
        try:
            metas[code] = decode_file(root / code / "meta.json", LanguageMeta)
        except ContentError:
            continue
    bundled = paths.bundled_content_dir()
    if not metas and Path(root) != bundled:
        return languages_in(bundled, data)
    return combine(metas, data)


def check_languages(content: Content, data: LanguagesFile) -> list[Problem]:
    """Warnings where a content folder and ``data/languages.json`` name a language
    differently (the folder wins; one of them is out of date)."""
    problems: list[Problem] = []
    for code, lc in content.languages.items():
        other = data.other.get(code)
        if other is None or (other.name, other.direction) == (lc.meta.name, lc.meta.direction):
            continue
        problems.append(
            Problem(
                f"{code}/meta.json",
                "$.name",
                f"'{code}' is {other.name!r} ({other.direction}) in {LANGUAGES_FILE}: give "
                "both the same name and direction, or remove it there",
                "warning",
            )
        )
    return problems
