"""`kiosk doctor` on a kiosk that delivers: its files, the central server, its clock and what
waits, each checked for real (a real server, certificates from `kiosk fleet enrol`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from pgserver import Central, PgServer
from relay import relay

from kiosk.cli import main
from kiosk.config import Fleet, Settings
from kiosk.doctor import (
    check_fleet_files,
    check_fleet_server,
    check_outbox,
    run_checks,
)
from kiosk.store import AppointmentStore

from testkit import save_patient

KIOSK = "salon-7"


def _enrolled(
    pg: PgServer, central: Central, tmp_path: Path, kiosk_id: str = KIOSK, days: int = 825
) -> Path:
    ca = tmp_path / "ca"
    if not ca.exists():
        ca.mkdir()
        pg.ca.cert_pem.write_to_path(str(ca / "ca.crt"))
        pg.ca.private_key_pem.write_to_path(str(ca / "ca.key"))
    out = tmp_path / kiosk_id
    args = ["fleet", "enrol", "--kiosk-id", kiosk_id, "--out", str(out), "--ca", str(ca)]
    assert main([*args, "--dsn", central.admin_dsn, "--days", str(days)]) == 0
    return out


def _settings(settings: Settings, central: Central, files: Path, port: int = 0) -> Settings:
    fleet = Fleet(
        host="127.0.0.1",
        port=port or central.server.port,
        database=central.dbname,
        ca_file=str(files / "ca.crt"),
        cert_file=str(files / "kiosk.crt"),
        key_file=str(files / "kiosk.key"),
    )
    return msgspec.structs.replace(settings, kiosk_id=KIOSK, fleet=fleet)


def test_a_kiosk_set_up_right_passes(
    pg: PgServer,
    central: Central,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fleet = _settings(settings, central, _enrolled(pg, central, tmp_path))
    files = check_fleet_files(fleet)
    assert files.ok, files
    assert f"as {KIOSK}; certificate valid until" in files.detail
    server = check_fleet_server(fleet)
    assert server is not None and server.ok, server
    outbox = check_outbox(fleet)
    assert outbox is not None and outbox.ok and outbox.detail == "0 waiting"
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'kiosk_id = "{KIOSK}"\ndb_path = "{fleet.db_path}"\n[fleet]\nhost = "127.0.0.1"\n'
        f'ca_file = "x"\ncert_file = "y"\nkey_file = "z"\n',
        "utf-8",
    )
    assert main(["config", "check", "--config", str(config)]) == 0
    assert f"central delivery: to 127.0.0.1:5432/kiosks as {KIOSK}" in capsys.readouterr().out


def test_without_central_delivery_doctor_says_it_is_off(settings: Settings) -> None:
    result = check_fleet_files(settings)
    assert result.ok and result.detail.startswith("off:")
    assert check_fleet_server(settings) is None and check_outbox(settings) is None
    names = [r.name for r in run_checks(None, settings.db_path)]
    assert "central delivery" in names and "central server" not in names


def test_a_certificate_near_its_end_is_named(
    pg: PgServer, central: Central, settings: Settings, tmp_path: Path
) -> None:
    fleet = _settings(settings, central, _enrolled(pg, central, tmp_path, days=10))
    result = check_fleet_files(fleet)
    assert not result.ok and "expires in 9 days" in result.detail
    later = check_fleet_files(fleet, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=11))
    assert not later.ok and "expired on" in later.detail


def test_another_kiosks_certificate_is_named(
    pg: PgServer, central: Central, settings: Settings, tmp_path: Path
) -> None:
    other = _enrolled(pg, central, tmp_path, kiosk_id="salon-8")
    result = check_fleet_files(_settings(settings, central, other))
    assert not result.ok and "is for 'salon-8', not this kiosk ('salon-7')" in result.detail


def test_a_key_others_can_read_is_named(
    pg: PgServer, central: Central, settings: Settings, tmp_path: Path
) -> None:
    files = _enrolled(pg, central, tmp_path)
    (files / "kiosk.key").chmod(0o644)
    result = check_fleet_files(_settings(settings, central, files))
    assert not result.ok and "can be read by other accounts" in result.detail


def test_a_missing_file_is_named(
    pg: PgServer, central: Central, settings: Settings, tmp_path: Path
) -> None:
    files = _enrolled(pg, central, tmp_path)
    (files / "ca.crt").unlink()
    result = check_fleet_files(_settings(settings, central, files))
    assert not result.ok and "ca_file" in result.detail


def test_an_unreachable_server_and_a_wrong_clock_are_named(
    pg: PgServer, central: Central, settings: Settings, tmp_path: Path
) -> None:
    files = _enrolled(pg, central, tmp_path)
    with relay(pg.port) as link:
        link.down()
        down = check_fleet_server(_settings(settings, central, files, port=link.port))
    assert down is not None and not down.ok and down.detail.startswith("unreachable:")
    fast = check_fleet_server(
        _settings(settings, central, files),
        clock=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20),
    )
    assert fast is not None and not fast.ok and "clock is +1200 s off" in fast.detail


def test_quarantined_and_old_waiting_requests_are_named(
    pg: PgServer,
    central: Central,
    settings: Settings,
    tmp_path: Path,
    make_store: Callable[..., AppointmentStore],
) -> None:
    fleet = _settings(settings, central, _enrolled(pg, central, tmp_path))
    store = make_store(deliver=True)
    save_patient(store, "Waiting Patient", kiosk=KIOSK)
    waiting = check_outbox(fleet, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    assert waiting is not None and not waiting.ok and "the oldest for 48 h" in waiting.detail
    [(uuid_,)] = store.db.execute("SELECT request_uuid FROM outbox").fetchall()
    store.outbox.settle({uuid_: "conflict"})
    stuck = check_outbox(fleet)
    assert stuck is not None and not stuck.ok and "quarantined" in stuck.detail


def test_an_encrypted_key_is_named_and_never_waits_for_a_passphrase(
    pg: PgServer, central: Central, settings: Settings, tmp_path: Path
) -> None:
    """The kiosk starts unattended: a key with a passphrase is named by doctor, and a sync
    or a probe fails at once instead of asking on the terminal (and waiting)."""
    import os
    import subprocess
    import sys

    files = _enrolled(pg, central, tmp_path)
    key = files / "kiosk.key"
    encrypted = subprocess.run(
        ["openssl", "pkey", "-in", str(key), "-aes256", "-passout", "pass:secret"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    key.write_bytes(encrypted)
    fleet = _settings(settings, central, files)
    result = check_fleet_files(fleet)
    assert not result.ok and "it is encrypted" in result.detail
    # As IT runs it: `kiosk doctor` with its standard input open (a terminal, or here a
    # pipe nobody writes to). Without the kiosk's dummy password libpq would read the
    # passphrase from it and wait there.
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'kiosk_id = "{KIOSK}"\ndb_path = "{fleet.db_path}"\n[fleet]\nhost = "127.0.0.1"\n'
        f'port = {pg.port}\ndatabase = "{central.dbname}"\nca_file = "{files / "ca.crt"}"\n'
        f'cert_file = "{files / "kiosk.crt"}"\nkey_file = "{key}"\n',
        "utf-8",
    )
    doctor = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "doctor", "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    try:
        doctor.wait(timeout=60)  # (communicate() would close its input at once)
        assert doctor.stdout is not None
        out = doctor.stdout.read()
    finally:
        doctor.kill()
        doctor.communicate()
    assert "FAIL  central server: tls:" in out
    assert "it is encrypted" in out
