"""The desk console's window against a real PostgreSQL, driven as staff use it: signing in
(and choosing a passphrase), the list with its filters, search, marking with a note, undo,
two receptionists at once, export, the kiosks' health, a lost server, signing out."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pgserver import Central, PgServer
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kiosk import crypto
from kiosk.content import DeskStrings, load_desk_strings
from kiosk.fleet import accounts
from kiosk.fleet.desk import DeskExported
from kiosk.paths import bundled_content_dir
from kiosk.ui.desk.model import Names
from kiosk.ui.desk.window import DeskWindow

ONE_TIME = "482910375612"
OWN = "730518264903"
MARKER = "Selin Window-Marker-T4"
DESK_SIZE = (1366, 768)


@pytest.fixture(scope="module")
def strings() -> DeskStrings:
    return load_desk_strings(bundled_content_dir(), "en")[0]


@pytest.fixture
def fleet(central: Central, keypair: tuple[crypto.Sealer, crypto.Unlocked]) -> dict[str, list[str]]:
    sealer = keypair[0]
    return {
        "salon-1": central.deliver(sealer, "salon-1", "Main", [f"{MARKER} {i}" for i in range(3)]),
        "branch-1": central.deliver(sealer, "branch-1", "Branch", ["Branch 0", "Branch 1"]),
    }


@pytest.fixture
def make_window(
    qtbot: QtBot, central: Central, strings: DeskStrings, tmp_path: Path
) -> Iterator[Callable[..., DeskWindow]]:
    made: list[DeskWindow] = []

    def make(state: str = "desk.ini") -> DeskWindow:
        window = DeskWindow(
            central.desk_target(),
            strings,
            "Europe/Istanbul",
            names=Names(topics={"general": "General information about lupus"}),
            state_file=tmp_path / state,
            cost=crypto.MIN_COST,
        )
        qtbot.addWidget(window)
        window.resize(*DESK_SIZE)
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.sign_out("")
        window.runner.wait(10_000)


def sign_in(qtbot: QtBot, window: DeskWindow, account: str, phrase: str) -> None:
    window.account_field.setText(account)
    window.passphrase_field.setText(phrase)
    qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)


def signed_in(qtbot: QtBot, window: DeskWindow, account: str) -> None:
    """Sign in as ``account`` (its passphrase already chosen) and wait for the list."""
    with qtbot.waitSignal(window.list_ready, timeout=15_000):
        sign_in(qtbot, window, account, OWN)
    qtbot.waitUntil(lambda: window.model.cached_rows() == window.model.total, timeout=10_000)


@pytest.fixture
def staff(
    central: Central, keypair: tuple[crypto.Sealer, crypto.Unlocked]
) -> Callable[[str], None]:
    """An account whose owner has chosen their passphrase (OWN)."""
    from kiosk.fleet.desk import DeskSession

    def add(name: str) -> None:
        central.add_account(keypair[1], name, ONE_TIME)
        session = DeskSession.sign_in(central.desk_target(), name, ONE_TIME, cost=crypto.MIN_COST)
        session.set_passphrase(OWN, cost=crypto.MIN_COST)
        session.close()

    return add


def test_first_sign_in_asks_for_an_own_passphrase_then_shows_every_kiosks_requests(
    qtbot: QtBot,
    central: Central,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
    make_window: Callable[..., DeskWindow],
    fleet: dict[str, list[str]],
) -> None:
    central.add_account(keypair[1], "ayse", ONE_TIME)
    window = make_window()
    assert window.pages.currentWidget() is window.sign_in_page

    sign_in(qtbot, window, "ayse", "111111111111")
    qtbot.waitUntil(lambda: window.sign_in_button.isEnabled(), timeout=10_000)
    assert window.sign_in_message.text() == window.s.denied
    assert window.passphrase_field.text() == ""  # never left in the field

    sign_in(qtbot, window, "ayse", ONE_TIME)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.change_page, timeout=10_000)
    window.new_field.setText("123456789012")
    window.repeat_field.setText("123456789012")
    qtbot.mouseClick(window.save_passphrase, Qt.MouseButton.LeftButton)
    assert window.change_message.text() == window.s.weak_run
    assert window.pages.currentWidget() is window.change_page
    window.new_field.setText(OWN)
    window.repeat_field.setText(OWN)
    with qtbot.waitSignal(window.list_ready, timeout=15_000) as ready:
        qtbot.mouseClick(window.save_passphrase, Qt.MouseButton.LeftButton)
    assert ready.args == [5]
    assert window.pages.currentWidget() is window.work_page
    qtbot.waitUntil(lambda: window.model.cached_rows() == 5, timeout=10_000)
    names = {window.model.index(r, window.model.NAME).data() for r in range(5)}
    assert {f"{MARKER} {i}" for i in range(3)} <= names
    assert window.count_label.text() == "5 requests"
    assert window.account_name.text() == "ayse"
    # The filters offer every site and kiosk the server knows.
    assert [window.site_box.itemText(i) for i in range(window.site_box.count())] == [
        "All sites",
        "Branch",
        "Main",
    ]


def test_filters_and_search_narrow_the_list_on_the_server(
    qtbot: QtBot,
    staff: Callable[[str], None],
    make_window: Callable[..., DeskWindow],
    fleet: dict[str, list[str]],
) -> None:
    staff("burak")
    window = make_window()
    signed_in(qtbot, window, "burak")
    with qtbot.waitSignal(window.list_ready, timeout=10_000) as ready:
        window.site_box.setCurrentIndex(window.site_box.findData("Branch"))
    assert ready.args == [2]
    with qtbot.waitSignal(window.list_ready, timeout=10_000) as ready:
        window.status_box.setCurrentIndex(window.status_box.findData("contacted"))
    assert ready.args == [0]
    with qtbot.waitSignal(window.list_ready, timeout=10_000) as ready:
        window.clear_filters()
    assert ready.args == [5]
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    with qtbot.waitSignal(window.list_ready, timeout=10_000) as ready:
        window.from_date.setDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
    assert ready.args == [0]

    code = fleet["salon-1"][2]
    window.find_field.setText(code.lower())
    window.find_reference()
    qtbot.waitUntil(lambda: window.detail_title.text().startswith(code), timeout=10_000)
    assert f"{MARKER} 2" in window.detail_fields.text()
    window.find_field.setText("ZZZ-ZZZ")
    window.find_reference()
    qtbot.waitUntil(lambda: window.detail_title.text() == window.s.not_found, timeout=10_000)


def test_marking_with_a_note_then_undo_and_a_colleague_who_was_first(
    qtbot: QtBot,
    staff: Callable[[str], None],
    make_window: Callable[..., DeskWindow],
    fleet: dict[str, list[str]],
) -> None:
    staff("cem")
    staff("deniz")
    first, second = make_window("one.ini"), make_window("two.ini")
    signed_in(qtbot, first, "cem")
    signed_in(qtbot, second, "deniz")
    for window in (first, second):
        window.table.selectRow(0)
        qtbot.waitUntil(lambda w=window: w.mark_button.isEnabled())
    reference = first.model.row(0).reference
    assert second.model.row(0).reference == reference

    first.note_field.setPlainText("Called back; prefers mornings")
    qtbot.mouseClick(first.mark_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first.undo_button.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: first.model.row(0).status == "contacted", timeout=10_000)
    assert first.model.index(0, first.model.CHANGED_BY).data() == "cem"
    assert not first.mark_button.isEnabled() and first.unmark_button.isEnabled()

    # The colleague, on the list as it was, marks too: told who was first, nothing lost.
    second.note_field.setPlainText("Left a message")
    qtbot.mouseClick(second.mark_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: second.detail_message.isVisible(), timeout=10_000)
    assert "cem changed this request" in second.detail_message.text()
    qtbot.waitUntil(
        lambda: second.note_field.toPlainText() == "Called back; prefers mornings", timeout=10_000
    )

    with qtbot.waitSignal(first.undo_button.clicked):
        first.undo_button.click()
    qtbot.waitUntil(lambda: first.model.row(0).status == "new", timeout=10_000)
    assert first.note_field.toPlainText() == ""
    assert first.undo_button.isHidden()


def test_an_export_writes_the_filtered_list_with_sites_and_marks_it(
    qtbot: QtBot,
    staff: Callable[[str], None],
    make_window: Callable[..., DeskWindow],
    fleet: dict[str, list[str]],
    tmp_path: Path,
) -> None:
    from kiosk.ui.desk.export import export_to

    staff("emre")
    window = make_window()
    signed_in(qtbot, window, "emre")
    with qtbot.waitSignal(window.list_ready, timeout=10_000):
        window.site_box.setCurrentIndex(window.site_box.findData("Main"))
    folder = tmp_path / "exports"
    folder.mkdir()
    with qtbot.waitSignal(window.exported, timeout=20_000) as done:
        export_to(window, folder, "csv")
    result: DeskExported = done.args[0]
    assert result.count == 3 and result.path is not None and result.path.parent == folder
    with result.path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:6] == [
        "Reference",
        "Received (Europe/Istanbul)",
        "UTC offset",
        "Kiosk",
        "Site",
        "Name",
    ]
    assert {r[5] for r in rows[1:]} == {f"{MARKER} {i}" for i in range(3)}
    assert {(r[3], r[4]) for r in rows[1:]} == {("salon-1", "Main")}
    assert str(result.path) in window.export_message.text()
    qtbot.waitUntil(
        lambda: (
            window.model.cached_rows() == 3
            and {window.model.row(r).status for r in range(3)} == {"exported"}
        ),
        timeout=10_000,
    )
    with qtbot.waitSignal(window.exported, timeout=20_000) as done:
        window.status_box.setCurrentIndex(window.status_box.findData("new"))
        export_to(window, folder, "xlsx")
    assert done.args[0].reason == "empty"


def test_the_kiosks_tab_shows_which_kiosk_needs_a_look(
    qtbot: QtBot,
    central: Central,
    staff: Callable[[str], None],
    make_window: Callable[..., DeskWindow],
    fleet: dict[str, list[str]],
) -> None:
    staff("filiz")
    window = make_window()
    signed_in(qtbot, window, "filiz")
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.health_model.rowCount() == 2, timeout=10_000)
    # Neither kiosk sent a heartbeat: both "never connected", and highlighted.
    assert window.health_summary.text() == "2 of 2 kiosks need a look (highlighted)."
    index = window.health_model.index(0, window.health_model.STATUS)
    assert index.data() == "Never connected"
    assert index.data(Qt.ItemDataRole.BackgroundRole) is not None


def test_an_empty_list_asks_for_no_page(qtbot: QtBot, strings: DeskStrings) -> None:
    """An empty list (a filter that finds nothing) painted, or asked for a row it does not
    have: no page is wanted (a page -1 was asked for once, and refused by the server)."""
    import datetime as dt

    from kiosk.ui.desk.model import DeskRequestsModel

    model = DeskRequestsModel(strings, dt.UTC, page_rows=10)
    model.start(0)
    with qtbot.assertNotEmitted(model.page_wanted):
        assert model.data(model.index(0, 0)) is None
        assert model.data(model.index(-1, 0)) is None
    model.start(25)
    with qtbot.waitSignal(model.page_wanted) as wanted:
        assert model.data(model.index(24, 0)) == "…"
    assert wanted.args == [2]


def test_a_kiosk_whose_content_update_needs_it_stands_out(strings: DeskStrings) -> None:
    """From the heartbeat (fleet_health's "update"): a refused update shows its code, a
    repository about to run out of signatures the day it does."""
    import datetime as dt

    from kiosk.fleet.server import KioskHealth
    from kiosk.ui.desk.health import HealthModel

    seen = dt.datetime.now(dt.UTC)
    expires = seen + dt.timedelta(days=1)
    rows = [
        KioskHealth("k-1", "Main", "update", seen, 0.0, "1.0", "c-1", 0, 0, "", None,
                    "expired", None),
        KioskHealth("k-2", "Main", "update", seen, 0.0, "1.0", "c-1", 0, 0, "", None,
                    "current", expires),
        KioskHealth("k-3", "Main", "ok", seen, 0.0, "1.0", "c-2", 0, 0, "", None,
                    "updated", expires + dt.timedelta(days=5)),
    ]  # fmt: skip
    model = HealthModel(strings, dt.UTC)
    model.set_rows(rows)
    texts = [model.index(n, model.STATUS).data() for n in range(3)]
    assert texts == [
        f"{strings.health_update} (expired)",
        f"{strings.health_update} ({expires:%Y-%m-%d})",
        strings.health_ok,
    ]
    assert model.summary() == strings.health_attention.format(count=3, attention=2)


def test_a_lost_server_is_said_plainly_and_the_list_comes_back(
    qtbot: QtBot,
    pg: PgServer,
    staff: Callable[[str], None],
    make_window: Callable[..., DeskWindow],
    fleet: dict[str, list[str]],
) -> None:
    staff("gul")
    window = make_window()
    signed_in(qtbot, window, "gul")
    window.retry_timer.setInterval(200)
    pg.stop()
    try:
        window.reload()
        qtbot.waitUntil(lambda: "cannot be reached" in window.connection.text(), timeout=20_000)
        assert window.session is not None  # still signed in: nothing to type again
    finally:
        pg.start()
    with qtbot.waitSignal(window.list_ready, timeout=20_000) as ready:
        pass
    assert ready.args == [5]
    assert window.connection.text().startswith("Connected to")


def test_signing_out_empties_every_field_and_a_disabled_account_is_put_out(
    qtbot: QtBot,
    central: Central,
    staff: Callable[[str], None],
    make_window: Callable[..., DeskWindow],
    fleet: dict[str, list[str]],
) -> None:
    staff("hale")
    window = make_window()
    signed_in(qtbot, window, "hale")
    window.table.selectRow(0)
    qtbot.waitUntil(lambda: window.mark_button.isEnabled())
    window.note_field.setPlainText("draft note")
    session = window.session
    assert session is not None
    window.sign_out("")
    assert window.pages.currentWidget() is window.sign_in_page
    assert window.model.rowCount() == 0 and window.model.cached_rows() == 0
    assert window.note_field.toPlainText() == "" and window.detail_fields.text() == ""
    qtbot.waitUntil(lambda: not session.open, timeout=10_000)  # its key wiped

    signed_in(qtbot, window, "hale")
    accounts.set_active(central.admin_dsn, "hale", False)
    window.reload()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.sign_in_page, timeout=10_000)
    assert window.sign_in_message.text() == window.s.disabled


def test_the_window_keeps_its_size_and_columns_but_nothing_else(
    qtbot: QtBot,
    staff: Callable[[str], None],
    make_window: Callable[..., DeskWindow],
    fleet: dict[str, list[str]],
    tmp_path: Path,
) -> None:
    staff("ilker")
    window = make_window("kept.ini")
    signed_in(qtbot, window, "ilker")
    window.table.horizontalHeader().resizeSection(window.model.NAME, 321)
    window.close()
    kept = (tmp_path / "kept.ini").read_bytes()
    assert MARKER.encode() not in kept and b"ilker" not in kept
    again = make_window("kept.ini")
    assert again.table.horizontalHeader().sectionSize(again.model.NAME) == 321


def test_a_topic_is_found_on_the_desk_and_exported_as_found(
    qtbot: QtBot,
    central: Central,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
    staff: Callable[[str], None],
    make_window: Callable[..., DeskWindow],
    fleet: dict[str, list[str]],
    tmp_path: Path,
) -> None:
    """The topic is sealed: the server cannot filter by it. The desk reads the list the other
    filters make, opens it, and keeps that topic's requests (patients who agreed it be kept)."""
    from kiosk.ui.desk.export import export_to

    consents = {"notice_read": True, "contact": True, "health_topic": True}
    wanted = central.deliver(
        keypair[0], "salon-9", "Main", ["Topic One", "Topic Two"], topic="general",
        consents=consents,
    )  # fmt: skip
    staff("kaan")
    window = make_window()
    signed_in(qtbot, window, "kaan")
    assert window.model.total == 7
    with qtbot.waitSignal(window.list_ready, timeout=20_000) as ready:
        window.topic_box.setCurrentIndex(window.topic_box.findData("general"))
    assert ready.args == [2]
    assert {window.model.row(i).reference for i in range(2)} == set(wanted)
    assert "2 found in 7 requests read" in window.count_label.text()
    folder = tmp_path / "topic"
    folder.mkdir()
    with qtbot.waitSignal(window.exported, timeout=20_000) as done:
        export_to(window, folder, "csv")
    assert done.args[0].count == 2
    with done.args[0].path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert sorted(r[5] for r in rows[1:]) == ["Topic One", "Topic Two"]


def test_nothing_of_a_session_comes_back_after_signing_out(
    qtbot: QtBot,
    central: Central,
    staff: Callable[[str], None],
    make_window: Callable[..., DeskWindow],
    fleet: dict[str, list[str]],
) -> None:
    """A search or a mark still on its way when staff sign out lands nowhere; copied text,
    a field's undo history and an open question go with the session."""
    staff("lale")
    staff("mert")
    window = make_window()
    signed_in(qtbot, window, "lale")
    window.find_field.setText(fleet["salon-1"][0])
    QApplication.clipboard().setText(f"{MARKER} 0")
    window.find_reference()  # on the worker now
    window.sign_out("")
    window.runner.wait(10_000)
    qtbot.wait(50)  # (the queued result, had it been shown, would be by now)
    assert window.model.rowCount() == 0 and window.detail_fields.text() == ""
    window.find_field.undo()
    assert window.find_field.text() == ""
    assert QApplication.clipboard().text() == ""

    # A mark on its way at sign-out: the next person gets no Undo of it.
    signed_in(qtbot, window, "lale")
    window.table.selectRow(0)
    qtbot.waitUntil(lambda: window.mark_button.isEnabled())
    window.mark("contacted")
    window.sign_out("")
    window.runner.wait(10_000)
    signed_in(qtbot, window, "mert")
    assert window.undo_button.isHidden()
    window.undo()
    window.runner.wait(10_000)
    marks = central.query("SELECT account FROM fleet.audit WHERE event = 'marked'")
    assert all(account == "lale" for (account,) in marks)

    # A question left open: closed at sign-out, and nothing deleted.
    window.table.selectRow(0)
    qtbot.waitUntil(lambda: window.delete_button.isEnabled())
    window.confirm_delete()
    box = window._delete_box
    assert box is not None and box.isVisible()
    window.sign_out("")
    assert not box.isVisible()
    window.runner.wait(10_000)
    assert central.query("SELECT count(*) FROM fleet.destruction") == [(0,)]


def test_an_export_of_what_a_search_found_writes_that_alone(
    qtbot: QtBot,
    staff: Callable[[str], None],
    make_window: Callable[..., DeskWindow],
    fleet: dict[str, list[str]],
    tmp_path: Path,
) -> None:
    from kiosk.ui.desk.export import export_to

    staff("nil")
    window = make_window()
    signed_in(qtbot, window, "nil")
    code = fleet["branch-1"][1]
    window.find_field.setText(code)
    window.find_reference()
    qtbot.waitUntil(lambda: window.detail_title.text().startswith(code), timeout=10_000)
    with qtbot.waitSignal(window.exported, timeout=20_000) as done:
        export_to(window, tmp_path, "csv")
    assert done.args[0].count == 1
    with done.args[0].path.open(encoding="utf-8-sig", newline="") as handle:
        assert [r[0] for r in list(csv.reader(handle))[1:]] == [code]


def test_a_weak_passphrase_is_refused_in_the_consoles_language(
    qtbot: QtBot,
    central: Central,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
) -> None:
    """Turkish staff read why in Turkish (the reason is a key, each language words it)."""
    strings = load_desk_strings(bundled_content_dir(), "tr")[0]
    central.add_account(keypair[1], "oya", ONE_TIME)
    window = DeskWindow(central.desk_target(), strings, "Europe/Istanbul", cost=crypto.MIN_COST)
    qtbot.addWidget(window)
    window.show()
    sign_in(qtbot, window, "oya", ONE_TIME)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.change_page, timeout=10_000)
    for typed, shown in (("012345678901", strings.weak_run), ("905321234567", strings.weak_mobile)):
        window.new_field.setText(typed)
        window.repeat_field.setText(typed)
        window.change_passphrase()
        assert window.change_message.text() == shown
    assert "rastgele" in strings.weak_run
    window.sign_out("")
    window.runner.wait(10_000)


def test_left_unused_the_console_signs_out_and_says_why(
    qtbot: QtBot,
    staff: Callable[[str], None],
    make_window: Callable[..., DeskWindow],
    fleet: dict[str, list[str]],
) -> None:
    staff("pinar")
    window = make_window()
    signed_in(qtbot, window, "pinar")
    window._idle.setInterval(300)  # (10 minutes in use)
    window._poke()
    with qtbot.waitSignal(window.signed_out, timeout=5_000) as out:
        pass
    assert out.args == ["You were signed out after 10 minutes without use."]
    assert window.sign_in_message.text() == out.args[0]
    assert window.model.rowCount() == 0
