"""`kiosk fleet sync`, `status` and `requeue` as IT runs them on a kiosk, and a kiosk killed
between the server's commit and its own delete."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pgserver import Central, ClientFiles

from kiosk.cli import main
from kiosk.store import AppointmentStore

from testkit import save_patient

KIOSK = "salon-1"


@pytest.fixture
def files(central: Central) -> ClientFiles:
    return central.enrol_files(KIOSK)


@pytest.fixture
def config(tmp_path: Path, central: Central, files: ClientFiles) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f'kiosk_id = "{KIOSK}"\ndb_path = "kiosk.db"\n'
        f'[fleet]\nhost = "127.0.0.1"\nport = {central.server.port}\n'
        f'database = "{central.dbname}"\nca_file = "{files.ca}"\n'
        f'cert_file = "{files.cert}"\nkey_file = "{files.key}"\n',
        "utf-8",
    )
    return path


@pytest.fixture
def store(make_store: Callable[..., AppointmentStore], tmp_path: Path) -> AppointmentStore:
    return make_store(tmp_path / "kiosk.db", deliver=True)


def _on_server(central: Central) -> int:
    return int(central.query("SELECT count(*) FROM fleet.request")[0][0])


def _kiosk(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kiosk", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


def test_sync_sends_and_says_what_the_server_answered(
    central: Central, config: Path, store: AppointmentStore, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(3):
        save_patient(store, f"Patient {i}", kiosk=KIOSK)

    assert main(["fleet", "status", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"127.0.0.1:{central.server.port}/{central.dbname} as {KIOSK}" in out
    assert "waiting          3 (the oldest not yet delivered was saved 0.0 h ago)" in out
    assert "last delivery    none" in out

    assert main(["fleet", "sync", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "stored 3, duplicate 0, retry 0, conflict 0, quarantined 0" in out
    assert "waiting 0, quarantined 0" in out
    assert _on_server(central) == 3

    assert main(["fleet", "status", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "waiting          0" in out and "last delivery    none" not in out
    assert "last error       none" in out


def test_sync_that_fails_names_the_reason_and_exits_1(
    central: Central, config: Path, store: AppointmentStore, capsys: pytest.CaptureFixture[str]
) -> None:
    save_patient(store, "Patient", kiosk=KIOSK)
    central.query("UPDATE fleet.kiosk SET active = false")
    assert main(["fleet", "sync", "--config", str(config)]) == 1
    error = capsys.readouterr().err
    assert "inactive: this kiosk is taken out on the central server" in error
    assert main(["fleet", "status", "--config", str(config)]) == 0
    assert "last error       inactive" in capsys.readouterr().out


def test_without_fleet_config_it_says_delivery_is_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('db_path = "kiosk.db"\n', "utf-8")
    for action in ("sync", "status", "requeue"):
        assert main(["fleet", action, "--config", str(config)]) == 1
        assert "central delivery is off" in capsys.readouterr().err
    assert not (tmp_path / "kiosk.db").exists()  # nothing opened, nothing made


def test_requeue_sends_quarantined_requests_again(
    central: Central, config: Path, store: AppointmentStore, capsys: pytest.CaptureFixture[str]
) -> None:
    save_patient(store, "Patient", kiosk=KIOSK)
    [(uuid_,)] = store.db.execute("SELECT request_uuid FROM outbox").fetchall()
    store.outbox.settle({uuid_: "conflict"})
    assert main(["fleet", "status", "--config", str(config)]) == 0
    assert "quarantined      1 (see docs/fleet.md" in capsys.readouterr().out
    assert main(["fleet", "requeue", "--config", str(config)]) == 0
    assert "1 quarantined request(s) will be sent again" in capsys.readouterr().out
    assert main(["fleet", "sync", "--config", str(config)]) == 0
    assert _on_server(central) == 1


def test_a_kiosk_killed_between_the_servers_commit_and_its_delete_sends_duplicates(
    central: Central, config: Path, store: AppointmentStore, tmp_path: Path
) -> None:
    for i in range(5):
        save_patient(store, f"Patient {i}", kiosk=KIOSK)
    # Another writer holds the kiosk's database: the sync will have the server commit, then
    # wait to record it; it is killed there.
    holder = sqlite3.connect(tmp_path / "kiosk.db")
    holder.execute("BEGIN IMMEDIATE")
    sync = _kiosk("fleet", "sync", "--config", str(config))
    try:
        deadline = time.monotonic() + 60
        while _on_server(central) < 5:
            assert sync.poll() is None, sync.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        sync.send_signal(signal.SIGKILL)
    finally:
        sync.communicate(timeout=30)
        holder.rollback()
        holder.close()
    assert sync.returncode == -signal.SIGKILL
    assert store.outbox.state().pending == 5  # never recorded here

    again = _kiosk("fleet", "sync", "--config", str(config))
    out, err = again.communicate(timeout=60)

    assert again.returncode == 0, err
    assert "stored 0, duplicate 5" in out
    assert _on_server(central) == 5
    assert store.count() == 0
