"""Render every screen, in every language and size, to PNG files for review."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import msgspec
from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from kiosk import crypto
from kiosk.appointment import STEPS, FormData
from kiosk.config import Settings
from kiosk.content import Content, LanguageContent
from kiosk.demo import fill_demo
from kiosk.staff import StaffAuth
from kiosk.store import AppointmentStore, memory_database
from kiosk.ui.main_window import MainWindow
from kiosk.ui.navigation import Route, content_routes
from kiosk.ui.screens.faq import FaqScreen
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.screens.staff import StaffScreen
from kiosk.ui.screens.staff_login import StaffLoginScreen
from kiosk.ui.theme import TEXT_SCALES


def all_routes(lang: LanguageContent) -> Iterator[Route]:
    """Yield a route for every screen the visitor can reach."""
    yield from content_routes(lang)


# Made-up values for the form's screenshots: never a real visitor's data.
DEMO_FORMS = {
    "tr": FormData(
        name="Ayşe Örnek",
        country="tr",
        phone="0532 000 00 00",
        email="ayse.ornek@example.com",
        contact_language="tr",
        contact_method="phone",
        time_window="morning",
        topic="general",
        consents={"notice_read": True, "contact": True, "health_topic": True},
    ),
}
DEMO_FORM = FormData(
    name="Jane Example",
    country="gb",
    phone="07700 900000",
    email="jane@example.com",
    contact_language="",  # the screen's language (_form_steps)
    contact_method="email",
    time_window="afternoon",
    consents={"notice_read": True, "contact": True},
)


def _form_steps(window: MainWindow, lang: str) -> Iterator[str]:
    """Show each step of the appointment form, filled with demo values; yield its name."""
    for step in (*STEPS, "thanks", "failed"):
        window.go_home()
        demo = DEMO_FORMS.get(lang, DEMO_FORM)
        for name in demo.__dataclass_fields__:
            value = getattr(demo, name)
            setattr(window.form, name, dict(value) if isinstance(value, dict) else value)
        window.form.contact_language = demo.contact_language or lang
        window.flow.step = step
        window.flow.reference = "K7Q-M4X" if step == "thanks" else ""
        window.navigate(Route("appointment"))
        yield f"appointment-{step}"


def visit_all(window: MainWindow, lang: str) -> Iterator[str]:
    """Show every screen in turn (FAQ opened, form steps with demo values); yield each name.

    Used by the screenshots and by the tests that walk every screen.
    """
    for route in all_routes(window.context().content.languages[lang]):
        window.go_home()
        window.navigate(route)
        screen = window.current_screen()
        if isinstance(screen, FaqScreen) and screen.questions:
            screen.open_entry(next(iter(screen.questions)))
        yield route.key
    yield from _form_steps(window, lang)
    yield from _staff_screens(window)
    window.go_home()
    window.navigate(Route("help"))
    window.show_idle_warning()  # the "Are you still there?" overlay, frozen at its first second
    window.overlay.stop()
    window.overlay.show()
    yield "idle-warning"
    window.overlay.hide()
    window.go_home()
    window.start_attract()
    if window.attract.isVisible():
        window.attract.freeze()  # keep the picture still, the card fully faded in
        yield "attract"
        window.attract.hide()


SCREENSHOT_PASSCODE = "4829137051862739"  # the longest a passcode may be


def _staff_screens(window: MainWindow) -> Iterator[str]:
    """Open the staff screens the way staff do: the gesture, then the passcode pad."""
    store = window.store
    if store is None:
        return
    auth = StaffAuth(store, window.context().settings.keys_path())
    if not auth.is_configured():
        return
    window.go_home()
    home = window.current_screen()
    assert isinstance(home, HomeScreen)
    for _ in range(window.context().settings.staff_taps):
        home.tap_logo()
    pad = window.current_screen()
    assert isinstance(pad, StaffLoginScreen)
    for digit in SCREENSHOT_PASSCODE:
        pad.press(digit)
    yield "staff-login"  # with the longest passcode typed: every dot must fit
    pad.press("open")
    staff = window.current_screen()
    assert isinstance(staff, StaffScreen), "the screenshot passcode did not open the staff screen"
    for tab in ("requests", "export", "log", "figures"):
        staff.show_tab(tab)
        yield f"staff-{tab}"
    window.lock_staff()


def page_length(screen: QWidget) -> float:
    """Return how many viewport heights the screen's page is (1.0 = no scrolling)."""
    page = getattr(screen, "page", None)
    if not isinstance(page, QScrollArea):
        return 1.0
    viewport = max(1, page.viewport().height())
    return (page.verticalScrollBar().maximum() + viewport) / viewport


def settle() -> None:
    """Let layouts and deferred calls finish before a grab."""
    for _ in range(3):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
        QCoreApplication.sendPostedEvents()


def render_all(
    settings: Settings,
    content: Content,
    languages: tuple[str, ...],
    out: Path,
    sizes: list[tuple[int, int]],
    render_languages: tuple[str, ...] | None = None,
    text_steps: tuple[int, ...] = tuple(range(len(TEXT_SCALES))),
) -> list[tuple[Path, float]]:
    """Write ``<screen>-<lang>-<W>x<H>[-text<N>].png`` files, at every text size unless
    ``text_steps`` says which.

    Returns each file with the length of its page in screens, so long pages stand out.
    """
    assert QApplication.instance() is not None
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kiosk-shots-") as tmp:
        # A throwaway key pair: the clinic's real key file and database are never touched.
        keys = Path(tmp) / "keys.json"
        crypto.init_keys(keys, SCREENSHOT_PASSCODE, crypto.MIN_COST)
        settings = msgspec.structs.replace(settings, keys_file=str(keys))
        return _render(settings, content, languages, out, sizes, render_languages, text_steps)


def _render(
    settings: Settings,
    content: Content,
    languages: tuple[str, ...],
    out: Path,
    sizes: list[tuple[int, int]],
    render_languages: tuple[str, ...] | None,
    text_steps: tuple[int, ...],
) -> list[tuple[Path, float]]:
    sealer = crypto.load_sealer(settings.keys_path())
    written: list[tuple[Path, float]] = []
    for lang in render_languages or languages:
        for width, height in sizes:
            for step in text_steps:
                # An in-memory store with invented requests: the form and staff screens
                # render with demo values, and no real database is ever touched.
                store = AppointmentStore(
                    memory_database(), sealer=sealer, deliver=settings.fleet is not None
                )
                fill_demo(store, 14)
                window = MainWindow(settings, content, languages, store, drives=lambda: [])
                window.resize(width, height)
                window.show()
                window.set_language(lang)
                window.set_text_step(step)
                suffix = "" if step == 0 else f"-text{round(100 * (1 + step * 0.25))}"
                for name in visit_all(window, lang):
                    settle()
                    path = out / f"{name}-{lang}-{width}x{height}{suffix}.png"
                    # Light PNG compression: these are review artefacts, speed matters more.
                    window.grab().save(str(path), "PNG", 85)
                    written.append((path, page_length(window.current_screen())))
                window.close()
                window.deleteLater()
                settle()
    return written
