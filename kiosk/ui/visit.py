"""One visitor's time at the kiosk: what they chose (language, text size), what they typed
(the form, and where they are in it), the staff session, and the clocks that end a visit:
the quiet time before "Are you still there?" (longer inside the form) and the staff lock."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication

from kiosk.appointment import STEPS, FlowState, FormData
from kiosk.config import Settings
from kiosk.ui.navigation import FORM_DETOURS, HOME, Route

if TYPE_CHECKING:
    from kiosk.crypto import Unlocked
    from kiosk.store import AppointmentStore

log = logging.getLogger(__name__)


class Visit(QObject):
    """The visit's state and clocks; no widgets. The window shows what it says.

    The form lives here, not in the screen, so a change of language (a new screen) keeps
    it; it is wiped in place when the visit ends, so every holder of it sees it empty.

    Signals:
        quiet(): nobody touched the kiosk for the idle time: ask whether anyone is there.
        staff_quiet(): nobody touched the staff screen for its lock time: lock it.
        signed_out(): a staff session ended.
    """

    quiet = Signal()
    staff_quiet = Signal()
    signed_out = Signal()

    def __init__(self, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.language = settings.default_language
        self.text_step = 0
        self.form = FormData()
        self.flow = FlowState()
        self.store: AppointmentStore | None = None
        self.staff_unlocked = False
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.timeout.connect(self.quiet)
        self.staff_timer = QTimer(self)
        self.staff_timer.setSingleShot(True)
        self.staff_timer.setInterval(settings.staff_idle_seconds * 1000)
        self.staff_timer.timeout.connect(self.staff_quiet)

    # --- the visitor's state -----------------------------------------------------------

    def at_rest(self, route: Route) -> bool:
        """True on Home in the default language and text size: nothing to reset."""
        return (
            route == HOME
            and self.language == self._settings.default_language
            and self.text_step == 0
            and self.form.is_empty()
        )

    def form_started(self, route: Route, going_back: bool) -> bool:
        """Whether leaving ``route`` ends a form the visitor has typed or chosen something
        in (the window asks first). From a detour (Help, Language) Home and "I am done"
        end the form too; Back returns to it."""
        in_form = route.name == "appointment" or (route.name in FORM_DETOURS and not going_back)
        return in_form and self.flow.step in STEPS and not self.form.is_empty()

    def form_over(self, route: Route) -> bool:
        """Whether showing ``route`` ends the form's visit. Help and Language are detours
        only while the form is being filled in; after the thank-you or failure page,
        leaving by any way ends it."""
        visit_over = self.flow.step in ("thanks", "failed") and route.name != "appointment"
        return route.name not in FORM_DETOURS or visit_over

    def wipe_form(self) -> None:
        """Forget everything typed into the form, and the clipboard (the visitor left)."""
        if not self.form.is_empty() or self.flow.step != "notice":
            log.info("form_wiped")
        self.form.wipe()
        self.flow.reset()
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.clear()

    def sign_in(self, key: Unlocked) -> None:
        """Staff opened their screen: the private key opens patients' data for this staff
        session only."""
        if self.store is not None:
            self.store.unlock(key)
        self.staff_unlocked = True

    def sign_out(self) -> None:
        was_in = self.staff_unlocked
        self.staff_unlocked = False
        if self.store is not None:
            self.store.lock()  # forget the private key
        if was_in:
            self.signed_out.emit()

    def reset(self) -> None:
        """The visit is over: the clocks stop, staff are signed out, language and text size
        go back to the clinic's, and the form is wiped."""
        self.idle_timer.stop()
        self.sign_out()
        self.language = self._settings.default_language
        self.text_step = 0
        self.wipe_form()
        log.info("visit_reset")

    # --- the clocks --------------------------------------------------------------------

    def restart(self, route: Route) -> None:
        """Start the quiet-time clock again for ``route``: longer inside the form; none at
        rest (nothing to reset) or on the staff screens (they have their own lock)."""
        if self.at_rest(route) or route.name.startswith("staff"):
            self.idle_timer.stop()
            return
        s = self._settings
        seconds = s.idle_form_seconds if route.name == "appointment" else s.idle_seconds
        self.idle_timer.start(seconds * 1000)

    def staff_screen(self, shown: bool) -> None:
        """The staff screen is on display (its lock clock runs) or not."""
        if shown:
            self.staff_timer.start()
        else:
            self.staff_timer.stop()

    def touched(self, route: Route, asking: bool) -> None:
        """A touch: both clocks start over (not while the kiosk is ``asking`` whether anyone
        is there: the question's own countdown runs then)."""
        if self.staff_timer.isActive():
            self.staff_timer.start()
        if not asking:
            self.restart(route)
