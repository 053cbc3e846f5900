"""The Export page as the front desk meets it: a stick pulled or put in while it is open,
two destinations, removing only after a question, demo requests left out, clear reasons."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk import crypto
from kiosk.config import Settings
from kiosk.content import Content
from kiosk.demo import fill_demo
from kiosk.store import AppointmentStore, open_database
from kiosk.ui.drives import Destination, device_of
from kiosk.ui.main_window import MainWindow
from kiosk.ui.screens.staff import StaffScreen
from kiosk.ui.screens.staff_login import StaffLoginScreen

from testkit import save_patient, stand_in_stick
from uihelpers import settle

PASSCODE = "482913"
SHM = Path("/dev/shm")


@pytest.fixture
def store(settings: Settings, keys_file: Path) -> AppointmentStore:
    """Three patients' requests and two demo ones; locked until staff sign in."""
    s = AppointmentStore(
        open_database(settings.database_path()), sealer=crypto.load_sealer(keys_file)
    )
    fill_demo(s, 2)
    for name in ("Ayşe Yılmaz", "Mehmet Demir", "Elif Kaya"):
        save_patient(s, name)
    return s


@pytest.fixture
def stick(tmp_path: Path) -> Iterator[Path]:
    """A folder on another filesystem than the kiosk's data (a stick, as far as the drive
    check can tell): /dev/shm, a memory filesystem every Linux has."""
    if not SHM.is_dir() or device_of(SHM) == device_of(tmp_path):
        pytest.skip("needs /dev/shm on a filesystem of its own")
    folder = Path(tempfile.mkdtemp(prefix="kiosk-stick-", dir=SHM))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def other_stick(stick: Path) -> Iterator[Path]:
    """A second stand-in stick beside ``stick``."""
    folder = Path(tempfile.mkdtemp(prefix="kiosk-stick2-", dir=SHM))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


class Drives:
    """The sticks the kiosk sees: a test puts them in and pulls them out."""

    def __init__(self, *sticks: Destination) -> None:
        self.sticks = list(sticks)

    def __call__(self) -> list[Destination]:
        return list(self.sticks)


def usb(path: Path, name: str = "STICK") -> Destination:
    return Destination("usb", name, path, device_of(path))


def _desk(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    store: AppointmentStore,
    drives: Drives,
    size: tuple[int, int] = (1920, 1080),
    window: MainWindow | None = None,
) -> StaffScreen:
    if window is None:
        window = MainWindow(settings, content, ("en", "tr"), store, drives=drives)
        qtbot.addWidget(window)
        window.resize(*size)
        window.show()
    home = window.current_screen()
    for t in (0, 0.5, 1, 1.5, 2):
        home.tap_logo(t)  # type: ignore[attr-defined]
    pad = window.current_screen()
    assert isinstance(pad, StaffLoginScreen)
    for digit in PASSCODE:
        pad.digit_buttons[digit].click()
    pad.press("open")
    screen = window.current_screen()
    assert isinstance(screen, StaffScreen)
    screen.tab_buttons["export"].click()
    settle()
    return screen


def _save(qtbot: QtBot, screen: StaffScreen) -> None:
    """Tap Save and wait for the result: the file is written off the GUI thread."""
    with qtbot.waitSignal(screen.export_finished, timeout=20_000):
        screen.export_button.click()


def _statuses(store: AppointmentStore) -> dict[str, int]:
    tally: dict[str, int] = {}
    for r in store.list_requests():
        if not r.is_demo:
            tally[r.status] = tally.get(r.status, 0) + 1
    return tally


def _on_screen(screen: StaffScreen, widget: object) -> bool:
    """Shown, and inside the window (not scrolled or pushed below its bottom edge)."""
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QWidget

    assert isinstance(widget, QWidget)
    if not widget.isVisible() or widget.visibleRegion().isEmpty():
        return False
    window = screen.window()
    box = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
    return window.rect().contains(box)


def test_save_then_remove_after_a_question(
    qtbot: QtBot, settings: Settings, content: Content, store: AppointmentStore, stick: Path
) -> None:
    """Two taps save the patients' requests (demo ones stay out); removing them asks first,
    naming how many and the file they stay in."""
    screen = _desk(qtbot, settings, content, store, Drives(usb(stick)))
    assert screen.export_button.isEnabled() and "3" in screen.export_button.text()
    assert screen.demo_button.isVisible() and "2 demo" in screen.demo_button.text()
    with qtbot.waitSignal(screen.export_finished, timeout=20_000):
        qtbot.mouseClick(screen.export_button, Qt.MouseButton.LeftButton)
    files = list(stick.glob("*.xlsx"))
    assert len(files) == 1 and files[0].name.startswith("kiosk-requests-kiosk-1-")
    assert _statuses(store) == {"exported": 3}
    assert files[0].name in screen.export_message.text()
    assert screen.remove_button.isVisible() and "3" in screen.remove_button.text()
    screen.remove_button.click()
    assert store.count(real_only=True) == 3  # nothing yet: a question first
    assert screen.remove_row.isVisible()
    assert "3" in screen.remove_row.findChild(type(screen.export_message)).text()
    screen.findChild(type(screen.export_button), "staff-remove-confirm").click()
    assert store.count(real_only=True) == 0 and store.count() == 2
    assert "3 requests removed" in screen.export_message.text()


def test_keeping_them_deletes_nothing(
    qtbot: QtBot, settings: Settings, content: Content, store: AppointmentStore, stick: Path
) -> None:
    screen = _desk(qtbot, settings, content, store, Drives(usb(stick)))
    _save(qtbot, screen)
    screen.remove_button.click()
    screen.remove_row.findChild(type(screen.export_button), "staff-cancel").click()
    assert not screen.remove_row.isVisible() and store.count(real_only=True) == 3


def test_a_stick_pulled_while_the_page_is_open(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    store: AppointmentStore,
    stick: Path,
    tmp_path: Path,
) -> None:
    """The review's blocker, by device: the stick's folder is still there but now on the
    kiosk's own disk. Save says the stick is gone, writes nothing, marks nothing, and
    offers nothing to remove."""
    left_behind = tmp_path / "media" / "STICK"
    left_behind.mkdir(parents=True)
    offered = Destination("usb", "STICK", left_behind, device_of(stick))
    drives = Drives(offered)
    screen = _desk(qtbot, settings, content, store, drives)
    assert screen.export_button.isEnabled()
    _save(qtbot, screen)
    assert "no longer there" in screen.export_message.text()
    assert list(left_behind.iterdir()) == []
    assert _statuses(store) == {"new": 3}
    assert not screen.remove_button.isVisible()
    assert store.audit_log()[0]["event"] == "export_failed"


def test_a_really_unmounted_stick(
    qtbot: QtBot, settings: Settings, content: Content, store: AppointmentStore, tmp_path: Path
) -> None:
    """The same with a real mount: unmounted under the open page, its folder stays."""
    with stand_in_stick(tmp_path / "media" / "STICK") as mount:
        drives = Drives(usb(mount))
        screen = _desk(qtbot, settings, content, store, drives)
        subprocess.run(["umount", str(mount)], check=True)
        _save(qtbot, screen)
        assert "no longer there" in screen.export_message.text()
        assert list(mount.iterdir()) == [] and _statuses(store) == {"new": 3}


def test_sticks_come_and_go_while_the_page_is_open(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    store: AppointmentStore,
    stick: Path,
    other_stick: Path,
) -> None:
    """Put in: listed and chosen within two seconds. Pulled: gone within two seconds, and
    nothing is chosen in its place (never another drive unasked)."""
    drives = Drives()
    screen = _desk(qtbot, settings, content, store, drives)
    assert not screen.export_button.isEnabled()
    drives.sticks.append(usb(stick))
    qtbot.waitUntil(lambda: len(screen.destination_buttons) == 1, timeout=2000)
    assert screen.export_button.isEnabled()
    second = other_stick
    drives.sticks.append(usb(second, "OTHER"))
    qtbot.waitUntil(lambda: len(screen.destination_buttons) == 2, timeout=2000)
    assert screen.destination_buttons[str(stick)].isChecked()  # the choice stays
    drives.sticks.pop(0)
    qtbot.waitUntil(lambda: len(screen.destination_buttons) == 1, timeout=2000)
    assert not screen.export_button.isEnabled()
    assert not screen.destination_buttons[str(second)].isChecked()
    assert "Choose where" in screen.destination_hint.text()
    screen.destination_buttons[str(second)].click()
    assert screen.export_button.isEnabled() and not screen.destination_hint.isVisible()


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 800), (1080, 1920)])
def test_save_and_its_result_stay_on_screen(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    store: AppointmentStore,
    stick: Path,
    size: tuple[int, int],
    other_stick: Path,
) -> None:
    """Two sticks and the desk folder listed, the date row open: Save, the result and the
    offer to remove are still on screen."""
    second = other_stick
    folder_settings = msgspec.structs.replace(settings, export_dir=str(second))
    drives = Drives(usb(stick), usb(stick.parent, "SECOND"))
    screen = _desk(qtbot, folder_settings, content, store, drives, size)
    screen.which_buttons["since"].click()
    settle()
    assert len(screen.destination_buttons) == 3
    screen.destination_buttons[str(stick)].click()
    assert _on_screen(screen, screen.export_button)
    _save(qtbot, screen)
    settle()
    assert _on_screen(screen, screen.export_message)
    assert _on_screen(screen, screen.remove_button)


def test_the_kiosks_own_disk_is_refused_with_a_reason(
    qtbot: QtBot, settings: Settings, content: Content, store: AppointmentStore, tmp_path: Path
) -> None:
    """A desk folder configured on the kiosk's own disk: nothing written, staff told why."""
    folder = tmp_path / "desk-share"
    folder.mkdir()
    on_disk = msgspec.structs.replace(settings, export_dir=str(folder))
    screen = _desk(qtbot, on_disk, content, store, Drives())
    _save(qtbot, screen)
    assert "kiosk's own disk" in screen.export_message.text()
    assert list(folder.iterdir()) == [] and _statuses(store) == {"new": 3}


def test_a_missing_desk_folder_is_named(
    qtbot: QtBot, settings: Settings, content: Content, store: AppointmentStore, tmp_path: Path
) -> None:
    missing = msgspec.structs.replace(settings, export_dir=str(tmp_path / "nowhere"))
    screen = _desk(qtbot, missing, content, store, Drives())
    texts = [w.text() for w in screen.findChildren(type(screen.export_message)) if w.isVisible()]
    assert any("nowhere" in t and "cannot be found" in t for t in texts)
    assert not screen.export_button.isEnabled()


def test_demo_requests_only_when_asked(
    qtbot: QtBot, settings: Settings, content: Content, store: AppointmentStore, stick: Path
) -> None:
    screen = _desk(qtbot, settings, content, store, Drives(usb(stick)))
    screen.demo_button.click()
    assert "5" in screen.export_button.text()
    _save(qtbot, screen)
    assert "5" in screen.export_message.text()
    assert {r.status for r in store.list_requests()} == {"exported"}


def test_a_new_choice_clears_the_old_result(
    qtbot: QtBot, settings: Settings, content: Content, store: AppointmentStore, stick: Path
) -> None:
    screen = _desk(qtbot, settings, content, store, Drives(usb(stick)))
    _save(qtbot, screen)
    assert screen.export_message.text() and screen.remove_button.isVisible()
    screen.which_buttons["all"].click()
    assert screen.export_message.text() == "" and not screen.remove_button.isVisible()


def test_the_result_stays_when_the_stick_is_pulled_after_saving(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    store: AppointmentStore,
    stick: Path,
    other_stick: Path,
) -> None:
    """Staff pull the stick they just saved to: "Saved N requests" and the offer to remove
    stay; the list of places says to choose one."""
    second = other_stick
    drives = Drives(usb(stick), usb(second, "OTHER"))
    screen = _desk(qtbot, settings, content, store, drives)
    # Two places on the first look: none is chosen for staff.
    assert not screen.export_button.isEnabled()
    assert "Choose where" in screen.destination_hint.text()
    screen.destination_buttons[str(stick)].click()
    _save(qtbot, screen)
    saved = screen.export_message.text()
    assert saved.startswith("Saved 3 requests")
    drives.sticks.pop(0)
    qtbot.waitUntil(lambda: len(screen.destination_buttons) == 1, timeout=2000)
    assert screen.export_message.text() == saved and screen.remove_button.isVisible()


def test_a_failure_stays_on_screen(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    store: AppointmentStore,
    stick: Path,
    tmp_path: Path,
) -> None:
    """With two places, a failed save keeps its reason on screen (the list is refreshed
    after it, and must not replace it)."""
    left_behind = tmp_path / "media" / "STICK"
    left_behind.mkdir(parents=True)
    drives = Drives(Destination("usb", "GONE", left_behind, device_of(stick)), usb(stick))
    screen = _desk(qtbot, settings, content, store, drives)
    screen.destination_buttons[str(left_behind)].click()
    drives.sticks.pop(0)  # pulled, a moment before Save: the page has not looked yet
    _save(qtbot, screen)
    assert "no longer there" in screen.export_message.text()
    assert len(screen.destination_buttons) == 1  # the list was refreshed at once
    with qtbot.waitSignal(screen.drive_timer.timeout, timeout=2000):
        pass  # the page looks for sticks again
    assert "no longer there" in screen.export_message.text()


def test_a_write_protected_stick_is_shown_not_chosen(
    qtbot: QtBot, settings: Settings, content: Content, store: AppointmentStore, stick: Path
) -> None:
    """Staff see the stick was found and why it cannot be used; Save stays off."""
    locked = Destination("usb", "LOCKED", stick, device_of(stick), read_only=True)
    screen = _desk(qtbot, settings, content, store, Drives(locked))
    button = screen.destination_buttons[str(stick)]
    assert not button.isEnabled() and "write-protected" in button.text()
    assert not screen.export_button.isEnabled() and not screen.destination_hint.isVisible()


def test_the_kiosk_looks_for_sticks_without_failing(qtbot: QtBot) -> None:
    """The real look at this machine's drives: whatever it finds, never its own disk."""
    from kiosk.ui.drives import removable_drives

    found = removable_drives((Path("/"), Path.home()))
    assert all(d.kind == "usb" and d.device != device_of(Path("/")) for d in found)


def test_the_warning_goes_once_the_requests_are_exported(
    qtbot: QtBot, settings: Settings, content: Content, keys_file: Path, stick: Path
) -> None:
    """The notice box asks to export requests nobody exported before retention deletes
    them; once they are saved it goes at once, not at the next sign-in."""
    import datetime as dt

    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=85)
    db = open_database(settings.database_path())
    writer = AppointmentStore(db, clock=lambda: old, sealer=crypto.load_sealer(keys_file))
    save_patient(writer, "Bekleyen Hasta")
    store = AppointmentStore(db, sealer=crypto.load_sealer(keys_file))
    screen = _desk(qtbot, settings, content, store, Drives(usb(stick)))
    assert screen.warning_box is not None
    _save(qtbot, screen)
    assert _statuses(store) == {"exported": 1}
    assert screen.warning_box is None


def test_a_failed_removal_says_so(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    store: AppointmentStore,
    stick: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database refusing the deletion: staff read that the requests are still on the
    kiosk (and in the file), not that the export failed."""
    from kiosk.store import StoreError

    screen = _desk(qtbot, settings, content, store, Drives(usb(stick)))
    _save(qtbot, screen)
    screen.remove_button.click()

    def refuse(*_args: object) -> int:
        raise StoreError("database is locked")

    monkeypatch.setattr(store, "delete", refuse)
    screen.findChild(type(screen.export_button), "staff-remove-confirm").click()
    assert "could not be removed" in screen.export_message.text()
    assert store.count(real_only=True) == 3


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 800), (1080, 1920), (800, 1280)])
def test_the_list_keeps_every_column_in_view(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    store: AppointmentStore,
    stick: Path,
    size: tuple[int, int],
) -> None:
    """Reference and time are kept whole where the screen is wide; where it is narrow all
    columns share it: never a list scrolled sideways with the names out of view."""
    from kiosk.ui.widgets.requests_model import RequestsTableModel as Model

    screen = _desk(qtbot, settings, content, store, Drives(usb(stick)), size)
    screen.tab_buttons["requests"].click()
    settle()
    table = screen.table
    assert table.horizontalScrollBar().maximum() == 0
    assert table.horizontalHeader().sectionSize(Model.NAME) >= table.viewport().width() // 10


class HeldStick:
    """Holds the export's write on the worker thread until released, so a test can act
    while the file is being written (the real writer runs, later)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import kiosk.export

        self.writing = threading.Event()
        self.release = threading.Event()
        real = kiosk.export.write_export

        def held(*args: Any, **kwargs: Any) -> Path:
            self.writing.set()
            assert self.release.wait(30), "the test never released the export"
            return real(*args, **kwargs)

        monkeypatch.setattr(kiosk.export, "write_export", held)


def _audited(store: AppointmentStore, event: str) -> int:
    return sum(1 for entry in store.audit_log(100) if entry["event"] == event)


def test_saving_does_not_hold_up_the_screen(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    store: AppointmentStore,
    stick: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The file is written and checked off the GUI thread: while it is, the screen answers
    (it says "Saving…", Save is off and a second Save starts nothing); the result comes
    when the stick is done. The staff session's key was lent as a copy: it still opens the
    requests afterwards."""
    held = HeldStick(monkeypatch)
    screen = _desk(qtbot, settings, content, store, Drives(usb(stick)))
    screen.export_button.click()
    assert held.writing.wait(10)  # the worker is writing, and the GUI thread is free:
    qtbot.mouseClick(screen.tab_buttons["requests"], Qt.MouseButton.LeftButton)
    assert screen.panels.currentIndex() == 0
    screen.show_tab("export")
    assert screen.export_message.text().startswith("Saving and checking")
    assert not screen.export_button.isEnabled()
    screen.run_export()  # (as if the button were tapped again)
    with qtbot.waitSignal(screen.export_finished, timeout=20_000):
        held.release.set()
    assert screen.export_message.text().startswith("Saved 3 requests")
    assert len(list(stick.glob("*.xlsx"))) == 1 and _statuses(store) == {"exported": 3}
    assert _audited(store, "exported") == 1
    assert store.is_unlocked
    screen.show_tab("requests")
    screen.select_row(0)
    screen.open_selected()
    assert any(name in screen.detail.text() for name in ("Ayşe", "Mehmet", "Elif"))


def test_a_save_under_way_finishes_when_staff_lock(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    store: AppointmentStore,
    stick: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Staff tap Lock while the file is being written: the export completes (file on the
    stick, rows marked) with its own copy of the key, and its outcome is told to no one:
    staff who sign in again see no result and no offer to remove."""
    held = HeldStick(monkeypatch)
    screen = _desk(qtbot, settings, content, store, Drives(usb(stick)))
    window = screen.window()
    assert isinstance(window, MainWindow)
    screen.export_button.click()
    assert held.writing.wait(10)
    screen.lock_button.click()
    assert window.route.name == "home" and not store.is_unlocked
    qtbot.waitUntil(lambda: not window.findChildren(StaffScreen))  # deleted meanwhile
    again = _desk(qtbot, settings, content, store, Drives(usb(stick)), window=window)
    assert again.export_message.text().startswith("Saving and checking")  # (it is)
    held.release.set()
    qtbot.waitUntil(lambda: not window.export_task.running, timeout=20_000)
    assert len(list(stick.glob("*.xlsx"))) == 1 and _statuses(store) == {"exported": 3}
    assert again.export_message.text() == "" and not again.remove_button.isVisible()
    assert again.export_button.text() == "Save 0 requests"


def test_a_screen_rebuilt_while_saving_shows_the_result(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    store: AppointmentStore,
    stick: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A larger text size tapped while the file is written builds the staff screen anew:
    the new one says "Saving…", keeps Save off, and shows the result and the offer."""
    held = HeldStick(monkeypatch)
    screen = _desk(qtbot, settings, content, store, Drives(usb(stick)))
    window = screen.window()
    assert isinstance(window, MainWindow)
    screen.export_button.click()
    assert held.writing.wait(10)
    window.cycle_text_size()
    larger = window.current_screen()
    assert isinstance(larger, StaffScreen) and larger is not screen
    larger.show_tab("export")
    assert larger.export_message.text().startswith("Saving and checking")
    assert not larger.export_button.isEnabled()
    with qtbot.waitSignal(larger.export_finished, timeout=20_000):
        held.release.set()
    assert larger.export_message.text().startswith("Saved 3 requests")
    assert larger.remove_button.isVisible()


def test_a_store_that_will_not_open_is_said_not_crashed(
    qtbot: QtBot,
    settings: Settings,
    content: Content,
    store: AppointmentStore,
    stick: Path,
) -> None:
    """The worker cannot open the database (its file replaced by a folder under the open
    page): staff read that the export failed, nothing is written to the stick."""
    screen = _desk(qtbot, settings, content, store, Drives(usb(stick)))
    path = settings.database_path()
    path.rename(path.with_suffix(".moved"))
    path.mkdir()
    _save(qtbot, screen)
    assert screen.export_message.text().startswith("⚠ The export failed.")
    assert list(stick.iterdir()) == []
