"""`kiosk fleet enrol`: a kiosk's key and certificate from the group's CA (new, or the one the
central server already trusts) and its role; with them the kiosk delivers for real."""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from pgserver import Central, PgServer

from kiosk.cli import main
from kiosk.fleet.certs import read_certificate
from kiosk.fleet.delivery import Courier, Target
from kiosk.store import AppointmentStore

from testkit import save_patient


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _group_ca(pg: PgServer, folder: Path) -> Path:
    """The CA the test server trusts, as a group keeps it: ca.crt and ca.key."""
    folder.mkdir()
    pg.ca.cert_pem.write_to_path(str(folder / "ca.crt"))
    pg.ca.private_key_pem.write_to_path(str(folder / "ca.key"))
    return folder


def test_a_first_enrolment_makes_the_groups_ca(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca, out = tmp_path / "ca", tmp_path / "salon-3"
    assert (
        main(["fleet", "enrol", "--kiosk-id", "salon-3", "--out", str(out), "--ca", str(ca)]) == 0
    )
    printed = capsys.readouterr().out
    assert "a new group CA is in" in printed and "keep ca.key offline" in printed
    assert "no --dsn" in printed
    assert "[fleet]" in printed and f'key_file = "{out.resolve() / "kiosk.key"}"' in printed
    # Private keys: this account only, from the moment they exist.
    assert _mode(ca / "ca.key") == 0o600 and _mode(out / "kiosk.key") == 0o600
    facts = read_certificate(out / "kiosk.crt")
    assert facts is not None and facts.common_name == "salon-3"
    days = (facts.not_after - dt.datetime.now(dt.UTC)).days
    assert 820 <= days <= 825
    assert (out / "ca.crt").read_bytes() == (ca / "ca.crt").read_bytes()
    ca_facts = read_certificate(ca / "ca.crt")
    assert ca_facts is not None and ca_facts.common_name == "Clinic group kiosk CA"


def test_an_enrolled_kiosk_delivers(
    pg: PgServer,
    central: Central,
    tmp_path: Path,
    make_store: Callable[..., AppointmentStore],
    capsys: pytest.CaptureFixture[str],
) -> None:
    ca = _group_ca(pg, tmp_path / "ca")
    out = tmp_path / "salon-4"
    args = ["fleet", "enrol", "--kiosk-id", "salon-4", "--out", str(out), "--ca", str(ca)]
    assert main([*args, "--dsn", central.admin_dsn, "--site", "Ankara"]) == 0
    printed = capsys.readouterr().out
    assert "signed with the group CA" in printed
    assert "role salon-4 created on the central server" in printed
    assert central.query("SELECT site, active FROM fleet.kiosk") == [("Ankara", True)]
    target = Target(
        "127.0.0.1", pg.port, central.dbname, "salon-4",
        out / "ca.crt", out / "kiosk.crt", out / "kiosk.key",
    )  # fmt: skip
    store = make_store(deliver=True)
    save_patient(store, "Enrolled Patient", kiosk="salon-4")
    assert Courier(target).sync(store).settled.stored == 1

    # Taken out, then enrolled again (a new certificate): it may deliver again.
    central.query("UPDATE fleet.kiosk SET active = false")
    central.query('ALTER ROLE "salon-4" NOLOGIN')
    assert main([*args, "--dsn", central.admin_dsn]) == 0
    assert "was there already: allowed to sign in again" in capsys.readouterr().out
    save_patient(store, "Second Patient", kiosk="salon-4")
    assert Courier(target).sync(store).settled.stored == 1


@pytest.mark.parametrize(
    ("kiosk_id", "message"),
    [("salon 5", "cannot be a kiosk id"), ("x" * 64, "cannot be a kiosk id")],
)
def test_a_bad_kiosk_id_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kiosk_id: str, message: str
) -> None:
    out = tmp_path / "out"
    assert main(["fleet", "enrol", "--kiosk-id", kiosk_id, "--out", str(out)]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_half_a_ca_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ca = tmp_path / "ca"
    ca.mkdir()
    (ca / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    out = tmp_path / "out"
    assert main(["fleet", "enrol", "--kiosk-id", "k", "--out", str(out), "--ca", str(ca)]) == 1
    assert "holds ca.crt without ca.key" in capsys.readouterr().err
    assert not out.exists()
