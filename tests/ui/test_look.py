"""Content screens are styled without a style sheet (kiosk/ui/look.py), as the sheet would."""

from __future__ import annotations

import re

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from kiosk import paths
from kiosk.ui.look import BUTTON_TEXT, LABELS, LookError, apply_look, buttons, panels, unpainted
from kiosk.ui.main_window import MainWindow
from kiosk.ui.screens.registry import CACHED_SCREENS
from kiosk.ui.screenshots import visit_all
from kiosk.ui.theme import LIGHT, Metrics
from kiosk.ui.widgets.painted import PaintedButton, Panel

SHEET = paths.resource_path("resources/style.qss").read_text(encoding="utf-8")


def _rules() -> dict[str, str]:
    """``QLabel#name`` / ``QFrame#name`` selector -> its declarations, from style.qss."""
    rules: dict[str, str] = {}
    body = re.sub(r"/\*.*?\*/", "", SHEET, flags=re.S)
    body = re.sub(r"\$\{(\w+)\}", r"$\1", body)  # ${body}px -> $bodypx: no braces inside
    for selectors, declarations in re.findall(r"([^{}]+)\{([^}]*)\}", body):
        for selector in selectors.split(","):
            rules[selector.strip()] = rules.get(selector.strip(), "") + declarations
    return rules


@pytest.mark.parametrize("name", sorted(LABELS))
def test_label_types_match_the_style_sheet(name: str) -> None:
    """Each label rule in look.py says what resources/style.qss says for it (both are kept
    because the form and staff screens still use the sheet)."""
    rule = _rules().get(f"QLabel#{name}", "")
    text = LABELS[name]
    size = re.search(r"font-size:\s*\$(\w+)px", rule)
    assert (size.group(1) if size else "body") == text.size
    assert ("font-weight: bold" in rule) == text.bold
    color = re.search(r"(?<!-)color:\s*\$(\w+)", rule)
    assert (color.group(1) if color else "text") == text.color


@pytest.mark.parametrize("name", sorted(panels()))
def test_panel_boxes_match_the_style_sheet(name: str) -> None:
    rules = _rules()
    rule = rules.get(f"QFrame#{name}") or rules.get(f"QWidget#{name}", "")
    box = panels()[name]
    fill = re.search(r"background:\s*\$(\w+)", rule)
    assert fill is not None and getattr(LIGHT, fill.group(1)) == box.fill
    border = re.search(r"border:\s*(\d+)px solid \$(\w+)", rule)
    if border:
        assert (int(border.group(1)), getattr(LIGHT, border.group(2))) == (box.width, box.border)
    else:
        assert box.width == 0
    radius = re.search(r"border-radius:\s*(\d+)px", rule)
    assert (int(radius.group(1)) if radius else 0) == box.radius


def _decl(rule: str, prop: str) -> str | None:
    found = re.search(rf"(?<![-\w]){prop}:\s*([^;]+);", rule)
    return found.group(1).strip() if found else None


@pytest.mark.parametrize("name", sorted(buttons(Metrics(dpi=96.0))))
def test_button_boxes_match_the_style_sheet(name: str) -> None:
    """Each button's resting box is the sheet's QPushButton rule with its own on top."""
    rules = _rules()
    base, own = rules["QPushButton"], rules.get(f"QPushButton#{name}", "") if name else ""
    look = buttons(Metrics(dpi=96.0))[name].normal
    fill = _decl(own, "background") or _decl(base, "background")
    assert fill is not None and getattr(LIGHT, fill.lstrip("$")) == look.fill
    width, _, colour = (_decl(own, "border") or _decl(base, "border") or "").partition("px solid ")
    assert (int(width), getattr(LIGHT, colour.lstrip("$"))) == (look.width, look.border)
    radius = _decl(own, "border-radius") or _decl(base, "border-radius") or "0px"
    assert int(radius.removesuffix("px")) == look.radius
    size, bold = BUTTON_TEXT.get(name, ("body", False))
    assert (_decl(own, "font-size") or _decl(base, "font-size")) == f"${size}px"
    assert ("font-weight: bold" in own) == bold


@pytest.mark.parametrize(
    ("selector", "box", "label_name"),
    [
        ("QFrame#notice-box QLabel", "notice-box", "secondary-text"),
        ("QPushButton#tile-appointment QLabel", "tile-appointment", "tile-subtitle"),
        ("QWidget#table-head QLabel#status-small", "table-head", "status-small"),
    ],
)
def test_text_inside_boxes_matches_the_style_sheet(
    qtbot: QtBot, selector: str, box: str, label_name: str
) -> None:
    """A label inside these boxes gets the colour the sheet's rule for it gives."""
    screen = QWidget()
    qtbot.addWidget(screen)
    holder = PaintedButton("", screen) if box == "tile-appointment" else Panel(box, screen)
    holder.setObjectName(box)
    text = QLabel("text", holder)
    text.setObjectName(label_name)
    apply_look(screen, Metrics(dpi=96.0))
    colour = _decl(_rules()[selector], "color")
    assert colour is not None
    shown = text.palette().color(text.foregroundRole()).name()
    assert shown == getattr(LIGHT, colour.lstrip("$")).lower()


def test_unpainted_names_what_the_look_cannot_draw(qtbot: QtBot) -> None:
    screen = QWidget()
    qtbot.addWidget(screen)
    QPushButton("plain", screen)
    QFrame(screen).setObjectName("card")
    Panel("card", screen)
    assert sorted(unpainted(screen)) == ["button QPushButton", "frame card"]


def _under_a_style_sheet(widget: QWidget) -> bool:
    w: QWidget | None = widget
    while w is not None:
        if w.styleSheet():
            return True
        w = w.parentWidget()
    return False


@pytest.mark.parametrize("lang", ["en", "tr"])
def test_every_content_screen_is_drawn_without_a_style_sheet(window: MainWindow, lang: str) -> None:
    """No content screen sits under a style sheet, every box and button in it draws itself,
    and its labels carry the type of their role; the form and staff pad keep the sheet."""
    m = window.metrics()
    sizes = {m.display, m.title, m.section, m.body, m.secondary}
    seen = 0
    for _ in visit_all(window, lang):
        screen = window.current_screen()
        if screen.objectName().replace("-screen", "") not in CACHED_SCREENS | {"section"}:
            if screen.objectName() in ("appointment-screen", "staff-login-screen"):
                assert _under_a_style_sheet(screen)
            continue
        seen += 1
        assert not _under_a_style_sheet(screen), screen.objectName()
        assert unpainted(screen) == [], screen.objectName()  # nothing added after the look
        for widget in screen.findChildren(QWidget):
            if isinstance(widget, PaintedButton):
                assert widget._look is not None, (screen.objectName(), widget.objectName())
            elif isinstance(widget, Panel) and widget.objectName() in panels():
                assert widget._box is not None, (screen.objectName(), widget.objectName())
        for label in screen.findChildren(QLabel):
            if label.text():
                assert label.font().pixelSize() in sizes, (screen.objectName(), label.text())
    assert seen >= 10


def test_text_colours_reach_labels_inside_buttons(window: MainWindow) -> None:
    """Labels in a tile take the button's colours (ButtonText), which the look sets."""
    home = window.current_screen()
    title = home.tiles[next(iter(home.tiles))].title_label
    assert title.palette().color(QPalette.ColorRole.ButtonText).name() == LIGHT.text.lower()
    subtitle = home.appointment_tile.subtitle_label
    assert subtitle.palette().color(subtitle.foregroundRole()).name() == LIGHT.on_primary.lower()


def test_a_plain_frame_box_is_refused(qtbot: QtBot) -> None:
    """A box the look cannot draw (a plain QFrame named like a panel) is an error, not a
    screen that silently loses its background."""
    screen = QWidget()
    qtbot.addWidget(screen)
    QFrame(screen).setObjectName("summary-box")
    with pytest.raises(LookError):
        apply_look(screen, Metrics(dpi=96.0))


def test_a_checked_button_stays_filled_while_pressed(qtbot: QtBot) -> None:
    """As the sheet ranks its rules: the current language keeps its fill (and white text)
    while held down; a plain button shows the pressed fill; focus adds only its border."""
    looks = buttons(Metrics(dpi=96.0))
    current = PaintedButton("English")
    qtbot.addWidget(current)
    current.setCheckable(True)
    current.setChecked(True)
    current.set_look(looks["language-option"])
    current.setDown(True)
    assert current._box(looks["language-option"]).fill == LIGHT.primary
    assert current._text_color(looks["language-option"]) == LIGHT.on_primary
    chip = PaintedButton("1")
    qtbot.addWidget(chip)
    chip.set_look(looks["source-chip"])
    chip.setDown(True)
    assert chip._box(looks["source-chip"]).fill == LIGHT.pressed
    chip.setDown(False)
    chip.show()
    chip.setFocus()
    qtbot.waitUntil(chip.hasFocus)
    box = chip._box(looks["source-chip"])
    assert (box.fill, box.width) == (LIGHT.surface, looks["source-chip"].focus.width)
    current.setDown(False)
    current.show()
    current.setFocus()
    qtbot.waitUntil(current.hasFocus)
    box = current._box(looks["language-option"])  # checked and focused: its fill, focus border
    assert (box.fill, box.width) == (LIGHT.primary, looks["language-option"].focus.width)
