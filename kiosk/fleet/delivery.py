"""Central delivery from the kiosk: the outbox sent to the central PostgreSQL in bounded
batches (one server transaction each), the heartbeat, and backoff with jitter on a clock
nobody can set (no Qt; the running kiosk calls it off the GUI thread, ``kiosk fleet sync``
from the command line; a lock file keeps the two from sending the same requests)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.fleet.server import FleetError, connect
from kiosk.store import StoreError
from kiosk.store.outbox import Parcel, Settled

if TYPE_CHECKING:
    import psycopg

    from kiosk.config import Settings
    from kiosk.store import AppointmentStore

log = logging.getLogger(__name__)

# A batch: at most this many requests (the server takes 500) and about this much
# ciphertext, so one transaction stays short on a slow link.
BATCH_LIMIT = 200
BATCH_BYTES = 1 << 20
# One run sends for at most this long, then gives its thread back (the next run goes on).
RUN_SECONDS = 60.0
# A batch the server has not answered in this long is abandoned (a link that went silent
# without a word: neither the server's statement timeout nor TCP notices a peer that
# accepts data and never answers).
BATCH_SECONDS = 60.0
# After a failure the next try waits 2 s, then 4, 8, ... up to an hour, each ±50 % at
# random (so a clinic's kiosks do not all come back in the same second).
BACKOFF_FIRST = 2.0
BACKOFF_MAX = 3600.0
# A server without the updates' heartbeat (schema 5) is asked again after this long.
OLDER_SERVER_S = 6 * 3600.0


@dataclass(frozen=True)
class Target:
    """The central server and this kiosk's identity there (from ``[fleet]``)."""

    host: str
    port: int
    database: str
    kiosk_id: str
    ca_file: Path
    cert_file: Path
    key_file: Path
    connect_timeout: int = 10

    def params(self) -> dict[str, Any]:
        """libpq's parameters: TLS 1.3, the server's name checked against the group's CA,
        and this kiosk's certificate as its only credential (no password anywhere)."""
        return {
            "host": self.host,
            "port": self.port,
            "dbname": self.database,
            "user": self.kiosk_id,
            "sslmode": "verify-full",
            "sslrootcert": str(self.ca_file),
            "sslcert": str(self.cert_file),
            "sslkey": str(self.key_file),
            # Never a passphrase prompt (libpq asks on the terminal for an encrypted key,
            # and waits): a kiosk's key is unencrypted, and an encrypted one fails at once.
            "sslpassword": "-",
            "ssl_min_protocol_version": "TLSv1.3",
            "connect_timeout": self.connect_timeout,
            "application_name": f"kiosk {self.kiosk_id}",
        }


def target_of(settings: Settings) -> Target | None:
    """Where this kiosk delivers, or None when central delivery is off."""
    fleet = settings.fleet
    if fleet is None:
        return None
    ca, cert, key = fleet.paths()
    return Target(fleet.host, fleet.port, fleet.database, settings.kiosk_id, ca, cert, key)


# libpq's words when the server turned the kiosk away at the door, when the database or
# role it names is not there, and when a connection that was working broke.
_REFUSED = (
    "not permitted to log in",
    "certificate authentication failed",
    "no pg_hba.conf entry",
)
_SETUP = ("does not exist",)
_LINK_LOST = (
    "eof",
    "consuming input failed",
    "server closed the connection",
    "connection reset",
    "broken pipe",
    "lost synchronization",
)


# What each code of error_code (and each receipt noted as an error) means, for IT.
ERROR_TEXTS = {
    "unreachable": "the central server could not be reached (address, port, firewall, VPN?)",
    "timeout": "the central server did not answer in time (a link that went silent?)",
    "setup": "the central database or this kiosk's role is not there (check [fleet] "
    "database and kiosk_id, and that the kiosk is enrolled)",
    "link": "the connection broke while sending; nothing was lost, it is sent again",
    "tls": "the TLS handshake failed (the certificate files, their dates, the CA, or the "
    "certificate was revoked)",
    "refused": "the central server refused this kiosk's sign-in (role, certificate name or "
    "pg_hba.conf)",
    "inactive": "this kiosk is taken out on the central server (fleet.kiosk.active)",
    "data": "the central server refused a request's data; it is quarantined",
    "conflict": "the central server holds another request under the same id; quarantined",
    "retry": "the central server was storing the same request from elsewhere; sent again",
    "server": "the central server reported an error, or is full (see its log)",
    "local": "this kiosk's database or its lock file could not be used (run `kiosk doctor`); "
    "whatever the server already has is sent again and counted as duplicates",
}


def error_code(exc: BaseException) -> str:
    """A short code for what went wrong (the log, the heartbeat, ``kiosk fleet status``):
    never a message text, which may quote a server's words."""
    if isinstance(exc, _TimedOut):
        return "timeout"
    if isinstance(exc, (StoreError, OSError)):
        return "local"
    sqlstate = getattr(exc, "sqlstate", None) or ""
    if sqlstate == "28000" and "not active" in str(exc):
        return "inactive"
    if sqlstate.startswith("28") or sqlstate == "42501":
        return "refused"
    if sqlstate == "57014":
        return "timeout"
    if sqlstate.startswith(("22", "23")):
        return "data"
    if sqlstate.startswith("08"):
        return "link"
    if sqlstate:
        return "server"
    text = str(exc).lower()
    if "timeout" in text or "timed out" in text:
        return "timeout"
    if any(words in text for words in _REFUSED):
        return "refused"
    if any(words in text for words in _SETUP):
        return "setup"
    if "too many connections" in text:
        return "server"
    if any(words in text for words in _LINK_LOST):
        return "link"
    if any(word in text for word in ("certificate", "ssl", "tls", "private key")):
        return "tls"
    return "unreachable"


class Backoff:
    """When the next attempt may go, on a clock that only moves forward."""

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._monotonic = monotonic
        self._rng = rng
        self.failures = 0
        self._not_before = 0.0

    def ready(self) -> bool:
        return self._monotonic() >= self._not_before

    def wait_left(self) -> float:
        return max(0.0, self._not_before - self._monotonic())

    def failed(self) -> float:
        """One more failure: the wait before the next attempt, in seconds."""
        # (the exponent capped: 2.0**1024 overflows, after six weeks of hourly failures)
        base = min(BACKOFF_MAX, BACKOFF_FIRST * 2.0 ** min(self.failures, 20))
        self.failures += 1
        wait = base * (0.5 + self._rng())
        self._not_before = self._monotonic() + wait
        return wait

    def succeeded(self) -> None:
        self.failures = 0
        self._not_before = 0.0


@dataclass(frozen=True)
class SyncReport:
    """One run: what the server answered, what was quarantined here, and why it stopped
    early (``error``: a code of :func:`error_code`; ``skipped``: "backoff", "busy", or
    "closing" once the kiosk is closing)."""

    settled: Settled = field(default_factory=Settled)
    quarantined: int = 0
    batches: int = 0
    error: str = ""
    skipped: str = ""
    wait_s: float = 0.0


class _TimedOut(Exception):  # noqa: N818 - a finding, reported as the code "timeout"
    """The server did not answer within the deadline; the connection was cut."""


@contextlib.contextmanager
def _deadline(conn: psycopg.Connection[Any], seconds: float) -> Iterator[None]:
    """Cut the connection if the block takes longer than ``seconds``: the query waiting for
    an answer then fails at once instead of hanging, and _TimedOut is raised.

    The cut acts on a duplicate of the socket made now (a shutdown reaches the connection
    itself, whichever descriptor names it), never on a descriptor number looked up later,
    which by then could name another socket; and it is over before the block's end returns.
    """
    import psycopg

    try:
        own = socket.fromfd(conn.pgconn.socket, socket.AF_INET, socket.SOCK_STREAM)
    except (OSError, psycopg.Error):
        yield  # no socket to watch (the connection is gone): nothing can hang on it
        return
    fired = threading.Event()

    def cut() -> None:
        fired.set()
        with contextlib.suppress(OSError):
            own.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    try:
        yield
    except Exception as exc:
        if fired.is_set():
            raise _TimedOut from exc
        raise
    finally:
        timer.cancel()
        timer.join()
        own.close()


def _ingest(conn: psycopg.Connection[Any], batch: Sequence[Parcel]) -> dict[str, str]:
    """Send ``batch`` in one server transaction; the receipts once it has committed."""
    with conn.transaction():
        rows = conn.execute(
            "SELECT request_id::text, outcome FROM fleet.ingest_batch("
            "%s::uuid[], %s::timestamptz[], %s::text[], %s::bytea[], %s::bytea[], %s::text[])",
            [
                [p.uuid for p in batch],
                [p.created_at for p in batch],
                [p.key_id for p in batch],
                [p.sha256 for p in batch],
                [p.sealed for p in batch],
                [p.reference for p in batch],
            ],
        ).fetchall()
    return {str(request_id): str(outcome) for request_id, outcome in rows}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Courier:
    """Central delivery for one kiosk; one per process, used from one thread at a time.

    ``sync`` sends what is due, ``heartbeat`` says how the kiosk is; both open a connection
    of their own and close it. Failures are never raised: they wait their backoff, and the
    last one's code is kept for the heartbeat and ``kiosk fleet status``.
    """

    def __init__(
        self,
        target: Target,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], dt.datetime] = _utcnow,
        batch_limit: int = BATCH_LIMIT,
        batch_bytes: int = BATCH_BYTES,
        run_seconds: float = RUN_SECONDS,
        batch_seconds: float = BATCH_SECONDS,
        pause_s: float = 0.0,
    ) -> None:
        self.target = target
        self._monotonic = monotonic
        self._clock = clock
        self.backoff = Backoff(monotonic, rng)
        self._batch_limit = batch_limit
        self._batch_bytes = batch_bytes
        self._run_seconds = run_seconds
        self._batch_seconds = batch_seconds
        # Between two batches (the running kiosk's): the screen's thread gets the processor
        # and the interpreter to itself for a while, however long the backlog.
        self._pause_s = pause_s
        self.last_error = ""
        # Set when the kiosk closes: a run stops after the batch under way.
        self.halt = threading.Event()
        # Until when the server is taken to predate the updates' heartbeat (schema 5).
        self._older_server_until = 0.0

    def _connect(self) -> psycopg.Connection[Any]:
        params = self.target.params()
        return connect("", autocommit=True, **params)

    def sync(self, store: AppointmentStore, *, now: bool = False) -> SyncReport:
        """Send the outbox's due requests, batch after batch, until it is empty, a run's
        time is up, or something fails (then the backoff decides when to try again; with
        ``now``, as when IT asks, it is not waited for). Another process sending for this
        kiosk at the same moment makes this run skip ("busy")."""
        if self.halt.is_set():
            return SyncReport(skipped="closing")
        if not now and not self.backoff.ready():
            return SyncReport(skipped="backoff", wait_s=self.backoff.wait_left())
        try:
            with _sync_lock(store):
                report = self._sync(store)
        except _Busy:
            return SyncReport(skipped="busy")
        except OSError as exc:  # the lock file cannot be made or opened (its folder, rights)
            log.error("fleet_lock_unusable error=%s", type(exc).__name__)
            report = SyncReport(error="local")
        if report.error:
            wait = self.backoff.failed()
            self.last_error = report.error
            log.warning("fleet_sync_failed error=%s retry_in_s=%.0f", report.error, wait)
            return SyncReport(
                report.settled, report.quarantined, report.batches, report.error, wait_s=wait
            )
        self.backoff.succeeded()
        self.last_error = ""
        if report.batches:
            s = report.settled
            log.info(
                "fleet_sync stored=%d duplicate=%d retry=%d conflict=%d quarantined=%d",
                s.stored,
                s.duplicate,
                s.retry,
                s.conflict,
                report.quarantined,
            )
        return report

    def _sync(self, store: AppointmentStore) -> SyncReport:
        settled = Settled()
        quarantined = batches = 0
        outbox = store.outbox
        try:
            batch = outbox.batch(self._batch_limit, self._batch_bytes)
        except StoreError as exc:
            return SyncReport(error=error_code(exc))
        if not batch:
            return SyncReport()
        started = self._monotonic()
        try:
            conn = self._connect()
        except FleetError as exc:
            code = _code(exc)
            _note_failure(outbox, batch, code)
            return SyncReport(error=code)
        with conn:
            while batch:
                try:
                    with _deadline(conn, self._batch_seconds):
                        receipts = _ingest(conn, batch)
                except Exception as exc:  # noqa: BLE001 - psycopg's, named by code below
                    code = error_code(exc)
                    if code == "data":
                        # The server refused the batch's data as a whole: each request alone
                        # shows which one it is, and only that one is set aside.
                        try:
                            found, quarantined_now = self._one_by_one(conn, store, batch)
                        except Exception as again:  # noqa: BLE001 - as above
                            code = error_code(again)
                            _note_failure(outbox, batch, code)
                            return SyncReport(settled, quarantined, batches, code)
                        settled += found
                        quarantined += quarantined_now
                        batches += 1
                        batch = self._next(outbox, settled, started)
                        continue
                    _note_failure(outbox, batch, code)
                    return SyncReport(settled, quarantined, batches, code)
                batches += 1
                # The server has committed: from here a failure only leaves requests it has
                # here, and the next run's receipts say "duplicate" for them.
                try:
                    done = outbox.settle(receipts)
                except StoreError as exc:
                    return SyncReport(settled, quarantined, batches, error_code(exc))
                settled += done
                if done.retry:
                    break  # another session is storing the same requests: later
                batch = self._next(outbox, settled, started)
        if settled.delivered:
            outbox.empty_wal()  # (again: a reader may have kept it from the last settle)
        return SyncReport(settled, quarantined, batches)

    def _next(self, outbox: Any, settled: Settled, started: float) -> list[Parcel]:
        if self._pause_s and self.halt.wait(self._pause_s):
            return []  # the kiosk is closing
        if self.halt.is_set() or self._monotonic() - started > self._run_seconds:
            return []
        try:
            return list(outbox.batch(self._batch_limit, self._batch_bytes))
        except StoreError:
            return []  # the next run reads again (and says why if it still cannot)

    def _one_by_one(
        self, conn: psycopg.Connection[Any], store: AppointmentStore, batch: Sequence[Parcel]
    ) -> tuple[Settled, int]:
        settled = Settled()
        bad: list[str] = []
        for parcel in batch:
            try:
                with _deadline(conn, self._batch_seconds):
                    receipts = _ingest(conn, [parcel])
            except Exception as exc:
                code = error_code(exc)
                if code != "data":
                    raise
                bad.append(parcel.uuid)
                continue
            settled += store.outbox.settle(receipts)
        quarantined = store.outbox.quarantine(bad, "data") if bad else 0
        return settled, quarantined

    def local_failure(self) -> None:
        """The kiosk's own database could not be opened for a run: like any failure, said
        by the next heartbeat and waited for."""
        self.last_error = "local"
        wait = self.backoff.failed()
        log.warning("fleet_sync_failed error=local retry_in_s=%.0f", wait)

    def probe(self) -> float | str:
        """Whether the central server answers this kiosk (``kiosk doctor``): this clock's
        offset from the server's in seconds, or an error code."""
        clock = self._clock()
        try:
            with self._connect() as conn, _deadline(conn, self._batch_seconds):
                row = conn.execute("SELECT now()").fetchone()
        except Exception as exc:  # noqa: BLE001 - psycopg's or FleetError, named by code
            return _code(exc)
        if row is None:
            return "server"
        return (clock - row[0]).total_seconds()

    def heartbeat(
        self,
        store: AppointmentStore,
        app_version: str,
        content_version: str,
        update: tuple[str, dt.datetime | None] | None = None,
    ) -> float | None:
        """Tell the central server how this kiosk is (with ``update``, its last content
        update check: the outcome and until when its repository is signed); return the
        clock's offset from the server's in seconds (None when the server could not be
        told: not retried, the next heartbeat says it all again)."""
        import psycopg

        try:
            state = store.outbox.state()
        except StoreError as exc:
            self.last_error = error_code(exc)
            return None
        clock = self._clock()
        args: list[Any] = [
            clock,
            app_version,
            content_version,
            state.pending + state.quarantined,
            state.oldest_pending_seconds(clock),
            self.last_error or state.last_error,
        ]
        try:
            with self._connect() as conn, _deadline(conn, self._batch_seconds):
                row = None
                if update is not None and self._monotonic() >= self._older_server_until:
                    try:
                        row = conn.execute(
                            "SELECT fleet.kiosk_heartbeat(%s, %s, %s, %s, %s, %s, %s, %s)",
                            [*args, *update],
                        ).fetchone()
                    except psycopg.errors.UndefinedFunction:
                        # A server not yet at schema 5 (IT runs server-init after an
                        # upgrade): the heartbeat as before, and not asked again for hours.
                        self._older_server_until = self._monotonic() + OLDER_SERVER_S
                if row is None:
                    row = conn.execute(
                        "SELECT fleet.kiosk_heartbeat(%s, %s, %s, %s, %s, %s)", args
                    ).fetchone()
        except Exception as exc:  # noqa: BLE001 - psycopg's or FleetError, named by code
            code = _code(exc)
            log.warning("fleet_heartbeat_failed error=%s", code)
            return None
        if row is None:
            return None
        server_now: dt.datetime = row[0]
        return (clock - server_now).total_seconds()


def _code(exc: BaseException) -> str:
    """error_code of what a connect or a query raised: a deadline that ran out is a timeout
    whatever the cut connection then said; a FleetError by what caused it."""
    if isinstance(exc, _TimedOut):
        return "timeout"
    if isinstance(exc, FleetError) and exc.__cause__ is not None:
        return error_code(exc.__cause__)
    return error_code(exc)


def _note_failure(outbox: Any, batch: Sequence[Parcel], code: str) -> None:
    with contextlib.suppress(StoreError):  # counted next time
        outbox.failed([p.uuid for p in batch], code)


class _Busy(Exception):  # noqa: N818 - not an error: another process is sending
    pass


@contextlib.contextmanager
def _sync_lock(store: AppointmentStore) -> Iterator[None]:
    """One sender per database: a lock file beside it, released by the system when the
    process that holds it dies (a crash never leaves the kiosk unable to send)."""
    from filelock import FileLock, Timeout

    path = store.path
    if path is None:  # an in-memory database belongs to one process
        yield
        return
    lock = FileLock(str(path.with_name(path.name + ".send-lock")), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise _Busy from None
    try:
        yield
    finally:
        lock.release()
