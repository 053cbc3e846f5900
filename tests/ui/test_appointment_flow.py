"""The appointment flow through qtbot: typing on the on-screen keyboard, saving, wiping."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import zxingcpp
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from kiosk import crypto
from kiosk.config import Settings
from kiosk.content import Content
from kiosk.store import AppointmentStore, open_database
from kiosk.ui.main_window import HOME, MainWindow, Route
from kiosk.ui.screens.appointment import AppointmentScreen
from kiosk.ui.widgets.qr_widget import QrWidget

from uihelpers import LANDSCAPE, settle


@pytest.fixture
def store(make_store: Callable[..., AppointmentStore]) -> AppointmentStore:
    """A store on ``tmp_path/kiosk.db`` that can save, unlocked to check what was saved."""
    return make_store()


@pytest.fixture
def flow(qtbot: QtBot, settings: Settings, content: Content, store: AppointmentStore) -> MainWindow:
    """The main window with a real database, opened on the form's first step in Türkçe."""
    window = MainWindow(settings, content, ("en", "tr"), store)
    qtbot.addWidget(window)
    window.resize(*LANDSCAPE)
    window.show()
    window.set_language("tr")
    window.navigate(Route("appointment"))
    return window


def screen(window: MainWindow) -> AppointmentScreen:
    current = window.current_screen()
    assert isinstance(current, AppointmentScreen)
    return current


def type_keys(form: AppointmentScreen, text: str) -> None:
    """Type ``text`` by tapping on-screen keys only (shift and layout keys as a person would)."""
    kb = form.keyboard
    for ch in text:
        if ch == " ":
            kb.key_button("{space}").click()
            continue
        for _attempt in range(3):
            # What each key types now: the keys follow shift (set by the visitor, or by
            # the keyboard itself at the start of a word in the name field).
            layout_keys = {b.property("key"): b for b in kb.buttons}
            shift = _shift_map(kb)
            if ch in layout_keys and not (kb.shifted and shift.get(ch, ch) != ch):
                layout_keys[ch].click()
                break
            shifted = [k for k, up in shift.items() if up == ch and k != up]
            if shifted:
                if not kb.shifted:
                    kb.key_button("{shift}").click()
                kb.key_button(shifted[0]).click()
                break
            lower = [k for k, up in shift.items() if k == ch and up != ch]
            if lower and kb.shifted:
                kb.key_button("{shift}").click()
                kb.key_button(ch).click()
                break
            kb.key_button("{layout}").click()
        else:
            raise AssertionError(f"no key types {ch!r}")


def _shift_map(kb) -> dict[str, str]:
    from kiosk.keyboards import load_layout

    return load_layout(kb.layout_id).shift


def choose(form: AppointmentScreen, name: str, value: str) -> None:
    for button in form.findChildren(QPushButton, name):
        if button.property("choice") == value:
            button.click()
            return
    raise AssertionError(f"no {name} {value}")


def fill_to_review(form: AppointmentScreen, name: str, phone: str = "05321234567") -> None:
    assert form.step == "notice"
    form.next_button.click()
    assert form.step == "name"
    type_keys(form, name)
    form.next_button.click()
    assert form.step == "contact"
    assert not form.keyboard.isVisibleTo(form)  # up once a field is tapped
    form.fields["phone"].setFocus()
    assert form.keyboard.isVisibleTo(form) and form.keyboard.layout_id == "phone"
    type_keys(form, phone)
    form.next_button.click()
    assert form.step == "preferences"
    choose(form, "language-choice", "tr")
    choose(form, "method-option", "sms")
    choose(form, "time-option", "evening")
    form.next_button.click()
    assert form.step == "consents"
    form.consent_buttons["notice_read"].click()
    form.consent_buttons["contact"].click()
    form.next_button.click()
    assert form.step == "review"


def test_whole_flow_saves_turkish_letters_exactly(
    qtbot: QtBot,
    flow: MainWindow,
    store: AppointmentStore,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
) -> None:
    """Typed on the on-screen keyboard, Turkish letters arrive in the database exactly; the
    thank-you screen shows only the reference until "I am done", then Home, form empty."""
    form = screen(flow)
    fill_to_review(form, "Ağaç İğne Işıl Öz")
    review_text = " ".join(lab.text() for lab in form.findChildren(type(form.message)))
    assert "Ağaç İğne Işıl Öz" in review_text
    with qtbot.waitSignal(form.submitted) as blocker:
        form.next_button.click()
    reference = blocker.args[0]
    raw = next(store.db.query("select personal, sealed from requests"))
    assert raw["personal"] == "" and "Ağaç".encode() not in raw["sealed"]
    store.unlock(keypair[1].copy())  # as staff would, with the passcode
    saved = store.get(reference)
    assert saved is not None
    assert saved.personal["name"] == "Ağaç İğne Işıl Öz"
    assert saved.personal["phone"] == "+905321234567"
    assert saved.personal["contact_method"] == "sms" and saved.language == "tr"
    assert saved.consents["items"]["notice_read"] == {"given": True, "version": "tr-1"}
    assert saved.consents["items"]["marketing_sms"]["given"] is False
    assert form.step == "thanks"
    shown = [lab.text() for lab in form.findChildren(type(form.message)) if lab.isVisible()]
    assert reference in shown
    assert not any("Ağaç" in text or "532" in text for text in shown)
    flow.bar.buttons["nav-done"].click()
    assert flow.route == HOME
    assert flow.form.is_empty()


def test_next_explains_what_is_missing(flow: MainWindow) -> None:
    """Next is never disabled: with no name it stays and says why, in Türkçe."""
    form = screen(flow)
    form.next_button.click()
    assert form.next_button.isEnabled()
    form.next_button.click()
    assert form.step == "name"
    error = form.errors["name"]
    assert error.isVisible() and "Lütfen adınızı yazın." in error.text()
    assert "eksik" in form.message.text()


def test_language_change_keeps_what_was_typed(flow: MainWindow) -> None:
    """Switching language inside the form re-translates it and keeps the visitor's input."""
    form = screen(flow)
    form.next_button.click()
    type_keys(form, "Zeynep Su")
    flow.set_language("en")
    form = screen(flow)
    assert form.step == "name"
    assert form.fields["name"].text() == "Zeynep Su"
    assert form.next_button.text() == "Next"


@pytest.mark.parametrize("leave", ["home", "bar-home", "topic", "back-out"])
def test_leaving_the_form_wipes_everything(flow: MainWindow, leave: str) -> None:
    """Home, another screen or Back out of the form: the next visitor finds it empty."""
    form = screen(flow)
    form.next_button.click()
    type_keys(form, "Secret Name")
    form.keyboard.key_button("{shift}").click()
    if leave == "home":
        flow.go_home()
    elif leave == "bar-home":
        flow.bar.buttons["nav-home"].click()
        flow.leave.discard_button.click()  # "Erase and leave"
    elif leave == "topic":
        flow.navigate(Route("topic", "msc"))
    else:
        flow.bar.buttons["nav-back"].click()  # back to the notice step
        flow.bar.buttons["nav-back"].click()  # and out of the form
        flow.leave.discard_button.click()
    assert flow.route.name != "appointment"
    assert flow.form.is_empty() and flow.flow.step == "notice"
    flow.navigate(Route("appointment"))
    form = screen(flow)
    assert form.step == "notice"
    assert all(edit.text() == "" for edit in flow.findChildren(QLineEdit))
    assert not form.keyboard.shifted


def test_save_failure_shows_the_online_form(
    qtbot: QtBot, flow: MainWindow, store: AppointmentStore
) -> None:
    """A database that refuses the write: a calm message with the online-form code, and the
    database stays as it was."""
    form = screen(flow)
    fill_to_review(form, "Deniz Kaya")
    store.db.execute("PRAGMA query_only = ON")
    with qtbot.assertNotEmitted(form.submitted):
        form.next_button.click()
    assert form.step == "failed"
    assert form.fallback_code is not None
    image = form.fallback_code.to_image().convertToFormat(QImage.Format.Format_Grayscale8)
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [
        "https://anka-klinik.com.tr/lupus/randevu?lang=tr&source=kiosk"
    ]
    store.db.execute("PRAGMA query_only = OFF")
    assert store.count() == 0
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_no_database_offers_online_form(qtbot: QtBot, content: Content) -> None:
    """Without a database the form goes straight to the online-form fallback."""
    window = MainWindow(Settings(), content, ("en", "tr"), None)
    qtbot.addWidget(window)
    window.navigate(Route("appointment"))
    assert screen(window).step == "failed"


def test_no_encryption_key_offers_online_form_at_once(
    qtbot: QtBot, tmp_path: Path, content: Content
) -> None:
    """Without the clinic's public key nothing personal may be stored: the visitor is
    offered the online form before typing anything, not after."""
    store = AppointmentStore(open_database(tmp_path / "kiosk.db"))
    window = MainWindow(Settings(db_path=str(tmp_path / "kiosk.db")), content, ("en",), store)
    qtbot.addWidget(window)
    window.navigate(Route("appointment"))
    assert screen(window).step == "failed"


def test_full_disk_shows_the_fallback_and_the_next_visitor_can_save(
    qtbot: QtBot, flow: MainWindow, store: AppointmentStore
) -> None:
    """No space left: the visitor gets the online-form code, the database stays intact,
    and once there is room the next visitor's request is saved."""
    from kiosk.appointment import FormData, validate_request
    from kiosk.store import StoreError

    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    filler = validate_request(
        FormData(
            name="Doldurucu " + "x" * 80,
            email="fill@example.com",
            contact_language="en",
            contact_method="email",
            time_window="morning",
            consents={"notice_read": True, "contact": True},
        ),
        "en",
    )
    assert not isinstance(filler, list)
    with pytest.raises(StoreError):  # use up the last free bytes of the pages there are
        for _ in range(500):
            store.add_request(
                filler, kiosk_id="k", content_version="v", consent_versions={}, notice_version="n"
            )
    before = store.count()
    form = screen(flow)
    fill_to_review(form, "Dolu Disk " + "Uzunisim " * 12)
    form.next_button.click()
    assert form.step == "failed" and store.count() == before
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.db.execute("PRAGMA max_page_count = 1073741823")
    flow.reset_visit()
    flow.set_language("tr")
    flow.navigate(Route("appointment"))
    form = screen(flow)
    fill_to_review(form, "Sonraki Kişi")
    with qtbot.waitSignal(form.submitted):
        form.next_button.click()
    assert store.count() == before + 1


def test_notice_codes(flow: MainWindow) -> None:
    """The notice links the full privacy notice and the online form; no personal data."""
    form = screen(flow)
    settle()
    found = []
    for name in ("notice-qr", "online-form-qr"):
        code = form.findChild(QrWidget, name)
        image = code.to_image().convertToFormat(QImage.Format.Format_Grayscale8)
        found += [b.text for b in zxingcpp.read_barcodes(image)]
    assert found == [
        "https://anka-klinik.com.tr/kvkk?lang=tr",
        "https://anka-klinik.com.tr/lupus/randevu?lang=tr&source=kiosk",
    ]


def test_the_topic_consent_is_optional_and_only_asked_with_a_topic(
    qtbot: QtBot,
    flow: MainWindow,
    store: AppointmentStore,
    content: Content,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
) -> None:
    """No topic: no topic consent on screen. A topic without its consent: the request is
    sent anyway (as the screen promises), without the topic, and the review says so."""
    form = screen(flow)
    fill_to_review(form, "Ali Veli")
    form.show_step("consents")
    assert not form.consent_buttons["health_topic"].isVisibleTo(form)
    form.show_step("preferences")
    choose(form, "topic-option", "cell-research")
    form.next_button.click()
    assert form.step == "consents"
    assert form.consent_buttons["health_topic"].isVisibleTo(form)
    form.next_button.click()
    assert form.step == "review"
    texts = [lab.text() for lab in form.review_box.parentWidget().findChildren(QLabel)]
    chosen = next(t.label for t in content.languages["tr"].form.topics if t.id == "cell-research")
    assert chosen not in texts  # not sent, so not shown as sent
    with qtbot.waitSignal(form.submitted):
        form.next_button.click()
    store.unlock(keypair[1].copy())
    saved = store.list_requests()[0]
    assert saved.personal["topic"] is None
    assert saved.consents["items"]["health_topic"]["given"] is False


def test_personal_data_never_logged(
    qtbot: QtBot, flow: MainWindow, caplog: pytest.LogCaptureFixture
) -> None:
    """A request with a unique name leaves no trace of it in any log record."""
    caplog.set_level(logging.DEBUG)
    form = screen(flow)
    fill_to_review(form, "Zeynep Benzersizoğlu", phone="05329876543")
    with qtbot.waitSignal(form.submitted):
        form.next_button.click()
    flow.go_home()
    assert caplog.records  # the flow did log its events
    assert "Benzersiz" not in caplog.text and "9876543" not in caplog.text


@pytest.mark.parametrize("size", [LANDSCAPE, (1080, 1920)], ids=["landscape", "portrait"])
def test_focused_field_stays_above_the_keyboard(flow: MainWindow, size: tuple[int, int]) -> None:
    """Focusing the e-mail field (the lowest) scrolls it into view above the docked keyboard."""
    flow.resize(*size)
    settle()
    form = screen(flow)
    form.show_step("contact")
    form.fields["email"].setFocus()
    settle()
    assert form.keyboard.isVisible() and form.keyboard.layout_id == "email"
    page = form.pages.currentWidget()
    field = form.fields["email"]
    top_left = field.mapTo(page.viewport(), field.rect().topLeft())
    assert 0 <= top_left.y() and top_left.y() + field.height() <= page.viewport().height()
    keyboard_top = form.keyboard.mapTo(flow, form.keyboard.rect().topLeft()).y()
    assert field.mapTo(flow, field.rect().bottomLeft()).y() < keyboard_top


def test_fields_never_learn_or_offer_text(flow: MainWindow) -> None:
    """Personal fields ask for no prediction, have no context menu and a length limit."""
    from PySide6.QtCore import Qt

    form = screen(flow)
    for key, limit in (("name", 100), ("phone", 32), ("email", 254)):
        edit = form.fields[key]
        hints = edit.inputMethodHints()
        assert hints & Qt.InputMethodHint.ImhSensitiveData
        assert hints & Qt.InputMethodHint.ImhNoPredictiveText
        assert edit.contextMenuPolicy() == Qt.ContextMenuPolicy.NoContextMenu
        assert edit.maxLength() == limit


def test_consents_start_unticked_and_separate(flow: MainWindow) -> None:
    """Six separate consent boxes, none ticked for a new visitor; optional ones stay optional."""
    form = screen(flow)
    assert list(form.consent_buttons) == [
        "notice_read",
        "contact",
        "health_topic",
        "marketing_sms",
        "marketing_email",
        "marketing_call",
    ]
    assert not any(b.isChecked() for b in form.consent_buttons.values())


def test_odd_input_never_crashes(flow: MainWindow) -> None:
    """10,000 characters of emoji, RTL and SQL in the name field: bounded, and no crash."""
    form = screen(flow)
    form.show_step("name")
    form.fields["name"].setText(("😀 مرحبا '); DROP TABLE requests;-- " * 400)[:10_000])
    form.next_button.click()
    assert 0 < len(flow.form.name) <= 100  # Qt counts UTF-16 units, emoji take two
    assert form.step == "contact"


@pytest.mark.parametrize("detour", ["help", "language"])
def test_visit_ends_after_thanks_even_through_a_detour(
    qtbot: QtBot, flow: MainWindow, detour: str
) -> None:
    """After the thank-you page, Help or Language still ends the visit: the next visitor
    never sees the reference code, and no hidden review card keeps the name."""
    from PySide6.QtWidgets import QLabel

    form = screen(flow)
    fill_to_review(form, "Gizli Önceki")
    with qtbot.waitSignal(form.submitted):
        form.next_button.click()
    assert not any("Gizli" in lab.text() for lab in flow.findChildren(QLabel))
    flow.navigate(Route(detour))
    assert flow.flow.step == "notice" and flow.flow.reference == "" and flow.form.is_empty()
    flow.navigate(Route("appointment"))
    assert screen(flow).step == "notice"


def test_failed_save_wipes_the_input(flow: MainWindow, store: AppointmentStore) -> None:
    """When the save fails, nothing the visitor typed stays in memory or on screen."""
    from PySide6.QtWidgets import QLabel

    form = screen(flow)
    fill_to_review(form, "Kayıtsız Kişi")
    store.db.execute("PRAGMA query_only = ON")
    form.next_button.click()
    store.db.execute("PRAGMA query_only = OFF")
    assert form.step == "failed" and flow.form.is_empty()
    assert all(not e.text() for e in flow.findChildren(QLineEdit))
    assert not any("Kayıtsız" in lab.text() for lab in flow.findChildren(QLabel))


def test_retention_failure_does_not_stop_the_kiosk(
    qtbot: QtBot, tmp_path: Path, content: Content, store: AppointmentStore
) -> None:
    """A locked database at start-up (IT running a command) is logged, not a crash."""
    import sqlite3

    store.db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(tmp_path / "kiosk.db")
    other.execute("BEGIN EXCLUSIVE")
    try:
        window = MainWindow(Settings(), content, ("en", "tr"), store)
        qtbot.addWidget(window)
    finally:
        other.rollback()
        other.close()
    assert window.route == HOME


def test_an_error_goes_as_soon_as_its_value_is_fixed(flow: MainWindow) -> None:
    """A message stays only while its problem does: fixing one field (or ticking one box)
    takes back that message alone; the summary goes with the last one."""
    form = screen(flow)
    form.next_button.click()
    form.next_button.click()  # no name
    assert form.errors["name"].isVisible() and form.message.text()
    type_keys(form, "A")
    assert form.errors["name"].isVisible()  # one letter is still not a name
    form.next_button.click()
    assert form.errors["name"].text().endswith(form._s.errors.name_too_short)
    type_keys(form, "l")
    assert not form.errors["name"].isVisible() and form.message.text() == ""
    form.show_step("consents")
    form.next_button.click()
    assert form.errors["notice_read"].isVisible() and form.errors["contact"].isVisible()
    form.consent_buttons["notice_read"].click()
    assert not form.errors["notice_read"].isVisible()
    assert form.errors["contact"].isVisible() and form.message.text()
    form.consent_buttons["contact"].click()
    assert not form.errors["contact"].isVisible() and form.message.text() == ""


def test_change_on_the_review_comes_back_to_the_review(flow: MainWindow) -> None:
    """ "Change" opens that step; Next (or Back) returns straight to the review, unless the
    change makes a later answer wrong, which is shown first."""
    form = screen(flow)
    fill_to_review(form, "Ali Veli")
    form.edit_buttons["name"].click()
    assert form.step == "name"
    type_keys(form, "k")
    form.next_button.click()
    assert form.step == "review"
    assert form.fields["name"].text() == "Ali Velik"
    form.edit_buttons["preferences"].click()
    form.back_button.click()
    assert form.step == "review"
    # A text message was chosen; the phone number taken away, an e-mail given instead.
    form.edit_buttons["contact"].click()
    form.fields["phone"].setText("")
    form.fields["email"].setText("ali@example.org")
    form.next_button.click()
    assert form.step == "preferences"
    assert form.errors["contact_method"].isVisible()
    choose(form, "method-option", "email")
    form.next_button.click()
    assert form.step == "review"


def test_names_get_their_capitals_as_typed(flow: MainWindow) -> None:
    """No shift taps for painful hands: each word of a name starts with a capital by itself,
    the Turkish way (i gives İ, ı gives I)."""
    form = screen(flow)
    form.next_button.click()
    kb = form.keyboard
    assert kb.layout_id == "tr" and kb.shifted
    for key in ["i", "p", "e", "k", "{space}", "ı", "ş", "ı", "k"]:
        kb.key_button(key).click()
    assert form.fields["name"].text() == "İpek Işık"
    assert not kb.shifted
    kb.key_button("{space}").click()
    assert kb.shifted
    kb.key_button("{shift}").click()  # the visitor may still say otherwise: "de", "van"
    kb.key_button("d").click()
    assert form.fields["name"].text() == "İpek Işık d"


@pytest.mark.parametrize("leave_by", ["nav-home", "nav-done"])
def test_leaving_a_started_form_asks_once(flow: MainWindow, leave_by: str) -> None:
    """Home or "I am done" in a form with something typed asks first: "Keep going" keeps
    every answer where it was; "Erase and leave" erases it and leaves. An empty form is
    left at once."""
    form = screen(flow)
    form.next_button.click()
    type_keys(form, "Ayla")
    flow.bar.buttons[leave_by].click()
    assert flow.leave.isVisible() and flow.route.name == "appointment"
    assert flow.form.name == "Ayla"
    flow.leave.keep_button.click()
    assert not flow.leave.isVisible()
    assert flow.current_screen() is form and form.step == "name"
    assert form.fields["name"].text() == "Ayla"
    flow.bar.buttons[leave_by].click()
    assert flow.leave.isVisible()
    flow.leave.discard_button.click()
    assert not flow.leave.isVisible() and flow.route == HOME
    assert flow.form.is_empty()
    flow.navigate(Route("appointment"))
    flow.bar.buttons[leave_by].click()  # nothing typed: nothing to ask
    assert not flow.leave.isVisible() and flow.route == HOME


def test_erase_and_leave_erases_also_from_a_form_opened_from_help(flow: MainWindow) -> None:
    """Help, then the form, typed, then Back out of it: "Erase and leave" erases (the way
    out is Help, a detour, which kept the form's data before); and Home from a detour asks
    too, while Back from the detour returns to the form without asking."""
    flow.go_home()
    flow.navigate(Route("help"))
    flow.navigate(Route("appointment"))
    form = screen(flow)
    form.next_button.click()
    type_keys(form, "Ali Veli")
    flow.navigate(Route("help"))  # a detour: the form waits
    flow.bar.buttons["nav-back"].click()
    assert not flow.leave.isVisible() and flow.route.name == "appointment"
    assert screen(flow).fields["name"].text() == "Ali Veli"
    flow.navigate(Route("help"))
    flow.bar.buttons["nav-home"].click()
    assert flow.leave.isVisible()
    flow.leave.keep_button.click()
    flow.bar.buttons["nav-back"].click()  # back to the form
    form = screen(flow)
    form.back_button.click()  # to the notice
    form.back_button.click()  # and out of the form, to Help
    assert flow.leave.isVisible()
    flow.leave.discard_button.click()
    assert flow.route.name == "help" and flow.form.is_empty()
    flow.navigate(Route("appointment"))
    assert screen(flow).fields["name"].text() == ""


def test_keep_going_gives_the_field_its_caret_back(qtbot: QtBot, flow: MainWindow) -> None:
    """After "Keep going" the name field has the focus again, and no bar button does."""
    with qtbot.waitActive(flow):
        flow.activateWindow()
    form = screen(flow)
    form.next_button.click()
    type_keys(form, "Ali")
    flow.bar.buttons["nav-home"].click()
    flow.leave.keep_button.click()
    assert form.fields["name"].hasFocus()
    assert not any(b.hasFocus() for b in flow.bar.buttons.values())


def test_a_topic_added_through_change_asks_its_consent(flow: MainWindow) -> None:
    """Change on the review, then a topic: the consents step comes before the review, since
    the topic is sent only with its consent; with no topic the consent is not listed."""
    form = screen(flow)
    fill_to_review(form, "Ali Veli")
    form.edit_buttons["preferences"].click()
    choose(form, "topic-option", "cell-research")
    form.next_button.click()
    assert form.step == "consents"
    assert form.consent_buttons["health_topic"].isVisibleTo(form)
    form.consent_buttons["health_topic"].click()
    form.next_button.click()
    assert form.step == "review"
    label = next(c.label for c in form._s.consents if c.id == "health_topic")
    texts = [lab.text() for lab in form.findChildren(QLabel) if lab.isVisibleTo(form)]
    assert any(label in t for t in texts)
    form.edit_buttons["preferences"].click()
    choose(form, "topic-option", "")
    form.next_button.click()
    assert form.step == "review"
    texts = [lab.text() for lab in form.findChildren(QLabel) if lab.isVisibleTo(form)]
    assert not any(label in t for t in texts)


def test_capitals_do_not_replace_the_keys(flow: MainWindow) -> None:
    """The automatic capital relabels the same keys (a held backspace keeps repeating across
    a word boundary), and a new layout starts a name with a capital too."""
    form = screen(flow)
    form.next_button.click()
    kb = form.keyboard
    before = list(kb.buttons)
    for key in ["a", "l", "i", "{space}", "v"]:
        kb.key_button(key).click()
    assert form.fields["name"].text() == "Ali V"
    assert kb.buttons == before
    for _ in range(5):
        kb.key_button("{backspace}").click()
    assert form.fields["name"].text() == "" and kb.shifted
    kb.key_button("{layout}").click()
    assert kb.shifted
