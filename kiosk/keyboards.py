"""On-screen keyboard layouts, kept as data files in resources/keyboards (no Qt).

Every ``resources/keyboards/<id>.json`` is a layout: adding a language's keyboard is adding
its file. Which layouts a language's name field offers is said by its content folder's
``meta.json`` (``keyboards``), see :func:`name_layouts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import msgspec

from kiosk import paths

SPECIAL_KEYS = ("{shift}", "{backspace}", "{space}", "{layout}", "{done}")
KEYBOARDS_DIR = "resources/keyboards"
# The layouts of the phone and e-mail fields: kinds of input, not languages, so a name
# field never offers them.
PHONE_LAYOUT = "phone"
EMAIL_LAYOUT = "email"
FIELD_LAYOUTS = (PHONE_LAYOUT, EMAIL_LAYOUT)


class KeyboardLayout(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Rows of keys: a key is the text it types, or one of SPECIAL_KEYS.

    ``shift`` maps a key to its shifted text; it is explicit, so Turkish i/İ and ı/I
    are right whatever the machine's locale.
    """

    id: str
    label: str
    note: str
    rows: list[list[str]]
    shift: dict[str, str]

    def keys(self) -> list[str]:
        """Every key in reading order."""
        return [key for row in self.rows for key in row]


def keyboards_dir() -> Path:
    """The folder of layout files."""
    return paths.resource_path(KEYBOARDS_DIR)


def layout_ids() -> tuple[str, ...]:
    """Every layout there is a file for, in name order."""
    folder = keyboards_dir()
    return tuple(sorted(p.stem for p in folder.glob("*.json") if p.is_file()))


def load_layout(layout_id: str) -> KeyboardLayout:
    """Load ``resources/keyboards/<layout_id>.json``; ValueError for an unknown layout."""
    if layout_id not in layout_ids():
        raise ValueError(f"unknown keyboard layout: {layout_id}")
    raw = (keyboards_dir() / f"{layout_id}.json").read_bytes()
    return msgspec.json.decode(raw, type=KeyboardLayout)


def name_layouts(code: str, named: Sequence[str]) -> tuple[str, ...]:
    """The layouts a name field offers to a visitor reading language ``code``.

    ``named`` comes from the language's ``meta.json`` (``keyboards``); when it names none,
    the layout file named like the language is used. Only layouts with a file are offered;
    with none at all, every language layout is, so a name can always be typed.
    """
    there = layout_ids()
    wanted = tuple(named) or (code,)
    offered = tuple(i for i in wanted if i in there and i not in FIELD_LAYOUTS)
    return offered or tuple(i for i in there if i not in FIELD_LAYOUTS)
