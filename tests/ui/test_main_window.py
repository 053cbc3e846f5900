"""Navigation through every screen, Back and Home, language and text size."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea
from pytestqt.qtbot import QtBot

from kiosk import crypto
from kiosk.config import Settings
from kiosk.content import Content
from kiosk.keyboards import load_layout
from kiosk.store import AppointmentStore, memory_database
from kiosk.ui.main_window import HOME, MainWindow, Route
from kiosk.ui.screens.faq import FaqScreen
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.screens.sources import SourcesScreen
from kiosk.ui.screens.table import TableScreen
from kiosk.ui.screens.topic import TopicScreen
from kiosk.ui.screenshots import all_routes

from uihelpers import PORTRAIT, settle

SCREEN_NAMES = {
    "home": "home-screen",
    "section": "section-screen",
    "topic": "topic-screen",
    "table": "table-screen",
    "faq": "faq-screen",
    "sources": "sources-screen",
    "about": "about-screen",
    "help": "help-screen",
    "language": "language-screen",
    "appointment": "appointment-screen",
}


def _texts(widget) -> list[str]:
    return [lab.text() for lab in widget.findChildren(QLabel) if lab.text()]


def test_every_screen_is_reachable_and_back_returns_home(
    window: MainWindow, content: Content
) -> None:
    """Each route builds its screen (with its stable objectName) and Back goes Home."""
    routes = [*all_routes(content.languages["en"]), Route("appointment")]
    assert {r.name for r in routes} == set(SCREEN_NAMES)
    for route in routes:
        window.go_home()
        window.navigate(route)
        assert window.current_screen().objectName() == SCREEN_NAMES[route.name]
        window.go_back()
        assert window.route == HOME
        assert isinstance(window.current_screen(), HomeScreen)


def test_home_tiles_open_their_sections(qtbot: QtBot, window: MainWindow, content: Content) -> None:
    """Tapping each Home tile opens the screen for that section."""
    for section in content.languages["en"].sections:
        window.go_home()
        home = window.current_screen()
        assert isinstance(home, HomeScreen)
        with qtbot.waitSignal(window.screen_changed):
            home.tiles[section.id].click()
        expected = {
            "topics": "topic" if len(section.items) == 1 else "section",
            "table": "table",
        }.get(section.kind, section.kind)
        assert window.route.name == expected


def test_back_follows_the_trail(window: MainWindow, content: Content) -> None:
    """Home → section → topic → Back → section → Back → Home; Home clears the trail."""
    section = next(s for s in content.languages["en"].sections if len(s.items) > 1)
    window.open_section(section.id)
    window.current_screen().rows[section.items[1]].click()
    assert window.route == Route("topic", section.items[1])
    assert window.history == (HOME, Route("section", section.id))
    window.bar.buttons["nav-back"].click()
    assert window.route == Route("section", section.id)
    window.bar.buttons["nav-back"].click()
    assert window.route == HOME
    assert not window.bar.buttons["nav-back"].isEnabled()
    window.navigate(Route("help"))
    window.bar.buttons["nav-home"].click()
    assert window.route == HOME and window.history == ()


def test_language_switch_keeps_the_screen(window: MainWindow, content: Content) -> None:
    """Changing language re-renders the same screen in the new language."""
    window.navigate(Route("topic", "msc"))
    assert content.languages["en"].topics["msc"].title in _texts(window.current_screen())
    window.set_language("tr")
    assert window.route == Route("topic", "msc")
    texts = _texts(window.current_screen())
    assert content.languages["tr"].topics["msc"].title in texts
    assert content.languages["en"].topics["msc"].title not in texts
    assert window.bar.buttons["nav-home"].text() == "Ana sayfa"


def test_language_picker_from_the_bar(qtbot: QtBot, window: MainWindow) -> None:
    """Bar → Language → Türkçe returns to the screen the visitor was on, now in Turkish."""
    window.navigate(Route("help"))
    window.bar.buttons["nav-language"].click()
    assert window.route.name == "language"
    picker = window.current_screen()
    assert [b.text() for b in picker.buttons.values()] == [
        "English",
        "Türkçe",
        "العربية",
        "Русский",
        "Deutsch",
    ]
    assert picker.buttons["en"].isChecked() and not picker.buttons["tr"].isChecked()
    picker.buttons["tr"].click()
    assert window.language == "tr"
    assert window.route == Route("help")
    window.go_back()
    assert window.route == HOME  # the picker is not a stop on the Back trail


def test_home_language_buttons(window: MainWindow) -> None:
    """The languages on Home are named in their own language and switch in place."""
    home = window.current_screen()
    assert home.language_buttons["tr"].text().strip() == "Türkçe"
    home.language_buttons["tr"].click()
    assert window.language == "tr" and window.route == HOME


def test_text_size_steps_and_wraps(window: MainWindow) -> None:
    """Text size cycles through three steps; body text grows each time, then returns."""
    window.navigate(Route("topic", "lupus-overview"))

    def body_px() -> int:
        labels = window.current_screen().findChildren(QLabel, "body-text")
        return labels[0].font().pixelSize()

    sizes = [body_px()]
    for _ in range(3):
        window.bar.buttons["nav-text-size"].click()
        sizes.append(body_px())
    assert sizes[0] >= 24  # readable at arm's length at 1080p
    assert sizes[0] < sizes[1] < sizes[2]
    assert sizes[3] == sizes[0] and window.text_step == 0
    assert window.route == Route("topic", "lupus-overview")


def test_source_chip_opens_that_source(qtbot: QtBot, window: MainWindow) -> None:
    """A numbered source chip opens the Sources screen with that entry highlighted."""
    window.navigate(Route("topic", "msc"))
    topic = window.current_screen()
    assert isinstance(topic, TopicScreen)
    # The first chips are the warning signs' (the first box on the page).
    warning = topic.topic.warning_signs
    assert warning is not None
    chip = topic.chips[0].buttons[0]
    source_id = warning.sources[0]
    chip.click()
    sources = window.current_screen()
    assert isinstance(sources, SourcesScreen)
    assert sources.focus == source_id
    assert sources.cards[source_id].property("highlight") == "true"
    qtbot.waitUntil(
        lambda: (
            sources.page.verticalScrollBar().value() > 0 or source_id == next(iter(sources.cards))
        )
    )


def test_faq_opens_one_answer_at_a_time(window: MainWindow, content: Content) -> None:
    """The accordion shows one answer; opening another closes the first."""
    window.navigate(Route("faq"))
    faq = window.current_screen()
    assert isinstance(faq, FaqScreen)
    first, second = list(faq.questions)[:2]
    assert not any(a.isVisible() for a in faq.answers.values())
    faq.questions[first].click()
    assert faq.answers[first].isVisible()
    faq.questions[second].click()
    assert faq.answers[second].isVisible() and not faq.answers[first].isVisible()
    faq.questions[second].click()
    assert not any(a.isVisible() for a in faq.answers.values())


def test_table_reflows_to_cards_in_portrait(
    qtbot: QtBot, window: MainWindow, content: Content
) -> None:
    """Landscape shows a grid; turning the screen to portrait shows one card per option."""
    table_id = next(iter(content.languages["en"].tables))
    window.navigate(Route("table", table_id))
    assert window.current_screen().layout_mode == "grid"
    window.resize(*PORTRAIT)
    settle()
    table = window.current_screen()
    assert isinstance(table, TableScreen)
    assert table.layout_mode == "cards"
    assert window.route == Route("table", table_id)


def test_grid_has_no_horizontal_scrolling(window: MainWindow, content: Content) -> None:
    """At 1920x1080 the whole comparison table fits the width of the screen."""
    for table_id in content.languages["en"].tables:
        window.navigate(Route("table", table_id))
        settle()
        page = window.current_screen().page
        assert page.horizontalScrollBar().maximum() == 0
        assert page.widget().width() <= page.viewport().width()


def test_arabic_mirrors_the_window_but_not_its_keyboard_or_numbers(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
) -> None:
    """Arabic mirrors the whole window, bar included (Home first on the right, back's and
    "I am done"'s arrows turned); the keyboard keeps its keys as printed, left to right; the
    phone field reads left to right; a Latin clinic name is marked to sit right to left."""
    import msgspec

    from kiosk.bidi import LRI, PDI, RLM
    from kiosk.ui.screens.appointment import AppointmentScreen

    latin = msgspec.structs.replace(settings, clinic_name="Anka Rheumatology Clinic")
    store = AppointmentStore(memory_database(), sealer=keypair[0])
    window = MainWindow(latin, content, tuple(settings.languages), store)
    qtbot.addWidget(window)
    window.resize(*PORTRAIT)
    window.show()
    window.set_language("ar")
    settle()
    assert window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    bar = window.bar.buttons
    assert bar["nav-home"].x() > bar["nav-back"].x() > bar["nav-appointment"].x()
    arrow = window._icons.pixmap("log-out", "#000000", 32).toImage()
    turned = window._icons.pixmap("log-out", "#000000", 32, rtl=True).toImage()
    assert turned == arrow.flipped(Qt.Orientation.Horizontal) and turned != arrow
    name = window.current_screen().findChild(QLabel, "clinic-name")
    assert name is not None and name.text() == f"{RLM}{LRI}Anka Rheumatology Clinic{PDI}"
    window.navigate(Route("appointment"))
    form = window.current_screen()
    assert isinstance(form, AppointmentScreen)
    form.next_button.click()  # the notice read: the name, with its keyboard
    keys = form.keyboard
    qtbot.waitUntil(lambda: form.step == "name" and keys.layout_id == "ar")
    settle()
    assert keys.layoutDirection() == Qt.LayoutDirection.LeftToRight
    first_row = [keys.key_button(k) for k in load_layout("ar").rows[0]]
    xs = [button.mapTo(keys, button.rect().topLeft()).x() for button in first_row]
    assert xs == sorted(xs) and first_row[0].text() == "ض"  # ض on the left, as printed
    assert form.fields["phone"].layoutDirection() == Qt.LayoutDirection.LeftToRight
    window.set_language("tr")
    assert window.layoutDirection() == Qt.LayoutDirection.LeftToRight


def test_unknown_language_is_refused(window: MainWindow) -> None:
    """Only configured languages can be chosen."""
    with pytest.raises(ValueError):
        window.set_language("xx")


def test_pages_scroll_by_finger_without_scroll_bars(window: MainWindow, content: Content) -> None:
    """Every screen's page moves by drag (QScroller) and shows no scroll bar to aim at."""
    from PySide6.QtWidgets import QScroller

    for route in all_routes(content.languages["en"]):
        window.go_home()
        window.navigate(route)
        page = window.current_screen().page
        assert QScroller.hasScroller(page.viewport()), route.key
        assert QScroller.grabbedGesture(page.viewport()) != Qt.GestureType(0), route.key
        assert page.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        assert page.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff


@pytest.mark.parametrize("by", ["home-buttons", "language-screen"])
def test_a_language_switch_keeps_the_reading_place(
    window: MainWindow, content: Content, by: str
) -> None:
    """The FAQ answer the visitor opened is open in the new language too (the page at it),
    whether the language is chosen on the language screen or set directly."""
    window.navigate(Route("faq"))
    faq = window.current_screen()
    assert isinstance(faq, FaqScreen)
    last = list(faq.questions)[-1]
    faq.open_entry(last)
    settle()
    assert faq.page.verticalScrollBar().value() > 0
    if by == "language-screen":
        window.navigate(Route("language"))
    window.set_language("tr")
    settle()
    turkish = window.current_screen()
    assert isinstance(turkish, FaqScreen) and turkish is not faq
    assert turkish.open_id() == last and turkish.answers[last].isVisible()
    assert turkish.page.verticalScrollBar().value() > 0


def test_a_language_switch_keeps_how_far_down_a_page_is(window: MainWindow) -> None:
    """On a long page, the new language's page is shown as far down (in proportion)."""
    window.navigate(Route("topic", "msc"))
    page = window.current_screen().findChild(QScrollArea)
    settle()
    bar = page.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    window.set_language("tr")
    settle()
    new_bar = window.current_screen().findChild(QScrollArea).verticalScrollBar()
    assert abs(new_bar.value() / new_bar.maximum() - 0.5) < 0.05


def test_the_text_size_button_shows_the_level(window: MainWindow) -> None:
    """The text-size button's meter fills one more bar per step (and its accessible name
    says the level), so a visitor sees which size is on."""
    button = window.bar.buttons["nav-text-size"]
    images = []
    for step in range(3):
        window.set_text_step(step)
        images.append(button.icon().pixmap(32, 32).toImage())
        assert button.accessibleName().endswith(window.context().lang.ui.text_sizes[step])
    assert images[0] != images[1] != images[2] != images[0]


def test_help_promises_no_time_it_cannot_keep(content: Content) -> None:
    """The kiosk warns, then resets, after a quiet spell: help never says there is no time
    limit (it said so), and it explains the warning."""
    en = " ".join(content.languages["en"].ui.help_body)
    tr = " ".join(content.languages["tr"].ui.help_body)
    assert "no time limit" not in en.lower() and "süre sınırı yok" not in tr.lower()
    assert "still there" in en and "hâlâ burada" in tr
