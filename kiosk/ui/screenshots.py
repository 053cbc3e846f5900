"""Render every screen, in every language and size, to PNG files for review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from kiosk.config import Settings
from kiosk.content import Content, LanguageContent
from kiosk.ui.main_window import MainWindow, Route
from kiosk.ui.screens.faq import FaqScreen


def all_routes(lang: LanguageContent) -> Iterator[Route]:
    """Yield a route for every screen the visitor can reach."""
    yield Route("home")
    for section in lang.sections:
        if section.kind == "topics" and len(section.items) > 1:
            yield Route("section", section.id)
        elif section.kind == "table":
            yield Route("table", section.items[0])
        elif section.kind in ("faq", "sources", "about"):
            yield Route(section.kind)
    for topic_id in lang.topics:
        yield Route("topic", topic_id)
    yield Route("help")
    yield Route("language")
    yield Route("appointment")


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
    text_steps: tuple[int, ...] = (0, 2),
) -> list[tuple[Path, float]]:
    """Write ``<screen>-<lang>-<W>x<H>[-text<N>].png`` files.

    Returns each file with the length of its page in screens, so long pages stand out.
    """
    assert QApplication.instance() is not None
    out.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, float]] = []
    for lang in render_languages or languages:
        for width, height in sizes:
            for step in text_steps:
                window = MainWindow(settings, content, languages)
                window.resize(width, height)
                window.show()
                window.set_language(lang)
                window.set_text_step(step)
                suffix = "" if step == 0 else f"-text{round(100 * (1 + step * 0.25))}"
                for route in all_routes(content.languages[lang]):
                    window.go_home()
                    window.navigate(route)
                    screen = window.current_screen()
                    if isinstance(screen, FaqScreen) and screen.questions:
                        screen.open_entry(next(iter(screen.questions)))
                    settle()
                    path = out / f"{route.key}-{lang}-{width}x{height}{suffix}.png"
                    # Light PNG compression: these are review artefacts, speed matters more.
                    window.grab().save(str(path), "PNG", 85)
                    written.append((path, page_length(screen)))
                window.close()
                window.deleteLater()
                settle()
    return written
