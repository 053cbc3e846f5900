"""On-screen keyboard layouts, kept as data files in resources/keyboards (no Qt)."""

from __future__ import annotations

import msgspec

from kiosk import paths

SPECIAL_KEYS = ("{shift}", "{backspace}", "{space}", "{layout}", "{done}")
LAYOUT_IDS = ("tr", "en", "phone", "email")


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


def load_layout(layout_id: str) -> KeyboardLayout:
    """Load ``resources/keyboards/<layout_id>.json``."""
    if layout_id not in LAYOUT_IDS:
        raise ValueError(f"unknown keyboard layout: {layout_id}")
    raw = paths.resource_path(f"resources/keyboards/{layout_id}.json").read_bytes()
    return msgspec.json.decode(raw, type=KeyboardLayout)
