"""The request store: appointment requests sealed at rest, their audit and destruction
logs, the anonymous figures and retention, over one connection and one clock (no Qt).

Every SQL statement about requests lives here, and so do the row shapes read back
(:class:`StoredRequest`, and :class:`ExportRow` for exports), each decoded once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import logging
import os
import secrets
import sqlite3
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from sqlite_utils import Database

from kiosk.appointment import AppointmentRequest
from kiosk.crypto import DataKeyOpener, KeysError, Sealer, Unlocked, WritingKey
from kiosk.store.db import (
    StoreError,
    _Corrupt,
    _error_name,
    _file_identity,
    _open,
    write_transaction,
)
from kiosk.store.outbox import MAX_STEPS, Outbox, enqueue, sealed_record

log = logging.getLogger(__name__)

# No 0/O, 1/I/L: a code read aloud at the desk or copied by hand stays unambiguous.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
STATUSES = ("new", "exported", "contacted")
# The statuses of a request that reached the clinic's staff: exported to a file, or marked
# contacted on the staff screen. Only these go after retention_days; any other request is kept
# to its hard limit (Settings.unexported_max_days), so no patient's request is deleted unread.
# This is the one place that says so. (With central delivery, a request the central server
# has is deleted at once, see kiosk.store.outbox; one still waiting is never deleted by age.)
REACHED_STAFF = ("exported", "contacted")
# How long before its hard limit a request nobody exported is announced (staff screen,
# kiosk doctor, the log).
UNEXPORTED_WARNING_DAYS = 7
# How the staff list can be ordered in SQL ({dir}: ASC or DESC). Only columns stored in the
# clear: a sealed column (name, contact, ...) can only be ordered by opening every request.
# Statuses go in the order requests pass through them (not the alphabet of any language),
# newest first within a status.
_STATUS_RANK = " ".join(f"WHEN '{s}' THEN {n}" for n, s in enumerate(STATUSES))
LIST_ORDERS = {
    "received": "created_at {dir}, id {dir}",
    "reference": "reference {dir}",
    "status": f"CASE status {_STATUS_RANK} ELSE {len(STATUSES)} END {{dir}}, "
    "created_at DESC, id DESC",
}
# Ids per "IN (...)": well below SQLite's limit on bound parameters (999 before 3.32).
ID_CHUNK = 500
# Consents whose answer says something about health: stored only inside the sealed part.
SEALED_CONSENTS = ("health_topic",)

# A data key starts a chain for at most one hour: an export opens one key per hour of
# requests instead of one public-key operation per request (about 60 µs each here), and
# follows the chain one hash per request. (What the running kiosk holds opens nothing that
# is already saved: each link is wiped once used.)
DATA_KEY_SECONDS = 3600
# What goes to the central server is sealed under a chain of its own, new at each start and
# each day: the desk opens a chain's key with one X25519 (60 µs) and each request in it with
# a hash (7 µs), so a day's chain per kiosk keeps a 100,000-request export in seconds. Its
# links are wiped as they are used, as the hourly one's: a key in memory opens none sent.
OUTBOX_KEY_SECONDS = 86_400
# Times before this cannot be right: the software did not exist yet (a flat CMOS battery).
CLOCK_FLOOR = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CLOCK_MAX_GAP = dt.timedelta(days=366)
CLOCK_SLACK = dt.timedelta(days=1)


class ClockError(StoreError):
    """The system clock looks wrong, so retention did not delete anything."""


@dataclass(frozen=True)
class Purged:
    """Requests deleted (or due) by age: those that reached the staff, and those that never
    did (see REACHED_STAFF)."""

    reached_staff: int = 0
    never_reached: int = 0

    @property
    def total(self) -> int:
        return self.reached_staff + self.never_reached


@dataclass(frozen=True)
class UnexportedDue:
    """Requests nobody exported that reach their hard limit soon: how many, and when the
    first of them goes (UTC; already past while retention is paused)."""

    count: int
    first: dt.datetime


@dataclass(frozen=True)
class StoredRequest:
    """A request as read back from the database."""

    id: int
    reference: str
    created_at: dt.datetime
    kiosk_id: str
    language: str
    personal: dict[str, Any]
    consents: dict[str, Any]
    content_version: str
    status: str
    exported_at: str | None
    is_demo: bool
    # Sealed personal data read while the store was locked: ``personal`` is then empty.
    locked: bool = False


class PersonalFields(msgspec.Struct, frozen=True, gc=False):
    """The personal fields of a request, decoded straight from their JSON (exports)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    contact_language: str | None = None
    contact_method: str | None = None
    time_window: str | None = None
    topic: str | None = None


class ConsentGiven(msgspec.Struct, frozen=True, gc=False):
    """One consent as stored; ``given`` is read for its truth, as ``dict.get`` would be."""

    given: Any = None


class MarketingConsents(msgspec.Struct, frozen=True, gc=False):
    """The marketing consents among a request's consent items (None: not asked)."""

    marketing_sms: ConsentGiven | None = None
    marketing_email: ConsentGiven | None = None
    marketing_call: ConsentGiven | None = None


class _StoredConsents(msgspec.Struct, frozen=True, gc=False):
    # Only the items an export shows; the rest of the document is skipped unparsed.
    items: MarketingConsents = MarketingConsents()


class ExportRow(msgspec.Struct, frozen=True, gc=False):
    """A request as an export reads it: only the columns it shows, decoded once.

    ``created_at`` is the stored ISO 8601 text; ``personal`` is None when the data is
    sealed and the store is locked.
    """

    id: int
    reference: str
    created_at: str
    language: str
    status: str
    personal: PersonalFields | None
    marketing: MarketingConsents
    kiosk_id: str = ""
    is_demo: bool = False
    # Where the kiosk stands (the desk console's exports; a kiosk does not know its site).
    site: str = ""


_decode_personal = msgspec.json.Decoder(PersonalFields).decode
_decode_consents = msgspec.json.Decoder(_StoredConsents).decode
_EXPORT_COLUMNS = (
    "id, reference, created_at, language, status, sealed, data_key_id, key_step, personal, "
    "consents, kiosk_id, is_demo"
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# msgspec's decoder: the same values as json.loads, several times faster on exports.
_decode = msgspec.json.Decoder().decode


def _since_boot() -> float:
    """Seconds on a clock no one can set; on Linux it also counts time spent suspended, so
    a machine woken after a day is not mistaken for a clock that jumped."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(boottime) if boottime is not None else time.monotonic()


def new_reference() -> str:
    """Return a short random code like ``K7Q-M4X`` (31^6 ≈ 887 million possibilities)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"{chars[:3]}-{chars[3:]}"


class AppointmentStore:
    """Appointment requests in SQLite: one transaction per request."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], dt.datetime] = _utcnow,
        *,
        sealer: Sealer | None = None,
        monotonic: Callable[[], float] = _since_boot,
        deliver: bool = False,
    ) -> None:
        self.db = db
        # Central delivery is on ([fleet] in the settings): each request saved also goes
        # into the outbox (kiosk.store.outbox), sealed whole to the clinic's public key.
        self.deliver = deliver
        self._clock = clock
        self._monotonic = monotonic
        self._sealer = sealer
        self._started = (clock(), monotonic())
        # (data key row id, its chain): the key requests are sealed with now.
        self._writing: tuple[int, WritingKey] | None = None
        self._outbox_key: WritingKey | None = None
        self._unlocked: Unlocked | None = None
        self._opened_keys: dict[int, DataKeyOpener] = {}
        try:
            self._file = _file_identity(db)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open database: {exc}") from exc

    @property
    def path(self) -> Path | None:
        """The database file (None for an in-memory database)."""
        return Path(self._file[0]) if self._file else None

    @property
    def sealer(self) -> Sealer | None:
        return self._sealer

    @property
    def outbox(self) -> Outbox:
        """The requests waiting for the central server (kiosk.fleet.delivery)."""
        return Outbox(self)

    def reopener(self, *, unlocked: bool = False) -> Callable[[], AppointmentStore] | None:
        """How to open this store again in another thread (an SQLite connection belongs to
        the thread that made it): the same file, clocks and start time; None for an
        in-memory database. With ``unlocked``, the store it opens holds a copy of this
        store's key (taken now; a staff session that ends meanwhile does not reach it),
        zeroed when that store is locked. The file is opened as it is, never moved aside
        (that is for the kiosk's own start). The store it returns is the caller's to lock
        and close."""
        path = self.path
        if path is None:
            return None
        clock, monotonic, started = self._clock, self._monotonic, self._started
        deliver = self.deliver
        key = self._unlocked.copy() if unlocked and self._unlocked is not None else None

        def open_again() -> AppointmentStore:
            try:
                db = _open(path, 5000)
                try:
                    store = AppointmentStore(db, clock, monotonic=monotonic, deliver=deliver)
                except BaseException:
                    db.close()
                    raise
            except BaseException as exc:
                if key is not None:
                    key.wipe()  # never opened by anyone: zeroed here
                if isinstance(exc, (sqlite3.Error, OSError, _Corrupt)):
                    raise StoreError(f"cannot open database: {type(exc).__name__}") from exc
                raise
            store._started = started  # a clock that jumped since the kiosk started shows
            if key is not None:
                store._unlocked = key  # (no sealer here to check it against: it is ours)
            return store

        return open_again

    @property
    def can_save(self) -> bool:
        """Whether requests can be saved: only with the clinic's public key."""
        return self._sealer is not None

    @property
    def is_unlocked(self) -> bool:
        return self._unlocked is not None

    def unlock(self, key: Unlocked) -> None:
        """Let this store open sealed requests until :meth:`lock` (one staff session).
        The store takes ``key`` over: locking zeroes it (pass a copy to keep one)."""
        if self._sealer is not None and key.key_id != self._sealer.key_id:
            raise StoreError("the unlocked key is not this kiosk's key pair")
        self._unlocked = key

    def close(self) -> None:
        """Close the database connection; the store is unusable afterwards."""
        if self._outbox_key is not None:
            self._outbox_key.wipe()
            self._outbox_key = None
        self.db.close()

    def check_integrity(self) -> str:
        """SQLite's full integrity check, then the write lock taken and given back at once
        (nothing is written): ``"ok"``, or the first problem the check found (``kiosk
        doctor``). Raises StoreError when the file cannot be read or locked."""
        try:
            status = str(self.db.execute("PRAGMA integrity_check").fetchone()[0])
            self.db.execute("BEGIN IMMEDIATE")  # proves we can take the write lock
            self.db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc
        return status

    @contextlib.contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Many saves as one transaction that does not wait for the disk, then the WAL
        emptied: for filling a benchmark's database, never for patients' requests (a power
        cut loses the lot). Raises StoreError."""
        try:
            self.db.execute("PRAGMA synchronous = OFF")
            try:
                with self.db.atomic():
                    yield
            finally:
                self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise StoreError(f"could not fill the database: {exc}") from exc

    def lock(self) -> None:
        """Forget the private key and every data key opened with it: zeroed, not only
        dropped (a memory image taken after the session holds none of them)."""
        if self._unlocked is not None:
            self._unlocked.wipe()
        self._unlocked = None
        for opener in self._opened_keys.values():
            opener.wipe()
        self._opened_keys.clear()

    def _check_file(self) -> None:
        """Refuse to write into a database whose file was removed or replaced: SQLite would
        carry on writing into the unlinked file and the request would be lost."""
        if self._file is None:
            return
        name, dev, ino = self._file
        try:
            st = os.stat(name)
        except OSError:
            raise StoreError("the database file or its folder has gone") from None
        if (st.st_dev, st.st_ino) != (dev, ino):
            raise StoreError("the database file was replaced while the kiosk was running")

    def _data_key_for_write(self) -> tuple[int, WritingKey, bool]:
        """Return (id, chain, new) for sealing now, adding a fresh sealed data key inside
        the caller's transaction when there is none yet or it is an hour old."""
        assert self._sealer is not None
        now = self._monotonic()
        if self._writing is not None and now - self._writing[1].started < DATA_KEY_SECONDS:
            return self._writing[0], self._writing[1], False
        key = WritingKey(self._sealer, now)
        cur = self.db.execute(
            "INSERT INTO data_keys (created_at, key_id, sealed) VALUES (?, ?, ?)",
            [self._now_text(), self._sealer.key_id, key.sealed],
        )
        return int(cur.lastrowid or 0), key, True

    def _outbox_chain(self) -> WritingKey:
        """The chain the outbox's records are sealed under, a new one once a day."""
        assert self._sealer is not None
        now = self._monotonic()
        key = self._outbox_key
        if key is None or now - key.started >= OUTBOX_KEY_SECONDS or key.step >= MAX_STEPS:
            if key is not None:
                key.wipe()
            key = self._outbox_key = WritingKey(self._sealer, now)
        return key

    def _use_writing_key(self, key_id: int, key: WritingKey) -> None:
        """Keep a new chain once its row is committed; the one it replaces is wiped."""
        if self._writing is not None and self._writing[1] is not key:
            self._writing[1].wipe()
        self._writing = (key_id, key)

    def add_request(
        self,
        request: AppointmentRequest,
        *,
        kiosk_id: str,
        content_version: str,
        consent_versions: dict[str, str],
        notice_version: str,
        is_demo: bool = False,
        received_at: dt.datetime | None = None,
    ) -> str:
        """Store ``request`` and return its reference code once the commit has returned.

        ``received_at`` is now by the store's clock unless given (demo data spreads its
        invented requests over past weeks). The personal fields are sealed before they
        reach SQLite. Raises StoreError if anything fails; then nothing of the request is
        in the database.
        """
        if self._sealer is None:
            log.error("request_save_failed error=NoEncryptionKey")
            raise StoreError("no encryption key: run `kiosk keys init`")
        self._check_file()
        now = (received_at or self._clock()).astimezone(dt.UTC)
        items = {
            cid: {"given": given, "version": consent_versions.get(cid, "")}
            for cid, given in request.consents.items()
        }
        # Whether a topic was kept says something about health: that consent is sealed with
        # the personal fields, never stored in the clear.
        health = {cid: items.pop(cid) for cid in SEALED_CONSENTS if cid in items}
        consents = {
            "notice_version": notice_version,
            "given_at": now.isoformat(timespec="seconds"),
            "items": items,
        }
        personal = json.dumps(
            {**request.personal(), "consents": health}, ensure_ascii=False
        ).encode("utf-8")
        week = now.strftime("%G-W%V")
        created_at = now.isoformat(timespec="seconds")
        for _attempt in range(5):
            reference = new_reference()
            try:
                new_key = None
                with write_transaction(self.db):
                    key_id, key, new = self._data_key_for_write()
                    new_key = key if new else None
                    step, blob = key.encrypt(personal)
                    row = {
                        "reference": reference,
                        "created_at": created_at,
                        "kiosk_id": kiosk_id,
                        "language": request.language,
                        "personal": "",
                        "sealed": blob,
                        "data_key_id": key_id,
                        "key_step": step,
                        "consents": json.dumps(consents, ensure_ascii=False),
                        "content_version": content_version,
                        "status": "new",
                        "exported_at": None,
                        "is_demo": int(is_demo),
                    }
                    request_id = self.db.table("requests").insert(row).last_rowid
                    if self.deliver and not is_demo:
                        # Sealed whole under the next step of the outbox's chain, the chain's
                        # key (sealed to the clinic's public key) in front: the desk opens it
                        # with the private key alone (kiosk.store.outbox.open_record).
                        record = {
                            "reference": reference,
                            "created_at": created_at,
                            "kiosk_id": kiosk_id,
                            "language": request.language,
                            "content_version": content_version,
                            "personal": request.personal(),
                            "consents": {**consents, "items": {**items, **health}},
                        }
                        sealed = sealed_record(self._outbox_chain(), record)
                        enqueue(
                            self.db, int(request_id or 0), created_at, self._sealer.key_id, sealed
                        )
                    # Anonymous figures for the clinic; they outlive the request itself.
                    # Demo requests (made to try the kiosk out) are not patients: not counted.
                    if not is_demo:
                        self.db.execute(
                            "INSERT INTO request_counts (week, language, count) "
                            "VALUES (?, ?, 1) ON CONFLICT (week, language) "
                            "DO UPDATE SET count = count + 1",
                            [week, request.language],
                        )
                    if request.topic and not is_demo:
                        # All time, nothing beside it: a count no request can be traced to.
                        self.db.execute(
                            "INSERT INTO topic_counts (topic, count) VALUES (?, 1) "
                            "ON CONFLICT (topic) DO UPDATE SET count = count + 1",
                            [request.topic],
                        )
            except sqlite3.IntegrityError:
                if new_key is not None:
                    new_key.wipe()  # its row was rolled back with the request
                continue  # the random code was taken: draw another
            except (sqlite3.Error, OSError) as exc:
                if new_key is not None:
                    new_key.wipe()
                # The exception text comes from SQLite and never contains row values.
                log.error("request_save_failed error=%s", _error_name(exc))
                raise StoreError(f"could not save the request: {exc}") from exc
            if new_key is not None:
                self._use_writing_key(key_id, new_key)  # only once its row is committed
            # Replaced while we wrote? Then the row went into the old, unlinked file: say
            # it failed (the visitor gets the online form) rather than thank them for it.
            try:
                self._check_file()
            except StoreError:
                log.error("request_save_failed error=DatabaseReplaced")
                raise
            # The -wal file keeps each commit's pages: the request beside its topic count
            # would tell which topic it chose. Copied into the database and emptied now, only
            # the totals remain (a few ms; saves are a few a day).
            self._forget_deleted()
            log.info("request_saved")
            return reference
        raise StoreError("could not draw a free reference code")

    def seal_plaintext_rows(self) -> int:
        """Seal requests stored in the clear by a kiosk without keys, in one transaction,
        then rewrite the file so no plain copy is left in free pages or the WAL.

        Returns how many were sealed. Raises StoreError (then nothing changed).
        """
        if self._sealer is None:
            return 0
        self._check_file()
        new_key = None
        try:
            with write_transaction(self.db):
                rows = list(self.db.query("select id, personal from requests where sealed is null"))
                if rows:
                    key_id, key, new = self._data_key_for_write()
                    new_key = key if new else None
                    for r in rows:
                        step, blob = key.encrypt((r["personal"] or "{}").encode())
                        self.db.execute(
                            "UPDATE requests SET personal = '', sealed = ?, data_key_id = ?, "
                            "key_step = ? WHERE id = ?",
                            [blob, key_id, step, r["id"]],
                        )
                    self.audit_in_transaction("sealed_existing", {"count": len(rows)})
            if rows:
                self._forget_deleted()
                self.db.execute("VACUUM")
                self._forget_deleted()
        except (sqlite3.Error, OSError) as exc:
            if new_key is not None:
                new_key.wipe()
            raise StoreError(f"could not seal stored requests: {exc}") from exc
        if new_key is not None:
            self._use_writing_key(key_id, new_key)
        if rows:
            log.info("plaintext_sealed count=%d", len(rows))
        return len(rows)

    def _opener(self, key_id: int, reference: str) -> DataKeyOpener:
        """The opener for data key ``key_id``, opened with the private key once per session.

        Raises StoreError naming the request (never its content) when the key is missing
        or was not sealed to this kiosk's key pair; the store must be unlocked.
        """
        assert self._unlocked is not None
        opener = self._opened_keys.get(key_id)
        if opener is None:
            found = self.db.execute(
                "select sealed from data_keys where id = ?", [key_id]
            ).fetchone()
            if found is None:
                raise StoreError(f"request {reference}: its data key is missing")
            try:
                opener = self._unlocked.open_data_key(found[0])
            except KeysError as exc:
                raise StoreError(f"request {reference} cannot be opened: {exc}") from None
            self._opened_keys[key_id] = opener
        return opener

    def _personal(self, row: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        sealed = row.get("sealed")
        if sealed is None:
            # Written by a kiosk without keys; sealed at the next start with a key pair.
            return _decode(row["personal"] or "{}"), False
        if self._unlocked is None:
            return {}, True
        opener = self._opener(int(row["data_key_id"] or 0), row["reference"])
        try:
            return _decode(opener.open(sealed, row.get("key_step") or 0)), False
        except KeysError as exc:
            raise StoreError(f"request {row['reference']} cannot be opened: {exc}") from None

    def _row(self, row: dict[str, Any]) -> StoredRequest:
        personal, locked = self._personal(row)
        consents = _decode(row["consents"] or "{}")
        sealed_consents = personal.pop("consents", None)
        items = consents.get("items")
        if isinstance(items, dict):
            if isinstance(sealed_consents, dict):
                items.update(sealed_consents)
            elif personal.get("topic") and "health_topic" not in items:
                # Saved before the consent was sealed (m005): the topic is only ever kept
                # with that consent, so its presence is the record of it.
                items["health_topic"] = {"given": True, "version": ""}
        return StoredRequest(
            id=row["id"],
            reference=row["reference"],
            created_at=dt.datetime.fromisoformat(row["created_at"]),
            kiosk_id=row["kiosk_id"],
            language=row["language"],
            personal=personal,
            consents=consents,
            content_version=row["content_version"] or "",
            status=row["status"],
            exported_at=row["exported_at"],
            is_demo=bool(row["is_demo"]),
            locked=locked,
        )

    def list_requests(
        self, status: str | None = None, since: dt.date | dt.datetime | None = None
    ) -> list[StoredRequest]:
        """Return requests, oldest first, optionally of one status and received on or after
        ``since`` (UTC). Sealed personal data is opened only while the store is unlocked."""
        return list(self.iter_requests(status, since))

    def iter_requests(
        self, status: str | None = None, since: dt.date | dt.datetime | None = None
    ) -> Iterator[StoredRequest]:
        """Like :meth:`list_requests`, one at a time (exports of any size in little memory)."""
        where, params = self._filter(status, since)
        try:
            for r in self.db.query(
                f"select * from requests {where} order by created_at, id", params
            ):
                yield self._row(r)
        except sqlite3.Error as exc:
            raise StoreError(f"could not read requests: {exc}") from exc

    def iter_export_rows(
        self,
        status: str | None = None,
        since: dt.date | dt.datetime | None = None,
        *,
        include_demo: bool = True,
    ) -> Iterator[ExportRow]:
        """The requests :meth:`iter_requests` would give, oldest first, as an export reads
        them: only the shown columns, each data key opened once (demo requests only with
        ``include_demo``). Raises StoreError."""
        where, params = self._filter(status, since, include_demo=include_demo)
        unlocked = self._unlocked is not None
        openers = self._opened_keys
        reference = ""
        try:
            order = "id" if self._time_order_is_id_order(where, params) else "created_at, id"
            cursor = self.db.execute(
                f"select {_EXPORT_COLUMNS} from requests {where} order by {order}", params
            )
            for (
                id_,
                reference,
                created_at,
                language,
                status_,
                sealed,
                key_id,
                step,
                plain,
                consents,
                kiosk_id,
                is_demo,
            ) in cursor:
                if sealed is None:
                    # Written by a kiosk without keys; sealed at its next start with a key pair.
                    personal: PersonalFields | None = _decode_personal(plain or "{}")
                elif unlocked:
                    opener = openers.get(key_id) or self._opener(int(key_id or 0), reference)
                    personal = _decode_personal(opener.open(sealed, step or 0))
                else:
                    personal = None
                yield ExportRow(
                    id_,
                    reference,
                    created_at,
                    language,
                    status_,
                    personal,
                    _decode_consents(consents or "{}").items,
                    kiosk_id or "",
                    bool(is_demo),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"could not read requests: {exc}") from exc
        except KeysError as exc:
            raise StoreError(f"request {reference} cannot be opened: {exc}") from None
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise StoreError(f"request {reference} is damaged (it cannot be decoded)") from None

    def _time_order_is_id_order(self, where: str, params: list[str]) -> bool:
        """Whether these requests, in time order, are also in id order (always, unless the
        clock was set back at some point). Then they can be read in table order: sorting
        whole rows, blobs and all, costs twice as much as this check and the read together.
        A request saved between the two queries is still exported, if out of place."""
        last = None
        for (id_,) in self.db.execute(
            f"select id from requests {where} order by created_at, id", params
        ):
            if last is not None and id_ <= last:
                return False
            last = id_
        return True

    @staticmethod
    def _filter(
        status: str | None, since: dt.date | dt.datetime | None, *, include_demo: bool = True
    ) -> tuple[str, list[str]]:
        clauses, params = [], []
        if not include_demo:
            clauses.append("is_demo = 0")
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if since is not None:
            # Stored times are ISO 8601 in UTC, so text order is time order. A moment (the
            # start of the clinic's day) is compared in the stored form; a date, as UTC.
            clauses.append("created_at >= ?")
            if isinstance(since, dt.datetime):
                params.append(since.astimezone(dt.UTC).isoformat(timespec="seconds"))
            else:
                params.append(since.isoformat())
        return ("where " + " and ".join(clauses) if clauses else ""), params

    def request_ids(
        self,
        status: str | None = None,
        since: dt.date | dt.datetime | None = None,
        order: str = "received",
        descending: bool = True,
    ) -> array[int]:
        """The ids of the requests :meth:`list_requests` would return, in the staff list's
        order: ``order`` is one of LIST_ORDERS (received time, reference, or status in the
        order requests go through them, newest first within one). Nothing is opened.
        Raises StoreError (and ValueError for an unknown order)."""
        if order not in LIST_ORDERS:
            raise ValueError(order)
        sql_order = LIST_ORDERS[order].format(dir="DESC" if descending else "ASC")
        where, params = self._filter(status, since)
        try:
            # Plain tuples into a C array of ints: 100,000 ids take 0.8 MiB this way, as
            # Python ints in a list 3.8 MiB, and as (id, time, status, flag, reference)
            # tuples 29 MiB, the whole memory budget of the staff list.
            cursor = self.db.execute(
                f"select id from requests {where} order by {sql_order}", params
            )
            return array("q", itertools.chain.from_iterable(cursor))
        except sqlite3.Error as exc:
            raise StoreError(f"could not read requests: {exc}") from exc

    def requests_by_id(self, ids: Sequence[int]) -> list[StoredRequest]:
        """The requests ``ids``, opened as :meth:`list_requests` opens them, in the order
        given; ids no longer stored are left out. Raises StoreError."""
        found: dict[int, StoredRequest] = {}
        try:
            for start in range(0, len(ids), ID_CHUNK):
                chunk = list(ids[start : start + ID_CHUNK])
                marks = ",".join("?" * len(chunk))
                for r in self.db.query(f"select * from requests where id in ({marks})", chunk):
                    found[r["id"]] = self._row(r)
        except sqlite3.Error as exc:
            raise StoreError(f"could not read requests: {exc}") from exc
        return [found[i] for i in ids if i in found]

    def count_by_status(self) -> dict[str, int]:
        """How many requests there are of each of STATUSES (0 for none), in one pass over
        the status index. Raises StoreError."""
        counts = dict.fromkeys(STATUSES, 0)
        try:
            for status, n in self.db.execute(
                "select status, count(*) from requests group by status"
            ):
                counts[status] = int(n)
        except sqlite3.Error as exc:
            raise StoreError(f"could not count requests: {exc}") from exc
        return counts

    def count_matching(
        self,
        status: str | None = None,
        since: dt.date | dt.datetime | None = None,
        *,
        include_demo: bool = True,
    ) -> int:
        """How many requests :meth:`list_requests` would return (nothing is opened); demo
        requests only with ``include_demo``."""
        where, params = self._filter(status, since, include_demo=include_demo)
        try:
            return int(
                next(self.db.query(f"select count(*) as n from requests {where}", params))["n"]
            )
        except sqlite3.Error as exc:
            raise StoreError(f"could not count requests: {exc}") from exc

    def get(self, reference: str) -> StoredRequest | None:
        """Return the request with ``reference``, or None."""
        try:
            rows = list(self.db.query("select * from requests where reference = ?", [reference]))
        except sqlite3.Error as exc:
            raise StoreError(f"could not read requests: {exc}") from exc
        return self._row(rows[0]) if rows else None

    def forget_key_pair(self, key_id: str) -> int:
        """Delete the demo requests and the data keys sealed to key pair ``key_id`` (the
        development keys `make run` made, being replaced) and return how many requests went.

        Raises StoreError, changing nothing, if a real request is sealed to that key pair:
        with the keys gone nobody could read it again.
        """
        sealed_to = "data_key_id in (select id from data_keys where key_id = ?)"
        try:
            with write_transaction(self.db):
                (real,) = self.db.execute(
                    f"select count(*) from requests where is_demo = 0 and {sealed_to}", [key_id]
                ).fetchone()
                if real:
                    raise StoreError(
                        f"{real} real request(s) are sealed to these keys: export them, or "
                        "remove them with `kiosk requests purge`, first"
                    )
                removed = self.db.execute(
                    f"delete from requests where is_demo = 1 and {sealed_to}", [key_id]
                ).rowcount
                self.db.execute("delete from data_keys where key_id = ?", [key_id])
                self.audit_in_transaction("development_keys_replaced", {"demo_removed": removed})
        except sqlite3.Error as exc:
            raise StoreError(f"could not remove the development keys: {exc}") from exc
        self._forget_deleted()
        return int(removed)

    def audit(self, event: str, **detail: object) -> None:
        """Append an audit entry (no personal data: counts, kinds, outcomes only)."""
        try:
            with write_transaction(self.db):
                self.audit_in_transaction(event, detail)
        except sqlite3.Error as exc:
            raise StoreError(f"could not write the audit log: {exc}") from exc

    def audit_in_transaction(self, event: str, detail: dict[str, object]) -> None:
        """Append an audit entry inside the caller's open transaction."""
        self.db.execute(
            "INSERT INTO audit (at, event, detail) VALUES (?, ?, ?)",
            [self._now_text(), event, json.dumps(detail, ensure_ascii=False, sort_keys=True)],
        )

    def _now_text(self) -> str:
        return self._clock().astimezone(dt.UTC).isoformat(timespec="seconds")

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        """Return the newest audit entries first."""
        try:
            rows = self.db.query("select * from audit order by id desc limit ?", [limit])
            return [{**r, "detail": json.loads(r["detail"] or "{}")} for r in rows]
        except sqlite3.Error as exc:
            raise StoreError(f"could not read the audit log: {exc}") from exc

    def destruction_log(self) -> list[dict[str, Any]]:
        """Return every destruction record, newest first."""
        try:
            return list(self.db.query("select * from destruction_log order by id desc"))
        except sqlite3.Error as exc:
            raise StoreError(f"could not read the destruction log: {exc}") from exc

    def figures(self) -> dict[str, dict[str, int]]:
        """Anonymous counts per week and per language, and all-time counts per topic (they
        survive retention)."""
        out: dict[str, dict[str, int]] = {"week": {}, "language": {}, "topic": {}}
        try:
            rows = list(self.db.query("select * from request_counts"))
            topics = list(self.db.query("select topic, count from topic_counts"))
        except sqlite3.Error as exc:
            raise StoreError(f"could not read the figures: {exc}") from exc
        for row in rows:
            for key in ("week", "language"):
                value = row[key] or "-"
                out[key][value] = out[key].get(value, 0) + int(row["count"])
        out["topic"] = {row["topic"]: int(row["count"]) for row in topics}
        return out

    def set_status(self, ids: list[int], status: str, audit_event: str) -> int:
        """Set ``status`` on the requests ``ids`` and audit it, in one transaction."""
        if status not in STATUSES:
            raise ValueError(status)
        if not ids:
            return 0
        stamp = self._now_text() if status == "exported" else None
        try:
            return self._set_status(ids, status, audit_event, stamp)
        except sqlite3.Error as exc:
            raise StoreError(f"could not change requests: {exc}") from exc

    def _set_status(self, ids: list[int], status: str, audit_event: str, stamp: str | None) -> int:
        marks = ",".join("?" * len(ids))
        with write_transaction(self.db):
            if stamp:
                cur = self.db.execute(
                    f"UPDATE requests SET status = ?, exported_at = ? WHERE id IN ({marks})",
                    [status, stamp, *ids],
                )
            else:
                cur = self.db.execute(
                    f"UPDATE requests SET status = ? WHERE id IN ({marks})", [status, *ids]
                )
            self.audit_in_transaction(audit_event, {"count": cur.rowcount, "status": status})
        return int(cur.rowcount)

    def record_export(self, ids: list[int], mark: bool, detail: dict[str, object]) -> None:
        """Mark the exported requests ``ids`` exported (if ``mark``) and audit the export,
        in one transaction. Contacted requests stay contacted: exporting them again changes
        nothing. Raises StoreError (then nothing is marked)."""
        stamp = self._now_text()
        try:
            with write_transaction(self.db):
                if mark:
                    for start in range(0, len(ids), 500):  # SQLite's limit on bound values
                        chunk = ids[start : start + 500]
                        marks = ",".join("?" * len(chunk))
                        self.db.execute(
                            f"UPDATE requests SET status = 'exported', exported_at = ? "
                            f"WHERE id IN ({marks}) AND status = 'new'",
                            [stamp, *chunk],
                        )
                self.audit_in_transaction("exported", {"count": len(ids), **detail})
        except sqlite3.Error as exc:
            raise StoreError(f"could not record the export: {exc}") from exc

    def delete(self, ids: list[int], reason: str) -> int:
        """Delete requests, logging the count (never their content) to the destruction log."""
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        try:
            with write_transaction(self.db):
                cur = self.db.execute(f"DELETE FROM requests WHERE id IN ({marks})", ids)
                self._destroyed(cur.rowcount, reason)
            self._forget_deleted()
        except sqlite3.Error as exc:
            raise StoreError(f"could not delete requests: {exc}") from exc
        return int(cur.rowcount)

    def checkpoint(self) -> None:
        """Copy the WAL into the database file and empty it, now (the self-test then looks
        for a name in the file itself). Raises StoreError when SQLite cannot."""
        try:
            (busy, *_) = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"could not empty the write-ahead log: {exc}") from exc
        if busy:
            raise StoreError("could not empty the write-ahead log: another reader held it")

    def _forget_deleted(self) -> bool:
        """Copy the WAL into the database and empty it: secure_delete wipes freed pages, but
        old copies of deleted or rewritten rows would otherwise sit in the -wal file. False
        when it could not be done now (another connection kept reading past the busy
        timeout; SQLite then says so in its answer, it raises nothing): the next save,
        delete or delivery run empties it."""
        if self.db.conn.in_transaction:
            return False  # inside bulk_load: it empties the log once, at its end
        try:
            (busy, *_) = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            log.warning("wal_checkpoint_skipped error=%s", _error_name(exc))
            return False
        if busy:
            log.warning("wal_checkpoint_skipped error=busy")
            return False
        return True

    def _destroyed(self, count: int, reason: str) -> None:
        self.db.execute(
            "INSERT INTO destruction_log (at, count, reason) VALUES (?, ?, ?)",
            [self._now_text(), count, reason],
        )
        self.audit_in_transaction("deleted", {"count": count, "reason": reason})

    @staticmethod
    def _reached_staff(reached: bool) -> tuple[str, list[str]]:
        """The SQL condition (and its parameters) for requests that did, or did not, reach
        the staff: REACHED_STAFF is the only definition. A demo request (made to try the
        kiosk out, never a patient's) counts as reached: nobody has to export it, so it
        goes after retention_days and never sets off the warning."""
        marks = ",".join("?" * len(REACHED_STAFF))
        if reached:
            return f"(status IN ({marks}) OR is_demo = 1)", list(REACHED_STAFF)
        return f"(status NOT IN ({marks}) AND is_demo = 0)", list(REACHED_STAFF)

    def _cutoff(self, days: int) -> str:
        """The stored-time text before which a request is more than ``days`` days old."""
        cutoff = self._clock().astimezone(dt.UTC) - dt.timedelta(days=days)
        return cutoff.isoformat(timespec="seconds")

    def _older_than(self, days: int, reached: bool) -> tuple[str, list[str]]:
        condition, params = self._reached_staff(reached)
        # A request still waiting for the central server is never deleted by age: only
        # its delivery (or staff, on purpose) takes it away. One the server refused
        # (quarantined) is no longer on its way: it keeps the rules of a kiosk on its own
        # (staff export it; the warning before its hard limit applies).
        return (
            f"created_at < ? AND {condition} AND id NOT IN "
            "(SELECT request_id FROM outbox WHERE state = 'pending')",
            [self._cutoff(days), *params],
        )

    def count_older_than(self, days: int) -> Purged:
        """How many requests are older than ``days`` days, by whether they reached the staff
        (nothing is opened or deleted). Raises StoreError."""
        counts = []
        try:
            for reached in (True, False):
                where, params = self._older_than(days, reached)
                row = self.db.execute(f"SELECT count(*) FROM requests WHERE {where}", params)
                counts.append(int(row.fetchone()[0]))
        except sqlite3.Error as exc:
            raise StoreError(f"could not count requests: {exc}") from exc
        return Purged(*counts)

    def purge_older_than(
        self, days: int, *, unexported_days: int | None = None, source: str = "retention"
    ) -> Purged:
        """Delete requests that reached the staff (REACHED_STAFF) received more than ``days``
        days ago, and the others only when more than ``unexported_days`` old (None: never).

        Deletions go to the destruction log (date, count, and the rule as ``source``, days
        and which requests); every run is audited, so the clinic can show that the periodic
        destruction ran. If the clock looks wrong (see :meth:`clock_problem`) nothing is
        deleted and ClockError is raised: a clock set years ahead must not make every
        request look old.
        """
        problem = self.clock_problem()
        if problem:
            log.warning("retention_paused reason=clock")
            try:
                self.audit("retention_paused", reason="clock")
            except StoreError:
                pass
            raise ClockError(f"retention paused: {problem}")
        rules = [(days, True, f"{source} {days} days, reached staff")]
        if unexported_days is not None:
            rules.append(
                (unexported_days, False, f"{source} {unexported_days} days, never reached staff")
            )
        counts = {True: 0, False: 0}
        try:
            with write_transaction(self.db):
                for limit, reached, reason in rules:
                    where, params = self._older_than(limit, reached)
                    cur = self.db.execute(f"DELETE FROM requests WHERE {where}", params)
                    counts[reached] = cur.rowcount
                    if cur.rowcount:
                        self._destroyed(cur.rowcount, reason)
                # Tombstones of delivered requests (no personal data) go after the same time.
                self.outbox.purge_tombstones(self._cutoff(days))
                purged = Purged(counts[True], counts[False])
                self.audit_in_transaction(
                    "retention_checked",
                    {
                        "count": purged.total,
                        "days": days,
                        "unexported_days": unexported_days,
                        "source": source,
                    },
                )
            if purged.total:
                self._forget_deleted()
        except sqlite3.Error as exc:
            raise StoreError(f"could not purge requests: {exc}") from exc
        if purged.total:
            log.info(
                "retention_purged count=%d reached_staff=%d never_reached=%d",
                purged.total,
                purged.reached_staff,
                purged.never_reached,
            )
        return purged

    def unexported_due(
        self, max_days: int, within_days: int = UNEXPORTED_WARNING_DAYS
    ) -> UnexportedDue | None:
        """Requests that never reached the staff and will be more than ``max_days`` old
        within ``within_days`` days (so retention deletes them), or None if there are none.
        Raises StoreError."""
        where, params = self._older_than(max_days - within_days, False)
        try:
            count, oldest = self.db.execute(
                f"SELECT count(*), min(created_at) FROM requests WHERE {where}", params
            ).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"could not count requests: {exc}") from exc
        if not count:
            return None
        now = self._clock().astimezone(dt.UTC)
        first = dt.datetime.fromisoformat(oldest) + dt.timedelta(days=max_days)
        return UnexportedDue(int(count), max(first, now))

    def apply_retention(self, days: int, unexported_max_days: int) -> Purged:
        """The running kiosk's retention: requests that reached the staff go after ``days``,
        the others after ``unexported_max_days``; then the log warns (counts only) about
        requests nobody exported that go within UNEXPORTED_WARNING_DAYS. Raises ClockError
        (nothing deleted) or StoreError."""
        purged = self.purge_older_than(days, unexported_days=unexported_max_days)
        due = self.unexported_due(unexported_max_days)
        if due is not None:
            now = self._clock().astimezone(dt.UTC)
            log.warning(
                "unexported_requests_due count=%d first_in_days=%d",
                due.count,
                max(0, (due.first - now).days),
            )
        return purged

    def _newest_trusted_time(self) -> dt.datetime | None:
        """The newest time this kiosk wrote with a clock it trusted: a request, or a
        retention run (which only happens when the clock passed these checks)."""
        row = next(
            self.db.query(
                "select max(t) as t from (select max(created_at) as t from requests "
                "union all select max(at) from audit where event = 'retention_checked')"
            )
        )
        return dt.datetime.fromisoformat(row["t"]) if row["t"] else None

    def clock_problem(self) -> str | None:
        """Say why the clock looks wrong, or None: before this software existed, behind the
        newest stored record, more than a year past it, or jumped while running."""
        now = self._clock().astimezone(dt.UTC)
        started_wall, started_mono = self._started
        drift = (now - started_wall).total_seconds() - (self._monotonic() - started_mono)
        if abs(drift) > CLOCK_SLACK.total_seconds():
            return f"the clock jumped by {drift / 86400:+.0f} days while the kiosk was running"
        if now < CLOCK_FLOOR:
            return f"the clock says {now:%Y-%m-%d}, before this kiosk software was made"
        try:
            newest = self._newest_trusted_time()
        except sqlite3.Error as exc:
            raise StoreError(f"could not read the newest record: {exc}") from exc
        if newest is not None and now < newest - CLOCK_SLACK:
            return f"the clock says {now:%Y-%m-%d}, behind the newest record ({newest:%Y-%m-%d})"
        if newest is not None and now > newest + CLOCK_MAX_GAP:
            return (
                f"the clock says {now:%Y-%m-%d}, more than a year after the newest record "
                f"({newest:%Y-%m-%d})"
            )
        return None

    def count(self, real_only: bool = False) -> int:
        """Return how many requests there are (only non-demo ones if ``real_only``)."""
        sql = "select count(*) as n from requests" + (" where is_demo = 0" if real_only else "")
        try:
            return int(next(self.db.query(sql))["n"])
        except sqlite3.Error as exc:
            raise StoreError(f"could not count requests: {exc}") from exc
