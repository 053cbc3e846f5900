"""The kiosk's SQLite database: opening it safely, its versioned schema, and the request store
(no Qt)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from kiosk.appointment import AppointmentRequest

log = logging.getLogger(__name__)
migrations = Migrations("kiosk")

# No 0/O, 1/I/L: a code read aloud at the desk or copied by hand stays unambiguous.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
STATUSES = ("new", "exported", "contacted")


@migrations()
def m001_requests(db: Database) -> None:
    """Appointment requests; personal fields live together in one column for later encryption."""
    db.table("requests").create(
        {
            "id": int,
            "reference": str,
            "created_at": str,
            "kiosk_id": str,
            "language": str,
            "personal": str,
            "consents": str,
            "content_version": str,
            "status": str,
            "exported_at": str,
        },
        pk="id",
        not_null={"reference", "created_at", "kiosk_id", "language", "personal", "status"},
    )
    db.table("requests").create_index(["reference"], unique=True)
    db.table("requests").create_index(["status", "created_at"])


@migrations()
def m002_demo_flag(db: Database) -> None:
    """Mark rows made by ``kiosk demo-data`` so they are never mistaken for real requests."""
    db.table("requests").add_column("is_demo", int, not_null_default=0)


@migrations()
def m003_audit_and_figures(db: Database) -> None:
    """Audit trail, destruction log, anonymous counts and the staff lock state.

    None of these tables holds personal data. The audit and destruction logs are
    append-only: triggers refuse updates and deletes (KVKK asks to keep destruction records).
    """
    db.table("audit").create(
        {"id": int, "at": str, "event": str, "detail": str}, pk="id", not_null={"at", "event"}
    )
    db.table("destruction_log").create(
        {"id": int, "at": str, "count": int, "reason": str},
        pk="id",
        not_null={"at", "count", "reason"},
    )
    for table in ("audit", "destruction_log"):
        for action in ("UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    db.table("request_counts").create(
        {"week": str, "language": str, "topic": str, "count": int},
        pk=("week", "language", "topic"),
    )
    db.table("staff_auth").create(
        {"id": int, "passcode_hash": str, "failures": int, "locked_until": str}, pk="id"
    )


class StoreError(Exception):
    """The database could not be read or written. The message never holds personal data."""


def open_database(path: Path) -> Database:
    """Open (creating if needed) the database at ``path`` with durable settings and the schema.

    WAL keeps readers from blocking the writer, FULL sync makes a commit survive power loss,
    and secure_delete overwrites deleted patient data instead of leaving it in free pages.
    Raises StoreError when the file cannot be opened or migrated.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        new = not path.exists()
        db = Database(path)
        db.execute("PRAGMA busy_timeout = 5000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA secure_delete = ON")
        migrations.apply(db)
        if new and os.name == "posix":
            path.chmod(0o600)  # patients' data: readable by the kiosk's account only
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"cannot open database: {type(exc).__name__}: {exc}") from exc
    return db


def memory_database() -> Database:
    """Return a migrated in-memory database (screenshots, the self-test and tests)."""
    db = Database(memory=True)
    migrations.apply(db)
    return db


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


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_reference() -> str:
    """Return a short random code like ``K7Q-M4X`` (31^6 ≈ 887 million possibilities)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"{chars[:3]}-{chars[3:]}"


class AppointmentStore:
    """Appointment requests in SQLite: one transaction per request."""

    def __init__(self, db: Database, clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.db = db
        self._clock = clock

    def add_request(
        self,
        request: AppointmentRequest,
        *,
        kiosk_id: str,
        content_version: str,
        consent_versions: dict[str, str],
        notice_version: str,
        is_demo: bool = False,
    ) -> str:
        """Store ``request`` and return its reference code once the commit has returned.

        Raises StoreError if anything fails; then nothing of the request is in the database.
        """
        now = self._clock().astimezone(dt.UTC)
        consents = {
            "notice_version": notice_version,
            "given_at": now.isoformat(timespec="seconds"),
            "items": {
                cid: {"given": given, "version": consent_versions.get(cid, "")}
                for cid, given in request.consents.items()
            },
        }
        for _attempt in range(5):
            reference = new_reference()
            row = {
                "reference": reference,
                "created_at": now.isoformat(timespec="seconds"),
                "kiosk_id": kiosk_id,
                "language": request.language,
                "personal": json.dumps(request.personal(), ensure_ascii=False),
                "consents": json.dumps(consents, ensure_ascii=False),
                "content_version": content_version,
                "status": "new",
                "exported_at": None,
                "is_demo": int(is_demo),
            }
            week = now.strftime("%G-W%V")
            try:
                with self.db.atomic():
                    self.db.table("requests").insert(row)
                    # Anonymous figures for the clinic; they outlive the request itself.
                    self.db.execute(
                        "INSERT INTO request_counts (week, language, topic, count) "
                        "VALUES (?, ?, ?, 1) ON CONFLICT (week, language, topic) "
                        "DO UPDATE SET count = count + 1",
                        [week, request.language, request.topic or ""],
                    )
            except sqlite3.IntegrityError:
                continue  # the random code was taken: draw another
            except (sqlite3.Error, OSError) as exc:
                # The exception text comes from SQLite and never contains row values.
                log.error("request_save_failed error=%s", type(exc).__name__)
                raise StoreError(f"could not save the request: {exc}") from exc
            log.info("request_saved")
            return reference
        raise StoreError("could not draw a free reference code")

    def _row(self, row: dict[str, Any]) -> StoredRequest:
        return StoredRequest(
            id=row["id"],
            reference=row["reference"],
            created_at=dt.datetime.fromisoformat(row["created_at"]),
            kiosk_id=row["kiosk_id"],
            language=row["language"],
            personal=json.loads(row["personal"]),
            consents=json.loads(row["consents"] or "{}"),
            content_version=row["content_version"] or "",
            status=row["status"],
            exported_at=row["exported_at"],
            is_demo=bool(row["is_demo"]),
        )

    def list_requests(self, status: str | None = None) -> list[StoredRequest]:
        """Return requests, oldest first, optionally of one status."""
        where, params = ("", []) if status is None else ("where status = ?", [status])
        try:
            rows = self.db.query(f"select * from requests {where} order by created_at, id", params)
            return [self._row(r) for r in rows]
        except sqlite3.Error as exc:
            raise StoreError(f"could not read requests: {exc}") from exc

    def get(self, reference: str) -> StoredRequest | None:
        """Return the request with ``reference``, or None."""
        try:
            rows = list(self.db.query("select * from requests where reference = ?", [reference]))
        except sqlite3.Error as exc:
            raise StoreError(f"could not read requests: {exc}") from exc
        return self._row(rows[0]) if rows else None

    def audit(self, event: str, **detail: object) -> None:
        """Append an audit entry (no personal data: counts, kinds, outcomes only)."""
        try:
            with self.db.atomic():
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
        """Anonymous counts per week, per language and per topic (they survive retention)."""
        out: dict[str, dict[str, int]] = {"week": {}, "language": {}, "topic": {}}
        try:
            rows = list(self.db.query("select * from request_counts"))
        except sqlite3.Error as exc:
            raise StoreError(f"could not read the figures: {exc}") from exc
        for row in rows:
            for key in out:
                value = row[key] or "-"
                out[key][value] = out[key].get(value, 0) + int(row["count"])
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
        with self.db.atomic():
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

    def delete(self, ids: list[int], reason: str) -> int:
        """Delete requests, logging the count (never their content) to the destruction log."""
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        try:
            with self.db.atomic():
                cur = self.db.execute(f"DELETE FROM requests WHERE id IN ({marks})", ids)
                self._destroyed(cur.rowcount, reason)
            self._forget_deleted()
        except sqlite3.Error as exc:
            raise StoreError(f"could not delete requests: {exc}") from exc
        return int(cur.rowcount)

    def _forget_deleted(self) -> None:
        """Copy the WAL into the database and empty it: secure_delete wipes freed pages, but
        old copies of deleted rows would otherwise sit in the -wal file until shutdown."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _destroyed(self, count: int, reason: str) -> None:
        self.db.execute(
            "INSERT INTO destruction_log (at, count, reason) VALUES (?, ?, ?)",
            [self._now_text(), count, reason],
        )
        self.audit_in_transaction("deleted", {"count": count, "reason": reason})

    def purge_older_than(self, days: int) -> int:
        """Delete requests received more than ``days`` days ago; return how many went.

        Deletions go to the destruction log (date and count); a run with nothing due is
        still audited, so the clinic can show that the periodic destruction ran.
        """
        cutoff = (self._clock().astimezone(dt.UTC) - dt.timedelta(days=days)).isoformat(
            timespec="seconds"
        )
        try:
            with self.db.atomic():
                cur = self.db.execute("DELETE FROM requests WHERE created_at < ?", [cutoff])
                if cur.rowcount:
                    self._destroyed(cur.rowcount, f"retention {days} days")
                else:
                    self.audit_in_transaction("retention_checked", {"count": 0, "days": days})
            if cur.rowcount:
                self._forget_deleted()
        except sqlite3.Error as exc:
            raise StoreError(f"could not purge requests: {exc}") from exc
        if cur.rowcount:
            log.info("retention_purged count=%d", cur.rowcount)
        return int(cur.rowcount)

    def count(self, real_only: bool = False) -> int:
        """Return how many requests there are (only non-demo ones if ``real_only``)."""
        sql = "select count(*) as n from requests" + (" where is_demo = 0" if real_only else "")
        try:
            return int(next(self.db.query(sql))["n"])
        except sqlite3.Error as exc:
            raise StoreError(f"could not count requests: {exc}") from exc
