"""The front-desk console's work with the central server: signing in as a desk account, the
request list (filtered, sorted and paged by the server, opened here), marking with optimistic
concurrency, exports, deletion, fleet health and retention (no Qt; kiosk.ui.desk shows it).

Everything personal arrives sealed and is opened on the desk PC, in memory only. A staff
note is sealed here, to the clinic's public key, before it is sent: nothing opened is ever
written back. The server runs every step as the account's own role, through functions that
audit it (kiosk.fleet.central_schema, migration 3).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import msgspec

from kiosk import crypto, passcodes
from kiosk.fleet.accounts import AccountError, check_name, role_of, scram_verifier
from kiosk.fleet.server import HYGIENE, FleetError
from kiosk.store import ExportRow, MarketingConsents, PersonalFields
from kiosk.store.outbox import open_record, open_records

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

STATUSES = ("new", "exported", "contacted")
PAGE_LIMIT = 1000
EXPORT_PAGE = 2000
MAX_NOTE = 500
# Chain keys kept open: a list spans many kiosks and hours; the oldest opened goes first.
MAX_OPENERS = 4096
# How often the desk's threads hand Python's lock over (the default is every 5 ms): the
# worker opens rows while the list scrolls, and handed over every millisecond the window
# never waits long for a frame. Set by the console (kiosk.ui.desk.app) and the benchmark.
SWITCH_INTERVAL_S = 0.001
# A note's sealed length would tell how long it is: padded to a whole number of these.
_NOTE_PAD = 64
_T = TypeVar("_T")


class DeskError(FleetError):
    """What stopped a desk step, as ``kind``: ``denied`` (wrong name or passphrase),
    ``disabled`` (the account was disabled), ``refused`` (the server does not let this PC
    in: IT's pg_hba), ``unreachable`` (the server cannot be reached; the desk retries),
    ``signed-out`` (this session ended), ``failed`` (anything else). The text never holds a
    patient's data."""

    def __init__(self, message: str, kind: str = "failed") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class DeskTarget:
    """Where the desk's central server is, as the desk's config names it."""

    host: str
    port: int
    database: str
    ca_file: Path
    connect_timeout: int = 10

    def params(self, account: str, password: str) -> dict[str, Any]:
        return {
            **HYGIENE,
            "application_name": "clinic-desk",
            "host": self.host,
            "port": self.port,
            "dbname": self.database,
            "user": role_of(account),
            "password": password,
            "sslmode": "verify-full",
            "sslrootcert": str(self.ca_file),
            "connect_timeout": self.connect_timeout,
        }


@dataclass(frozen=True)
class Account:
    """The signed-in account, as the server knows it."""

    account: str
    display_name: str
    is_admin: bool
    must_change: bool
    key_id: str


@dataclass(frozen=True)
class Filters:
    """Which requests a list shows; None: any. ``since``/``until`` are the kiosk's times
    (``until`` excluded), as aware datetimes."""

    site: str | None = None
    kiosk: str | None = None
    status: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def args(self, asof: dt.datetime | None) -> list[Any]:
        return [self.site, self.kiosk, self.status, self.since, self.until, asof]


class _Consents(msgspec.Struct, frozen=True, gc=False):
    items: MarketingConsents = MarketingConsents()


class SealedRecord(msgspec.Struct, frozen=True, gc=False):
    """What a kiosk sealed for the central server (kiosk.store.outbox.RECORD_FORMAT)."""

    format: str
    reference: str = ""
    language: str = ""
    content_version: str = ""
    personal: PersonalFields = PersonalFields()
    consents: _Consents = _Consents()


_decode_record = msgspec.json.Decoder(SealedRecord).decode


@dataclass(frozen=True)
class DeskRow:
    """One request as the desk shows it. ``personal`` is None if it could not be opened
    (sealed to another key pair, or damaged): the row still shows, marked unreadable."""

    request_id: str
    reference: str
    kiosk_id: str
    site: str
    created_at: dt.datetime
    received_at: dt.datetime
    status: str
    version: int
    changed_by: str | None
    changed_at: dt.datetime | None
    exported_at: dt.datetime | None
    language: str
    personal: PersonalFields | None
    marketing: MarketingConsents
    note: str
    note_sealed: bytes | None = field(repr=False)


@dataclass(frozen=True)
class Marked:
    """What a mark did: ``ok``, or someone changed the request first (``changed_by`` at
    ``changed_at``, now ``status``), or it is gone (``status`` None)."""

    ok: bool
    version: int | None
    status: str | None
    changed_by: str | None
    changed_at: dt.datetime | None

    @property
    def gone(self) -> bool:
        return self.status is None


@dataclass(frozen=True)
class KioskInfo:
    kiosk_id: str
    site: str
    active: bool


def _classify(exc: Exception) -> DeskError:
    """A psycopg error as the desk reports it (the server's words for IT, in the log only)."""
    import psycopg

    text = str(exc)
    if isinstance(exc, psycopg.errors.InvalidAuthorizationSpecification):
        return DeskError("this desk account is disabled", "disabled")
    if isinstance(exc, psycopg.OperationalError):
        if "password authentication failed" in text:
            return DeskError("the account name or passphrase is not right", "denied")
        if "not permitted to log in" in text:
            return DeskError("this desk account is disabled", "disabled")
        if "pg_hba.conf" in text:
            # No pg_hba line for this account from here: a name that is no desk account's,
            # or a PC that IT has not let in. The server does not say which.
            return DeskError(
                "the central server does not accept this account name from this PC: check "
                "the name, or ask IT to let this PC in",
                "refused",
            )
        return DeskError(f"the central server cannot be reached: {text}", "unreachable")
    return DeskError(f"the central server refused: {text}")


class DeskSession:
    """A signed-in desk account: its connection to the central server (opened again after a
    loss, on the next step) and the clinic's private key, in memory until :meth:`close`.

    Steps may come from any thread, one at a time (a lock holds the others).
    """

    def __init__(
        self,
        target: DeskTarget,
        account: Account,
        password: str,
        private: crypto.Unlocked,
        conn: psycopg.Connection[Any],
    ) -> None:
        self.target = target
        self.account = account
        self._password = password
        self._private: crypto.Unlocked | None = private
        self._sealer = private.sealer()
        self._conn: psycopg.Connection[Any] | None = conn
        self._other_password = ""
        self._lock = threading.Lock()
        # The kiosks' chain keys opened so far (one per kiosk and hour), wiped at sign-out;
        # rows are opened on one thread at a time.
        self._openers: OrderedDict[bytes, crypto.DataKeyOpener] = OrderedDict()
        self._open_lock = threading.Lock()

    # --- signing in ------------------------------------------------------------------------

    @classmethod
    def sign_in(
        cls,
        target: DeskTarget,
        account: str,
        passphrase: str,
        cost: crypto.KdfCost = crypto.DESK_COST,
    ) -> DeskSession:
        """Derive the account's credentials (Argon2id, most of a second), connect as its
        role, read its wrapped key and open it. Raises DeskError."""
        account = account.strip().lower()
        try:
            check_name(account)
            passcodes.check_entry(passphrase)
        except (AccountError, passcodes.PasscodeError):
            # Not even a possible name or passphrase: the same answer as a wrong one.
            raise DeskError("the account name or passphrase is not right", "denied") from None
        credentials = crypto.desk_credentials(account, passphrase, cost)
        try:
            conn = _open(target, account, credentials.password)
            try:
                row = conn.execute(
                    "SELECT account, display_name, is_admin, key_id, wrapped_private_key,"
                    " must_change FROM fleet.desk_me()"
                ).fetchone()
                if row is None:
                    raise DeskError("this desk account is disabled", "disabled")
                name, display, is_admin, key_id, wrapped, must_change = row
                try:
                    private = crypto.open_account_key(credentials, bytes(wrapped), key_id)
                except crypto.KeysError as exc:
                    raise DeskError(f"this account's key cannot be opened: {exc}") from None
            except BaseException as exc:
                conn.close()
                if isinstance(exc, DeskError) or not isinstance(exc, Exception):
                    raise
                raise _classify(exc) from exc
        finally:
            credentials.wipe()
        log.info("desk_signed_in")
        return cls(
            target,
            Account(name, display, bool(is_admin), bool(must_change), key_id),
            credentials.password,
            private,
            conn,
        )

    def set_passphrase(self, passphrase: str, cost: crypto.KdfCost = crypto.DESK_COST) -> None:
        """Choose a new passphrase (it must follow the passcode rules): the login password
        and the wrapped key change in one transaction. Raises DeskError or PasscodeError."""
        passcodes.check_new(passphrase)
        from psycopg import sql

        private = self._key()
        credentials = crypto.desk_credentials(self.account.account, passphrase, cost)
        try:
            wrapped = crypto.wrap_for_account(private, credentials)
            password = credentials.password
        finally:
            credentials.wipe()

        def change(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                verifier = scram_verifier(conn, role_of(self.account.account), password)
                conn.execute(
                    sql.SQL("ALTER ROLE CURRENT_USER PASSWORD {}").format(sql.Literal(verifier))
                )
                conn.execute(
                    "SELECT fleet.desk_set_passphrase(%s, %s)",
                    [wrapped, passcodes.RULES_VERSION],
                )

        try:
            self._step(change)
        except DeskError:
            # The answer may have been lost after the server committed: the next connection
            # tries the new password too, before it says the passphrase is wrong.
            self._other_password = password
            raise
        self._password = password
        self._other_password = ""
        self.account = Account(
            self.account.account,
            self.account.display_name,
            self.account.is_admin,
            False,
            self.account.key_id,
        )

    # --- the list ----------------------------------------------------------------------------

    def count(self, filters: Filters, asof: dt.datetime | None) -> int:
        def run(conn: psycopg.Connection[Any]) -> int:
            row = conn.execute(
                "SELECT fleet.desk_count(%s, %s, %s, %s, %s, %s)", filters.args(asof)
            ).fetchone()
            return int(row[0]) if row else 0

        return self._step(run)

    def page(
        self,
        filters: Filters,
        asof: dt.datetime | None,
        *,
        descending: bool = True,
        after: DeskRow | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> list[DeskRow]:
        """``limit`` rows of the list in the kiosks' time (newest first when
        ``descending``), opened: those after the row ``after`` (the last of the page before:
        a row that left the list meanwhile moves no other), else from ``offset``. Raises
        DeskError."""
        key = (after.created_at, after.request_id) if after is not None else (None, None)
        args = [*filters.args(asof), descending, *key, offset, min(limit, PAGE_LIMIT)]

        def run(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
            return conn.execute(
                "SELECT * FROM fleet.desk_page(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                args,
            ).fetchall()

        return [self._open_row(r) for r in self._step(run)]

    def find(self, reference: str) -> list[DeskRow]:
        """The requests a reference code names (as the patient reads it: any case, with or
        without the dash). Raises DeskError."""
        code = "".join(c for c in reference.upper() if c.isalnum())
        if len(code) != 6:
            return []
        code = f"{code[:3]}-{code[3:]}"

        def run(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
            return conn.execute("SELECT * FROM fleet.desk_find(%s)", [code]).fetchall()

        return [self._open_row(r) for r in self._step(run)]

    def mark(self, row: DeskRow, status: str, note: str | None = None) -> Marked:
        """Mark ``row`` (as it was read) ``contacted`` or ``new``, with ``note`` (None: keep
        the note it has). Refused, not overwritten, if someone changed it since. Raises
        DeskError or ValueError (a note too long)."""
        if note is None:
            sealed = row.note_sealed
        else:
            sealed = self._seal_note(note)
        return self._mark(row.request_id, row.version, status, sealed)

    def undo(self, row: DeskRow, marked: Marked) -> Marked:
        """Put ``row`` back as it was before ``marked`` (its status and note), if nobody
        changed it since."""
        if not marked.ok or marked.version is None:
            # A refused mark changed nothing of ours: "undoing" it would undo a colleague's.
            raise ValueError("nothing to undo")
        status = "contacted" if row.status == "contacted" else "new"
        return self._mark(row.request_id, marked.version, status, row.note_sealed)

    def _mark(self, request_id: str, version: int, status: str, sealed: bytes | None) -> Marked:
        def run(conn: psycopg.Connection[Any]) -> tuple[Any, ...] | None:
            return conn.execute(
                "SELECT * FROM fleet.desk_mark(%s, %s, %s, %s)",
                [request_id, version, status, sealed],
            ).fetchone()

        found = self._step(run)
        if found is None:
            return Marked(False, None, None, None, None)
        return Marked(bool(found[0]), found[1], found[2], found[3], found[4])

    def delete(self, request_ids: Sequence[str]) -> int:
        def run(conn: psycopg.Connection[Any]) -> int:
            row = conn.execute("SELECT fleet.desk_delete(%s::uuid[])", [list(request_ids)])
            found = row.fetchone()
            return int(found[0]) if found else 0

        return self._step(run)

    # --- exports -------------------------------------------------------------------------

    def export_rows(
        self, filters: Filters, asof: dt.datetime | None, page: int = EXPORT_PAGE
    ) -> Iterator[ExportRecord]:
        """Every request of the list, oldest first, opened as a file writes it."""
        for rows in self.export_pages(filters, asof, page):
            yield from self.open_export_page(rows)

    def export_pages(
        self, filters: Filters, asof: dt.datetime | None, page: int = EXPORT_PAGE
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Every request of the list, oldest first, a page at a time (keyset), sealed as the
        server sends them: (id, code, kiosk, site, time, status, sealed request). The next
        page is fetched on a thread of its own while this one is opened and written: that
        thread mostly waits on the server, without Python's lock."""
        from concurrent.futures import ThreadPoolExecutor

        def fetch(after: tuple[dt.datetime | None, Any]) -> tuple[Any, list[tuple[Any, ...]]]:
            args = [*filters.args(asof), *after, page]
            # Binary: the sealed requests come as they are, not as hex text to decode.
            rows = self._step(
                lambda conn: (
                    conn.cursor(binary=True)
                    .execute(
                        "SELECT * FROM fleet.desk_export_rows(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        args,
                    )
                    .fetchall()
                )
            )
            key = (rows[-1][4], rows[-1][0]) if len(rows) == page else None
            return key, rows

        with ThreadPoolExecutor(1, thread_name_prefix="desk-export") as pool:
            pending: Any = pool.submit(fetch, (None, None))
            while pending is not None:
                key, rows = pending.result()
                pending = pool.submit(fetch, key) if key is not None else None
                yield rows

    def open_export_page(self, rows: Sequence[Sequence[Any]]) -> list[ExportRecord]:
        """A page of export_pages opened straight into what the file writes."""
        with self._open_lock:
            plain = open_records(self._key(), [bytes(r[6]) for r in rows], self._openers)
            self._forget_openers()
        utc = dt.UTC
        nobody = MarketingConsents()
        opened: list[ExportRecord] = []
        for (request_id, reference, kiosk_id, site, created, status, _sealed), text in zip(
            rows, plain, strict=True
        ):
            record: SealedRecord | None = None
            if text is not None:
                try:
                    record = _decode_record(text)
                except (msgspec.DecodeError, msgspec.ValidationError):
                    record = None
            when = created.astimezone(utc).isoformat(timespec="seconds")
            # Positional, as the struct lists its fields: the cheapest way to make 100,000.
            if record is None:
                row = ExportRow(
                    0, reference or "", when, "", status, None, nobody, kiosk_id, False, site
                )
            else:
                row = ExportRow(
                    0,
                    reference or record.reference,
                    when,
                    record.language,
                    status,
                    record.personal,
                    record.consents.items,
                    kiosk_id,
                    False,
                    site,
                )
            opened.append(ExportRecord(request_id, row, record is not None))
        return opened

    def exporting(self, fmt: str) -> ExportMarks:
        """Marks for an export's pages, in a transaction of their own (see ExportMarks)."""
        return ExportMarks(self, fmt)

    def record_export(
        self, request_ids: Sequence[str | uuid.UUID], fmt: str, count: int | None = None
    ) -> int:
        def run(conn: psycopg.Connection[Any]) -> int:
            found = conn.execute(
                "SELECT fleet.desk_exported(%s::uuid[], %s, %s)",
                [list(request_ids), fmt, count],
            ).fetchone()
            return int(found[0]) if found else 0

        return self._step(run)

    # --- the fleet -----------------------------------------------------------------------

    def kiosks(self) -> list[KioskInfo]:
        rows = self._step(
            lambda conn: conn.execute(
                "SELECT kiosk_id, site, active FROM fleet.desk_kiosks()"
            ).fetchall()
        )
        return [KioskInfo(*r) for r in rows]

    def health(self) -> list[Any]:
        """Every active kiosk's health (kiosk.fleet.server.KioskHealth), worst first."""
        from kiosk.fleet.server import HEALTH_COLUMNS, HEALTH_ORDER, KioskHealth

        rows = self._step(
            lambda conn: conn.execute(
                f"SELECT {HEALTH_COLUMNS} FROM fleet.desk_health() ORDER BY {HEALTH_ORDER}"
            ).fetchall()
        )
        return [KioskHealth(*r) for r in rows]

    def settings(self) -> dict[str, int]:
        rows = self._step(
            lambda conn: conn.execute("SELECT name, value FROM fleet.desk_settings()").fetchall()
        )
        return {str(name): int(value) for name, value in rows}

    def apply_retention(self) -> tuple[int, int]:
        row = self._step(
            lambda conn: conn.execute(
                "SELECT reached, never FROM fleet.apply_retention()"
            ).fetchone()
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    # --- the session ---------------------------------------------------------------------

    @property
    def open(self) -> bool:
        return self._private is not None

    def close(self) -> None:
        """Sign out: the private key is wiped and the connection closed."""
        with self._lock:
            with self._open_lock:
                for opener in self._openers.values():
                    opener.wipe()
                self._openers.clear()
            if self._private is not None:
                self._private.wipe()
                self._private = None
            self._password = self._other_password = ""
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _key(self) -> crypto.Unlocked:
        if self._private is None:
            raise DeskError("signed out", "signed-out")
        return self._private

    def _step(self, run: Callable[[psycopg.Connection[Any]], _T]) -> _T:
        """``run`` on the connection, opening it again if it was lost. A lost or refused
        connection is closed and raised as DeskError; the next step tries again."""
        import psycopg

        with self._lock:
            self._key()
            try:
                if self._conn is None or self._conn.closed or self._conn.broken:
                    if self._conn is not None:
                        self._conn.close()
                    self._conn = None
                    self._conn = self._reconnect()
                return run(self._conn)
            except DeskError:
                raise
            except psycopg.Error as exc:
                error = _classify(exc)
                if self._conn is not None and (self._conn.broken or error.kind != "failed"):
                    self._conn.close()
                    self._conn = None
                log.warning("desk_step_failed kind=%s", error.kind)
                raise error from exc

    def _connection(self) -> psycopg.Connection[Any]:
        """A connection of its own (an export's marks), signed in as this session is."""
        with self._lock:
            self._key()
            return self._reconnect()

    def _reconnect(self) -> psycopg.Connection[Any]:
        try:
            return _open(self.target, self.account.account, self._password)
        except DeskError as exc:
            if exc.kind != "denied" or not self._other_password:
                raise
            conn = _open(self.target, self.account.account, self._other_password)
            self._password, self._other_password = self._other_password, ""
            return conn

    def _open_row(self, r: Sequence[Any]) -> DeskRow:
        (
            request_id,
            reference,
            kiosk_id,
            site,
            created,
            received,
            status,
            version,
            changed_by,
            changed_at,
            exported_at,
            _key_id,
            sealed,
            note_sealed,
        ) = r
        record: SealedRecord | None
        try:
            record = _decode_record(self._open(bytes(sealed)))
        except (crypto.KeysError, msgspec.DecodeError, msgspec.ValidationError):
            record = None
        note = ""
        if note_sealed is not None:
            try:
                note = self._key().open(bytes(note_sealed)).decode("utf-8").rstrip(" ")
            except (crypto.KeysError, UnicodeDecodeError):
                note = ""
        return DeskRow(
            request_id=str(request_id),
            reference=reference or (record.reference if record else ""),
            kiosk_id=kiosk_id,
            site=site,
            created_at=created,
            received_at=received,
            status=status,
            version=version,
            changed_by=changed_by,
            changed_at=changed_at,
            exported_at=exported_at,
            language=record.language if record else "",
            personal=record.personal if record else None,
            marketing=record.consents.items if record else MarketingConsents(),
            note=note,
            note_sealed=None if note_sealed is None else bytes(note_sealed),
        )

    def _open(self, sealed: bytes) -> bytes:
        with self._open_lock:
            plain = open_record(self._key(), sealed, self._openers)
            self._forget_openers()
            return plain

    def _forget_openers(self) -> None:
        while len(self._openers) > MAX_OPENERS:
            _old, opener = self._openers.popitem(last=False)
            opener.wipe()

    def _seal_note(self, note: str) -> bytes | None:
        note = note.strip()
        if not note:
            return None
        if len(note) > MAX_NOTE:
            raise ValueError(f"a note is at most {MAX_NOTE} characters")
        data = note.encode("utf-8")
        data += b" " * (-len(data) % _NOTE_PAD)
        return self._sealer.seal(data)


def _open(target: DeskTarget, account: str, password: str) -> psycopg.Connection[Any]:
    import psycopg

    try:
        return psycopg.connect(**target.params(account, password), autocommit=True)
    except psycopg.Error as exc:
        raise _classify(exc) from None


@dataclass(frozen=True)
class DeskExported:
    """What a desk export left: the file and how many requests it holds (``unreadable`` of
    them could not be opened: sealed to another key pair), or the ExportError's reason and
    no file; ``marks_wait_s``: how long the file, read back, waited for the server to
    finish marking its requests (the server's share of the time, in the log for IT)."""

    path: Path | None = None
    count: int = 0
    unreadable: int = 0
    reason: str | None = None
    marks_wait_s: float = 0.0


class ExportRecord(NamedTuple):
    """A request as a desk export writes it: its id on the server, its row in the file, and
    whether it opened (one that did not is written, its code, kiosk and time, unmarked)."""

    request_id: uuid.UUID
    row: ExportRow
    opened: bool


def export_row(r: DeskRow) -> ExportRow:
    """``r`` as kiosk.export writes it (an ExportRow: times in UTC, as a kiosk stores them)."""
    return ExportRow(
        id=0,
        reference=r.reference,
        created_at=r.created_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        language=r.language,
        status=r.status,
        personal=r.personal,
        marketing=r.marketing,
        kiosk_id=r.kiosk_id,
        site=r.site,
    )


class ExportMarks:
    """An export's requests marked exported page by page as the file is written, on a
    connection and a thread of their own, in one transaction: :meth:`commit` once the file
    is read back (then audited as one export), :meth:`abandon` when it failed (nothing
    marked). The server's work runs beside the writing instead of after it."""

    def __init__(self, session: DeskSession, fmt: str) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._session = session
        self._fmt = fmt
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="desk-marks")
        self._conn: psycopg.Connection[Any] | None = None
        self._done: list[Any] = [self._pool.submit(self._begin)]

    def _begin(self) -> None:
        self._conn = self._session._connection()
        self._conn.execute("BEGIN")

    def _run(self, sql: str, args: list[Any]) -> None:
        if self._conn is not None:  # (None: it did not open; commit raises why)
            self._conn.execute(sql, args)

    def add(self, request_ids: Sequence[str | uuid.UUID]) -> None:
        if request_ids:
            self._done.append(
                self._pool.submit(
                    self._run, "SELECT fleet.desk_exporting(%s::uuid[])", [request_ids]
                )
            )

    def commit(self, count: int) -> None:
        """Audit the export (``count`` requests in the file) and commit. Raises DeskError."""
        import psycopg

        self._done.append(
            self._pool.submit(
                self._run,
                "SELECT fleet.desk_exported('{}'::uuid[], %s, %s)",
                [self._fmt, count],
            )
        )
        self._done.append(self._pool.submit(self._run, "COMMIT", []))
        try:
            for future in self._done:
                future.result()
        except psycopg.Error as exc:
            raise _classify(exc) from exc
        finally:
            self._close()

    def abandon(self) -> None:
        """Roll back: nothing of this export is marked."""
        for future in self._done:
            future.exception()  # (waited for; the outcome is the rollback's)
        self._close()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()  # an open transaction is rolled back with it
        self._pool.shutdown(wait=True)


def export_list(
    session: DeskSession,
    filters: Filters,
    asof: dt.datetime | None,
    fmt: str,
    folder: Path,
    zone: str,
    given: Sequence[DeskRow] | None = None,
) -> DeskExported:
    """Write the list ``filters`` make (as of ``asof``), or the rows ``given`` (what a search
    or a topic filter found, already opened), to a new file in ``folder``, read it back,
    and mark its requests exported on the server: page by page as they are written, in one
    transaction committed once the file is read back; if that fails the file is removed (a
    file always means its requests were marked). A request that does not open is written
    (its code, kiosk and time) but not marked: it has not reached the staff. Runs on the
    desk's worker. Raises DeskError (the server); an ExportError is returned as its reason."""
    from kiosk.export import ExportError, ExportStyle, Target, write_export

    ids: list[str | uuid.UUID] = []
    unreadable = 0
    count = len(given) if given is not None else session.count(filters, asof)
    if not count:
        return DeskExported(reason="empty")
    marks = session.exporting(fmt)
    lost: list[DeskError] = []

    def rows() -> Iterator[Any]:
        nonlocal unreadable
        try:
            if given is not None:
                for r in given:
                    if r.personal is None:
                        unreadable += 1
                    else:
                        ids.append(r.request_id)
                    yield export_row(r)
                marks.add(ids)
                return
            for page in session.export_pages(filters, asof):
                marked: list[str | uuid.UUID] = []
                for request_id, row, opened in session.open_export_page(page):
                    if opened:
                        marked.append(request_id)
                    else:
                        unreadable += 1
                    yield row
                ids.extend(marked)
                marks.add(marked)
        except DeskError as exc:
            lost.append(exc)  # the file is removed; the window hears of the server
            raise

    style = ExportStyle(zone=zone, kiosk_id="desk", sites=True)
    try:
        path = write_export(rows(), fmt, Target(folder, kind="folder"), count=count, style=style)
    except BaseException as exc:
        marks.abandon()
        if isinstance(exc, ExportError):
            if lost:
                raise lost[0] from exc
            log.warning("desk_export_failed reason=%s format=%s", exc.reason, fmt)
            return DeskExported(reason=exc.reason)
        raise
    total = len(ids) + unreadable
    written = time.monotonic()
    try:
        try:
            marks.commit(total)
        except DeskError as exc:
            if exc.kind != "unreachable":
                raise
            # The answer to COMMIT may be what was lost (the rows marked): marking is the
            # same again, so once more, all of them, before the file is given up.
            session.record_export(ids, fmt, total)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    waited = time.monotonic() - written
    log.info("desk_exported count=%d format=%s marks_wait_s=%.2f", total, fmt, waited)
    return DeskExported(path, total, unreadable, marks_wait_s=waited)
