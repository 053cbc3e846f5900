"""Staff mode: the hidden gesture, the passcode pad, the request table, export, locking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from kiosk import crypto
from kiosk.config import Settings
from kiosk.content import Content
from kiosk.demo import fill_demo
from kiosk.staff import StaffAuth
from kiosk.store import AppointmentStore, open_database
from kiosk.times import clinic_today, day_start
from kiosk.ui.drives import Destination
from kiosk.ui.main_window import HOME, MainWindow
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.screens.staff import StaffScreen
from kiosk.ui.screens.staff_login import StaffLoginScreen
from kiosk.ui.widgets.requests_model import RequestsTableModel

from testkit import Clock
from uihelpers import LANDSCAPE, settle

PASSCODE = "482913"


@pytest.fixture
def store(settings: Settings, keys_file: Path) -> AppointmentStore:
    """The kiosk's store: it holds the public key only, so it is locked until staff log in."""
    s = AppointmentStore(
        open_database(settings.database_path()), sealer=crypto.load_sealer(keys_file)
    )
    fill_demo(s, 8)
    return s


@pytest.fixture
def stick(tmp_path: Path) -> Path:
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


@pytest.fixture
def desk(
    qtbot: QtBot, settings: Settings, content: Content, store: AppointmentStore, stick: Path
) -> MainWindow:
    """The kiosk with keys (passcode PASSCODE) and one USB stick present, on Home."""
    window = MainWindow(
        settings,
        content,
        ("en", "tr"),
        store,
        drives=lambda: [Destination("usb", "STICK", stick)],
    )
    qtbot.addWidget(window)
    window.resize(*LANDSCAPE)
    window.show()
    return window


def gesture(window: MainWindow, times: list[float]) -> None:
    home = window.current_screen()
    assert isinstance(home, HomeScreen)
    for t in times:
        home.tap_logo(t)


def login(window: MainWindow, code: str = PASSCODE) -> None:
    gesture(window, [0, 0.5, 1, 1.5, 2])
    pad = window.current_screen()
    assert isinstance(pad, StaffLoginScreen)
    for digit in code:
        pad.digit_buttons[digit].click()
    pad.press("open")


def staff(window: MainWindow) -> StaffScreen:
    screen = window.current_screen()
    assert isinstance(screen, StaffScreen)
    return screen


def test_gesture_needs_five_quick_taps(desk: MainWindow) -> None:
    """Four taps, or five spread over more than three seconds, open nothing."""
    gesture(desk, [0, 0.5, 1, 1.5])
    assert desk.route == HOME
    gesture(desk, [10, 11, 12, 13.5, 14.2])
    assert desk.route == HOME
    gesture(desk, [20, 20.4, 20.8, 21.2, 21.6])
    assert desk.route.name == "staff-login"


def test_real_clicks_on_the_logo_open_the_pad(qtbot: QtBot, desk: MainWindow) -> None:
    """The gesture works with real mouse presses on the logo."""

    home = desk.current_screen()
    for _ in range(5):
        qtbot.mouseClick(home.logo, Qt.MouseButton.LeftButton)
    assert desk.route.name == "staff-login"


def test_not_configured_says_only_that(
    qtbot: QtBot, tmp_path: Path, content: Content, store: AppointmentStore
) -> None:
    """Before keys (and so a passcode) exist, the gesture shows one sentence and no pad."""
    elsewhere = Settings(db_path=str(tmp_path / "no-keys" / "kiosk.db"))
    window = MainWindow(elsewhere, content, ("en", "tr"), store)
    qtbot.addWidget(window)
    gesture(window, [0, 0.1, 0.2, 0.3, 0.4])
    pad = window.current_screen()
    assert isinstance(pad, StaffLoginScreen)
    assert not pad.configured and pad.digit_buttons == {}
    assert pad.message.text() == content.languages["en"].staff.not_configured


def test_wrong_then_right_passcode(desk: MainWindow) -> None:
    """A wrong code says so and stays; the right one opens the staff screen, masked entry."""
    login(desk, "111111")
    pad = desk.current_screen()
    assert isinstance(pad, StaffLoginScreen)
    assert pad.message.text() == "Wrong passcode. Tries left before the pad locks: 4."
    pad.digit_buttons["4"].click()
    assert pad.display.text() == "●"
    pad.press("clear")
    for digit in PASSCODE:
        pad.digit_buttons[digit].click()
    pad.press("open")
    assert desk.staff_unlocked and desk.route.name == "staff"


def test_the_pad_takes_the_longest_passcode(desk: MainWindow, keys_file: Path) -> None:
    """A passcode may have up to 16 digits (issue 19): the pad takes all 16, ignores a
    17th, and opens with them."""
    key = crypto.unlock(keys_file, PASSCODE)
    assert key is not None
    longest = "4829137051862739"
    crypto.change_passcode(keys_file, key, longest)
    gesture(desk, [0, 0.5, 1, 1.5, 2])
    pad = desk.current_screen()
    assert isinstance(pad, StaffLoginScreen)
    for digit in longest + "1":
        pad.digit_buttons[digit].click()
    assert pad.display.text() == "●●●● ●●●● ●●●● ●●●●"
    pad.press("open")
    assert desk.staff_unlocked and desk.route.name == "staff"


def test_lockout_shown_on_the_pad(desk: MainWindow) -> None:
    """Five wrong codes lock the pad, with the wait shown."""
    for _ in range(5):
        desk.go_home()
        login(desk, "000000")
    assert "You can try again in 1:00." in desk.current_screen().message.text()
    desk.go_home()
    login(desk, PASSCODE)  # even the right code waits: guessing gains nothing
    assert not desk.staff_unlocked and "try again in" in desk.current_screen().message.text()


def test_staff_screen_passes_problems_on_to_it(
    desk: MainWindow, settings: Settings, content: Content
) -> None:
    """A damaged database that was set aside is named on the staff screen (in the staff
    language), so the front desk can tell IT; nothing about it is hidden."""
    aside = settings.database_path().with_name("kiosk.corrupt-20261120T081500Z.db")
    aside.write_bytes(b"damaged")
    login(desk)
    screen = desk.current_screen()
    assert isinstance(screen, StaffScreen)
    text = " ".join(lab.text() for lab in screen.warning_box.findChildren(QLabel))
    assert aside.name in text
    expected = content.languages["en"].staff.database_set_aside.format(file=aside.name)
    assert expected in text


def test_staff_screen_says_when_a_content_update_was_refused(
    desk: MainWindow, content: Content
) -> None:
    """The running kiosk's last update check was refused: staff read it in their language,
    with its code for IT; a check that went through says nothing."""
    from kiosk.updates.client import Checked

    desk.updates.last = Checked("2026-12-07T09:00:00+00:00", "expired", "the stick is too old")
    login(desk)
    text = " ".join(lab.text() for lab in staff(desk).warning_box.findChildren(QLabel))
    assert content.languages["en"].staff.update_warning.format(reason="expired") in text
    desk.lock_staff()
    desk.updates.last = Checked("2026-12-07T09:15:00+00:00", "current", "the newest")
    login(desk)
    box = staff(desk).warning_box
    shown = " ".join(lab.text() for lab in box.findChildren(QLabel)) if box else ""
    assert "content update" not in shown


def test_staff_login_unlocks_only_for_the_session(
    desk: MainWindow, store: AppointmentStore
) -> None:
    """Logging in opens the sealed requests; locking forgets the key again."""
    assert not store.is_unlocked and store.list_requests()[0].locked
    login(desk)
    assert store.is_unlocked and not store.list_requests()[0].locked
    desk.lock_staff()
    assert not store.is_unlocked and store.list_requests()[0].locked


def test_requests_model(qtmodeltester, desk: MainWindow) -> None:
    """The table model passes Qt's model tester, filtered and sorted too."""
    login(desk)
    screen = staff(desk)
    assert screen.model.rowCount() == 8
    qtmodeltester.check(screen.model)
    screen.status_buttons["new"].click()
    screen.table.sortByColumn(RequestsTableModel.REFERENCE, Qt.SortOrder.AscendingOrder)
    qtmodeltester.check(screen.model)


def test_filter_by_status_and_date(desk: MainWindow, store: AppointmentStore) -> None:
    """Filtering by status and by period changes what the table shows; counts per status."""
    login(desk)
    screen = staff(desk)
    assert screen.counts.text() == "8 new · 0 exported · 0 contacted"
    screen.status_buttons["contacted"].click()
    assert screen.model.rowCount() == 0
    screen.status_buttons["all"].click()
    screen.period_buttons["week"].click()
    # "Last 7 days" as the export counts them: from that day (UTC) on.
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=7)).date()
    recent = [r for r in store.list_requests() if r.created_at.date() >= since]
    assert screen.model.rowCount() == len(recent)


def test_open_mark_and_delete(desk: MainWindow, store: AppointmentStore) -> None:
    """Open shows a request whole; mark contacted; delete only after confirming."""
    login(desk)
    screen = staff(desk)
    screen.open_selected()
    assert screen.action_message.text() == "Tap a request in the list first."
    screen.select_row(0)
    reference = screen.model.request(0).reference
    screen.open_selected()
    assert reference in screen.detail.text()
    screen.mark_contacted()
    assert store.get(reference).status == "contacted"
    row = next(
        i for i in range(screen.model.rowCount()) if screen.model.request(i).reference == reference
    )
    screen.select_row(row)
    screen.findChild(type(screen.lock_button), "staff-delete").click()
    assert store.get(reference) is not None and screen.delete_row.isVisible()
    screen.findChild(type(screen.lock_button), "staff-delete-confirm").click()
    assert store.get(reference) is None
    assert store.destruction_log()[0]["count"] == 1


def test_lock_and_idle_return_home(qtbot: QtBot, desk: MainWindow) -> None:
    """Lock signs out; so does two minutes (here: a short interval) without a touch."""
    login(desk)
    staff(desk).lock_button.click()
    assert desk.route == HOME and not desk.staff_unlocked
    login(desk)
    assert desk.visit.staff_timer.isActive()
    desk.visit.staff_timer.setInterval(50)
    desk.visit.staff_timer.start()
    qtbot.waitUntil(lambda: desk.route == HOME, timeout=2000)
    assert not desk.staff_unlocked


def test_staff_screen_needs_the_passcode(desk: MainWindow) -> None:
    """Navigating to the staff route directly shows Home instead."""
    from kiosk.ui.main_window import Route

    desk.navigate(Route("staff"))
    assert desk.route == HOME


def test_exit_kiosk_is_confirmed(qtbot: QtBot, desk: MainWindow) -> None:
    """Exit kiosk asks first; confirming emits exit_requested."""
    login(desk)
    screen = staff(desk)
    with qtbot.assertNotEmitted(desk.exit_requested):
        screen.exit_button.click()
    assert screen.exit_row.isVisible()
    with qtbot.waitSignal(desk.exit_requested):
        screen.findChild(type(screen.lock_button), "staff-exit-confirm").click()


def test_table_columns(desk: MainWindow) -> None:
    """Reference, received, name, contact, language, preferred time, status."""
    login(desk)
    model = staff(desk).model

    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == [
        "Reference",
        "Received",
        "Name",
        "Contact",
        "Language",
        "Preferred time",
        "Status",
    ]
    assert RequestsTableModel.STATUS == 6
    settle()


def test_export_since_a_chosen_date(
    desk: MainWindow, store: AppointmentStore, stick: Path, settings: Settings
) -> None:
    """ "Since a date" exports the requests received from the chosen day until now."""

    login(desk)
    screen = staff(desk)
    screen.tab_buttons["export"].click()
    screen.demo_button.click()  # this desk holds demo requests only
    screen.which_buttons["since"].click()
    assert screen.since_row.isVisible()
    for _ in range(3):
        screen.findChild(type(screen.lock_button), "staff-since-earlier").click()
    since = screen.since_date
    zone = settings.zone()
    assert since == clinic_today(zone) - dt.timedelta(days=10)  # the clinic's days
    assert since.isoformat() in screen.since_text.text()
    expected = [r for r in store.list_requests() if r.created_at >= day_start(since, zone)]
    assert f"Save {len(expected)} requests" == screen.export_button.text()
    for _ in range(30):
        screen.findChild(type(screen.lock_button), "staff-since-later").click()
    assert screen.since_date == clinic_today(zone)  # never past today


def test_lock_leaves_no_patient_data_in_widgets(desk: MainWindow) -> None:
    """After Lock, no widget (not even the screen awaiting deletion) shows a name."""
    from PySide6.QtWidgets import QLabel

    login(desk)
    screen = staff(desk)
    screen.select_row(0)
    name = screen.model.request(0).personal["name"]
    screen.open_selected()
    assert name in screen.detail.text()
    screen.lock_button.click()
    assert screen.model.rowCount() == 0
    assert not any(name in lab.text() for lab in desk.findChildren(QLabel))


def test_the_running_kiosk_keeps_requests_nobody_exported(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    make_store: Callable[..., AppointmentStore],
) -> None:
    """Retention at start-up, on requests 45 to 73 days old: the exported one goes
    (retention_days 30), the one nobody exported stays (it goes at unexported_max_days)."""
    writer = make_store()
    fill_demo(writer, 2, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=45 + 28))
    writer.db.execute("UPDATE requests SET is_demo = 0")  # as patients' requests
    writer.db.conn.commit()
    exported, unexported = writer.list_requests()
    writer.set_status([exported.id], "exported", "test")
    store = make_store()
    window = MainWindow(settings, content, ("en", "tr"), store)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: not window.jobs.runner.busy())  # retention runs off the GUI thread
    assert [r.reference for r in store.list_requests()] == [unexported.reference]


def test_staff_screen_says_which_requests_retention_deletes_soon(
    desk: MainWindow, store: AppointmentStore, content: Content, settings: Settings
) -> None:
    """A request nobody exported, five days from its hard limit (90 days): the notice box
    says how many and on which day (the clinic's), and asks to export them now."""
    from kiosk.demo import demo_requests
    from kiosk.times import clinic_time
    from kiosk.ui.context import format_date

    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=85)
    writer = AppointmentStore(store.db, clock=lambda: when, sealer=store.sealer)
    writer.add_request(
        demo_requests(1)[0],
        kiosk_id="k",
        content_version="v",
        consent_versions={},
        notice_version="n",
    )
    login(desk)
    screen = staff(desk)
    text = " ".join(lab.text() for lab in screen.warning_box.findChildren(QLabel))
    lang = content.languages["en"]
    day = format_date(lang, clinic_time(when + dt.timedelta(days=90), settings.zone()).date())
    assert lang.staff.unexported_warning.format(count=1, date=day) in text
    assert "Requests never exported: 1." in text and "Export them now" in text


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pad(
    qtbot: QtBot, desk: MainWindow, store: AppointmentStore, settings: Settings, clock: Clock
) -> StaffLoginScreen:
    """The passcode pad on its own, its lockout read through a clock the test moves."""
    auth = StaffAuth(store, settings.keys_path(), clock=clock)
    screen = StaffLoginScreen(desk.context(), auth)
    qtbot.addWidget(screen)
    screen.show()
    return screen


def enter(pad: StaffLoginScreen, code: str) -> None:
    for digit in code:
        pad.digit_buttons[digit].click()
    pad.press("open")


def test_the_lock_counts_down_each_second(
    qtbot: QtBot, pad: StaffLoginScreen, clock: Clock, content: Content
) -> None:
    """Locked, the message shows the wait left and updates it every second, from the
    stored lock time; when the lock ends it says the staff can try again."""
    s = content.languages["en"].staff
    for _ in range(5):
        enter(pad, "000000")
    assert pad.message.text() == "Too many wrong attempts. You can try again in 1:00."
    assert pad.countdown.isActive() and pad.countdown.interval() == 1000
    clock.advance(1)
    qtbot.waitUntil(lambda: pad.message.text().endswith("try again in 0:59."))
    clock.advance(58)
    qtbot.waitUntil(lambda: pad.message.text().endswith("try again in 0:01."))
    clock.advance(1)
    qtbot.waitUntil(lambda: pad.message.text() == s.lock_over)
    assert not pad.countdown.isActive()
    enter(pad, "0")  # the pad stayed usable all along
    assert pad.message.text() == f"{s.wrong} {s.tries_left.format(tries=1)}"


def test_an_open_pad_shows_a_lock_set_elsewhere(
    qtbot: QtBot,
    pad: StaffLoginScreen,
    store: AppointmentStore,
    settings: Settings,
    clock: Clock,
) -> None:
    """Guesses on the command line lock the pad too: shown again, the pad counts down the
    real time left, and stops counting while hidden."""
    pad.hide()
    elsewhere = StaffAuth(store, settings.keys_path(), clock=clock)
    for _ in range(5):
        elsewhere.attempt("000000")
    clock.advance(20)
    pad.show()
    assert pad.message.text().endswith("try again in 0:40.") and pad.countdown.isActive()
    pad.hide()
    assert not pad.countdown.isActive()


def test_the_countdown_in_turkish(
    qtbot: QtBot, desk: MainWindow, store: AppointmentStore, settings: Settings, clock: Clock
) -> None:
    """Every language has the countdown, the end of the lock and the tries left."""
    desk.set_language("tr")
    auth = StaffAuth(store, settings.keys_path(), clock=clock)
    pad = StaffLoginScreen(desk.context(), auth)
    qtbot.addWidget(pad)
    pad.show()
    enter(pad, "000000")
    assert pad.message.text() == "Şifre yanlış. Ekran kilitlenmeden önce kalan deneme hakkı: 4."
    for _ in range(4):
        enter(pad, "000000")
    assert pad.message.text().endswith("kalan süre: 1:00.")
    clock.advance(60)
    qtbot.waitUntil(lambda: pad.message.text() == "Şimdi yeniden deneyebilirsiniz.")


def test_it_lifting_the_lock_ends_the_countdown_at_once(
    qtbot: QtBot,
    desk: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A locked pad on the running kiosk: `kiosk keys unlock` with the recovery key ends the
    lock, and the pad says so within a second, without a restart."""
    import io

    from kiosk.cli import main

    db = tmp_path / "it" / "kiosk.db"
    keys = db.parent / "kiosk-keys.json"
    recovery = crypto.init_keys(keys, PASSCODE, crypto.MIN_COST)
    auth = StaffAuth(AppointmentStore(open_database(db)), keys)
    pad = StaffLoginScreen(desk.context(), auth)
    qtbot.addWidget(pad)
    pad.show()
    for _ in range(5):
        enter(pad, "000000")
    assert pad.countdown.isActive()
    monkeypatch.setattr("sys.stdin", io.StringIO(recovery + "\n"))
    assert main(["keys", "unlock", "--passcode-stdin", "--db", str(db)]) == 0
    qtbot.waitUntil(lambda: pad.message.text() == "You can try again now.")
    enter(pad, PASSCODE)
    assert pad.message.text() == ""


def test_with_central_delivery_staff_are_told_where_requests_go(
    desk: MainWindow, store: AppointmentStore, content: Content
) -> None:
    """Delivered requests leave the list: the notice box says where they go and how many
    wait, and asks staff to export what the central system refused (only they can)."""
    from testkit import save_patient

    store.deliver = True  # as `kiosk run` opens it with [fleet] (no server needed here)
    save_patient(store, "Bekleyen Hasta")
    save_patient(store, "Reddedilen Hasta")
    [(refused,), _] = store.db.execute("SELECT request_uuid FROM outbox ORDER BY rowid").fetchall()
    store.outbox.settle({refused: "conflict"})
    login(desk)
    screen = staff(desk)
    assert screen.warning_box is not None
    text = " ".join(lab.text() for lab in screen.warning_box.findChildren(QLabel))
    s = content.languages["en"].staff
    assert s.fleet_note is not None and s.fleet_quarantined is not None
    assert s.fleet_note.format(pending=1) in text
    assert s.fleet_quarantined.format(count=1) in text


def test_without_central_delivery_staff_see_no_delivery_note(desk: MainWindow) -> None:
    login(desk)
    box = staff(desk).warning_box
    text = " ".join(lab.text() for lab in box.findChildren(QLabel)) if box else ""
    assert "central system" not in text
