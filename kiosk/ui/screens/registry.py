"""Every screen the kiosk can show, one line each: how it is built. A screen's module is
imported only when it is first built, so start-up pays for Home alone (the form, the staff
screens and what they import load when someone first goes there)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLayout, QWidget

from kiosk.appointment import FlowState, FormData
from kiosk.ui.context import ScreenContext
from kiosk.ui.look import apply_look
from kiosk.ui.navigation import Route
from kiosk.ui.screens.base import Screen
from kiosk.ui.theme import style_sheet
from kiosk.ui.widgets.screen_stack import ScreenStack
from kiosk.ui.widgets.text import ready_for_language

if TYPE_CHECKING:
    from kiosk.staff import StaffAuth
    from kiosk.store import AppointmentStore
    from kiosk.ui.drives import Destination
    from kiosk.ui.jobs import Task


@dataclass(frozen=True)
class Needs:
    """What screens are given besides their context: the visit's form, the store, staff
    sign-in, the USB sticks, and warnings about the content for the staff screen."""

    form: FormData
    flow: FlowState
    store: AppointmentStore | None
    auth: StaffAuth | None
    drives: Callable[[], list[Destination]]
    content_warning: str | None
    export: Task | None = None  # the staff screen's export, run off the GUI thread
    update_problem: str | None = None  # the last content update's refusal (its code)


Builder = Callable[[ScreenContext, Route, Needs, QWidget], Screen]


def _section_title(ctx: ScreenContext, kind: str) -> str:
    return next((s.title for s in ctx.lang.sections if s.kind == kind), "")


def _home(ctx: ScreenContext, route: Route, needs: Needs, parent: QWidget) -> Screen:
    from kiosk.ui.screens.home import HomeScreen

    return HomeScreen(ctx, parent)


def _section(ctx: ScreenContext, route: Route, needs: Needs, parent: QWidget) -> Screen:
    from kiosk.ui.screens.section import SectionScreen

    return SectionScreen(ctx, ctx.lang.section(route.arg or ""), parent)


def _topic(ctx: ScreenContext, route: Route, needs: Needs, parent: QWidget) -> Screen:
    from kiosk.ui.screens.topic import TopicScreen

    return TopicScreen(ctx, ctx.lang.topics[route.arg or ""], parent)


def _table(ctx: ScreenContext, route: Route, needs: Needs, parent: QWidget) -> Screen:
    from kiosk.ui.screens.table import TableScreen

    return TableScreen(ctx, ctx.lang.tables[route.arg or ""], parent)


def _faq(ctx: ScreenContext, route: Route, needs: Needs, parent: QWidget) -> Screen:
    from kiosk.ui.screens.faq import FaqScreen

    return FaqScreen(ctx, _section_title(ctx, "faq"), ctx.lang.faq, parent)


def _sources(ctx: ScreenContext, route: Route, needs: Needs, parent: QWidget) -> Screen:
    from kiosk.ui.screens.sources import SourcesScreen

    title = _section_title(ctx, "sources") or ctx.lang.ui.sources_label
    return SourcesScreen(ctx, title, route.arg, parent)


def _about(ctx: ScreenContext, route: Route, needs: Needs, parent: QWidget) -> Screen:
    from kiosk.ui.screens.about import AboutScreen

    return AboutScreen(ctx, parent)


def _help(ctx: ScreenContext, route: Route, needs: Needs, parent: QWidget) -> Screen:
    from kiosk.ui.screens.help import HelpScreen

    return HelpScreen(ctx, parent)


def _language(ctx: ScreenContext, route: Route, needs: Needs, parent: QWidget) -> Screen:
    from kiosk.ui.screens.language import LanguageScreen

    return LanguageScreen(ctx, parent)


def _staff_login(ctx: ScreenContext, route: Route, needs: Needs, parent: QWidget) -> Screen:
    from kiosk.ui.screens.staff_login import StaffLoginScreen

    return StaffLoginScreen(ctx, needs.auth, parent)


def _staff(ctx: ScreenContext, route: Route, needs: Needs, parent: QWidget) -> Screen:
    from kiosk.ui.screens.staff import StaffScreen

    if needs.store is None:
        raise ValueError("the staff screen needs the request store")
    return StaffScreen(
        ctx,
        needs.store,
        needs.drives,
        needs.content_warning,
        needs.export,
        parent,
        update_problem=needs.update_problem,
    )


def _appointment(ctx: ScreenContext, route: Route, needs: Needs, parent: QWidget) -> Screen:
    from kiosk.ui.screens.appointment import AppointmentScreen

    return AppointmentScreen(ctx, needs.form, needs.flow, needs.store, parent)


# A new screen: its module in kiosk/ui/screens/, one line here, its signals wired in
# MainWindow._connect_screen, its objectNames in docs/ui-map.md; a screen of content (no
# personal or staff data) is also named in CACHED_SCREENS below.
SCREENS: dict[str, Builder] = {
    "home": _home,
    "section": _section,
    "topic": _topic,
    "table": _table,
    "faq": _faq,
    "sources": _sources,
    "about": _about,
    "help": _help,
    "language": _language,
    "staff-login": _staff_login,
    "staff": _staff,
    "appointment": _appointment,
}

# Screens that show only content (no personal data, no staff data) are kept once built and
# shown again instantly (kiosk.ui.screen_cache). The form in the default language is kept
# too, emptied as each visit ends; forms in other languages and the staff screens are
# always built afresh.
CACHED_SCREENS = frozenset(
    {"home", "section", "topic", "table", "faq", "sources", "about", "help", "language"}
)


def build_screen(route: Route, ctx: ScreenContext, needs: Needs, parent: QWidget) -> Screen:
    """Build the screen for ``route``. Raises ValueError for a route no screen shows."""
    builder = SCREENS.get(route.name)
    if builder is None:
        raise ValueError(f"unknown route {route}")
    return builder(ctx, route, needs, parent)


def make_screen(route: Route, ctx: ScreenContext, needs: Needs, stack: ScreenStack) -> Screen:
    """Build the screen for ``route`` inside the stack's layer for its direction (and, for
    the form and the staff screens, the style sheet of its text size), so it is styled
    once, as it is built. Content screens get their look from kiosk.ui.look (no style
    sheet: a kept screen costs a fraction of the memory)."""
    direction = Qt.LayoutDirection.RightToLeft if ctx.lang.rtl else Qt.LayoutDirection.LeftToRight
    content = route.name in CACHED_SCREENS
    sheet = "" if content else style_sheet(ctx.metrics)
    screen = build_screen(route, ctx, needs, stack.layer(sheet, direction))
    if content:
        apply_look(screen, ctx.metrics)
    # Style every part now, before anything is laid out: parts built on their own (a
    # tile, then put in its row) would otherwise keep sizes measured in the plain style.
    screen.ensurePolished()
    # (in its type, now it is polished)
    ready_for_language(screen, ctx.lang.rtl, ctx.lang.meta.hyphenation, ctx.metrics.scale)
    for layout in screen.findChildren(QLayout):
        layout.invalidate()
    return screen
