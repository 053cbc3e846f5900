"""The main window: the screen stack, the persistent bar, navigation and all cross-screen wiring."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QContextMenuEvent,
    QGuiApplication,
    QKeyEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from kiosk.appointment import FormData
from kiosk.config import Settings
from kiosk.content import Content
from kiosk.staff import StaffAuth
from kiosk.storage import AppointmentStore, StoreError
from kiosk.ui.activity import ActivityFilter
from kiosk.ui.context import ScreenContext
from kiosk.ui.drives import Destination, removable_drives
from kiosk.ui.icons import Icons
from kiosk.ui.screens.about import AboutScreen
from kiosk.ui.screens.appointment import AppointmentScreen, FlowState
from kiosk.ui.screens.faq import FaqScreen
from kiosk.ui.screens.help import HelpScreen
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.screens.language import LanguageScreen
from kiosk.ui.screens.section import SectionScreen
from kiosk.ui.screens.sources import SourcesScreen
from kiosk.ui.screens.staff import StaffScreen
from kiosk.ui.screens.staff_login import StaffLoginScreen
from kiosk.ui.screens.table import TableScreen
from kiosk.ui.screens.topic import TopicScreen
from kiosk.ui.theme import TEXT_SCALES, Metrics, style_sheet
from kiosk.ui.widgets.attract import AttractOverlay
from kiosk.ui.widgets.idle_overlay import IdleOverlay
from kiosk.ui.widgets.nav_bar import NavBar
from kiosk.watchdog import beat, sd_notify, watchdog_interval_ms

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """Where the visitor is: a screen kind and, for some, the id it shows."""

    name: str
    arg: str | None = None

    @property
    def key(self) -> str:
        """A stable name for the screen, used in screenshots and tests."""
        return f"{self.name}-{self.arg}" if self.arg else self.name


HOME = Route("home")
# Screens a visitor may open from inside the form without ending it.
FORM_DETOURS = ("appointment", "language", "help")
RETENTION_INTERVAL_MS = 6 * 60 * 60 * 1000


class MainWindow(QWidget):
    """Holds one screen at a time above the persistent bar.

    Screens are built from a Route each time they are shown, so a change of language or
    text size simply rebuilds the current one: nothing stale can survive.

    Signals:
        screen_changed(str): the key of the screen now shown.
        exit_requested(): staff confirmed "Exit kiosk".
    """

    screen_changed = Signal(str)
    exit_requested = Signal()

    def __init__(
        self,
        settings: Settings,
        content: Content,
        languages: tuple[str, ...],
        store: AppointmentStore | None = None,
        content_warning: str | None = None,
        drives: Callable[[], list[Destination]] = removable_drives,
        kiosk_mode: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("main-window")
        self.setWindowTitle(settings.clinic_name)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._settings = settings
        self._content = content
        self._languages = languages
        self._icons = Icons()
        self._lang = settings.default_language
        self._text_step = 0
        self._history: list[Route] = []
        self._route = HOME
        self._built_for: tuple[object, ...] | None = None
        self._qss = ""
        self._store = store
        # The visitor's form lives here, not in the screen, so a language change keeps it.
        self.form = FormData()
        self.flow = FlowState()
        self._content_warning = content_warning
        self._drives = drives
        self._auth = StaffAuth(store, settings.keys_path()) if store is not None else None
        self._staff_unlocked = False
        # Any touch restarts the staff screen's idle clock; no polling.
        self._activity = ActivityFilter(self)
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self._activity)
        self.staff_timer = QTimer(self)
        self.staff_timer.setSingleShot(True)
        self.staff_timer.setInterval(settings.staff_idle_seconds * 1000)
        self.staff_timer.timeout.connect(self.lock_staff)
        self._activity.activity.connect(self._on_activity)
        # Idle: after a quiet spell, ask "Are you still there?", then reset for the next visitor.
        self.kiosk_mode = kiosk_mode
        self._closing_allowed = not kiosk_mode
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.timeout.connect(self._on_idle)
        self.attract = AttractOverlay(self)
        self.overlay = IdleOverlay(self)
        self.overlay.continued.connect(self._restart_idle)
        self.overlay.expired.connect(self.reset_visit)
        self.heartbeat_timer = QTimer(self)
        self.heartbeat_timer.setInterval(watchdog_interval_ms())
        self.heartbeat_timer.timeout.connect(lambda: beat(settings.heartbeat_path()))
        self.retention_timer = QTimer(self)
        self.retention_timer.setInterval(RETENTION_INTERVAL_MS)
        self.retention_timer.timeout.connect(self.run_retention)
        if store is not None:
            self.run_retention()
            self.retention_timer.start()

        self.stack = QStackedWidget()
        self.stack.setObjectName("screen-stack")
        self.bar = NavBar(self._icons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.bar, 0)

        self.bar.home_clicked.connect(self.go_home)
        self.bar.back_clicked.connect(self.on_bar_back)
        self.bar.language_clicked.connect(lambda: self.navigate(Route("language")))
        self.bar.text_size_clicked.connect(self.cycle_text_size)
        self.bar.help_clicked.connect(lambda: self.navigate(Route("help")))
        self.bar.done_clicked.connect(self.reset_visit)
        self.bar.appointment_clicked.connect(lambda: self.navigate(Route("appointment")))
        self._render()

    # --- state ---------------------------------------------------------------------------

    @property
    def language(self) -> str:
        return self._lang

    @property
    def text_step(self) -> int:
        return self._text_step

    @property
    def route(self) -> Route:
        return self._route

    @property
    def history(self) -> tuple[Route, ...]:
        return tuple(self._history)

    def current_screen(self) -> QWidget:
        return self.stack.currentWidget()

    def metrics(self) -> Metrics:
        screen = self.screen()
        reported = screen.physicalDotsPerInch() if screen is not None else 96.0
        dpi = Metrics.sane_dpi(reported, self._settings.screen_dpi)
        portrait = self.height() > self.width()
        return Metrics(dpi=dpi, text_step=self._text_step, portrait=portrait)

    def context(self) -> ScreenContext:
        return ScreenContext(
            settings=self._settings,
            content=self._content,
            lang=self._content.languages[self._lang],
            metrics=self.metrics(),
            icons=self._icons,
            languages=self._languages,
        )

    # --- navigation ------------------------------------------------------------------------

    def navigate(self, route: Route) -> None:
        """Show ``route``; the current screen goes on the Back history."""
        if route == self._route:
            return
        if route == HOME:
            self.go_home()
            return
        # The language picker is a detour, not a place: Back skips it.
        if self._route.name != "language":
            self._history.append(self._route)
        self._route = route
        self._render()

    def go_back(self) -> None:
        """Return to the previous screen (Home when there is none)."""
        self._route = self._history.pop() if self._history else HOME
        self._render()

    def on_bar_back(self) -> None:
        """The bar's Back means one step back inside the form, like the form's own Back."""
        screen = self.current_screen()
        if isinstance(screen, AppointmentScreen) and screen.go_back():
            return
        self.go_back()

    def go_home(self) -> None:
        """Return to Home and forget the trail."""
        self._history.clear()
        self._route = HOME
        self._render()

    def open_section(self, section_id: str) -> None:
        """Open a Home section: its only topic directly, a list of topics, or its screen."""
        section = self._content.languages[self._lang].section(section_id)
        if section.kind == "topics":
            if len(section.items) == 1:
                self.navigate(Route("topic", section.items[0]))
            else:
                self.navigate(Route("section", section.id))
        elif section.kind == "table":
            self.navigate(Route("table", section.items[0]))
        else:
            self.navigate(Route(section.kind))

    def open_source(self, source_id: str) -> None:
        self.navigate(Route("sources", source_id))

    def set_language(self, code: str) -> None:
        """Switch every screen to ``code``, staying where the visitor is."""
        if code not in self._languages:
            raise ValueError(f"language not offered: {code}")
        self._lang = code
        if self._route.name == "language":
            self._route = self._history.pop() if self._history else HOME
        self._render(force=True)

    def set_text_step(self, step: int) -> None:
        """Set the text size (0 = normal, 1 = large, 2 = largest) and redraw."""
        self._text_step = max(0, min(step, len(TEXT_SCALES) - 1))
        self._render(force=True)

    def cycle_text_size(self) -> None:
        self.set_text_step((self._text_step + 1) % len(TEXT_SCALES))

    # --- building screens -------------------------------------------------------------------

    def _section_title(self, kind: str) -> str:
        lang = self._content.languages[self._lang]
        for section in lang.sections:
            if section.kind == kind:
                return section.title
        return ""

    def _build(self, route: Route, ctx: ScreenContext) -> QWidget:
        lang = ctx.lang
        if route.name == "home":
            home = HomeScreen(ctx)
            home.section_chosen.connect(self.open_section)
            home.appointment_chosen.connect(lambda: self.navigate(Route("appointment")))
            home.language_chosen.connect(self.set_language)
            home.staff_requested.connect(lambda: self.navigate(Route("staff-login")))
            return home
        if route.name == "section" and route.arg:
            section = SectionScreen(ctx, lang.section(route.arg))
            section.topic_chosen.connect(lambda t: self.navigate(Route("topic", t)))
            return section
        if route.name == "topic" and route.arg:
            topic = TopicScreen(ctx, lang.topics[route.arg])
            topic.source_chosen.connect(self.open_source)
            return topic
        if route.name == "table" and route.arg:
            table = TableScreen(ctx, lang.tables[route.arg])
            table.source_chosen.connect(self.open_source)
            return table
        if route.name == "faq":
            faq = FaqScreen(ctx, self._section_title("faq"), lang.faq)
            faq.source_chosen.connect(self.open_source)
            return faq
        if route.name == "sources":
            return SourcesScreen(
                ctx, self._section_title("sources") or lang.ui.sources_label, route.arg
            )
        if route.name == "about":
            return AboutScreen(ctx)
        if route.name == "help":
            return HelpScreen(ctx)
        if route.name == "language":
            picker = LanguageScreen(ctx)
            picker.language_chosen.connect(self.set_language)
            return picker
        if route.name == "staff-login":
            login = StaffLoginScreen(ctx, self._auth)
            login.unlocked.connect(self._on_unlocked)
            login.cancelled.connect(self.go_home)
            return login
        if route.name == "staff" and self._store is not None:
            staff = StaffScreen(ctx, self._store, self._drives, self._content_warning)
            staff.locked.connect(self.lock_staff)
            staff.exit_requested.connect(self._on_exit)
            return staff
        if route.name == "appointment":
            form = AppointmentScreen(ctx, self.form, self.flow, self._store)
            form.cancelled.connect(self.go_back)
            form.finished.connect(self.go_home)
            return form
        raise ValueError(f"unknown route {route}")

    def _render(self, force: bool = False) -> None:
        if self._route.name == "staff" and not self._staff_unlocked:
            self._route = HOME  # never show the staff screen without the passcode
        ctx = self.context()
        m = ctx.metrics
        state = (self._lang, self._text_step, m.portrait, m.dpi, self._route)
        if not force and state == self._built_for:
            return
        self._built_for = state
        self.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if ctx.lang.rtl else Qt.LayoutDirection.LeftToRight
        )
        qss = style_sheet(m)
        # Re-applying an unchanged style sheet restyles every widget: skip it.
        if qss != self._qss:
            self._qss = qss
            self.setStyleSheet(qss)
        self.bar.apply(ctx.lang.ui, self._text_step, m, ctx.lang.rtl)
        self.bar.set_back_enabled(self._route != HOME)
        old = self.stack.currentWidget()
        if self._route != HOME:
            self.attract.stop()
        if isinstance(old, StaffScreen) and self._route.name != "staff":
            old.clear_personal()  # no patient names wait in a screen awaiting deletion
        if self._route.name != "staff":
            self._sign_out_staff()  # leaving the staff screen signs staff out
            self.staff_timer.stop()
        else:
            self.staff_timer.start()
        visit_over = self.flow.step in ("thanks", "failed") and self._route.name != "appointment"
        if self._route.name not in FORM_DETOURS or visit_over:
            # Help and Language are detours only while the form is being filled in; after
            # the thank-you or failure page, leaving by any way ends the visit.
            self.end_form_visit()
            if isinstance(old, AppointmentScreen):
                old.clear_widgets()  # do not leave typed text in a widget awaiting deletion
        screen = self._build(self._route, ctx)
        self.stack.addWidget(screen)
        self.stack.setCurrentWidget(screen)
        # Focus rests on the window, not on a button: on a touch screen a focus ring on
        # "Home" reads as "selected" and confuses people.
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        if old is not None:
            self.stack.removeWidget(old)
            old.deleteLater()
        log.info("screen %s", self._route.key)
        self._restart_idle()
        self.screen_changed.emit(self._route.key)

    @property
    def store(self) -> AppointmentStore | None:
        return self._store

    @property
    def staff_unlocked(self) -> bool:
        return self._staff_unlocked

    def _on_unlocked(self, key: object) -> None:
        if self._store is not None:
            # The private key opens patients' data for this staff session only.
            self._store.unlock(key)
        self._staff_unlocked = True
        # The pad is not a place to come back to: the staff screen replaces it.
        self._route = Route("staff")
        self._render(force=True)

    def _on_exit(self) -> None:
        log.info("kiosk_exit")
        self.allow_close()
        self.exit_requested.emit()

    def lock_staff(self) -> None:
        """Sign staff out and return to the patient Home."""
        self._sign_out_staff()
        self.go_home()

    def _sign_out_staff(self) -> None:
        self._staff_unlocked = False
        if self._store is not None:
            self._store.lock()  # forget the private key

    def _on_activity(self) -> None:
        if self.staff_timer.isActive():
            self.staff_timer.start()
        if not self.overlay.isVisible():
            self._restart_idle()

    def at_rest(self) -> bool:
        """True on Home in the default language and text size: nothing to reset."""
        return (
            self._route == HOME
            and self._lang == self._settings.default_language
            and self._text_step == 0
            and self.form.is_empty()
        )

    def _restart_idle(self) -> None:
        """Start the quiet-time clock again (longer inside the appointment form)."""
        if self.at_rest() or self._route.name.startswith("staff"):
            # Staff screens have their own two-minute lock; Home at rest needs no reset.
            self.idle_timer.stop()
            return
        s = self._settings
        seconds = s.idle_form_seconds if self._route.name == "appointment" else s.idle_seconds
        self.idle_timer.start(seconds * 1000)

    def show_idle_warning(self) -> None:
        """Show the overlay now (the idle timer calls this)."""
        self._on_idle()

    def _on_idle(self) -> None:
        ctx = self.context()
        self.overlay.build(ctx.lang.ui, ctx.metrics, self._settings.idle_warning_seconds)
        self.overlay.start()
        log.info("idle_warning")

    def reset_visit(self) -> None:
        """End the visit: Home, default language and text size, everything typed wiped,
        staff signed out. Used by "I am done", the idle countdown and error recovery."""
        self.overlay.stop()
        self.idle_timer.stop()
        self._sign_out_staff()
        self._lang = self._settings.default_language
        self._text_step = 0
        self._history.clear()
        self._route = HOME
        self._render(force=True)  # rebuilding Home also resets every scroll position
        self.end_form_visit()
        log.info("visit_reset")
        self.start_attract()

    def start_attract(self) -> None:
        """Begin the slow rotation of topics on Home (if the clinic wants it)."""
        if self._settings.attract_mode and self._route == HOME:
            ctx = self.context()
            self.attract.start(ctx.lang, ctx.metrics, self._settings.attract_seconds)

    def recover(self) -> None:
        """Return to a clean Home after an unexpected error in a slot or timer."""
        try:
            self.reset_visit()
        except Exception:  # noqa: BLE001 - recovery must never raise in turn
            log.exception("recover_failed")

    def start_heartbeat(self) -> None:
        """Tell the service manager we are up, then keep beating from the event loop."""
        sd_notify("READY=1")
        beat(self._settings.heartbeat_path())
        self.heartbeat_timer.start()

    def run_retention(self) -> None:
        """Delete requests older than the retention period (at start-up and every 6 hours)."""
        if self._store is None:
            return
        try:
            self._store.purge_older_than(self._settings.retention_days)
        except StoreError as exc:
            log.error("retention_failed error=%s", type(exc).__name__)

    def end_form_visit(self) -> None:
        """Forget everything typed into the appointment form (the visitor left it)."""
        if not self.form.is_empty() or self.flow.step != "notice":
            log.info("form_wiped")
        self.form.wipe()
        self.flow.reset()
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.clear()

    def allow_close(self) -> None:
        """Let the next close request through (staff confirmed "Exit kiosk")."""
        self._closing_allowed = True

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self._closing_allowed:
            # Kiosk mode: Alt+F4, the window manager or a stray close do nothing.
            event.ignore()
            return
        # An application-wide filter sees every event; a closed window must not keep one.
        app = QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self._activity)
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if self.kiosk_mode and event.key() == Qt.Key.Key_Escape:
            event.accept()  # Escape must not leave full screen
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        event.accept()  # no right-click or long-press menus anywhere

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.overlay.setGeometry(self.rect())
        self.attract.setGeometry(self.rect())
        # Turning the screen between landscape and portrait reflows the layout.
        if self._built_for is not None and self.metrics().portrait != self._built_for[2]:
            self._render(force=True)
