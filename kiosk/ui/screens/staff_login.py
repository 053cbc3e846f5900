"""The staff passcode pad, reached only through the hidden gesture on Home."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.passcodes import MAX_DIGITS
from kiosk.staff import StaffAuth
from kiosk.store import StoreError
from kiosk.ui.context import ScreenContext
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets.text import label

COUNTDOWN_MS = 1000


def wait_text(seconds: int) -> str:
    """A wait as minutes:seconds (``1:05``): a lock lasts up to half an hour."""
    return f"{seconds // 60}:{seconds % 60:02d}"


class StaffLoginScreen(Screen):
    """A digit pad with masked entry. Until a passcode is set it only says so.

    While the passcode is locked out, the message counts the wait down each second from the
    lock time stored beside the key file (read through StaffAuth, and its clock), then says
    the staff can try again. The pad stays usable throughout.

    Signals:
        unlocked(key): the right passcode was entered; carries the unlocked private key.
        cancelled(): the staff member gave up.
    """

    unlocked = Signal(object)  # the clinic's private key (kiosk.crypto.Unlocked)
    cancelled = Signal()

    def __init__(self, ctx: ScreenContext, auth: StaffAuth | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("staff-login-screen")
        self._auth = auth
        self._s = ctx.lang.staff
        self._code = ""
        m = ctx.metrics
        self.page = ctx.pages.page(m)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.page)
        body = self.page.body
        self.configured = auth is not None and auth.is_configured()
        body.addWidget(label(self._s.pad_title, "screen-title"))
        self.display = label("", "passcode-display")
        self.message = label("" if self.configured else self._s.not_configured, "field-error")
        # Only while the pad is on screen and locked: it stops when hidden (and goes with it).
        self.countdown = QTimer(self)
        self.countdown.setInterval(COUNTDOWN_MS)
        self.countdown.timeout.connect(self.on_countdown_timeout)
        self.cancel_button = QPushButton(self._s.pad_cancel)
        self.cancel_button.setObjectName("pad-cancel")
        self.cancel_button.clicked.connect(self.cancelled.emit)
        self.digit_buttons: dict[str, QPushButton] = {}
        if self.configured:
            body.addWidget(self.display)
            pad = QGridLayout()
            pad.setSpacing(12)
            keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "open"]
            for i, key in enumerate(keys):
                text = {"clear": self._s.pad_clear, "open": self._s.pad_open}.get(key, key)
                button = QPushButton(text)
                button.setObjectName(f"pad-{key}" if key in ("clear", "open") else "pad-digit")
                button.setMinimumSize(m.target * 2, m.button_height)
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button.clicked.connect(lambda _=False, k=key: self.press(k))
                pad.addWidget(button, i // 3, i % 3)
                if key.isdigit():
                    self.digit_buttons[key] = button
            holder = QHBoxLayout()
            holder.addLayout(pad)
            holder.addStretch(1)
            body.addLayout(holder)
        body.addWidget(self.message)
        body.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignLeading)
        self.page.finish()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        # Locked before the pad was opened (earlier guesses, the command line): say so now.
        if self.configured and self._lock_remaining() > 0:
            self._show_lock()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        self.countdown.stop()
        super().hideEvent(event)

    def _lock_remaining(self) -> int:
        assert self._auth is not None
        return self._auth.lock_remaining()

    def _show_lock(self) -> None:
        """Show the wait and keep counting it down."""
        remaining = self._lock_remaining()
        if remaining <= 0:
            self.countdown.stop()
            self.message.setText(self._s.lock_over)
            return
        self.message.setText(self._s.locked.format(seconds=remaining, time=wait_text(remaining)))
        if not self.countdown.isActive():
            self.countdown.start()

    @Slot()
    def on_countdown_timeout(self) -> None:
        self._show_lock()

    def press(self, key: str) -> None:
        """Handle one key of the pad."""
        if key == "clear":
            self._code = ""
        elif key == "open":
            self._submit()
            return
        elif len(self._code) < MAX_DIGITS:
            self._code += key
        # In groups of four, as a chosen passcode is printed (4829 1370 5186): staff can
        # count where they are, and a long code wraps at a group on a narrow screen.
        dots = "●" * len(self._code)
        self.display.setText(" ".join(dots[i : i + 4] for i in range(0, len(dots), 4)))

    def _submit(self) -> None:
        assert self._auth is not None
        code, self._code = self._code, ""
        self.display.setText("")
        # Unwrapping the key takes most of a second by design: say so before it starts.
        self.message.setText(self._s.checking)
        self.message.repaint()
        try:
            result = self._auth.attempt(code)
        except StoreError:
            self.message.setText(self._s.not_configured)
            return
        if result.result == "ok" and result.key is not None:
            self.message.setText("")
            self.unlocked.emit(result.key)
        elif result.result == "locked":
            self._show_lock()
        elif result.result == "not_configured":
            self.message.setText(self._s.not_configured)
        elif result.tries_left is not None:
            self.message.setText(
                f"{self._s.wrong} {self._s.tries_left.format(tries=result.tries_left)}"
            )
        else:
            self.message.setText(self._s.wrong)
