"""The running kiosk delivers: a request saved through the form reaches the central server
without anyone asking, off the GUI thread, and the kiosk tells the server how it is."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from pgserver import Central
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from test_appointment_flow import fill_to_review, screen

from kiosk.config import Fleet, Settings
from kiosk.content import Content
from kiosk.fleet import delivery
from kiosk.store import AppointmentStore
from kiosk.ui.main_window import MainWindow, Route

from testkit import save_patient
from uihelpers import LANDSCAPE

KIOSK = "salon-1"


@pytest.fixture
def fleet_settings(settings: Settings, central: Central) -> Settings:
    files = central.enrol_files(KIOSK)
    fleet = Fleet(
        host="127.0.0.1",
        port=central.server.port,
        database=central.dbname,
        ca_file=str(files.ca),
        cert_file=str(files.cert),
        key_file=str(files.key),
    )
    return msgspec.structs.replace(settings, kiosk_id=KIOSK, fleet=fleet)


def _on_server(central: Central) -> int:
    return int(central.query("SELECT count(*) FROM fleet.request")[0][0])


def test_a_request_saved_on_the_form_reaches_the_server(
    qtbot: QtBot,
    fleet_settings: Settings,
    content: Content,
    central: Central,
    make_store: Callable[..., AppointmentStore],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = make_store(tmp_path / "kiosk.db", deliver=True)
    save_patient(store, "Saved Before Start", kiosk=KIOSK)  # waiting when the kiosk starts
    sent_from: list[int] = []
    real_sync = delivery.Courier.sync

    def sync(self: delivery.Courier, *args: object, **kwargs: object) -> delivery.SyncReport:
        sent_from.append(threading.get_ident())
        return real_sync(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(delivery.Courier, "sync", sync)  # watched, not replaced
    window = MainWindow(fleet_settings, content, ("en", "tr"), store)
    qtbot.addWidget(window)
    window.resize(*LANDSCAPE)
    window.show()
    # The form's fields take the focus (and bring the keyboard up) in the active window only.
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.set_language("tr")
    window.navigate(Route("appointment"))
    form = screen(window)
    fill_to_review(form, "Kiosk Gönderir")
    # Sent when the kiosk started: the request that was waiting.
    qtbot.waitUntil(lambda: _on_server(central) == 1, timeout=20_000)

    with qtbot.waitSignal(form.submitted):
        form.next_button.click()

    qtbot.waitUntil(lambda: _on_server(central) == 2, timeout=20_000)
    qtbot.waitUntil(lambda: store.outbox.state().pending == 0, timeout=20_000)
    assert store.count() == 0
    assert sent_from and threading.get_ident() not in sent_from  # never the GUI thread
    # Its health, told at start-up: the kiosk's versions and how many waited then.
    qtbot.waitUntil(
        lambda: bool(
            central.query("SELECT 1 FROM fleet.kiosk_status WHERE kiosk_id = %s", [KIOSK])
        ),
        timeout=20_000,
    )
    [(status, content_version)] = central.query(
        "SELECT status, content_version FROM fleet.fleet_health"
    )
    assert status == "ok"
    assert content_version == content.manifest.content_version
    window.jobs.stop()


def test_without_fleet_settings_nothing_is_sent(
    qtbot: QtBot, settings: Settings, content: Content, make_store: Callable[..., AppointmentStore]
) -> None:
    store = make_store()
    window = MainWindow(settings, content, ("en", "tr"), store)
    qtbot.addWidget(window)
    assert window.jobs.courier is None
    save_patient(store, "Single Kiosk")
    window.jobs.deliver()
    assert not window.jobs.delivery.busy()
    assert store.outbox.state().pending == 0 and store.count() == 1


def test_heartbeats_never_pile_up_behind_a_slow_server(
    qtbot: QtBot,
    fleet_settings: Settings,
    content: Content,
    make_store: Callable[..., AppointmentStore],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A heartbeat that takes its time (a server slow to answer): the timer's next ones are
    not queued behind it (they would keep delivery waiting for ever)."""
    entered: list[int] = []
    release = threading.Event()
    real_heartbeat = delivery.Courier.heartbeat

    def slow(self: delivery.Courier, *args: object) -> float | None:
        entered.append(1)
        release.wait(30)
        return real_heartbeat(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(delivery.Courier, "heartbeat", slow)
    store = make_store(tmp_path / "kiosk.db", deliver=True)
    window = MainWindow(fleet_settings, content, ("en", "tr"), store)  # one heartbeat now
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: len(entered) == 1, timeout=20_000)
    for _ in range(5):
        window.jobs.report_health()
    release.set()
    qtbot.waitUntil(lambda: not window.jobs.delivery.busy(), timeout=20_000)
    assert len(entered) == 1
    window.jobs.report_health()  # once it has answered, the next one goes
    qtbot.waitUntil(lambda: len(entered) == 2, timeout=20_000)
    window.jobs.stop()


def test_a_database_that_cannot_be_opened_is_a_local_failure_with_backoff(
    qtbot: QtBot,
    fleet_settings: Settings,
    content: Content,
    make_store: Callable[..., AppointmentStore],
    tmp_path: Path,
) -> None:
    import shutil

    store = make_store(tmp_path / "gone" / "kiosk.db", deliver=True)
    window = MainWindow(fleet_settings, content, ("en", "tr"), store)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: not window.jobs.delivery.busy(), timeout=20_000)
    courier = window.jobs.courier
    assert courier is not None and courier.last_error == ""
    shutil.rmtree(tmp_path / "gone")  # the folder taken away under the running kiosk
    window.jobs.deliver()
    qtbot.waitUntil(lambda: courier.last_error == "local", timeout=20_000)
    assert not courier.backoff.ready()
    window.jobs.stop()
    assert courier.sync(store).skipped == "closing"  # after stop(), nothing more is sent
