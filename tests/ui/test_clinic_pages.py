"""What patients see of the clinic's own details: the review, the study pages, warnings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from kiosk.config import Settings, load_settings
from kiosk.content import Content
from kiosk.ui.main_window import MainWindow, Route
from kiosk.validation import load_content

from uihelpers import LANDSCAPE


def _window(qtbot: QtBot, settings: Settings, content: Content) -> MainWindow:
    w = MainWindow(settings, content, ("en", "tr"))
    qtbot.addWidget(w)
    w.resize(*LANDSCAPE)
    w.show()
    qtbot.waitExposed(w)
    return w


def _texts(window: MainWindow) -> list[str]:
    return [lab.text() for lab in window.current_screen().findChildren(QLabel) if lab.text()]


def test_about_claims_no_review_before_the_sign_off(
    qtbot: QtBot, settings: Settings, content: Content
) -> None:
    """Unsigned content: About shows no reviewer, no review date, and no placeholder."""
    window = _window(qtbot, settings, content)
    for code in ("en", "tr"):
        window.set_language(code)
        window.navigate(Route("about"))
        texts = _texts(window)
        ui = content.languages[code].ui
        assert ui.about_reviewed_by not in texts and ui.about_reviewed_on not in texts
        assert not any("[" in t for t in texts), texts


def test_about_names_the_reviewer_in_the_languages_date_format(
    qtbot: QtBot, filled_config: Path
) -> None:
    settings, _ = load_settings(filled_config)
    window = _window(qtbot, settings, load_content(settings.content_path()))
    window.navigate(Route("about"))
    texts = _texts(window)
    assert "Dr. Ayşe Yılmaz, rheumatology, diploma 123456" in texts
    assert "30 November 2026" in texts and "30 November 2027" in texts
    window.set_language("tr")
    window.navigate(Route("about"))
    texts = _texts(window)
    assert "30.11.2026" in texts and "30.11.2027" in texts


def test_home_names_the_clinic_in_the_visitors_language(qtbot: QtBot, filled_config: Path) -> None:
    settings, _ = load_settings(filled_config)
    window = _window(qtbot, settings, load_content(settings.content_path()))
    assert "Anka Rheumatology Clinic" in _texts(window)
    window.set_language("tr")
    window.go_home()
    assert "Anka Romatoloji Kliniği" in _texts(window)
    assert window.windowTitle() == "Anka Rheumatology Clinic"  # the default language's


def test_treatment_pages_open_with_the_warning_signs(
    qtbot: QtBot, settings: Settings, content: Content
) -> None:
    """On every treatment page the warning signs come first (above the summary), say 112,
    and research pages ask "who was studied", never "who it may be for"."""
    window = _window(qtbot, settings, content)
    for code in ("en", "tr"):
        window.set_language(code)
        lang = content.languages[code]
        for topic in lang.topics.values():
            if topic.treatment is None:
                continue
            window.navigate(Route("topic", topic.id))
            screen = window.current_screen()
            warning = screen.findChild(QWidget, "warning-box")
            summary = screen.findChild(QWidget, "summary-box")
            assert warning is not None and summary is not None, topic.id
            top = warning.mapTo(screen, warning.rect().topLeft()).y()
            assert top < summary.mapTo(screen, summary.rect().topLeft()).y(), topic.id
            warning_text = " ".join(lab.text() for lab in warning.findChildren(QLabel))
            assert "112" in warning_text, topic.id
            texts = _texts(window)
            research = topic.treatment.status in ("research", "preclinical")
            assert (lang.ui.heading_who_studied in texts) is research, topic.id
            assert (lang.ui.heading_who in texts) is not research, topic.id


def test_study_pages_appear_only_with_an_approved_study(
    qtbot: QtBot, settings: Settings, study_config: Path
) -> None:
    """Home has no study tile without [study]; with it, the pages name the study."""
    bundled = load_content(settings.content_path())
    plain = _window(qtbot, settings, bundled)
    assert "clinic" not in plain.current_screen().tiles
    with_study, _ = load_settings(study_config)
    window = _window(qtbot, with_study, load_content(with_study.content_path()))
    assert "clinic" in window.current_screen().tiles
    for code, name in (("en", "MSC in lupus nephritis"), ("tr", "Lupus nefritinde MSC")):
        window.set_language(code)
        window.navigate(Route("topic", "clinic-before"))
        texts = " ".join(_texts(window))
        assert name in texts and "{" not in texts


def test_no_code_to_an_example_site(qtbot: QtBot, content: Content) -> None:
    """With the example links still in the config, the notice and the failed-save step show
    no QR code (a patient's phone would open an example site): the desk has the notice."""
    from kiosk.ui.screens.appointment import AppointmentScreen
    from kiosk.ui.widgets.qr_widget import QrWidget

    window = _window(qtbot, Settings(), content)
    window.set_language("tr")
    window.navigate(Route("appointment"))
    form = window.current_screen()
    assert isinstance(form, AppointmentScreen)
    assert form.findChildren(QrWidget) == [] and form.fallback_code is None
    texts = _texts(window)
    assert content.languages["tr"].form.notice_full_desk in texts
    assert not any("example" in t for t in texts)


def test_home_names_no_english_stand_in_on_turkish_screens(
    qtbot: QtBot, settings: Settings, content: Content
) -> None:
    """Until the clinic gives its name, Home shows the content's neutral name in the
    visitor's language, never the English default on a Turkish screen."""
    window = _window(qtbot, settings, content)
    assert content.languages["en"].ui.default_clinic_name in _texts(window)
    window.set_language("tr")
    window.go_home()
    texts = _texts(window)
    assert "Lupus Bilgi Noktası" in texts and "Lupus Information Point" not in texts
