"""Enrolling a kiosk (``kiosk fleet enrol``): its client certificate signed by the group's CA
(made on first use, or the group's own), its private key written for it alone, and its role
on the central server. The X.509 work is the ``openssl`` command's (Debian and Ubuntu have
it): the kiosk bundle carries no certificate library of its own."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.fleet.central_schema import KIOSK_GROUP
from kiosk.fleet.certs import read_certificate
from kiosk.fleet.server import FleetError, connect

# What a kiosk id may be: its role on the server and its certificate's common name.
KIOSK_ID = re.compile(r"^[A-Za-z0-9._-]{1,63}$")
# A kiosk certificate lasts about two years (renewed by enrolling again); the group's CA ten.
KIOSK_DAYS = 825
CA_DAYS = 3650
CA_CERT, CA_KEY = "ca.crt", "ca.key"
KIOSK_CERT, KIOSK_KEY = "kiosk.crt", "kiosk.key"
SERVER_CERT, SERVER_KEY = "server.crt", "server.key"


class EnrolError(Exception):
    """Enrolling failed; the text says what to do. It never quotes a key."""


@dataclass(frozen=True)
class Enrolled:
    """What enrolling made: the kiosk's files, and whether the CA and the role are new."""

    folder: Path
    ca_created: bool
    role: str  # "created", "existed" or "" (no --dsn: IT makes it by hand)
    not_after: dt.datetime | None


def _openssl(*args: str, stdin: bytes | None = None) -> bytes:
    tool = shutil.which("openssl")
    if tool is None:
        raise EnrolError(
            "the openssl command is needed (Debian/Ubuntu: apt install openssl); or sign the "
            "kiosk's certificate with the group's own CA as docs/fleet.md shows"
        )
    done = subprocess.run([tool, *args], input=stdin, capture_output=True, timeout=120, check=False)
    if done.returncode != 0:
        first = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise EnrolError(f"openssl {args[0]} failed: {first[0] if first else 'no message'}")
    return done.stdout


def _private_file(path: Path) -> None:
    """Create ``path`` empty, readable and writable by this account only, before anything
    secret is written into it (a chmod afterwards would leave a moment when it was not)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _new_key(path: Path) -> None:
    _private_file(path)
    key = _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    path.write_bytes(key)


def make_ca(folder: Path, name: str = "Clinic group kiosk CA") -> None:
    """A new group CA in ``folder``: ca.key (this account only) and ca.crt."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    _new_key(folder / CA_KEY)
    _openssl(
        "req", "-x509", "-new", "-key", str(folder / CA_KEY), "-sha256",
        "-days", str(CA_DAYS), "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-out", str(folder / CA_CERT),
    )  # fmt: skip


def ca_files(ca: Path) -> tuple[Path, Path]:
    """The group CA's certificate and key in folder ``ca``: this tool's layout (ca.crt and
    ca.key) or easy-rsa's (a ``pki`` folder: ca.crt and private/ca.key)."""
    for key in (ca / CA_KEY, ca / "private" / CA_KEY):
        if key.is_file():
            return ca / CA_CERT, key
    return ca / CA_CERT, ca / CA_KEY


def _sign(subject: str, cert: Path, key: Path, ca: Path, days: int, extensions: str) -> None:
    """A new key at ``key`` (this account only) and its certificate at ``cert``, signed by
    the CA in folder ``ca``."""
    ca_cert, ca_key = ca_files(ca)
    _new_key(key)
    csr = _openssl("req", "-new", "-key", str(key), "-subj", f"/CN={subject}")
    with tempfile.TemporaryDirectory() as scratch:
        ext = Path(scratch) / "cert.ext"
        ext.write_text(extensions)
        signed = _openssl(
            "x509", "-req", "-sha256", "-days", str(days),
            "-CA", str(ca_cert), "-CAkey", str(ca_key), "-set_serial",
            str(int.from_bytes(os.urandom(16), "big") >> 1),  # random, positive, 127 bits
            "-extfile", str(ext),
            stdin=csr,
        )  # fmt: skip
    cert.write_bytes(signed)


def issue(kiosk_id: str, out: Path, ca: Path, days: int = KIOSK_DAYS) -> None:
    """The kiosk's key (written 0600) and its certificate (CN = ``kiosk_id``, for client
    authentication only), signed by the CA in folder ``ca``; ca.crt copied beside them."""
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    _sign(
        kiosk_id, out / KIOSK_CERT, out / KIOSK_KEY, ca, days,
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=clientAuth\n",
    )  # fmt: skip
    shutil.copyfile(ca_files(ca)[0], out / CA_CERT)


def issue_server(host: str, out: Path, ca: Path, days: int = KIOSK_DAYS) -> None:
    """The central server's key and certificate (for ``host``, the name kiosks connect to
    and check), signed by the CA in folder ``ca``: server.crt, server.key, ca.crt."""
    import ipaddress

    if not re.fullmatch(r"[A-Za-z0-9.:-]{1,253}", host):
        raise EnrolError(f"{host!r} is not a host name or address")
    try:
        ipaddress.ip_address(host)
        name = f"IP:{host}"
    except ValueError:
        name = f"DNS:{host}"
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    _sign(
        host, out / SERVER_CERT, out / SERVER_KEY, ca, days,
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        f"extendedKeyUsage=serverAuth\nsubjectAltName={name}\n",
    )  # fmt: skip
    shutil.copyfile(ca_files(ca)[0], out / CA_CERT)


def adopt(kiosk_id: str, out: Path, ca: Path, cert: Path, key: Path) -> None:
    """A kiosk certificate the group's own CA made (easy-rsa, say): checked to be this
    kiosk's, copied beside ca.crt with its key (written 0600)."""
    facts = read_certificate(cert)
    if facts is None:
        raise EnrolError(f"{cert} is not a PEM certificate")
    if facts.common_name != kiosk_id:
        raise EnrolError(
            f"{cert} is for {facts.common_name!r}: its common name must be the kiosk id "
            f"{kiosk_id!r}"
        )
    try:
        secret = key.read_bytes()
        ca_cert = ca_files(ca)[0].read_bytes()
    except OSError as exc:
        raise EnrolError(f"cannot read {exc.filename}: {exc.strerror}") from None
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    _private_file(out / KIOSK_KEY)
    (out / KIOSK_KEY).write_bytes(secret)
    shutil.copyfile(cert, out / KIOSK_CERT)
    (out / CA_CERT).write_bytes(ca_cert)


def add_role(dsn: str, kiosk_id: str, site: str) -> str:
    """The kiosk's role and its row on the central server (as IT's admin role), or both made
    active again: "created" or "existed". Raises FleetError."""
    import psycopg
    from psycopg import sql

    with connect(dsn, autocommit=True) as conn:
        try:
            with conn.transaction():
                exists = conn.execute(
                    "SELECT 1 FROM pg_roles WHERE rolname = %s", [kiosk_id]
                ).fetchone()
                role = sql.Identifier(kiosk_id)
                if exists is None:
                    conn.execute(
                        sql.SQL("CREATE ROLE {} LOGIN CONNECTION LIMIT 4 IN ROLE {}").format(
                            role, sql.Identifier(KIOSK_GROUP)
                        )
                    )
                else:
                    conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(role))
                    conn.execute(
                        sql.SQL("GRANT {} TO {}").format(sql.Identifier(KIOSK_GROUP), role)
                    )
                conn.execute(
                    "INSERT INTO fleet.kiosk (kiosk_id, site) VALUES (%s, %s) "
                    "ON CONFLICT (kiosk_id) DO UPDATE SET active = true, "
                    "deactivated_at = NULL, site = excluded.site",
                    [kiosk_id, site],
                )
                conn.execute(
                    "INSERT INTO fleet.audit (kiosk_id, event) VALUES (%s, 'enrolled')",
                    [kiosk_id],
                )
        except psycopg.Error as exc:
            raise FleetError(f"could not enrol {kiosk_id} on the central server: {exc}") from exc
    return "existed" if exists is not None else "created"


def enrol(
    kiosk_id: str,
    out: Path,
    ca: Path,
    *,
    dsn: str | None = None,
    site: str = "",
    days: int = KIOSK_DAYS,
    existing: tuple[Path, Path] | None = None,
) -> Enrolled:
    """Everything a kiosk needs to deliver: see the module's docstring. The CA folder gets a
    new CA when it has none; with ``existing`` (a certificate and key the group's CA made)
    those are used instead of new ones. Raises EnrolError or FleetError (then the kiosk's
    files may be written, its role not)."""
    if not KIOSK_ID.match(kiosk_id):
        raise EnrolError(
            f"{kiosk_id!r} cannot be a kiosk id: 1-63 letters, digits, '.', '_' or '-'"
        )
    ca_cert, ca_key = ca_files(ca)
    created = False
    if existing is not None:
        if not ca_cert.is_file():
            raise EnrolError(f"{ca} holds no ca.crt: give the folder of the CA that signed it")
        adopt(kiosk_id, out, ca, *existing)
    else:
        has_cert, has_key = ca_cert.is_file(), ca_key.is_file()
        if has_cert != has_key:
            raise EnrolError(
                f"{ca} holds {'ca.crt' if has_cert else 'ca.key'} without "
                f"{'ca.key' if has_cert else 'ca.crt'}: give the folder with both"
            )
        created = not has_cert
        if created:
            make_ca(ca)
        issue(kiosk_id, out, ca, days)
    role = add_role(dsn, kiosk_id, site) if dsn is not None else ""
    facts = read_certificate(out / KIOSK_CERT)
    return Enrolled(out, created, role, facts.not_after if facts else None)


def config_block(host: str, port: int, database: str, out: Path) -> str:
    """The ``[fleet]`` table for the kiosk's config, for IT to paste."""
    folder: Any = out.resolve()
    return (
        "[fleet]\n"
        f'host = "{host}"\n'
        f"port = {port}\n"
        f'database = "{database}"\n'
        f'ca_file = "{folder / CA_CERT}"\n'
        f'cert_file = "{folder / KIOSK_CERT}"\n'
        f'key_file = "{folder / KIOSK_KEY}"\n'
    )
