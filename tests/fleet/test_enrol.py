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
    assert "[fleet]" in printed and 'key_file = "/etc/clinic-kiosk/fleet/kiosk.key"' in printed
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


def test_the_servers_certificate_passes_a_kiosks_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import contextlib

    """`server-cert` and `enrol` from one new CA: a real TLS handshake in which the client
    checks the server's name against the group's CA (as a kiosk's verify-full does) and the
    server asks for the kiosk's certificate (as PostgreSQL's cert authentication does)."""
    import socket
    import ssl
    import threading

    ca, server, kiosk = tmp_path / "ca", tmp_path / "server", tmp_path / "kiosk"
    assert main(["fleet", "server-cert", "--host", "127.0.0.1", "--out", str(server),
                 "--ca", str(ca)]) == 0  # fmt: skip
    assert "a new group CA is in" in capsys.readouterr().out
    assert _mode(server / "server.key") == 0o600
    assert main(["fleet", "enrol", "--kiosk-id", "salon-9", "--out", str(kiosk),
                 "--ca", str(ca)]) == 0  # fmt: skip
    assert "signed with the group CA" in capsys.readouterr().out

    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.minimum_version = ssl.TLSVersion.TLSv1_3
    serving.load_cert_chain(server / "server.crt", server / "server.key")
    serving.load_verify_locations(server / "ca.crt")
    serving.verify_mode = ssl.CERT_REQUIRED
    client = ssl.create_default_context(cafile=str(kiosk / "ca.crt"))
    client.load_cert_chain(kiosk / "kiosk.crt", kiosk / "kiosk.key")
    seen: list[object] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def serve() -> None:
            conn, _ = listener.accept()
            with serving.wrap_socket(conn, server_side=True) as tls:
                seen.append(dict(pair for rdn in tls.getpeercert()["subject"] for pair in rdn))
                tls.sendall(b"ok")

        thread = threading.Thread(target=serve)
        thread.start()
        with socket.create_connection(listener.getsockname()) as raw:
            with client.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                assert tls.recv(2) == b"ok"
        thread.join(10)
    assert seen == [{"commonName": "salon-9"}]
    # Another name than the certificate's is refused, as verify-full refuses it.
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def serve_once() -> None:
            conn, _ = listener.accept()
            with contextlib.suppress(ssl.SSLError, OSError):
                serving.wrap_socket(conn, server_side=True).close()

        thread = threading.Thread(target=serve_once)
        thread.start()
        with socket.create_connection(listener.getsockname()) as raw:
            with pytest.raises(ssl.SSLCertVerificationError):
                client.wrap_socket(raw, server_hostname="db.elsewhere.lan")
        thread.join(10)


def test_a_server_certificate_carries_every_name_kiosks_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A LAN name and a WireGuard address in one certificate (verify-full checks either)."""
    import _ssl

    ca, server = tmp_path / "ca", tmp_path / "server"
    args = ["fleet", "server-cert", "--out", str(server), "--ca", str(ca)]
    assert main([*args, "--host", "db.clinic.lan", "--host", "10.8.0.1"]) == 0
    info = _ssl._test_decode_cert(str(server / "server.crt"))
    assert info["subjectAltName"] == (("DNS", "db.clinic.lan"), ("IP Address", "10.8.0.1"))
    assert main([*args, "--host", "db clinic"]) == 1
    assert "is not a host name or address" in capsys.readouterr().err


def test_a_certificate_from_the_groups_own_ca_is_taken_as_it_is(
    pg: PgServer,
    central: Central,
    tmp_path: Path,
    make_store: Callable[..., AppointmentStore],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """IT's CA (easy-rsa, say) made the kiosk's certificate: enrol checks it is this
    kiosk's, copies it with its key (0600) and makes the role; the kiosk delivers."""
    ca = _group_ca(pg, tmp_path / "ca")
    made = pg.client_files("salon-5", tmp_path / "made")
    out = tmp_path / "salon-5"
    base = ["fleet", "enrol", "--kiosk-id", "salon-5", "--out", str(out), "--ca", str(ca)]
    wrong = ["--cert", str(made.cert), "--key", str(made.key)]
    assert main([*base[:3], "salon-6", *base[4:], *wrong]) == 1
    assert "its common name must be the kiosk id 'salon-6'" in capsys.readouterr().err
    other = pg.client_files("salon-5", tmp_path / "other")  # the same name, another key
    mixed = ["--cert", str(made.cert), "--key", str(other.key)]
    assert main([*base, *mixed]) == 1
    assert "is not the key of" in capsys.readouterr().err
    assert not out.exists()
    assert main([*base, *wrong, "--dsn", central.admin_dsn]) == 0
    assert f"used {made.cert} (checked: this kiosk's" in capsys.readouterr().out
    assert _mode(out / "kiosk.key") == 0o600
    assert (out / "kiosk.crt").read_bytes() == made.cert.read_bytes()
    target = Target(
        "127.0.0.1", pg.port, central.dbname, "salon-5",
        out / "ca.crt", out / "kiosk.crt", out / "kiosk.key",
    )  # fmt: skip
    store = make_store(deliver=True)
    save_patient(store, "Adopted Patient", kiosk="salon-5")
    assert Courier(target).sync(store).settled.stored == 1


def test_a_failed_renewal_keeps_the_working_pair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Enrolling again signs a new pair; when signing fails (the CA key unreadable here),
    the kiosk's old certificate and key stay as they were, a matching pair."""
    ca, out = tmp_path / "ca", tmp_path / "salon-3"
    args = ["fleet", "enrol", "--kiosk-id", "salon-3", "--out", str(out), "--ca", str(ca)]
    assert main(args) == 0
    before = {f: (out / f).read_bytes() for f in ("kiosk.crt", "kiosk.key", "ca.crt")}
    (ca / "ca.key").write_text("not a key\n")
    assert main(args) == 1
    assert "openssl x509 failed" in capsys.readouterr().err
    assert {f: (out / f).read_bytes() for f in before} == before
    assert sorted(p.name for p in out.iterdir()) == ["ca.crt", "kiosk.crt", "kiosk.key"]


def test_an_easy_rsa_ca_signs_its_own_certificates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A certificate signed here with easy-rsa's key would be missing from its records (it
    could not revoke it): enrol and server-cert send IT to easy-rsa instead."""
    pki = tmp_path / "kiosk-ca" / "pki"
    (pki / "private").mkdir(parents=True)
    (pki / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    (pki / "private" / "ca.key").write_text("-----BEGIN PRIVATE KEY-----\n")
    for ca in (pki, pki.parent):
        assert main(["fleet", "enrol", "--kiosk-id", "k", "--out", str(tmp_path / "o"),
                     "--ca", str(ca)]) == 1  # fmt: skip
        assert "./easyrsa build-client-full k nopass" in capsys.readouterr().err
        assert main(["fleet", "server-cert", "--host", "db", "--out", str(tmp_path / "s"),
                     "--ca", str(ca)]) == 1  # fmt: skip
        assert "./easyrsa build-server-full db nopass" in capsys.readouterr().err
    assert not (pki.parent / "ca.key").exists()  # no second CA made beside easy-rsa's


def test_a_role_that_is_not_a_kiosk_is_never_made_one(
    pg: PgServer, central: Central, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """IT's own role (or any other) under a kiosk's name: enrolling it would let a
    certificate with that name sign in as it. Refused."""
    ca = _group_ca(pg, tmp_path / "ca")
    args = ["fleet", "enrol", "--kiosk-id", "kiosk_admin", "--out", str(tmp_path / "o"),
            "--ca", str(ca), "--dsn", central.admin_dsn]  # fmt: skip
    assert main(args) == 1
    assert "exists on the central server and is not a kiosk" in capsys.readouterr().err
    member = central.query("SELECT pg_has_role('kiosk_admin', 'kiosk_fleet', 'MEMBER')")
    assert member == [(False,)]
