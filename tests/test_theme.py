"""Colour tokens keep WCAG contrast; sizes follow the screen's DPI (no Qt needed)."""

from __future__ import annotations

import pytest

from kiosk.ui.theme import LIGHT, Metrics


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize(
    ("fg", "bg"),
    [
        ("text", "background"),
        ("text", "surface"),
        ("text", "tint"),
        ("text", "zebra"),
        ("text", "pressed"),
        ("muted", "background"),
        ("muted", "surface"),
        ("muted", "zebra"),
        ("on_primary", "primary"),
        ("on_primary", "primary_pressed"),
        ("primary", "background"),
        ("primary", "surface"),
        ("notice_text", "notice_bg"),
        ("error", "surface"),
    ],
)
def test_text_contrast_at_least_4_5(fg: str, bg: str) -> None:
    """Every text colour on every background it is used on reaches WCAG AA (4.5:1)."""
    assert contrast(getattr(LIGHT, fg), getattr(LIGHT, bg)) >= 4.5


def test_background_is_not_pure_white() -> None:
    """Full screens are soft off-white: less glare for light-sensitive eyes."""
    assert LIGHT.background.upper() != "#FFFFFF"


@pytest.mark.parametrize(
    ("dpi", "override", "target"),
    [
        (100.0, 0.0, 79),  # 20 mm at 100 dpi
        (72.0, 0.0, 64),  # never below 64 px
        (140.0, 0.0, 111),  # a small 15.6" 1080p panel
        (0.0, 0.0, 76),  # nonsense EDID: fall back to 96 dpi
        (100.0, 120.0, 95),  # the config override wins
    ],
)
def test_touch_target_from_dpi(dpi: float, override: float, target: int) -> None:
    """Targets are 20 mm on the physical screen, from its DPI or the configured one."""
    assert Metrics(dpi=Metrics.sane_dpi(dpi, override)).target == target


def test_text_sizes_grow() -> None:
    """Three text sizes: body 26 px (>= 24 at 1080p), then 125 % and 150 %."""
    assert [Metrics(dpi=96, text_step=s).body for s in range(3)] == [26, 32, 39]
