"""Content screens are built once and kept, and the default language's form (emptied after
each visit); the staff screens and other forms never are."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from kiosk.appointment import FormData
from kiosk.ui import screen_cache as screen_cache_module
from kiosk.ui.main_window import HOME, MainWindow, Route
from kiosk.ui.screens.appointment import AppointmentScreen
from kiosk.ui.screens.faq import FaqScreen
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.screens.sources import SourcesScreen
from kiosk.ui.widgets.scroll_page import ScrollPage

from uihelpers import settle


def test_content_screens_are_kept_and_reused(window: MainWindow) -> None:
    """Going back to a topic shows the same screen, not a new one; Home too."""
    home = window.current_screen()
    window.navigate(Route("topic", "sle"))
    topic = window.current_screen()
    window.go_home()
    assert window.current_screen() is home
    window.navigate(Route("topic", "sle"))
    assert window.current_screen() is topic
    assert len(window.screens) >= 2


def test_the_default_language_form_is_kept_and_comes_back_empty(
    qtbot: QtBot, window: MainWindow
) -> None:
    """Most visitors use the default language: its form is built once and emptied when each
    visit ends. Nothing of the visitor is left in it: fields (undo history too), answers,
    consents, the review and the reference."""
    window.navigate(Route("appointment"))
    form = window.current_screen()
    assert isinstance(form, AppointmentScreen)
    form.show_step("name")
    qtbot.keyClicks(form.fields["name"], "Zeynep Marker")  # typed: undoable
    form.show_step("contact")
    qtbot.keyClicks(form.fields["phone"], "0532 123 45 67")
    form.show_step("preferences")
    for key in ("contact_method", "time_window"):
        form.groups[key].buttons()[-1].click()
    form.show_step("consents")
    for button in form.consent_buttons.values():
        button.click()
    form.show_step("review")
    assert any("Marker" in lab.text() for lab in form.findChildren(QLabel))
    window.go_home()
    settle()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    assert window.form.is_empty()
    assert window.at_rest()
    for edit in form.fields.values():
        assert edit.text() == ""
        assert not edit.isUndoAvailable()
    assert [w for w in QApplication.allWidgets() if _shows(w, "Marker", "123 45")] == []
    empty = FormData()
    for key, group in form.groups.items():
        chosen = [b.property("choice") for b in group.buttons() if b.isChecked()]
        choices = [b.property("choice") for b in group.buttons()]
        assert chosen == ([getattr(empty, key)] if getattr(empty, key) in choices else [])
    assert not any(b.isChecked() for b in form.consent_buttons.values())

    window.navigate(Route("appointment"))
    assert window.current_screen() is form
    assert form.step == "notice"
    assert window.form.is_empty()  # showing it again recorded no answer


def test_a_form_in_another_language_is_built_afresh_every_time(window: MainWindow) -> None:
    """Forms in other languages (or text sizes) are built for the visit and deleted."""
    window.set_language("tr")
    window.navigate(Route("appointment"))
    first = window.current_screen()
    window.go_home()
    settle()
    window.navigate(Route("appointment"))
    assert window.current_screen() is not first


def _shows(widget: QWidget, *parts: str) -> bool:
    text = widget.text() if isinstance(widget, (QLabel, QLineEdit)) else ""
    return any(part in text for part in parts)


def test_scrolling_pages_are_reused_and_come_back_empty(window: MainWindow) -> None:
    """Every page made registers a gesture that PySide6 keeps for good: forms built for
    visitor after visitor reuse the pages of deleted forms, which come back empty."""
    pool = window.pages
    window.set_language("tr")  # not the default language: a new form for each visit
    for visit in range(6):
        window.navigate(Route("appointment"))
        form = window.current_screen()
        form.fields["name"].setText(f"Zeynep Marker{visit}")
        window.go_home()
        settle()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        if visit == 0:
            made = pool.made
    assert pool.made == made  # no new page after the first visit
    assert pool.free() >= 1
    leftovers = [
        w.text()
        for w in QApplication.allWidgets()
        if isinstance(w, (QLabel, QLineEdit)) and "Marker" in w.text()
    ]
    assert leftovers == []
    window.navigate(Route("appointment"))
    settle()
    fresh = window.current_screen()
    assert fresh.fields["name"].text() == ""
    assert pool.made == made
    # A reused page is shown with its new screen, content and all (the staff pad's page
    # sits in a plain layout; the form's in a stack).
    window.go_home()
    settle()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    window.navigate(Route("staff-login"))
    settle()
    assert pool.made == made
    for screen in (window.current_screen(),):
        [page] = screen.findChildren(ScrollPage)
        assert page.isVisible() and page.widget().isVisible()
        assert any(t.isVisible() and t.text() for t in page.widget().findChildren(QLabel))
    # A scroll the old form queued (its field) arriving late changes nothing and fails
    # quietly, whether the field is gone or only waiting for deletion.
    page.scroll_to(form.fields["name"])
    settle()
    assert page.verticalScrollBar().value() == 0


def test_a_kept_screen_comes_back_fresh_but_back_keeps_the_place(window: MainWindow) -> None:
    """From Home a kept screen opens at the top with its answers closed; Back returns to it
    as the visitor left it."""
    window.navigate(Route("faq"))
    faq = window.current_screen()
    assert isinstance(faq, FaqScreen)
    first = next(iter(faq.questions))
    faq.open_entry(first)
    settle()
    page = faq.findChild(QScrollArea)
    page.verticalScrollBar().setValue(page.verticalScrollBar().maximum())
    scrolled = page.verticalScrollBar().value()
    window.navigate(Route("sources"))
    window.go_back()
    assert window.current_screen() is faq
    assert faq.questions[first].isChecked() and page.verticalScrollBar().value() == scrolled
    window.go_home()
    window.navigate(Route("faq"))
    assert window.current_screen() is faq
    assert not any(q.isChecked() for q in faq.questions.values())
    assert page.verticalScrollBar().value() == 0


def test_one_sources_screen_marks_the_source_asked_for(window: MainWindow) -> None:
    """Every chip opens the one Sources screen, which marks the source it was opened for."""
    ids = list(window.context().content.sources)
    window.navigate(Route("sources", ids[0]))
    sources = window.current_screen()
    assert isinstance(sources, SourcesScreen)
    window.go_home()
    window.navigate(Route("sources", ids[1]))
    assert window.current_screen() is sources
    assert sources.cards[ids[1]].property("highlight") == "true"
    assert sources.cards[ids[0]].property("highlight") == "false"


def test_each_text_size_has_its_own_screen(window: MainWindow) -> None:
    """A bigger text size shows a screen styled for it; the kept normal one is untouched."""
    normal = window.current_screen()
    normal_font = normal.findChild(QLabel, "clinic-name").font().pixelSize()
    window.set_text_step(2)
    settle()
    large = window.current_screen()
    assert large is not normal
    assert large.findChild(QLabel, "clinic-name").font().pixelSize() > normal_font
    assert normal.findChild(QLabel, "clinic-name").font().pixelSize() == normal_font
    window.set_text_step(0)
    assert window.current_screen() is normal


def test_kept_screens_are_bounded(window: MainWindow, monkeypatch) -> None:
    """Beyond the limit the least recently shown screen is let go (never the one shown)."""
    monkeypatch.setattr(screen_cache_module, "CACHE_LIMIT", 3)
    lang = window.context().lang
    for topic_id in list(lang.topics)[:5]:
        window.navigate(Route("topic", topic_id))
    assert len(window.screens) == 3
    assert window.current_screen().topic.id == list(lang.topics)[4]


def test_start_up_builds_every_content_screen(qtbot: QtBot, window: MainWindow) -> None:
    """After the first paint every content screen, in every language, is built while the
    kiosk waits (FAQ and Sources too), and started_up says when that is done: a first
    visit, even in another language, builds nothing."""
    with qtbot.waitSignal(window.started_up, timeout=60_000):
        window.finish_start_up()
    assert not window.starting_up()
    prebuilt_form = window.screens.kept_form
    assert prebuilt_form is not None  # the default language's form, too
    kept = len(window.screens)
    built = set(window.screens.kept())
    topics = next(iter(window.context().lang.topics))
    assert kept >= 2 * len(window.context().lang.topics)
    window.set_language("tr")
    assert window.current_screen() in built
    for route in (Route("topic", topics), Route("faq"), Route("sources", None), Route("about")):
        window.navigate(route)
        assert window.current_screen() in built, route
    window.go_home()
    assert len(window.screens) == kept  # shown from what was built, nothing new
    window.set_language("en")
    window.navigate(Route("appointment"))
    form = window.current_screen()
    assert form.isVisible() and form.step == "notice"
    assert form is prebuilt_form


def test_five_quick_taps_count_even_as_double_clicks(window: MainWindow) -> None:
    """Quick taps arrive as press, double-click, press...: all count towards the gesture."""
    home = window.current_screen()
    assert isinstance(home, HomeScreen)
    for n in range(window.context().settings.staff_taps):
        kind = QEvent.Type.MouseButtonDblClick if n % 2 else QEvent.Type.MouseButtonPress
        event = QMouseEvent(
            kind,
            QPointF(5, 5),
            QPointF(5, 5),
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        home.eventFilter(home.logo, event)
    assert window.route == Route("staff-login")


def test_a_touch_on_the_window_restarts_the_idle_clock(window: MainWindow) -> None:
    """The activity filter sits on the window, where the system delivers every touch."""
    window.navigate(Route("help"))
    window.visit.idle_timer.start(300)
    press = QMouseEvent(
        QEvent.Type.MouseButtonPress,
        QPointF(10, 10),
        QPointF(10, 10),
        Qt.MouseButton.LeftButton,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window.windowHandle(), press)
    assert window.visit.idle_timer.remainingTime() > 1000
    assert window.route != HOME


def test_home_needs_neither_the_store_nor_the_form_to_start() -> None:
    """Start-up imports no database, export, keys or QR code library: they load after the
    first paint (the store) or when first needed (the form, the staff screen)."""
    code = (
        "import sys; import kiosk.cli, kiosk.ui.main_window, kiosk.ui.app; "
        "print(','.join(m for m in ('sqlite_utils', 'xlsxwriter', 'nacl', 'qrcode', "
        "'kiosk.store', 'kiosk.export', 'kiosk.staff') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == ""


def test_after_a_visit_other_text_sizes_are_let_go(
    qtbot: QtBot,
    window: MainWindow,
    monkeypatch,
) -> None:
    """Once a visit ends, screens built at a larger text size are deleted (the next visitor
    starts at the default size) and the freed memory is handed back to the system."""
    released: list[bool] = []
    monkeypatch.setattr(screen_cache_module, "release_free_memory", lambda: released.append(True))
    window.navigate(Route("topic", "sle"))
    window.set_text_step(2)
    large = window.current_screen()
    kept = len(window.screens)
    window.reset_visit()
    qtbot.waitUntil(lambda: bool(released), timeout=5000)
    assert len(window.screens) < kept
    assert not window.screens.is_kept(large)
    assert window.current_screen() is not large
    window.navigate(Route("topic", "sle"))
    window.set_text_step(2)  # asked for again: built again, at that size
    again = window.current_screen()
    assert again is not large and window.screens.is_kept(again)
    assert again.topic.id == "sle" and window.metrics().text_step == 2


def test_back_at_normal_size_the_larger_screens_are_let_go(
    qtbot: QtBot,
    window: MainWindow,
    monkeypatch,
) -> None:
    """Text size cycles Normal, Large, Largest, Normal: back at normal, the screens built at
    the larger sizes go once the frame is out, so they never sit in memory beside the rest
    of the visit; the visit itself goes on (the normal screen is the kept one)."""
    released: list[bool] = []
    monkeypatch.setattr(screen_cache_module, "release_free_memory", lambda: released.append(True))
    normal = window.current_screen()
    kept = len(window.screens)
    window.cycle_text_size()
    large = window.current_screen()
    window.cycle_text_size()
    largest = window.current_screen()
    assert len(window.screens) == kept + 2
    window.cycle_text_size()
    assert window.current_screen() is normal
    qtbot.waitUntil(lambda: bool(released), timeout=5000)
    assert len(window.screens) == kept
    assert not window.screens.is_kept(large) and not window.screens.is_kept(largest)
    window.cycle_text_size()  # asked for again: built again
    assert window.current_screen() is not large
    assert window.metrics().text_step == 1


def test_quick_text_size_taps_past_normal_keep_the_larger_screens(
    qtbot: QtBot, window: MainWindow
) -> None:
    """Normal, Large, Largest, Normal, Large before the kiosk gets a turn: the screens at
    the larger sizes are in use again by then, and are kept."""
    window.cycle_text_size()
    window.cycle_text_size()
    largest = window.current_screen()
    window.cycle_text_size()
    window.cycle_text_size()
    large = window.current_screen()
    settle()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert window.metrics().text_step == 1
    assert window.screens.is_kept(large) and window.screens.is_kept(largest)


def test_a_kept_screen_still_marks_its_own_language(window: MainWindow) -> None:
    """Tapping another language on Home switches language but does not leave that button
    ticked on the kept English Home the next visitor sees."""
    home = window.current_screen()
    home.language_buttons["en"].click()  # the current one: stays ticked
    assert home.language_buttons["en"].isChecked()
    home.language_buttons["tr"].click()
    assert window.language == "tr"
    window.reset_visit()
    assert window.current_screen() is home
    assert home.language_buttons["en"].isChecked()
    assert not home.language_buttons["tr"].isChecked()
