"""The screen holder: many screens, one shown, switching without touching the others."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QWidget


class ScreenStack(QWidget):
    """Holds the main window's screens and shows one of them, filling the stack.

    Like a QStackedWidget, but a switch touches only the screen hidden and the screen
    shown: QStackedLayout disables and re-enables updates on every page at each switch,
    which costs milliseconds once dozens of built screens are kept for reuse. Its size hints
    are those of the screen shown.

    Screens live in *layers*: see-through holders, one per style sheet and text direction.
    The form and staff screens use the sheet of their text size; content screens share a
    layer with no sheet per direction (kiosk/ui/look.py styles them). A screen built inside
    its layer is styled once, as it is built; one built alone and then moved in would be
    styled twice more (by its own sheet, then by its new parents').
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._screens: list[QWidget] = []
        self._current: QWidget | None = None
        self._layers: dict[tuple[str, Qt.LayoutDirection], QWidget] = {}

    def layer(self, style_sheet: str, direction: Qt.LayoutDirection) -> QWidget:
        """The holder for screens with this style sheet and direction (made once)."""
        key = (style_sheet, direction)
        holder = self._layers.get(key)
        if holder is None:
            holder = QWidget(self)
            holder.setObjectName("screen-layer")
            holder.setLayoutDirection(direction)
            if style_sheet:  # none for content screens (kiosk/ui/look.py)
                holder.setStyleSheet(style_sheet)
            holder.setGeometry(self.rect())
            holder.hide()
            self._layers[key] = holder
        return holder

    def _holder(self, screen: QWidget) -> QWidget | None:
        parent = screen.parentWidget()
        return parent if parent is not None and parent in self._layers.values() else None

    def addWidget(self, screen: QWidget) -> int:  # noqa: N802 - QStackedWidget's name
        """Add ``screen`` (hidden until made current); return its index. A screen built in
        one of the layers stays there; any other becomes a child of the stack."""
        if screen not in self._screens:
            if self._holder(screen) is None and screen.parentWidget() is not self:
                screen.setParent(self)
            screen.hide()
            self._screens.append(screen)
        return self._screens.index(screen)

    def removeWidget(self, screen: QWidget) -> None:  # noqa: N802
        """Forget ``screen`` and hide it (it stays a child until deleted, as in Qt's)."""
        if screen in self._screens:
            self._screens.remove(screen)
        if screen is self._current:
            self._current = None
        screen.hide()

    def setCurrentWidget(self, screen: QWidget) -> None:  # noqa: N802
        """Show ``screen`` (added first if needed) over the whole stack; hide the last one."""
        self.addWidget(screen)
        old = self._current
        if screen is old:
            return
        self._current = screen
        holder = self._holder(screen)
        if holder is not None:
            holder.setGeometry(self.rect())
            holder.show()
            holder.raise_()
            screen.setGeometry(holder.rect())
        else:
            screen.setGeometry(self.rect())
        screen.show()
        screen.raise_()
        if old is not None:
            old.hide()
            old_holder = self._holder(old)
            if old_holder is not None and old_holder is not holder:
                old_holder.hide()
        self.updateGeometry()

    def currentWidget(self) -> QWidget | None:  # noqa: N802
        return self._current

    def count(self) -> int:
        return len(self._screens)

    def widget(self, index: int) -> QWidget | None:
        return self._screens[index] if 0 <= index < len(self._screens) else None

    def indexOf(self, screen: QWidget) -> int:  # noqa: N802
        return self._screens.index(screen) if screen in self._screens else -1

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._current.sizeHint() if self._current is not None else QSize(0, 0)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        if self._current is None:
            return QSize(0, 0)
        return self._current.minimumSizeHint().expandedTo(self._current.minimumSize())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        # Every layer, shown or not: before the window is first shown no widget is
        # "visible", and a layer skipped then kept the size it was made with (Qt's 640×480
        # default), so Home was laid out 640 px wide at every start on a real display. A
        # hidden layer takes the size at once and lays out only when shown.
        for layer in self._layers.values():
            layer.setGeometry(self.rect())
        if self._current is not None:
            holder = self._holder(self._current)
            self._current.setGeometry(holder.rect() if holder is not None else self.rect())
