"""Design tokens (colours, type scale, touch sizes) and the style sheet built from them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from string import Template

from kiosk import paths

MM_PER_INCH = 25.4
MIN_TARGET_MM = 20.0
MIN_TARGET_PX = 64
MIN_KEY_PX = 72
TEXT_SCALES = (1.0, 1.25, 1.5)


@dataclass(frozen=True)
class Palette:
    """Colour tokens from the design brief (contrast measured there)."""

    background: str = "#F5F2EC"
    surface: str = "#FFFFFF"
    text: str = "#1F2933"
    muted: str = "#4A5563"
    primary: str = "#5A3E8E"
    on_primary: str = "#FFFFFF"
    primary_pressed: str = "#47306F"
    border: str = "#8A8375"
    error: str = "#A12622"
    notice_text: str = "#6B3A00"
    notice_bg: str = "#FCEBD2"
    tint: str = "#ECE6F5"  # summary boxes: a faint primary tint, text stays 12:1+
    zebra: str = "#F1EDE6"
    pressed: str = "#E4DCEF"
    qr_dark: str = "#000000"
    qr_light: str = "#FFFFFF"


LIGHT = Palette()


@dataclass(frozen=True)
class Metrics:
    """Pixel sizes for one screen: physical DPI, orientation and the chosen text size."""

    dpi: float
    text_step: int = 0
    portrait: bool = False

    @staticmethod
    def sane_dpi(reported: float, override: float = 0.0) -> float:
        """Return the DPI to size targets by: the config override, else the screen's if plausible.

        Kiosk monitors often report nonsense EDID sizes; 96 is the safe fallback.
        """
        if override > 0:
            return override
        return reported if 50.0 <= reported <= 400.0 else 96.0

    @property
    def scale(self) -> float:
        return TEXT_SCALES[self.text_step]

    def mm(self, millimetres: float) -> int:
        return math.ceil(millimetres * self.dpi / MM_PER_INCH)

    @property
    def target(self) -> int:
        """Smallest side of anything tappable: 20 mm on this screen, never under 64 px."""
        return max(MIN_TARGET_PX, self.mm(MIN_TARGET_MM))

    @property
    def key_size(self) -> int:
        """On-screen keyboard keys: the 20 mm touch target, never under 72 px (20 mm on a
        23.8-inch 1080p screen); a quarter taller in portrait, where there is room."""
        side = max(MIN_KEY_PX, self.mm(MIN_TARGET_MM))
        return round(side * 1.25) if self.portrait else side

    @property
    def key_font(self) -> int:
        """Letters on the keys: larger with the text size, but never too big for the key
        (twelve keys share a portrait row), so no label is ever clipped."""
        return min(self.section, round(self.key_size * 0.48))

    @property
    def key_word_font(self) -> int:
        """Words on the keys (space, done, the layout, e-mail domains): two keys wide at
        most in portrait, so capped below the largest secondary size."""
        return min(self.secondary, 26)

    @property
    def button_height(self) -> int:
        return max(96, self.target)

    def font(self, base: int) -> int:
        return round(base * self.scale)

    @property
    def display(self) -> int:
        return self.font(56)

    @property
    def title(self) -> int:
        return self.font(44)

    @property
    def section(self) -> int:
        return self.font(34)

    @property
    def body(self) -> int:
        return self.font(26)

    @property
    def secondary(self) -> int:
        return self.font(22)

    @property
    def margin(self) -> int:
        return 40 if self.portrait else 48

    @property
    def gap(self) -> int:
        return 24

    @property
    def bar_height(self) -> int:
        # Room for an icon over two lines of label, when a long label has to wrap.
        return max(128, self.target + 24)

    @property
    def column_width(self) -> int:
        """Reading column: about 65 characters of body text in landscape."""
        return round(1100 * self.scale) if not self.portrait else 10_000

    @property
    def qr_side(self) -> int:
        """QR codes are at least 35 mm so a phone finds them from arm's length."""
        return max(self.mm(35.0), 260)

    @property
    def icon(self) -> int:
        return round(40 * self.scale)


@lru_cache(maxsize=1)
def _template() -> Template:
    return Template(paths.resource_path("resources/style.qss").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def font_families() -> tuple[str, ...]:
    """The type's font families, first choice first: the style sheet's first font-family.

    The one list, kept as data in resources/style.qss: look.py's fonts use it too, and a
    script's font is a file in resources/fonts plus its family named there.
    """
    match = re.search(r"font-family:\s*([^;]+);", _template().template)
    if match is None:
        return ()
    return tuple(name.strip().strip("\"'") for name in match.group(1).split(","))


@lru_cache(maxsize=16)
def style_sheet(m: Metrics, p: Palette = LIGHT) -> str:
    """Fill ``resources/style.qss`` with the tokens for these metrics."""
    template = _template()
    values = {name: getattr(p, name) for name in p.__dataclass_fields__}
    values.update(
        display=m.display,
        title=m.title,
        section=m.section,
        body=m.body,
        secondary=m.secondary,
        target=m.target,
        button_height=m.button_height,
        bar_height=m.bar_height,
        bar=24,
        key=m.key_size,
        key_font=m.key_font,
        key_word_font=m.key_word_font,
    )
    return template.substitute(values)
