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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

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


def _tool() -> str:
    tool = shutil.which("openssl")
    if tool is None:
        raise EnrolError(
            "the openssl command is needed (Debian/Ubuntu: apt install openssl); or make the "
            "certificate with the group's own CA and give it with --cert and --key "
            "(docs/fleet.md)"
        )
    return tool


def _openssl(*args: str, stdin: bytes | None = None) -> bytes:
    """Run openssl; a passphrase it asks for (a CA key kept encrypted) is typed at the
    terminal, where it asks, never read from the data piped in."""
    try:
        done = subprocess.run(
            [_tool(), *args], input=stdin, capture_output=True, timeout=300, check=False
        )
    except subprocess.TimeoutExpired:
        raise EnrolError(f"openssl {args[0]} did not finish in 5 minutes") from None
    if done.returncode != 0:
        # Its first line may be progress ("Certificate request self-signature ok"): the
        # lines that say what went wrong.
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        wrong = [ln for ln in lines if any(w in ln.lower() for w in _OPENSSL_WORDS)]
        said = (wrong or lines[-1:] or ["no message"])[0].strip()
        raise EnrolError(f"openssl {args[0]} failed: {said}")
    return done.stdout


_OPENSSL_WORDS = ("error", "could not", "unable", "bad ", "wrong", "no such", "cannot")


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


@contextlib.contextmanager
def _replacing(*finals: Path) -> Iterator[tuple[Path, ...]]:
    """New files written under temporary names beside ``finals``, put in their place
    together once all were written: a failure leaves the old ones (a certificate and its
    key stay a pair) and nothing half made."""
    drafts = tuple(f.with_name(f".{f.name}.new") for f in finals)
    try:
        yield drafts
        for draft, final in zip(drafts, finals, strict=True):
            os.replace(draft, final)
    finally:
        for draft in drafts:
            with contextlib.suppress(FileNotFoundError):
                draft.unlink()


def make_ca(folder: Path, name: str = "Clinic group kiosk CA") -> None:
    """A new group CA in ``folder``: ca.key (this account only) and ca.crt."""
    _tool()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _replacing(folder / CA_KEY, folder / CA_CERT) as (key, cert):
        _new_key(key)
        _openssl(
            "req", "-x509", "-new", "-key", str(key), "-sha256",
            "-days", str(CA_DAYS), "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", str(cert),
        )  # fmt: skip


def ca_files(ca: Path) -> tuple[Path, Path]:
    """The group CA's certificate and key in folder ``ca`` (ca.crt and ca.key)."""
    return ca / CA_CERT, ca / CA_KEY


def _not_easy_rsa(ca: Path, make: str) -> None:
    """easy-rsa signs its own certificates: one signed here would be missing from its
    records, and `./easyrsa revoke` could not take it back."""
    if (ca / "private" / CA_KEY).is_file() or (ca / "pki" / "private" / CA_KEY).is_file():
        raise EnrolError(
            f"{ca} is an easy-rsa CA: make the certificate there ({make}) so it can revoke "
            "it, and give it with --cert and --key (docs/fleet.md)"
        )


def ensure_ca(ca: Path, make: str) -> bool:
    """The group CA in folder ``ca``, made there when it holds none: whether it was made now.
    An easy-rsa CA is refused (``make``: the easy-rsa command that makes the certificate)."""
    _not_easy_rsa(ca, make)
    ca_cert, ca_key = ca_files(ca)
    has_cert, has_key = ca_cert.is_file(), ca_key.is_file()
    if has_cert != has_key:
        raise EnrolError(
            f"{ca} holds {'ca.crt' if has_cert else 'ca.key'} without "
            f"{'ca.key' if has_cert else 'ca.crt'}: give the folder with both"
        )
    if has_cert:
        return False
    make_ca(ca)
    return True


def _sign(subject: str, cert: Path, key: Path, ca: Path, days: int, extensions: str) -> None:
    """A new key at ``key`` (this account only) and its certificate at ``cert``, signed by
    the CA in folder ``ca``; both or neither (the old pair stays if signing fails)."""
    _tool()
    with _replacing(key, cert) as (new_key, new_cert):
        _new_key(new_key)
        _sign_key(subject, new_cert, new_key, ca, days, extensions)


def _sign_key(subject: str, cert: Path, key: Path, ca: Path, days: int, extensions: str) -> None:
    ca_cert, ca_key = ca_files(ca)
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
    _not_easy_rsa(ca, f"./easyrsa build-client-full {kiosk_id} nopass")
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    _sign(
        kiosk_id, out / KIOSK_CERT, out / KIOSK_KEY, ca, days,
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=clientAuth\n",
    )  # fmt: skip
    shutil.copyfile(ca_files(ca)[0], out / CA_CERT)


def issue_server(hosts: Sequence[str], out: Path, ca: Path, days: int = KIOSK_DAYS) -> None:
    """The central server's key and certificate for every name (or address) in ``hosts``
    that kiosks connect to and check (a LAN name and a WireGuard address, say), signed by
    the CA in folder ``ca``: server.crt, server.key, ca.crt."""
    import ipaddress

    names = []
    for host in hosts:
        if not re.fullmatch(r"[A-Za-z0-9.:-]{1,253}", host):
            raise EnrolError(f"{host!r} is not a host name or address")
        try:
            ipaddress.ip_address(host)
            names.append(f"IP:{host}")
        except ValueError:
            names.append(f"DNS:{host}")
    if not names:
        raise EnrolError("give the server's name with --host")
    _not_easy_rsa(ca, f"./easyrsa build-server-full {hosts[0]} nopass")
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    _sign(
        hosts[0], out / SERVER_CERT, out / SERVER_KEY, ca, days,
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        f"extendedKeyUsage=serverAuth\nsubjectAltName={','.join(names)}\n",
    )  # fmt: skip
    shutil.copyfile(ca_files(ca)[0], out / CA_CERT)


def adopt(kiosk_id: str, out: Path, ca: Path, cert: Path, key: Path) -> None:
    """A kiosk certificate the group's own CA made (easy-rsa, say): checked to be this
    kiosk's, for signing in, signed by the CA in ``ca`` and the pair of ``key`` (not
    encrypted: the kiosk starts unattended), then copied beside ca.crt, the key 0600."""
    import ssl

    facts = read_certificate(cert)
    if facts is None:
        raise EnrolError(f"{cert} is not a PEM certificate")
    if facts.common_name != kiosk_id:
        raise EnrolError(
            f"{cert} is for {facts.common_name!r}: its common name must be the kiosk id "
            f"{kiosk_id!r}"
        )
    ca_cert = ca_files(ca)[0]
    try:
        # A wrong password for a key that needs none is not asked for: only an encrypted
        # key, or one that is not the certificate's, fails here.
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(cert, key, password=b"")
    except ssl.SSLError:
        raise EnrolError(
            f"{key} is not the key of {cert}, or it is encrypted (the kiosk needs it "
            "without a passphrase: easy-rsa's nopass)"
        ) from None
    except OSError as exc:
        raise EnrolError(f"cannot read {exc.filename}: {exc.strerror}") from None
    _openssl("verify", "-CAfile", str(ca_cert), "-purpose", "sslclient", str(cert))
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _replacing(out / KIOSK_KEY, out / KIOSK_CERT, out / CA_CERT) as drafts:
        _private_file(drafts[0])
        drafts[0].write_bytes(key.read_bytes())
        shutil.copyfile(cert, drafts[1])
        shutil.copyfile(ca_cert, drafts[2])


def add_role(dsn: str, kiosk_id: str, site: str) -> str:
    """The kiosk's role and its row on the central server (as IT's admin role), or both made
    active again: "created" or "existed". Raises FleetError."""
    import psycopg
    from psycopg import sql

    with connect(dsn, autocommit=True) as conn:
        try:
            with conn.transaction():
                exists = conn.execute(
                    "SELECT pg_has_role(r.oid, g.oid, 'MEMBER') FROM pg_roles r, pg_roles g "
                    "WHERE r.rolname = %s AND g.rolname = %s",
                    [kiosk_id, KIOSK_GROUP],
                ).fetchone()
                if exists is not None and not exists[0]:
                    # Another role of that name (IT's own, say): making it a kiosk would
                    # let a certificate with that name sign in as it.
                    raise FleetError(
                        f"a role {kiosk_id!r} exists on the central server and is not a "
                        "kiosk: choose another kiosk id"
                    )
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
    ca_cert = ca_files(ca)[0]
    created = False
    if existing is not None:
        if not ca_cert.is_file():
            raise EnrolError(f"{ca} holds no ca.crt: give the folder of the CA that signed it")
        adopt(kiosk_id, out, ca, *existing)
    else:
        created = ensure_ca(ca, f"./easyrsa build-client-full {kiosk_id} nopass")
        issue(kiosk_id, out, ca, days)
    role = add_role(dsn, kiosk_id, site) if dsn is not None else ""
    facts = read_certificate(out / KIOSK_CERT)
    return Enrolled(out, created, role, facts.not_after if facts else None)


# Where docs/fleet.md puts a kiosk's three files on a Linux kiosk.
KIOSK_FOLDER = "/etc/clinic-kiosk/fleet"


def config_block(host: str, port: int, database: str, folder: str = KIOSK_FOLDER) -> str:
    """The ``[fleet]`` table for the kiosk's config, for IT to paste: the files where they
    will be on the kiosk (``folder``), every value quoted as TOML wants it."""
    import json

    def quoted(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)  # a TOML basic string, escapes and all

    base = folder.rstrip("/\\")
    sep = "\\" if "\\" in base and "/" not in base else "/"
    return (
        "[fleet]\n"
        f"host = {quoted(host)}\n"
        f"port = {port}\n"
        f"database = {quoted(database)}\n"
        f"ca_file = {quoted(base + sep + CA_CERT)}\n"
        f"cert_file = {quoted(base + sep + KIOSK_CERT)}\n"
        f"key_file = {quoted(base + sep + KIOSK_KEY)}\n"
    )
