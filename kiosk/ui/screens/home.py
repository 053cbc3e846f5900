"""Home: clinic name, language choice, one large tile per section, and the appointment tile."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kiosk.ui.context import ScreenContext
from kiosk.ui.screens.base import Screen
from kiosk.ui.theme import LIGHT
from kiosk.ui.widgets.blocks import boxed
from kiosk.ui.widgets.grid import TileGrid
from kiosk.ui.widgets.language_button import language_button
from kiosk.ui.widgets.text import label
from kiosk.ui.widgets.tile import Tile

# In landscape the language buttons sit beside the clinic's name up to this many (Home's
# tiles then fit above the bar at start); more, and any number in portrait, get a row of
# their own.
LANGUAGES_BESIDE_NAME = 5


class HomeScreen(Screen):
    """The start screen.

    Signals:
        section_chosen(str): a section tile was tapped (its id).
        appointment_chosen(): the appointment tile was tapped.
        language_chosen(str): a language button was tapped (its code).
        staff_requested(): the hidden staff gesture (taps on the logo) was completed.
    """

    section_chosen = Signal(str)
    appointment_chosen = Signal()
    language_chosen = Signal(str)
    staff_requested = Signal()

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("home-screen")
        m, ui = ctx.metrics, ctx.lang.ui
        self.page = ctx.pages.page(m, wide=True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.page)

        header = QHBoxLayout()
        header.setSpacing(m.gap)
        self.logo = QLabel()
        self.logo.setObjectName("clinic-logo")
        logo = QPixmap()
        logo_path = ctx.settings.logo_path()
        if logo_path is not None and logo.load(str(logo_path)):
            logo = logo.scaledToHeight(m.target, Qt.TransformationMode.SmoothTransformation)
        else:
            # No logo configured (or unreadable): a neutral clinic icon keeps the header balanced.
            logo = ctx.icons.pixmap("hospital", LIGHT.primary, m.target)
        self.logo.setPixmap(logo)
        # The staff entrance: N quick taps on the logo. Nothing on screen hints at it.
        self._taps: list[float] = []
        self._tap_count = ctx.settings.staff_taps
        self._tap_window = ctx.settings.staff_tap_seconds
        self.logo.installEventFilter(self)
        header.addWidget(self.logo, 0, Qt.AlignmentFlag.AlignVCenter)
        name = label(
            ctx.settings.clinic_name_given(ctx.lang.code) or ctx.lang.ui.default_clinic_name,
            "clinic-name",
        )
        header.addWidget(name, 1, Qt.AlignmentFlag.AlignVCenter)

        self.language_buttons: dict[str, QPushButton] = {}
        for code in ctx.languages:
            button = language_button(ctx, code, 32)
            button.setMinimumWidth(m.target * 2)
            button.clicked.connect(lambda _=False, c=code: self.language_chosen.emit(c))
            self.language_buttons[code] = button
        buttons = list(self.language_buttons.values())
        if m.portrait or len(buttons) > LANGUAGES_BESIDE_NAME:
            # A row of their own under the clinic's name, wrapping onto a second row when
            # they do not fit across (five languages in portrait at the largest text size):
            # beside it, they squeezed the name into a narrow column, or off the screen.
            self.page.body.addLayout(header)
            row = TileGrid(buttons, m.target * 2, len(buttons), 12, fit_contents=True)
            row.setObjectName("home-languages")
            self.page.body.addWidget(row)
        else:
            langs = QHBoxLayout()
            langs.setSpacing(12)
            for each in buttons:
                langs.addWidget(each)
            header.addLayout(langs, 0)
            self.page.body.addLayout(header)
        self.page.body.addWidget(label(ui.home_welcome, "body-text"))
        # The short cautions (not medical advice, keep your medicines, 112) come first, so
        # they are on screen even when the tiles need a little scrolling.
        notes = [d.text for d in ctx.lang.disclaimers.values() if d.home]
        if notes:
            box = boxed("notice-box", [" ".join(notes)], "secondary-text")
            box.setObjectName("notice-box")
            self.page.body.addWidget(box)

        tiles: list[QWidget] = []
        self.tiles: dict[str, Tile] = {}
        tile_h = max(200, m.target * 2)
        for section in ctx.lang.sections:
            tile = Tile(
                section.title,
                section.subtitle,
                ctx.icons.pixmap(section.icon, LIGHT.primary, m.icon),
                tile_h,
            )
            tile.setObjectName("tile")
            tile.setProperty("section_id", section.id)
            tile.clicked.connect(lambda _=False, s=section.id: self.section_chosen.emit(s))
            self.tiles[section.id] = tile
            tiles.append(tile)
        appointment = Tile(
            ui.appointment_tile_title,
            ui.appointment_tile_subtitle,
            ctx.icons.pixmap("calendar-plus", LIGHT.on_primary, m.icon),
            tile_h,
        )
        appointment.setObjectName("tile-appointment")
        appointment.clicked.connect(self.appointment_chosen.emit)
        self.appointment_tile = appointment
        tiles.append(appointment)
        # About 280 px per tile at normal text: six across 1920 px, so all eleven tiles fit
        # above the bar at the first glance; two across portrait 1080. Larger text takes
        # fewer, wider columns, and the page scrolls (with its "more below" sign).
        max_columns = 2 if m.portrait else 6
        self.grid = TileGrid(tiles, round(270 * m.scale), max_columns, m.gap)
        self.page.body.addWidget(self.grid)

        self.page.finish()

    def tap_logo(self, now: float | None = None) -> None:
        """Count one tap on the logo; emit staff_requested on the Nth within the window."""
        now = time.monotonic() if now is None else now
        self._taps = [t for t in self._taps if now - t <= self._tap_window] + [now]
        if len(self._taps) >= self._tap_count:
            self._taps = []
            self.staff_requested.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # Quick taps arrive as a press, then a double-click, then a press...: count both, or
        # five quick taps would register as three.
        if watched is self.logo and event.type() in (
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseButtonDblClick,
        ):
            self.tap_logo()
        return super().eventFilter(watched, event)
