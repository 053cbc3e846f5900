"""docs/ui-map.md lists every screen and interactive control by its stable objectName."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QAbstractButton

from kiosk import paths
from kiosk.content import Content
from kiosk.ui.main_window import MainWindow
from kiosk.ui.screenshots import visit_all

from uihelpers import settle

KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def test_every_screen_and_control_is_named_and_documented(
    window: MainWindow, content: Content
) -> None:
    """Walk all screens: each screen and each button has a kebab-case name found in the map."""
    doc = (paths.bundle_root() / "docs" / "ui-map.md").read_text("utf-8")
    documented = set(re.findall(r"`([a-z0-9-]+)`", doc))
    names: set[str] = set()
    for _name in visit_all(window, "en"):
        settle()
        names.add(window.current_screen().objectName())
        for button in window.findChildren(QAbstractButton):
            # Qt's own helper widgets (qt_*) are not ours to name.
            if not button.objectName().startswith("qt_"):
                names.add(button.objectName())
    assert "" not in names, "a control has no objectName"
    assert all(KEBAB.match(n) for n in names), sorted(n for n in names if not KEBAB.match(n))
    assert names - documented == set()
