"""The outbox of central delivery: requests waiting for the central server, each sealed whole
to the clinic's public key, what the server answered, and the tombstones of those it has
(no Qt; kiosk.fleet.delivery carries the parcels, and asks this module for every SQL
statement)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sqlite3
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.crypto import DataKeyOpener, KeysError, Unlocked, WritingKey
from kiosk.store.db import StoreError, write_transaction

if TYPE_CHECKING:
    from kiosk.store.requests import AppointmentStore

log = logging.getLogger(__name__)

# What the central server answers for each request (kiosk.fleet.central_schema).
OUTCOMES = ("stored", "duplicate", "retry", "conflict")
# The format of what is sealed, for whoever opens it at the desk (issue 22's console).
RECORD_FORMAT = "kiosk-request/1"
# A sealed record's length would tell how long a name or an address is: every record is
# padded with spaces (JSON ignores them) to a whole number of these.
PAD_BYTES = 512
# Why the destruction log lost requests that the central server now holds.
DELIVERED_REASON = "delivered to the central server"
_CHUNK = 500


@dataclass(frozen=True)
class Parcel:
    """One request as the central server receives it: nothing but ciphertext and its ids."""

    uuid: str
    created_at: dt.datetime
    key_id: str
    sha256: bytes
    sealed: bytes
    # The code the patient was shown (no personal data): the desk finds the request by it.
    reference: str | None = None


@dataclass(frozen=True)
class Settled:
    """How many requests of a batch the server stored, already had, asked to send again, or
    refused (those are quarantined)."""

    stored: int = 0
    duplicate: int = 0
    retry: int = 0
    conflict: int = 0

    def __add__(self, other: Settled) -> Settled:
        return Settled(
            self.stored + other.stored,
            self.duplicate + other.duplicate,
            self.retry + other.retry,
            self.conflict + other.conflict,
        )

    @property
    def delivered(self) -> int:
        return self.stored + self.duplicate


@dataclass(frozen=True)
class OutboxState:
    """What ``kiosk fleet status``, the heartbeat and the staff screen tell of the outbox."""

    pending: int
    quarantined: int
    # The oldest request not delivered yet, waiting or quarantined (the heartbeat's backlog).
    oldest_pending: dt.datetime | None
    last_delivered: dt.datetime | None
    last_error: str
    # Requests saved before central delivery was turned on: they stay on this kiosk (only
    # the staff passcode opens them), for the USB export.
    kept_here: int

    def oldest_pending_seconds(self, now: dt.datetime) -> int:
        if self.oldest_pending is None:
            return 0
        return max(0, int((now - self.oldest_pending).total_seconds()))


# The envelope of what a kiosk sends (the desk also reads the first release's: the record
# sealed alone to the public key). This one: ENVELOPE, the kiosk's data key sealed to the
# clinic's public key (an hour's chain, kiosk.crypto.WritingKey), the step of the chain
# (4 bytes, big-endian) and the record under that step's key. The desk opens a chain's key
# once (one X25519) and each request with a hash and a symmetric cipher: 100,000 requests
# export in a second, not in minutes.
ENVELOPE = b"KRQ2"
# A kiosk starts a new chain after this many requests (or a day): a step beyond it is a
# damaged or forged record, and the desk never walks that far down a chain for it.
MAX_STEPS = 20_000
_SEALED_KEY = 80  # crypto_box_seal of a 32-byte key
_KEY_AT = len(ENVELOPE)
_HEAD = _KEY_AT + _SEALED_KEY + 4


def sealed_record(key: WritingKey, record: Mapping[str, Any]) -> bytes:
    """``record`` as JSON, padded to a multiple of PAD_BYTES, sealed under the next step of
    the chain ``key`` (whose own key is sealed to the clinic's public key, in front)."""
    text = json.dumps({"format": RECORD_FORMAT, **record}, ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % PAD_BYTES)
    step, blob = key.encrypt(text)
    return ENVELOPE + key.sealed + step.to_bytes(4, "big") + blob


def open_record(
    private: Unlocked, sealed: bytes, openers: dict[bytes, DataKeyOpener] | None = None
) -> bytes:
    """The record in ``sealed`` (either envelope), with the clinic's private key; a chain's
    key once opened is kept in ``openers`` (the caller wipes them). Raises KeysError."""
    if sealed.startswith(ENVELOPE) and len(sealed) > _HEAD:
        head = sealed[len(ENVELOPE) : len(ENVELOPE) + _SEALED_KEY]
        step = int.from_bytes(sealed[_HEAD - 4 : _HEAD], "big")
        if step >= MAX_STEPS:
            raise KeysError("a sealed value is damaged or belongs to another key")
        opener = openers.get(head) if openers is not None else None
        if opener is not None:
            return opener.open(sealed[_HEAD:], step)
        try:
            opener = private.open_data_key(head)
        except KeysError:
            opener = None
        if opener is not None:
            try:
                plain = opener.open(sealed[_HEAD:], step)
            except KeysError:
                opener.wipe()  # kept only once a record opened under it
                raise
            if openers is not None:
                openers[head] = opener
            else:
                opener.wipe()
            return plain
    # The first release's envelope (or, once in 2^32, one that starts like this one).
    return private.open(sealed)


def open_records(
    private: Unlocked, sealed: Sequence[bytes], openers: dict[bytes, DataKeyOpener]
) -> list[bytes | None]:
    """:func:`open_record` of each of ``sealed`` (None for one that does not open): a desk
    export's page in one call. A record whose chain is already open, nearly all of them,
    is opened here without the calls around it: they cost more than the cipher."""
    opened: list[bytes | None] = []
    add = opened.append
    for value in sealed:
        opener = None
        if value[:_KEY_AT] == ENVELOPE and len(value) > _HEAD:
            opener = openers.get(value[_KEY_AT : _HEAD - 4])
        try:
            if opener is None:
                add(open_record(private, value, openers))
                continue
            step = int.from_bytes(value[_HEAD - 4 : _HEAD], "big")
            if step >= MAX_STEPS:
                raise KeysError("a sealed value is damaged or belongs to another key")
            add(opener.open(value[_HEAD:], step))
        except KeysError:
            add(None)
    return opened


def enqueue(db: Any, request_id: int, created_at: str, key_id: str, sealed: bytes) -> str:
    """Put a saved request in the outbox inside the caller's transaction (the one that saved
    it: the request and its parcel are committed together or not at all); its UUID."""
    request_uuid = str(uuid.uuid4())
    db.execute(
        "INSERT INTO outbox (request_uuid, request_id, created_at, key_id, sha256, sealed) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [request_uuid, request_id, created_at, key_id, hashlib.sha256(sealed).digest(), sealed],
    )
    return request_uuid


def _marks(n: int) -> str:
    return ",".join("?" * n)


class Outbox:
    """The outbox of one AppointmentStore, on its connection and clock."""

    def __init__(self, store: AppointmentStore) -> None:
        self._store = store
        self._db = store.db

    def batch(self, limit: int, max_bytes: int) -> list[Parcel]:
        """The oldest pending parcels: at most ``limit`` of them and about ``max_bytes`` of
        ciphertext (always at least one). Raises StoreError."""
        parcels: list[Parcel] = []
        size = 0
        try:
            for uuid_, created, key_id, sha, sealed, reference in self._db.execute(
                "SELECT o.request_uuid, o.created_at, o.key_id, o.sha256, o.sealed, r.reference "
                "FROM outbox o LEFT JOIN requests r ON r.id = o.request_id "
                "WHERE o.state = 'pending' ORDER BY o.created_at, o.request_uuid LIMIT ?",
                [limit],
            ):
                if parcels and size + len(sealed) > max_bytes:
                    break
                size += len(sealed)
                parcels.append(
                    Parcel(
                        uuid_, dt.datetime.fromisoformat(created), key_id, sha, sealed, reference
                    )
                )
        except sqlite3.Error as exc:
            raise StoreError(f"could not read the outbox: {exc}") from exc
        return parcels

    def settle(self, receipts: Mapping[str, str]) -> Settled:
        """Act on the server's receipts (request UUID → outcome), in one transaction: a
        request it stored or already had is deleted here (its parcel and its row; only a
        tombstone stays, and the destruction log counts it), one it refused is quarantined,
        one it asked for again waits for the next run. Then the write-ahead log is emptied,
        so no copy of the deleted bytes stays on disk. Receipts for requests no longer here
        change nothing. Raises StoreError."""
        by_outcome: dict[str, list[str]] = {o: [] for o in OUTCOMES}
        for request_uuid, outcome in receipts.items():
            if outcome not in by_outcome:
                raise StoreError(f"the central server answered {outcome!r}, not a receipt")
            by_outcome[outcome].append(request_uuid)
        store = self._store
        now = store._now_text()
        counts = dict.fromkeys(OUTCOMES, 0)
        try:
            with write_transaction(self._db):
                for outcome in ("stored", "duplicate"):
                    counts[outcome] = self._deliver(by_outcome[outcome], outcome, now)
                delivered = counts["stored"] + counts["duplicate"]
                if delivered:
                    store._destroyed(delivered, DELIVERED_REASON)
                # Receipts for requests no longer here: deleted on purpose (a patient's
                # erasure) while their batch was on its way. The central server keeps them
                # unless IT deletes them there: the audit log names them (ids only).
                gone = [
                    u
                    for o in ("stored", "duplicate")
                    for u in by_outcome[o]
                    if not self._delivered(u)
                ]
                if gone:
                    store.audit_in_transaction(
                        "delivered_after_deletion", {"count": len(gone), "request_ids": gone}
                    )
                    log.warning("delivered_after_deletion count=%d", len(gone))
                for outcome, state in (("conflict", "quarantined"), ("retry", "pending")):
                    counts[outcome] = self._mark(by_outcome[outcome], state, outcome, now)
                if any(counts.values()):
                    store.audit_in_transaction("delivered", dict(counts))
        except sqlite3.Error as exc:
            raise StoreError(f"could not record the delivery: {exc}") from exc
        if counts["stored"] or counts["duplicate"]:
            store._forget_deleted()
        return Settled(**counts)

    def _delivered(self, request_uuid: str) -> bool:
        found = self._db.execute(
            "SELECT 1 FROM delivered WHERE request_uuid = ?", [request_uuid]
        ).fetchone()
        return found is not None

    def empty_wal(self) -> bool:
        """Empty the write-ahead log again (a checkpoint after a delivery that found the
        log in use); whether it is empty."""
        return self._store._forget_deleted()

    def _deliver(self, uuids: list[str], outcome: str, now: str) -> int:
        done = 0
        for start in range(0, len(uuids), _CHUNK):
            chunk = uuids[start : start + _CHUNK]
            rows = self._db.execute(
                f"SELECT request_uuid, request_id, sha256 FROM outbox "
                f"WHERE request_uuid IN ({_marks(len(chunk))})",
                chunk,
            ).fetchall()
            if not rows:
                continue
            self._db.conn.executemany(
                "INSERT OR IGNORE INTO delivered (request_uuid, sha256, delivered_at, outcome) "
                "VALUES (?, ?, ?, ?)",
                [(u, sha, now, outcome) for u, _rid, sha in rows],
            )
            ids = [rid for _u, rid, _sha in rows]
            # The request itself goes too (its parcel with it, by trigger): the central
            # server holds it now, and the kiosk keeps no patient's data it does not need.
            self._db.execute(f"DELETE FROM requests WHERE id IN ({_marks(len(ids))})", ids)
            self._db.execute(
                f"DELETE FROM outbox WHERE request_uuid IN ({_marks(len(chunk))})", chunk
            )
            done += len(rows)
        return done

    def _mark(self, uuids: list[str], state: str, error: str, now: str) -> int:
        done = 0
        for start in range(0, len(uuids), _CHUNK):
            chunk = uuids[start : start + _CHUNK]
            cur = self._db.execute(
                f"UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?, "
                f"last_attempt_at = ? WHERE request_uuid IN ({_marks(len(chunk))})",
                [state, error, now, *chunk],
            )
            done += cur.rowcount
        return done

    def failed(self, uuids: Collection[str], error: str) -> None:
        """The attempt to send these failed (``error``: a short code, never a message
        text): counted and noted on each. Raises StoreError."""
        now = self._store._now_text()
        try:
            with write_transaction(self._db):
                self._mark(list(uuids), "pending", error, now)
        except sqlite3.Error as exc:
            raise StoreError(f"could not record the failure: {exc}") from exc

    def quarantine(self, uuids: Collection[str], error: str) -> int:
        """Stop sending these (the server refuses them as they are); audited. Their requests
        stay here until staff export them. Raises StoreError."""
        now = self._store._now_text()
        try:
            with write_transaction(self._db):
                count = self._mark(list(uuids), "quarantined", error, now)
                if count:
                    self._store.audit_in_transaction(
                        "quarantined", {"count": count, "error": error}
                    )
        except sqlite3.Error as exc:
            raise StoreError(f"could not quarantine requests: {exc}") from exc
        return count

    def requeue_quarantined(self) -> int:
        """Send the quarantined requests again, each under a new UUID (the old one is taken
        on the server by something else); audited. Raises StoreError."""
        try:
            with write_transaction(self._db):
                rows = self._db.execute(
                    "SELECT request_uuid FROM outbox WHERE state = 'quarantined'"
                ).fetchall()
                for (old,) in rows:
                    self._db.execute(
                        "UPDATE outbox SET request_uuid = ?, state = 'pending', attempts = 0, "
                        "last_error = '' WHERE request_uuid = ?",
                        [str(uuid.uuid4()), old],
                    )
                if rows:
                    self._store.audit_in_transaction("requeued", {"count": len(rows)})
        except sqlite3.Error as exc:
            raise StoreError(f"could not send the quarantined requests again: {exc}") from exc
        return len(rows)

    def state(self) -> OutboxState:
        """Counts and times of the outbox (nothing is opened). Raises StoreError."""
        try:
            pending, quarantined, oldest = self._db.execute(
                "SELECT count(*) FILTER (WHERE state = 'pending'), "
                "count(*) FILTER (WHERE state = 'quarantined'), "
                "min(created_at) FROM outbox"
            ).fetchone()
            (last,) = self._db.execute("SELECT max(delivered_at) FROM delivered").fetchone()
            error = self._db.execute(
                "SELECT last_error FROM outbox WHERE last_error != '' "
                "ORDER BY last_attempt_at DESC LIMIT 1"
            ).fetchone()
            (kept,) = self._db.execute(
                "SELECT count(*) FROM requests WHERE is_demo = 0 "
                "AND id NOT IN (SELECT request_id FROM outbox)"
            ).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"could not read the outbox: {exc}") from exc
        return OutboxState(
            pending=int(pending),
            quarantined=int(quarantined),
            oldest_pending=dt.datetime.fromisoformat(oldest) if oldest else None,
            last_delivered=dt.datetime.fromisoformat(last) if last else None,
            last_error=error[0] if error else "",
            kept_here=int(kept),
        )

    def purge_tombstones(self, before: str) -> int:
        """Delete tombstones written before ``before`` (stored time text), inside the
        caller's transaction."""
        return int(
            self._db.execute("DELETE FROM delivered WHERE delivered_at < ?", [before]).rowcount
        )
