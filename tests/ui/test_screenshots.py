"""``kiosk screenshots`` writes one PNG per screen, language, size and text size."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from kiosk.appointment import STEPS
from kiosk.config import Settings
from kiosk.content import Content
from kiosk.ui.screenshots import all_routes, render_all


def test_render_all_names_and_sizes(
    qtbot: QtBot, tmp_path: Path, settings: Settings, content: Content
) -> None:
    """Files are named <screen>-<lang>-<W>x<H>[-text150].png and have the window's size."""
    written = render_all(settings, content, ("en", "tr"), tmp_path, [(1080, 1920)], ("tr",), (0, 2))
    keys = [r.key for r in all_routes(content.languages["tr"])]
    keys += [f"appointment-{step}" for step in (*STEPS, "thanks", "failed")]
    keys += ["staff-login", *(f"staff-{tab}" for tab in ("requests", "export", "log", "figures"))]
    keys += ["idle-warning", "attract"]
    expected = {f"{k}-tr-1080x1920.png" for k in keys} | {
        f"{k}-tr-1080x1920-text150.png" for k in keys
    }
    assert {path.name for path, _ in written} == expected
    image = QImage(str(tmp_path / "home-tr-1080x1920.png"))
    assert (image.width(), image.height()) == (1080, 1920)
    lengths = {path.name: screens for path, screens in written}
    assert lengths["home-tr-1080x1920.png"] < lengths["home-tr-1080x1920-text150.png"]
