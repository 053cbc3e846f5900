"""The screens kept for next time: content screens by route, language, text size and screen
geometry, and the one form kept and emptied for each visitor."""

from __future__ import annotations

import inspect
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QRect, QTimer
from PySide6.QtWidgets import QWidget

from kiosk.memory import release_free_memory
from kiosk.ui.context import ScreenContext
from kiosk.ui.navigation import Route
from kiosk.ui.screens.base import Place, Screen
from kiosk.ui.screens.registry import CACHED_SCREENS
from kiosk.ui.widgets.screen_stack import ScreenStack
from kiosk.ui.widgets.scroll_page import PagePool

if TYPE_CHECKING:
    from kiosk.store import AppointmentStore
    from kiosk.ui.screens.appointment import AppointmentScreen

# Every content screen in up to three languages (about 30 each) and other text sizes; a
# kept screen costs ~0.1-0.5 MiB (no style sheet: kiosk/ui/look.py), so the limit bounds
# the memory too. Start-up builds at most CACHE_LIMIT - SPARE_SCREENS of them.
CACHE_LIMIT = 128
SPARE_SCREENS = 32


class ScreenKey(NamedTuple):
    """What a kept screen depends on."""

    name: str
    arg: str | None
    language: str
    text_step: int
    portrait: bool
    dpi: float


def screen_key(route: Route, ctx: ScreenContext) -> ScreenKey:
    """The key of ``route`` in ``ctx``. Every source opens the one sources screen."""
    m = ctx.metrics
    arg = None if route.name == "sources" else route.arg
    return ScreenKey(route.name, arg, ctx.lang.code, m.text_step, m.portrait, m.dpi)


class ScreenCache:
    """Kept screens, on the window's stack, least recently shown first.

    ``make(route, ctx)`` builds a screen (styled, inside the stack's layer for it). The
    cache adds what it builds to the stack and deletes what it lets go of, keeping their
    scrolling pages for the next screens (PagePool). What is on display is never dropped.
    """

    def __init__(
        self,
        stack: ScreenStack,
        pages: PagePool,
        make: Callable[[Route, ScreenContext], QWidget],
    ) -> None:
        self._stack = stack
        self._pages = pages
        # Weakly: the window owns the cache, and a cycle through this bound method would keep
        # a closed window's Python side alive until the garbage collector happens by.
        self._make = weakref.WeakMethod(make) if inspect.ismethod(make) else (lambda: make)
        self._kept: OrderedDict[ScreenKey, QWidget] = OrderedDict()
        # The form in the default language at normal text size, built once and emptied for
        # each visitor (most visitors use that language): its key, the screen, and whether
        # it has been shown since it was last emptied.
        self._form: tuple[ScreenKey, AppointmentScreen] | None = None
        self._form_used = False

    def __len__(self) -> int:
        """How many content screens are kept (the form aside)."""
        return len(self._kept)

    # --- content screens ---------------------------------------------------------------

    def shown(self, route: Route, ctx: ScreenContext) -> tuple[QWidget, bool]:
        """The screen for ``route`` (a content screen from the cache, kept once built; any
        other built afresh), and whether it was kept from before."""
        if route.name not in CACHED_SCREENS:
            return self._built(route, ctx), False
        key = screen_key(route, ctx)
        screen = self._kept.get(key)
        if screen is not None:
            self._kept.move_to_end(key)
            return screen, True
        screen = self._built(route, ctx)
        self._keep(key, screen)
        return screen, False

    def peek(self, route: Route, ctx: ScreenContext) -> QWidget | None:
        """The kept screen for ``route`` in ``ctx``, if there is one (nothing is built)."""
        return self._kept.get(screen_key(route, ctx))

    def place_of(self, route: Route, ctx: ScreenContext) -> Place | None:
        """Where the visitor is on the kept screen for ``route`` in ``ctx`` (how far down,
        what they opened there), to return to after a change of language; None if it is
        not kept."""
        screen = self.peek(route, ctx) if route.name in CACHED_SCREENS else None
        return screen.place() if isinstance(screen, Screen) else None

    def build_and_keep(self, route: Route, ctx: ScreenContext) -> None:
        """Build the screen for ``route`` in ``ctx`` and keep it, styled and laid out, so
        that showing it later is only a paint (start-up)."""
        key = screen_key(route, ctx)
        if key not in self._kept:
            screen = self._built(route, ctx)
            self._keep(key, screen)
            self._lay_out(screen)

    def is_kept(self, screen: QWidget) -> bool:
        if self._form is not None and self._form[1] is screen:
            return True
        return any(kept is screen for kept in self._kept.values())

    def let_go_of_other_sizes(self) -> None:
        """Drop the kept screens built at a text size other than normal (never the one
        shown), then give the memory back to the system (kiosk.memory)."""
        for key, screen in list(self._kept.items()):
            if key.text_step != 0 and screen is not self._stack.currentWidget():
                del self._kept[key]
                self.discard(screen)
        QTimer.singleShot(0, release_free_memory)  # after the deletions above have run

    def drop_all(self) -> None:
        """Forget every kept screen and the kept form (the content changed): each is
        deleted now, the one on display once it is replaced."""
        shown = self._stack.currentWidget()
        screens = list(self._kept.values())
        if self._form is not None:
            screens.append(self._form[1])
        self._kept.clear()
        self._form = None
        self._form_used = False
        for screen in screens:
            if screen is not shown:
                self.discard(screen)
        QTimer.singleShot(0, release_free_memory)

    def discard(self, screen: QWidget) -> None:
        """Take ``screen`` off the stack and delete it, keeping its scrolling pages."""
        self._stack.removeWidget(screen)
        self._pages.recycle(screen)
        screen.deleteLater()

    def replaced(self, old: QWidget) -> None:
        """``old`` left the display: it is put away (the kept form empties its widgets; its
        data stays in the visit, nothing to find in a hidden form), and deleted unless it
        is kept."""
        if isinstance(old, Screen):
            old.put_away()
        if not self.is_kept(old):
            self.discard(old)

    # --- the kept form -------------------------------------------------------------------

    def form(
        self, ctx: ScreenContext, default_language: str, store: AppointmentStore | None
    ) -> AppointmentScreen | None:
        """The kept form, showing the visit's data, when ``ctx`` is the default language at
        normal text size (built and kept on first use); else None: the form in another
        language or size is built for the visit and deleted after it."""
        if ctx.lang.code != default_language or ctx.metrics.text_step != 0:
            return None
        key = screen_key(Route("appointment"), ctx)
        if self._form is not None:
            kept_key, kept = self._form
            if kept_key == key and kept.store is store:
                kept.sync()
                return kept
            # Another screen size, or the store attached since: build it again (the form
            # data lives in the window, so nothing typed is lost).
            self._form = None
            kept.put_away()
            if kept is not self._stack.currentWidget():
                self.discard(kept)  # (the one on display goes once replaced)
        screen = self._built(Route("appointment"), ctx)
        from kiosk.ui.screens.appointment import AppointmentScreen

        assert isinstance(screen, AppointmentScreen)
        self._form = (key, screen)
        return screen

    @property
    def kept_form(self) -> AppointmentScreen | None:
        """The kept form, if it was built."""
        return self._form[1] if self._form is not None else None

    def kept(self) -> list[QWidget]:
        """The kept content screens, least recently shown first (for tests)."""
        return list(self._kept.values())

    def build_form(
        self, ctx: ScreenContext, default_language: str, store: AppointmentStore | None
    ) -> bool:
        """Build the kept form, laid out, so that opening it is only a paint; False if it
        cannot be kept in ``ctx``."""
        screen = self.form(ctx, default_language, store)
        if screen is None:
            return False
        self._form_used = False
        self._lay_out(screen)
        return True

    def form_shown(self) -> None:
        """The kept form went on display: it holds this visit's data from now on."""
        self._form_used = True

    def empty_form(self) -> None:
        """The visit is over: empty the kept form if it was shown since it was last emptied
        (it may hold the visit's answers even when the visitor finished elsewhere)."""
        if self._form is not None and self._form_used:
            self._form_used = False
            self._form[1].reset()

    # --- building ------------------------------------------------------------------------

    def _built(self, route: Route, ctx: ScreenContext) -> QWidget:
        make = self._make()
        assert make is not None, "the window that owns this cache is gone"
        screen = make(route, ctx)
        self._stack.addWidget(screen)
        return screen

    def _keep(self, key: ScreenKey, screen: QWidget) -> None:
        """Keep a content screen, dropping the least recently shown ones beyond
        CACHE_LIMIT (never the one on display)."""
        self._kept[key] = screen
        while len(self._kept) > CACHE_LIMIT:
            old_key, victim = next(iter(self._kept.items()))
            del self._kept[old_key]
            if victim is self._stack.currentWidget():
                self._kept[old_key] = victim
                continue
            self.discard(victim)

    def _lay_out(self, screen: QWidget) -> None:
        # Rendering one pixel of the hidden screen makes Qt deliver its pending resizes and
        # lay it out.
        screen.setGeometry(self._stack.rect())
        screen.grab(QRect(0, 0, 1, 1))
