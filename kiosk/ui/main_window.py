"""The main window, a shell: the screen stack, the bar and the overlays, and the one place
where signals are wired; navigation, the screen registry and cache, start-up, the visit and
the background jobs live in their own modules (docs/architecture.md)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.clinic import for_clinic
from kiosk.config import Managed, Settings
from kiosk.content import Content
from kiosk.ui.activity import ActivityFilter
from kiosk.ui.context import ScreenContext, format_date, window_metrics
from kiosk.ui.drives import Destination, removable_drives
from kiosk.ui.icons import Icons
from kiosk.ui.jobs import KioskJobs, Task
from kiosk.ui.kiosk_window import KioskWindow
from kiosk.ui.look import base_palette
from kiosk.ui.navigation import HOME, Route, Trail, route_for_section
from kiosk.ui.screen_cache import ScreenCache
from kiosk.ui.screens.base import Screen
from kiosk.ui.screens.registry import Needs, make_screen
from kiosk.ui.start_up import IdleQueue, start_up_jobs
from kiosk.ui.tap_guard import TapGuard
from kiosk.ui.theme import TEXT_SCALES, Metrics, style_sheet
from kiosk.ui.updates import ContentUpdates
from kiosk.ui.visit import Visit
from kiosk.ui.widgets.attract import AttractOverlay
from kiosk.ui.widgets.idle_overlay import IdleOverlay
from kiosk.ui.widgets.leave_overlay import LeaveOverlay
from kiosk.ui.widgets.nav_bar import NavBar
from kiosk.ui.widgets.screen_stack import ScreenStack
from kiosk.ui.widgets.scroll_page import PagePool

if TYPE_CHECKING:
    from kiosk.appointment import FlowState, FormData
    from kiosk.crypto import Unlocked
    from kiosk.staff import StaffAuth
    from kiosk.store import AppointmentStore
    from kiosk.ui.screens.appointment import AppointmentScreen
    from kiosk.ui.screens.faq import FaqScreen
    from kiosk.ui.screens.home import HomeScreen
    from kiosk.ui.screens.language import LanguageScreen
    from kiosk.ui.screens.section import SectionScreen
    from kiosk.ui.screens.staff import StaffScreen
    from kiosk.ui.screens.staff_login import StaffLoginScreen
    from kiosk.ui.screens.table import TableScreen
    from kiosk.ui.screens.topic import TopicScreen
    from kiosk.updates.client import Checked

# Screens are imported when first built (kiosk.ui.screens.registry), not here: start-up pays
# only for Home, and the form, the staff screens and what they import (the store, the
# export, the keys, QR codes) load when someone first goes there.

log = logging.getLogger(__name__)
# New content waits for Home to have been untouched this long (or for a visit to end).
QUIET_BEFORE_SWAP_S = 30.0
SWAP_RETRY_MS = 10_000


_Part = TypeVar("_Part", bound=QWidget)


class MainWindow(KioskWindow):
    """Holds one screen at a time above the persistent bar, with the overlays (the idle
    question, the question before a started form is erased, the attract loop) over both.

    Screens are built by kiosk.ui.screens.registry and kept by kiosk.ui.screen_cache; the
    visit's state and clocks are kiosk.ui.visit's; the Back trail is kiosk.ui.navigation's.
    A change of language or text size shows (or builds) the screen for the new key, so
    nothing stale can be shown, and never restyles a kept screen.

    Signals:
        screen_changed(str): the key of the screen now shown.
        exit_requested(): staff confirmed "Exit kiosk".
        restart_requested(): the kiosk's managed configuration changed and no one is using
            it: kiosk.cli ends the run for the service manager to start it again (settings
            are read at start).
        started_up(): the screens built after start-up (finish_start_up) are ready.
    """

    screen_changed = Signal(str)
    exit_requested = Signal()
    restart_requested = Signal()
    started_up = Signal()

    def __init__(
        self,
        settings: Settings,
        content: Content,
        languages: tuple[str, ...],
        store: AppointmentStore | None = None,
        content_warning: str | None = None,
        drives: Callable[[], list[Destination]] | None = None,
        kiosk_mode: bool = False,
        parent: QWidget | None = None,
        *,
        local_settings: Settings | None = None,
        managed: Managed | None = None,
    ) -> None:
        """``local_settings``: the settings before the managed configuration (the update
        checks check new configuration files with them; default ``settings``), and that
        configuration as read at start (``managed``: the kiosk restarts when it changes)."""
        super().__init__(kiosk_mode, parent)
        self.setObjectName("main-window")
        self.setWindowTitle(settings.clinic_name_in(settings.default_language))
        self._settings = settings
        # Study pages only with an approved study in the config, its details filled in.
        self._content = for_clinic(content, settings, format_date)
        self._languages = languages
        self._icons = Icons()
        self.pages = PagePool()  # the scrolling pages the screens share
        self._trail = Trail()
        self._built_for: tuple[object, ...] | None = None
        self._qss = ""
        self._auth: StaffAuth | None = None
        self._start_up = IdleQueue(self)
        self._start_up.finished.connect(self.started_up)
        self._content_warning = content_warning
        # The sticks on the Export page, never a disk that holds the kiosk's own folders.
        own = settings.own_folders()
        self._drives = drives or (lambda: removable_drives(own))
        # Any touch restarts the visit's clocks; no polling. A tap acts on the screen it was
        # aimed at: presses made as the screen changes (the second tap of a double tap) are
        # dropped (kiosk/ui/tap_guard.py). Every press counts as activity, even one the tap
        # guard then drops (the filter installed last runs first).
        self._activity = ActivityFilter(self)
        self.tap_guard = TapGuard(self, settings.tap_guard_ms)
        self.watch_input(self.tap_guard, self._activity)
        # The visitor's choices and form, the staff session, and the clocks: after a quiet
        # spell, ask "Are you still there?", then reset for the next visitor.
        self.visit = Visit(settings, self)
        self.visit.quiet.connect(self.show_idle_warning)
        self.visit.staff_quiet.connect(self.lock_staff)
        self._activity.activity.connect(self._on_activity)
        self.attract = AttractOverlay(self)
        self.attract.dismissed.connect(self.tap_guard.changed)
        self.overlay = IdleOverlay(self)
        self.overlay.continued.connect(self._restart_idle)
        self.overlay.expired.connect(self.reset_visit)
        # Before a started form is erased by Home, "I am done" or Back: one question.
        self.leave = LeaveOverlay(self)
        self.leave.discarded.connect(self._leave_form)
        self.leave.kept.connect(self._stay_in_form)
        self.leave.kept.connect(self.tap_guard.changed)
        # Retention and the heartbeat; their disk work runs off the GUI thread.
        self.jobs = KioskJobs(settings, self)
        self.jobs.content_version = self._content.manifest.content_version
        # Signed content updates ([updates]): checked off the GUI thread once the kiosk has
        # started up, shown between visits (use_content).
        self.updates = ContentUpdates(
            settings,
            lambda: [d.path for d in self._drives()],
            self,
            local=local_settings,
            managed=managed,
        )
        self.updates.ready.connect(self._content_arrived)
        self.updates.checked.connect(self._update_checked)
        self.updates.restart_needed.connect(self._restart_arrived)
        self.started_up.connect(self.updates.start)
        self._new_content: Content | None = None
        self._restart_due = False
        self._restarting = False
        self._last_touch = 0.0
        self._swap_timer = QTimer(self)
        self._swap_timer.setInterval(SWAP_RETRY_MS)
        self._swap_timer.timeout.connect(self._use_new_content)
        # The staff screen's export: it outlives a screen rebuilt meanwhile; once staff
        # sign out, its outcome is told to no one.
        self.export_task = Task(self.jobs.runner, self)
        self.visit.signed_out.connect(self.export_task.forget)
        self.attach_store(store)

        # The page colour, painted by the window alone (screens and pages are see-through),
        # and the text colour every label inherits. No style sheet here: one on the window
        # would put every screen under Qt's style sheet engine (see kiosk/ui/look.py).
        self.setPalette(base_palette())
        self.setAutoFillBackground(True)
        self.stack = ScreenStack()
        self.stack.setObjectName("screen-stack")
        self.screens = ScreenCache(self.stack, self.pages, self._make)
        self.bar = NavBar(self._icons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.bar, 0)

        self.bar.home_clicked.connect(lambda: self.leaving_form(self.go_home))
        self.bar.back_clicked.connect(self.on_bar_back)
        self.bar.language_clicked.connect(lambda: self.navigate(Route("language")))
        self.bar.text_size_clicked.connect(self.cycle_text_size)
        self.bar.help_clicked.connect(lambda: self.navigate(Route("help")))
        self.bar.done_clicked.connect(lambda: self.leaving_form(self.reset_visit))
        self.bar.appointment_clicked.connect(lambda: self.navigate(Route("appointment")))
        self._render()

    # --- state ---------------------------------------------------------------------------

    @property
    def language(self) -> str:
        return self.visit.language

    @property
    def text_step(self) -> int:
        return self.visit.text_step

    @property
    def form(self) -> FormData:
        return self.visit.form

    @property
    def flow(self) -> FlowState:
        return self.visit.flow

    @property
    def route(self) -> Route:
        return self._trail.route

    @property
    def history(self) -> tuple[Route, ...]:
        return self._trail.behind

    def current_screen(self) -> QWidget:
        screen = self.stack.currentWidget()
        assert screen is not None, "the window shows a screen from its first render on"
        return screen

    def _shown(self) -> Screen | None:
        """The screen on display, as the screens' lifecycle hooks see it."""
        screen = self.stack.currentWidget()
        return screen if isinstance(screen, Screen) else None

    def attach_store(self, store: AppointmentStore | None) -> None:
        """Give the window its request store (``kiosk run`` opens it after the first paint):
        staff sign-in, saving requests and the retention clock need it."""
        self.visit.store = store
        self._auth = None
        if store is not None:
            from kiosk.staff import StaffAuth

            self._auth = StaffAuth(store, self._settings.keys_path())
        self.jobs.attach_store(store)

    def finish_start_up(self) -> None:
        """After the first paint, prepare what visitors will ask for while the kiosk waits
        (kiosk.ui.start_up): every content screen in every language offered, the QR codes,
        the form. ``started_up`` is emitted when all is done."""
        s = self._settings
        jobs = start_up_jobs(
            self._content,
            self._languages,
            s.default_language,
            self._keep_built,
            self.keep_form_built,
        )
        self._start_up.start(jobs)

    def starting_up(self) -> bool:
        """True while finish_start_up's jobs are still running."""
        return self._start_up.running()

    def _keep_built(self, route: Route, code: str) -> None:
        """Build the screen for ``route`` in ``code`` at normal text size and keep it."""
        self.screens.build_and_keep(route, self.context(code, normal_size=True))

    def keep_form_built(self) -> None:
        """Build the form in the default language at normal text size and keep it, laid
        out, so that opening it is only a paint (unless a visitor is in a form already)."""
        busy = self._trail.route.name == "appointment" or self.flow.step != "notice"
        if self.screens.kept_form is not None or busy or not self.form.is_empty():
            return  # kept already (built on a visitor's demand), or a visit is in the form
        ctx = self.context(self._settings.default_language, normal_size=True)
        if self.screens.build_form(ctx, self._settings.default_language, self.store):
            self.flow.reset()  # built for no one: a form without a store opens on "failed"

    def metrics(self) -> Metrics:
        return window_metrics(self, self._settings.screen_dpi, self.visit.text_step)

    def context(self, lang: str | None = None, normal_size: bool = False) -> ScreenContext:
        """What a screen is built from: ``lang`` (the visitor's by default), at the
        visitor's text size or, with ``normal_size``, at the normal one (start-up)."""
        metrics = window_metrics(
            self, self._settings.screen_dpi, 0 if normal_size else self.visit.text_step
        )
        return ScreenContext(
            settings=self._settings,
            content=self._content,
            lang=self._content.languages[lang or self.visit.language],
            metrics=metrics,
            icons=self._icons,
            languages=self._languages,
            pages=self.pages,
        )

    # --- navigation ------------------------------------------------------------------------

    def navigate(self, route: Route) -> None:
        """Show ``route``; the current screen goes on the Back trail."""
        if route == self._trail.route:
            return
        if route == HOME:
            self.go_home()
            return
        self._trail.go(route)
        self._render()

    def go_back(self) -> None:
        """Return to the previous screen (Home when there is none), as the visitor left it."""
        self._trail.back()
        self._render(back=True)

    def on_bar_back(self) -> None:
        """The bar's Back means one step back inside the form, like the form's own Back."""
        screen = self._shown()
        if screen is not None and screen.go_back():
            return  # a step back inside the screen (the form's steps)
        self.leaving_form(self.go_back)

    def leaving_form(self, action: Callable[[], None]) -> None:
        """Run ``action`` (which ends the form); first, if the visitor has typed or chosen
        anything in it, ask once whether to keep going or erase it (LeaveOverlay)."""
        if not self.visit.form_started(self._trail.route, going_back=action == self.go_back):
            action()
            return
        ctx = self.context()
        self._styled(self.leave).ask(ctx.lang.ui, ctx.metrics, then=action)
        self.tap_guard.changed()  # (a double tap on Home must not answer the question)
        log.info("leave_form_asked")

    def _leave_form(self) -> None:
        # Erased now, as the question said, whatever the way out (Back from a form opened
        # from Help returns to Help, where the form's data would otherwise wait).
        self.end_form_visit()
        log.info("leave_form_erased")

    def _stay_in_form(self) -> None:
        log.info("leave_form_kept")
        self._resume_typing()

    def _resume_typing(self) -> None:
        """The form's field being typed into takes the focus back (caret, focus ring)."""
        screen = self._shown()
        if screen is not None:
            screen.resume_typing()

    def go_home(self) -> None:
        """Return to Home and forget the trail."""
        self._trail.home()
        self._render()

    def open_section(self, section_id: str) -> None:
        """Open a Home section (kiosk.ui.navigation.route_for_section)."""
        lang = self._content.languages[self.visit.language]
        self.navigate(route_for_section(lang.section(section_id)))

    def open_source(self, source_id: str) -> None:
        self.navigate(Route("sources", source_id))

    def set_language(self, code: str) -> None:
        """Switch every screen to ``code``, staying where the visitor is: the same screen,
        scrolled as far down, the same answer open."""
        if code not in self._languages:
            raise ValueError(f"language not offered: {code}")
        place = self.screens.place_of(self._trail.before_detour(), self.context())
        self.visit.language = code
        if self._trail.route.name == "language":
            self._trail.back()
        self._render(force=True)
        shown = self._shown()
        if place is not None and shown is not None:
            shown.return_to(place)

    def set_text_step(self, step: int) -> None:
        """Set the text size (0 = normal, 1 = large, 2 = largest) and redraw."""
        self.visit.text_step = max(0, min(step, len(TEXT_SCALES) - 1))
        self._render(force=True)
        if self.visit.text_step == 0:
            # Back to normal: the screens built at the larger sizes go once this frame is
            # out (rebuilt if asked for again), so they never sit in memory beside the rest
            # of the visit (a form in another language, say).
            QTimer.singleShot(0, self._back_to_normal_size)

    def _back_to_normal_size(self) -> None:
        if self.visit.text_step == 0:
            self.screens.let_go_of_other_sizes()

    def cycle_text_size(self) -> None:
        self.set_text_step((self.visit.text_step + 1) % len(TEXT_SCALES))

    # --- building screens -------------------------------------------------------------------

    def _make(self, route: Route, ctx: ScreenContext) -> QWidget:
        """Build the screen for ``route``, styled (kiosk.ui.screens.registry), and wire it."""
        needs = Needs(
            form=self.form,
            flow=self.flow,
            store=self.store,
            auth=self._auth,
            drives=self._drives,
            content_warning=self._content_warning,
            export=self.export_task,
            update_problem=self._update_problem(),
        )
        screen = make_screen(route, ctx, needs, self.stack)
        self._connect_screen(route.name, screen)
        return screen

    def _connect_screen(self, name: str, screen: QWidget) -> None:
        """The one place where a screen's signals reach the window."""
        if name == "home":
            home = cast("HomeScreen", screen)
            home.section_chosen.connect(self.open_section)
            home.appointment_chosen.connect(lambda: self.navigate(Route("appointment")))
            home.language_chosen.connect(self.set_language)
            home.staff_requested.connect(lambda: self.navigate(Route("staff-login")))
        elif name == "section":
            section = cast("SectionScreen", screen)
            section.topic_chosen.connect(lambda t: self.navigate(Route("topic", t)))
        elif name in ("topic", "table", "faq"):
            cast("TopicScreen | TableScreen | FaqScreen", screen).source_chosen.connect(
                self.open_source
            )
        elif name == "language":
            cast("LanguageScreen", screen).language_chosen.connect(self.set_language)
        elif name == "staff-login":
            login = cast("StaffLoginScreen", screen)
            login.unlocked.connect(self._on_unlocked)
            login.cancelled.connect(self.go_home)
        elif name == "staff":
            staff = cast("StaffScreen", screen)
            staff.locked.connect(self.lock_staff)
            staff.exit_requested.connect(self._on_exit)
        elif name == "appointment":
            form = cast("AppointmentScreen", screen)
            form.step_shown.connect(self.tap_guard.changed)
            form.cancelled.connect(lambda: self.leaving_form(self.go_back))
            form.submitted.connect(lambda _reference: self.jobs.deliver())  # central server

    def _render(self, force: bool = False, back: bool = False) -> None:
        if self._trail.route.name == "staff" and not self.visit.staff_unlocked:
            self._trail.replace(HOME)  # never show the staff screen without the passcode
        route = self._trail.route
        ctx = self.context()
        m = ctx.metrics
        state = (self.visit.language, self.visit.text_step, m.portrait, m.dpi, route)
        if not force and state == self._built_for:
            return
        self._built_for = state
        self.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if ctx.lang.rtl else Qt.LayoutDirection.LeftToRight
        )
        qss = style_sheet(m)
        # Re-applying an unchanged style sheet restyles every widget: skip it. Screens are
        # styled when built (see _make), so a new text size restyles only the bar; the
        # overlays take the sheet when they are next shown (_styled).
        if qss != self._qss:
            self._qss = qss
            self.bar.setStyleSheet(qss)
        self.bar.apply(
            ctx.lang.ui, self.visit.text_step, m, ctx.lang.rtl, ctx.lang.meta.hyphenation
        )
        self.bar.set_back_enabled(route != HOME)
        old = self.stack.currentWidget()
        if route != HOME:
            self.attract.stop()
        leaving = old if isinstance(old, Screen) else None
        if leaving is not None and route.name != "staff":
            leaving.staff_session_ended()
        if route.name != "staff":
            self.visit.sign_out()  # leaving the staff screen signs staff out
        self.visit.staff_screen(route.name == "staff")
        if self.visit.form_over(route):
            self.end_form_visit()  # (which empties the kept form too)
            if leaving is not None and not self.screens.is_kept(leaving):
                leaving.form_visit_ended()
        if route.name == "appointment":
            form = self.screens.form(ctx, self._settings.default_language, self.store)
            if form is not None:
                self.screens.form_shown()
            screen: QWidget = form if form is not None else self._make(route, ctx)
            if form is None:  # a form in another language or size: for this visit only
                self.stack.addWidget(screen)
        else:
            screen, kept = self.screens.shown(route, ctx)
            if kept and not back and isinstance(screen, Screen):
                # Shown as if new; Back returns to a screen as the visitor left it.
                screen.shown_fresh(route.arg)
        self.stack.setCurrentWidget(screen)
        # Focus rests on the window, not on a button: on a touch screen a focus ring on
        # "Home" reads as "selected" and confuses people.
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        if route.name == "appointment":
            self._resume_typing()  # (back from a detour, or in another language)
        if old is not None and old is not screen:
            self.screens.replaced(old)
        self.tap_guard.changed()
        log.info("screen %s", route.key)
        self._restart_idle()
        self.screen_changed.emit(route.key)

    @property
    def store(self) -> AppointmentStore | None:
        return self.visit.store

    @property
    def staff_unlocked(self) -> bool:
        return self.visit.staff_unlocked

    def _on_unlocked(self, key: Unlocked) -> None:
        self.visit.sign_in(key)
        # The pad is not a place to come back to: the staff screen replaces it.
        self._trail.replace(Route("staff"))
        self._render(force=True)

    def _on_exit(self) -> None:
        log.info("kiosk_exit")
        self.allow_close()
        self.exit_requested.emit()

    def lock_staff(self) -> None:
        """Sign staff out and return to the patient Home."""
        self.visit.sign_out()
        self.go_home()

    def _on_activity(self) -> None:
        self._last_touch = time.monotonic()
        self.visit.touched(self._trail.route, self.overlay.isVisible())

    def at_rest(self) -> bool:
        """True on Home in the default language and text size: nothing to reset."""
        return self.visit.at_rest(self._trail.route)

    def _restart_idle(self) -> None:
        self.visit.restart(self._trail.route)

    def show_idle_warning(self) -> None:
        """Ask "Are you still there?", counting down to the reset (the visit's quiet
        clock calls this)."""
        ctx = self.context()
        self._styled(self.overlay).build(
            ctx.lang.ui, ctx.metrics, self._settings.idle_warning_seconds
        )
        self.overlay.start()
        log.info("idle_warning")

    def reset_visit(self) -> None:
        """End the visit: Home, default language and text size, everything typed wiped,
        staff signed out. Used by "I am done", the idle countdown and error recovery."""
        self.overlay.stop()
        self.leave.stop()
        self._last_touch = 0.0  # the visitor has gone: new content need not wait for quiet
        self.visit.reset()  # (the visit's language, text size, form and staff session)
        self._trail.home()
        # Rebuilding Home resets every scroll position, and Home ends the form's visit
        # (end_form_visit: the kept form emptied too).
        self._render(force=True)
        self.start_attract()
        # Once Home's frame is out: posted events (the deletion of the visit's screens
        # among them) come before timers.
        QTimer.singleShot(0, self._tidy_after_visit)

    def _tidy_after_visit(self) -> None:
        """Once a visit is over and the kiosk waits: let go of screens built at another text
        size (the next visitor starts at the default one; they are rebuilt when asked for),
        then give the memory the visit freed back to the system (kiosk.memory)."""
        if self._trail.route != HOME or self.visit.text_step != 0:
            return  # someone is already using the kiosk again
        self.screens.let_go_of_other_sizes()
        self._use_new_content()

    # --- content updates -----------------------------------------------------------------

    def _content_arrived(self, content: Content) -> None:
        """An update's content, loaded and checked: shown as soon as no one is using the
        kiosk (now, or after the visit under way)."""
        self._new_content = content
        self._use_new_content()

    def _free_for_new_content(self) -> bool:
        """Home at rest, no one asked anything, staff not in, and no touch for a while: a
        person reading Home in the clinic's language does not see it change under them."""
        return (
            self.at_rest()
            and not self.visit.staff_unlocked
            and not self.overlay.isVisible()
            and not self.leave.isVisible()
            and time.monotonic() - self._last_touch >= QUIET_BEFORE_SWAP_S
        )

    def _restart_arrived(self) -> None:
        """New managed configuration: the kiosk restarts as soon as no one is using it."""
        self._restart_due = True
        self._use_new_content()

    def _use_new_content(self) -> None:
        if self._restarting:
            return  # (the next start shows the release in use)
        content = self._new_content
        if content is None and not self._restart_due:
            self._swap_timer.stop()
            return
        if not self._free_for_new_content():
            if not self._swap_timer.isActive():
                self._swap_timer.start()  # and after the visit under way (reset_visit)
            return
        self._swap_timer.stop()
        if self._restart_due:
            # (new content too, if any: the next start shows the release in use)
            self._restart_due = False
            self._restarting = True
            log.info("kiosk_restart reason=managed_config")
            self.allow_close()
            self.restart_requested.emit()
            return
        if content is not None:
            self._new_content = None
            self.use_content(content)

    def _update_checked(self, checked: Checked) -> None:
        """Each check's outcome goes to the central server with the next heartbeat."""
        self.jobs.update_status = (checked.outcome, self.updates.expires)

    def _update_problem(self) -> str | None:
        """The last content update check's refusal IT must see to, as its code (the staff
        screen)."""
        from kiosk.updates import NEEDS_IT

        last = self.updates.last
        return last.outcome if last is not None and last.outcome in NEEDS_IT else None

    def use_content(self, content: Content) -> None:
        """Show ``content`` from now on (a content update, between visits): every screen
        built from the old content is let go of, Home is drawn from the new one, and the
        other screens are prepared again while the kiosk waits."""
        if self._settings.default_language not in content.languages:
            # (kiosk/ui/updates.py hands over none such: the visit starts in that language)
            log.error("content_not_shown reason=no_default_language")
            return
        languages = tuple(c for c in self._settings.languages if c in content.languages)
        self._content = for_clinic(content, self._settings, format_date)
        self._languages = languages
        self._content_warning = None  # a fall-back at start is over: this content passed
        self.jobs.content_version = content.manifest.content_version
        self.attract.stop()
        self.screens.drop_all()
        self._render(force=True)
        self.start_attract()
        self.finish_start_up()
        log.info("content_shown version=%s", content.manifest.content_version)

    def start_attract(self) -> None:
        """Begin the slow rotation of topics on Home (if the clinic wants it)."""
        if self._settings.attract_mode and self._trail.route == HOME:
            ctx = self.context()
            lang = self.visit.language
            order = [lang] + [c for c in self._languages if c != lang]
            hints = tuple(self._content.languages[c].ui.attract_hint for c in order)
            self._styled(self.attract).start(
                ctx.lang, ctx.metrics, self._settings.attract_seconds, hints
            )

    def _styled(self, part: _Part) -> _Part:
        """``part`` (an overlay) with the style sheet of the current text size."""
        if part.styleSheet() != self._qss:
            part.setStyleSheet(self._qss)
        return part

    def recover(self) -> None:
        """Return to a clean Home after an unexpected error in a slot or timer."""
        try:
            self.reset_visit()
        except Exception:
            log.exception("recover_failed")

    def start_heartbeat(self) -> None:
        """Tell the service manager we are up, then keep beating from the event loop."""
        self.jobs.start_heartbeat()

    def end_form_visit(self) -> None:
        """Forget everything typed into the appointment form (the visitor left it)."""
        self.visit.wipe_form()
        self.screens.empty_form()

    def closing(self) -> None:
        """The kiosk is closing (staff's "Exit kiosk", or the service stopped): no more
        update checks, and the jobs under way finish first."""
        self.updates.stop(wait_ms=0)
        self.jobs.stop()
        self.updates.stop()  # a check under way: a moment to end (safe if cut: releases.py)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.overlay.setGeometry(self.rect())
        self.attract.setGeometry(self.rect())
        self.leave.setGeometry(self.rect())
        # Turning the screen between landscape and portrait reflows the layout.
        if self._built_for is not None and self.metrics().portrait != self._built_for[2]:
            self._render(force=True)
