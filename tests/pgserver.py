"""A real PostgreSQL for the fleet tests: the Debian package's server, started on 127.0.0.1 in
a temporary folder, with TLS from a throw-away CA and kiosks signing in by client
certificate only (CN = their role), the way docs/fleet.md sets up the central server.

initdb and pg_ctl refuse to run as root, and CI runs as root: they run as the `postgres`
system user (runuser), which the Debian package creates.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.crypto import MIN_COST, Sealer, Unlocked
from kiosk.fleet.central_schema import KIOSK_GROUP
from kiosk.fleet.delivery import Target
from kiosk.fleet.desk import DeskTarget

SERVER_USER = "postgres"
# IT's role as docs/fleet.md makes it: it owns the database and may create roles, and is
# not a superuser (so the functions kiosks call run with no more than its rights).
ADMIN = "kiosk_admin"


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4])
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class ClientFiles:
    """A kiosk's TLS files, as `kiosk fleet enrol` writes them."""

    cert: Path
    key: Path
    ca: Path


class PgServer:
    """One PostgreSQL cluster; the test that made it stops it (``close``).

    Its TLS comes from a throw-away CA made with trustme (a revocation list too), or, with
    ``ca_dir`` (`make bench`, which has no test libraries), from the kiosk's own tools
    (kiosk.fleet.enrol: the CA made there on first use, no revocation list).
    """

    def __init__(self, bin_dir: Path, ca_dir: Path | None = None) -> None:
        self.bin = bin_dir
        self.base = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.data = self.base / "data"
        self.socket_dir = self.base / "sock"
        self.socket_dir.mkdir()
        self.port = _free_port()
        self.ca_dir = ca_dir
        self.ca_file = self.base / "ca.crt"
        self._as_server_user(self.base, self.socket_dir)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--auth-local=trust",
            "--auth-host=reject",
            "--no-sync",
        )
        self.revoked: list[int] = []
        if ca_dir is None:
            import trustme

            self.ca = trustme.CA(organization_name="Test clinic group")
            self.ca.cert_pem.write_to_path(str(self.ca_file))
            cert = self.ca.issue_cert("127.0.0.1", "localhost")
            cert.private_key_pem.write_to_path(str(self.data / "server.key"))
            cert.cert_chain_pems[0].write_to_path(str(self.data / "server.crt"))
            self._write_crl()
            crl = "ssl_crl_file = 'crl.pem'\n"
        else:
            from kiosk.fleet.enrol import ca_files, issue_server, make_ca

            if not ca_files(ca_dir)[0].exists():
                make_ca(ca_dir)
            issue_server(["127.0.0.1"], self.data, ca_dir)
            shutil.copy(self.data / "ca.crt", self.ca_file)
            crl = ""
        shutil.copy(self.ca_file, self.data / "ca.crt")
        os.chmod(self.data / "server.key", 0o600)
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                f"ssl_ca_file = 'ca.crt'\n{crl}"
                "ssl_min_protocol_version = 'TLSv1.3'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        # Kiosks over TLS with a certificate whose CN is their role; IT through the socket.
        (self.data / "pg_hba.conf").write_text(
            "local all postgres trust\n"
            f"local all {ADMIN} trust\n"
            "hostssl all +kiosk_fleet 127.0.0.1/32 cert\n"
            "hostssl all +desk_staff 127.0.0.1/32 scram-sha-256\n"
            "host all all all reject\n"
        )
        self._as_server_user(*self.data.iterdir())
        self.start()
        import psycopg

        with psycopg.connect(self.superuser_dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {ADMIN} LOGIN CREATEROLE")

    def _as_server_user(self, *paths: Path) -> None:
        if os.geteuid() != 0:
            return
        user = pwd.getpwnam(SERVER_USER)
        for path in paths:
            os.chown(path, user.pw_uid, user.pw_gid)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def _write_crl(self) -> None:
        """The group's revocation list, signed by its CA (valid for a month)."""
        import datetime as dt

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization

        ca_cert = x509.load_pem_x509_certificate(self.ca.cert_pem.bytes())
        ca_key = serialization.load_pem_private_key(self.ca.private_key_pem.bytes(), None)
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now - dt.timedelta(minutes=5))
            .next_update(now + dt.timedelta(days=30))
        )
        for serial in self.revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(now - dt.timedelta(minutes=1))
                .build()
            )
        crl = builder.sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
        path = self.data / "crl.pem"
        path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
        self._as_server_user(path)

    def revoke(self, files: ClientFiles) -> None:
        """Put a kiosk's certificate on the revocation list, and have the server read it."""
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
        self.revoked.append(cert.serial_number)
        self._write_crl()
        self.reload()

    def reload(self) -> None:
        """Have the server read its configuration (and revocation list) again, and wait
        until it has."""
        import time

        import psycopg

        with psycopg.connect(self.superuser_dsn(), autocommit=True) as conn:
            before = conn.execute("SELECT pg_conf_load_time()").fetchone()
            conn.execute("SELECT pg_reload_conf()")
            deadline = time.monotonic() + 10
            while conn.execute("SELECT pg_conf_load_time()").fetchone() == before:
                assert time.monotonic() < deadline, "the server did not reload"
                time.sleep(0.02)  # (the postmaster reloads on its own, soon)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def close(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def superuser_dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} user=postgres dbname={dbname}"

    def admin_dsn(self, dbname: str) -> str:
        """IT's connection (not a superuser), through the socket."""
        return f"host={self.socket_dir} port={self.port} user={ADMIN} dbname={dbname}"

    def create_database(self, name: str) -> str:
        """A fresh database for one test, owned by IT's role; returns IT's DSN to it."""
        import psycopg

        with psycopg.connect(self.superuser_dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" OWNER {ADMIN}')
        return self.admin_dsn(name)

    def client_files(self, common_name: str, folder: Path) -> ClientFiles:
        """A client certificate for ``common_name`` signed by the group's CA."""
        if self.ca_dir is not None:
            from kiosk.fleet.enrol import issue

            issue(common_name, folder, self.ca_dir)
            return ClientFiles(folder / "kiosk.crt", folder / "kiosk.key", folder / "ca.crt")
        folder.mkdir(parents=True, exist_ok=True)
        cert = self.ca.issue_cert(f"{common_name}.kiosks.invalid", common_name=common_name)
        files = ClientFiles(
            folder / f"{common_name}.crt", folder / f"{common_name}.key", self.ca_file
        )
        cert.cert_chain_pems[0].write_to_path(str(files.cert))
        cert.private_key_pem.write_to_path(str(files.key))
        os.chmod(files.key, 0o600)
        return files

    def kiosk_dsn(self, role: str, files: ClientFiles, dbname: str) -> str:
        """A kiosk's connection: TLS, the server checked against the group's CA."""
        return (
            f"host=127.0.0.1 port={self.port} dbname={dbname} user={role} "
            f"sslmode=verify-full sslrootcert={files.ca} sslcert={files.cert} "
            f"sslkey={files.key}"
        )


@dataclass(frozen=True)
class Central:
    """A central database with its schema, and how IT and kiosks reach it."""

    server: PgServer
    dbname: str
    admin_dsn: str
    folder: Path

    def enrol(self, kiosk_id: str, site: str = "") -> str:
        """Enrol a kiosk as IT does (its role, its row, its certificate): its DSN."""
        files = self.enrol_files(kiosk_id, site)
        return self.server.kiosk_dsn(kiosk_id, files, self.dbname)

    def enrol_files(self, kiosk_id: str, site: str = "") -> ClientFiles:
        """Enrol a kiosk: its role, its row, and its certificate's files."""
        import psycopg

        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [kiosk_id])
            if exists.fetchone() is None:
                conn.execute(
                    f'CREATE ROLE "{kiosk_id}" LOGIN CONNECTION LIMIT 4 IN ROLE {KIOSK_GROUP}'
                )
            else:  # roles belong to the cluster: an earlier test may have shut this one out
                conn.execute(f'ALTER ROLE "{kiosk_id}" LOGIN')
            conn.execute(
                "INSERT INTO fleet.kiosk (kiosk_id, site) VALUES (%s, %s)", [kiosk_id, site]
            )
        return self.server.client_files(kiosk_id, self.folder / kiosk_id)

    def target(
        self, kiosk_id: str, files: ClientFiles, port: int | None = None, timeout: int = 10
    ) -> Target:
        """How the kiosk ``kiosk_id`` reaches this database (through ``port``, a relay's,
        when given)."""
        return Target(
            "127.0.0.1",
            port or self.server.port,
            self.dbname,
            kiosk_id,
            files.ca,
            files.cert,
            files.key,
            connect_timeout=timeout,
        )

    def desk_target(self) -> DeskTarget:
        """How the desk console reaches this database (TLS, the server checked)."""
        return DeskTarget("127.0.0.1", self.server.port, self.dbname, self.server.ca_file)

    def add_account(
        self, private: Unlocked, account: str, passphrase: str, *, admin: bool = False
    ) -> None:
        """A desk account as an administrator adds it (at the cheapest Argon2id cost)."""
        from kiosk.fleet import accounts

        accounts.add(self.admin_dsn, private, account, passphrase, is_admin=admin, cost=MIN_COST)

    def deliver(
        self, sealer: Sealer, kiosk_id: str, site: str, names: list[str], **form: object
    ) -> list[str]:
        """Requests saved on a real kiosk store (in this central's folder) and delivered by
        its courier, as a kiosk at ``site`` would: their reference codes."""
        from kiosk.fleet.delivery import Courier
        from kiosk.store import AppointmentStore, open_database

        from testkit import save_patient

        files = self.enrol_files(kiosk_id, site=site)
        db = self.folder / f"{kiosk_id}.db"
        store = AppointmentStore(open_database(db), sealer=sealer, deliver=True)
        try:
            references = [save_patient(store, name, kiosk=kiosk_id, **form) for name in names]
            report = Courier(self.target(kiosk_id, files)).sync(store)
            assert (report.error, report.settled.stored) == ("", len(names)), report
        finally:
            store.close()
        return references

    def copy_requests(self, kiosks: list[tuple[str, str]], rows: Iterable[tuple[Any, ...]]) -> None:
        """Kiosks (id, site) and requests straight into the central tables, as IT's role
        (COPY: a million for `make bench` in a minute), then the planner's statistics.
        ``rows``: request_id, kiosk_id, site, created_at_kiosk, received_at, key_id,
        payload_sha256, sealed_payload, reference, status, exported_at, reached_at."""
        import psycopg

        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute("SET synchronous_commit = off")
            with conn.transaction():
                for kiosk_id, site in kiosks:
                    conn.execute(
                        "INSERT INTO fleet.kiosk (kiosk_id, site) VALUES (%s, %s)",
                        [kiosk_id, site],
                    )
            with (
                conn.cursor() as cur,
                cur.copy(
                    "COPY fleet.request (request_id, kiosk_id, site, created_at_kiosk, received_at,"
                    " key_id, payload_sha256, sealed_payload, reference, status, exported_at,"
                    " reached_at) FROM STDIN"
                ) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            conn.execute("VACUUM ANALYZE fleet.request")

    def passphrase_chosen(self, account: str) -> None:
        """As if ``account``'s owner had chosen their own passphrase (benchmarks)."""
        self.query(
            "UPDATE fleet.staff_account SET must_change = false WHERE account = %s", [account]
        )

    def stored(self) -> int:
        """How many requests the central server holds."""
        return int(self.query("SELECT count(*) FROM fleet.request")[0][0])

    def health(self) -> dict[str, int]:
        """How many kiosks fleet_health shows in each status."""
        rows = self.query("SELECT status, count(*) FROM fleet.fleet_health GROUP BY status")
        return {str(status): int(n) for status, n in rows}

    def query(self, sql: str, params: list[object] | None = None) -> list[tuple[Any, ...]]:
        """Run ``sql`` as IT and return its rows."""
        import psycopg

        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []


@contextlib.contextmanager
def running_server(ca_dir: Path | None = None) -> Iterator[PgServer]:
    bin_dir = server_binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (tests/system-packages.sh installs it)")
    server = PgServer(bin_dir, ca_dir)
    try:
        yield server
    finally:
        server.close()
