"""Our own on-screen keyboard: big keys, no prediction, no history, layouts from data files."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QGridLayout, QLineEdit, QPushButton, QSizePolicy, QWidget

from kiosk.content import AppointmentStrings
from kiosk.keyboards import KeyboardLayout, load_layout
from kiosk.ui.theme import MIN_KEY_PX

# Room a letter needs beside it on its key (its border and a little air).
KEY_PADDING_PX = 16
MIN_KEY_FONT_PX = 20
_KEY_FONT = (
    "QPushButton#keyboard-key, QPushButton#keyboard-shift, QPushButton#keyboard-backspace "
    "{{ font-size: {px}px; }}"
)

SPECIAL_NAMES = {
    "{shift}": "keyboard-shift",
    "{backspace}": "keyboard-backspace",
    "{space}": "keyboard-space",
    "{layout}": "keyboard-layout",
    "{done}": "keyboard-done",
}


class OnScreenKeyboard(QWidget):
    """Types into one QLineEdit at a time (``set_target``). Keys never take focus, so the
    field keeps its cursor. Nothing typed is remembered anywhere but the field itself.

    Signals:
        done(): the visitor tapped Done.
        typed(QLineEdit): a key changed the target field (the form brings it into view).
    """

    done = Signal()
    typed = Signal(QLineEdit)

    def __init__(self, strings: AppointmentStrings, key_size: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("keyboard")
        # A keyboard never mirrors: its rows are as printed on a physical keyboard, left to
        # right, in an Arabic screen too (a mirrored one puts every key in the wrong place).
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._strings = strings
        self._key_size = key_size
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(16, 12, 16, 12)
        self._grid.setSpacing(8)
        self._target: QLineEdit | None = None
        self._layouts: list[KeyboardLayout] = []
        self._layout_index = 0
        self._shift = False
        self._capitals = False
        self.buttons: list[QPushButton] = []
        self._natural_px = 0  # the letters' size in the screen's style (see _fit_keys)

    @property
    def layout_id(self) -> str:
        return self._layouts[self._layout_index].id if self._layouts else ""

    @property
    def shifted(self) -> bool:
        return self._shift

    @property
    def target(self) -> QLineEdit | None:
        """The field the keys type into (None: nowhere)."""
        return self._target

    def set_target(
        self, field: QLineEdit | None, layouts: tuple[str, ...] = (), capitals: bool = False
    ) -> None:
        """Type into ``field`` from now on, offering ``layouts`` (the layout key cycles them).
        With ``capitals`` (names) each word starts with a capital by itself. Without
        ``layouts`` (no field) the keys keep their layouts, back at the first, unshifted."""
        self._target = field
        self._capitals = capitals
        wanted = [load_layout(layout_id) for layout_id in layouts] if layouts else self._layouts
        changed = [lay.id for lay in wanted] != [lay.id for lay in self._layouts]
        if changed or (not layouts and (self._layout_index or self._shift)):
            self._layouts = wanted
            self._layout_index = 0
            self._shift = False
            if wanted:
                self._build()
        self._auto_shift()

    def _auto_shift(self) -> None:
        """For a name, shift on at the start of each word (after a space or a hyphen) and
        off inside it, as a phone keyboard does: no shift taps for painful hands. The
        capital comes from the layout, so the Turkish layout gives İ for i."""
        target = self._target
        if not self._capitals or target is None:
            return
        before = target.text()[: target.cursorPosition()]
        wanted = before == "" or before.endswith((" ", "-"))
        if wanted != self._shift:
            self._shift = wanted
            self._relabel()

    def _relabel(self) -> None:
        """Show the keys for the shift state now, on the same buttons: a key held down
        (backspace repeating over a word boundary) must not be replaced under the finger."""
        layout = self._layouts[self._layout_index]
        for button in self.buttons:
            key = button.property("key")
            if key == "{shift}":
                button.setChecked(self._shift)
            elif len(key) == 1:
                button.setText(self._label(layout, key))

    def reset(self, rebuild: bool = True) -> None:
        """Forget the target and the shift state (a new visitor starts fresh). Without
        ``rebuild`` the keys keep their current layout: for a keyboard about to be deleted,
        which holds nothing typed, only the keys' letters."""
        self._target = None
        self._shift = False
        self._layout_index = 0
        if self._layouts and rebuild:
            self._build()

    def key_button(self, text: str) -> QPushButton:
        """Return the button that types ``text`` (or a special key such as ``{shift}``)."""
        for button in self.buttons:
            if button.property("key") == text:
                return button
        raise KeyError(text)

    def drop_target(self) -> None:
        """Type nowhere until a field is set again; the keys stay as they are (shift, layout),
        so they still type what they show when the visitor comes back."""
        self._target = None

    def _build(self) -> None:
        for button in self.buttons:
            self._grid.removeWidget(button)
            button.hide()  # now: deletion waits for the event loop, a frame may come first
            button.deleteLater()
        self.buttons = []
        layout = self._layouts[self._layout_index]
        # Every row is laid over the same number of grid cells so keys line up in size.
        span = max(len(row) for row in layout.rows) * 2
        for r, row in enumerate(layout.rows):
            unit = span // len(row)
            offset = (span - unit * len(row)) // 2
            for c, key in enumerate(row):
                button = QPushButton(self._label(layout, key))
                button.setProperty("key", key)
                name = "keyboard-key" if len(key) == 1 else "keyboard-text"
                button.setObjectName(SPECIAL_NAMES.get(key, name))
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button.setAutoRepeat(key == "{backspace}")
                # Wide enough for a finger (72 px), not as wide as tall: twelve keys must
                # share a portrait row, and the window must never grow past the screen.
                button.setMinimumWidth(MIN_KEY_PX)
                button.setFixedHeight(self._key_size)
                button.setProperty("touch_target", MIN_KEY_PX)  # (for kiosk.ui.audit)
                button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
                if key == "{shift}":
                    button.setCheckable(True)
                    button.setChecked(self._shift)
                button.clicked.connect(lambda _=False, k=key: self._press(k))
                self._grid.addWidget(button, r, offset + c * unit, 1, unit)
                self.buttons.append(button)
        if self.isVisible():
            self._grid.activate()
            self._fit_keys()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)  # (the keys are laid out already: the layout goes first)
        self._fit_keys()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._fit_keys()

    def _fit_keys(self) -> None:
        """Letters no wider than their keys: twelve Arabic keys share a portrait row, and ض
        at the largest text is wider than a key there. The letters then get the size that
        fits (a style of the keyboard's own), never cut; back to the screen's size when it
        fits again."""
        keys = [b for b in self.buttons if len(b.text()) == 1 and b.width() > 0]
        if not keys or not self.isVisible():
            return
        if not self.styleSheet():
            self._natural_px = keys[0].font().pixelSize()
        natural = self._natural_px
        if natural <= 0:
            return
        room = min(b.width() for b in keys) - KEY_PADDING_PX
        font = QFont(keys[0].font())
        px = natural
        while px > MIN_KEY_FONT_PX:
            font.setPixelSize(px)
            fm = QFontMetrics(font)
            if max(fm.horizontalAdvance(b.text()) for b in keys) <= room:
                break
            px -= 1
        sheet = "" if px == natural else _KEY_FONT.format(px=px)
        if sheet != self.styleSheet():
            self.setStyleSheet(sheet)

    def _label(self, layout: KeyboardLayout, key: str) -> str:
        s = self._strings
        if key == "{shift}":
            return "⇧"
        if key == "{backspace}":
            return "⌫"
        if key == "{space}":
            return s.keyboard_space
        if key == "{done}":
            return s.keyboard_done
        if key == "{layout}":
            nxt = self._layouts[(self._layout_index + 1) % len(self._layouts)]
            return nxt.label
        return layout.shift.get(key, key) if self._shift else key

    def _press(self, key: str) -> None:
        if key == "{shift}":
            self._shift = not self._shift
            self._relabel()
            return
        if key == "{layout}":
            self._layout_index = (self._layout_index + 1) % len(self._layouts)
            self._shift = False
            self._build()
            self._auto_shift()
            return
        if key == "{done}":
            self.done.emit()
            return
        target = self._target
        if target is None:
            return
        if not target.hasFocus():
            # The field typed into shows it: caret and focus ring (a tap on a choice button
            # may have taken the focus since).
            target.setFocus(Qt.FocusReason.OtherFocusReason)
        if key == "{backspace}":
            target.backspace()
        elif key == "{space}":
            target.insert(" ")
        else:
            layout = self._layouts[self._layout_index]
            target.insert(layout.shift.get(key, key) if self._shift else key)
            if self._shift:
                # Like a phone keyboard: shift applies to one letter, then lets go.
                self._shift = False
                self._relabel()
        self._auto_shift()
        self.typed.emit(target)
