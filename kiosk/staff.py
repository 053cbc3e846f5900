"""Staff passcode: it unlocks the clinic's private key (Argon2id), with a lockout that
survives restarts (no Qt)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kiosk import crypto
from kiosk.crypto import KeysError, Unlocked
from kiosk.storage import AppointmentStore, StoreError, write_transaction

FREE_ATTEMPTS = 5
FIRST_LOCK_SECONDS = 60
# Doubling stops at half an hour, so a passer-by who knows the gesture cannot lock the
# desk out for a whole day.
MAX_LOCK_SECONDS = 30 * 60


class PasscodeError(ValueError):
    """The passcode does not follow the rules (6 to 12 digits)."""


def check_format(code: str) -> None:
    """Raise PasscodeError unless ``code`` is 6 to 12 ASCII digits."""
    if not (6 <= len(code) <= 12 and code.isascii() and code.isdigit()):
        raise PasscodeError("the passcode must be 6 to 12 digits")


@dataclass(frozen=True)
class Attempt:
    """The outcome of one passcode attempt."""

    result: Literal["ok", "wrong", "locked", "not_configured"]
    wait_seconds: int = 0
    # The clinic's private key, for this staff session only (set when result is "ok").
    key: Unlocked | None = None


def lock_seconds(failures: int) -> int:
    """Lock time after ``failures`` wrong attempts: none for the first four, then one minute,
    doubling with each further failure, up to half an hour."""
    if failures < FREE_ATTEMPTS:
        return 0
    return int(min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** min(failures - FREE_ATTEMPTS, 20)))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class StaffAuth:
    """The staff passcode and its lockout. The passcode is checked by unwrapping the
    private key in the key file; the lockout lives in the database so a restart resets
    nothing."""

    def __init__(
        self,
        store: AppointmentStore,
        keys_path: Path,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self._store = store
        self._db = store.db
        self._keys_path = keys_path
        self._clock = clock

    @property
    def keys_path(self) -> Path:
        return self._keys_path

    def _row(self) -> dict[str, object] | None:
        rows = list(self._db.query("select * from staff_auth where id = 1"))
        return rows[0] if rows else None

    def is_configured(self) -> bool:
        """Whether a key file with a passcode exists (False if it cannot be read)."""
        try:
            crypto.read_key_file(self._keys_path)
        except KeysError:
            return False
        return True

    def change_passcode(self, key: Unlocked, code: str) -> None:
        """Re-wrap the private key under ``code`` and clear any lockout."""
        check_format(code)
        try:
            crypto.change_passcode(self._keys_path, key, code)
        except KeysError as exc:
            raise StoreError(str(exc)) from None
        self.clear_lockout("passcode_changed")

    def clear_lockout(self, event: str) -> None:
        """Forget failed attempts (after a new passcode) and audit ``event``."""
        try:
            with write_transaction(self._db):
                self._db.execute(
                    "INSERT INTO staff_auth (id, passcode_hash, failures, locked_until) "
                    "VALUES (1, NULL, 0, NULL) ON CONFLICT (id) DO UPDATE SET "
                    "failures = 0, locked_until = NULL"
                )
                self._store.audit_in_transaction(event, {})
        except sqlite3.Error as exc:
            raise StoreError(f"could not store the passcode state: {exc}") from exc

    def attempt(self, code: str) -> Attempt:
        """Check ``code``: every attempt is audited; wrong ones count towards the lockout.

        Raises StoreError if the database or the key file cannot be read or written.
        """
        try:
            return self._attempt(code)
        except sqlite3.Error as exc:
            raise StoreError(f"could not check the passcode: {exc}") from exc
        except KeysError as exc:
            raise StoreError(str(exc)) from None

    def _attempt(self, code: str) -> Attempt:
        if not self._keys_path.exists():
            self._store.audit("staff_login", outcome="not_configured")
            return Attempt("not_configured")
        row = self._row() or {}
        now = self._clock().astimezone(dt.UTC)
        locked_until = row.get("locked_until")
        if isinstance(locked_until, str) and locked_until:
            until = dt.datetime.fromisoformat(locked_until)
            if now < until:
                wait = int((until - now).total_seconds()) + 1
                self._store.audit("staff_login", outcome="locked")
                return Attempt("locked", wait)
        try:
            check_format(code)
        except PasscodeError:
            # Could never be right (an empty or short entry): say "wrong", count nothing.
            self._store.audit("staff_login", outcome="malformed")
            return Attempt("wrong")
        # The same work for a right and a wrong code: one Argon2id derivation, one
        # authenticated decryption, then one database write.
        key = crypto.unlock(self._keys_path, code)
        if key is not None:
            with write_transaction(self._db):
                self._db.execute(
                    "INSERT INTO staff_auth (id, failures, locked_until) VALUES (1, 0, NULL) "
                    "ON CONFLICT (id) DO UPDATE SET failures = 0, locked_until = NULL"
                )
                self._store.audit_in_transaction("staff_login", {"outcome": "ok"})
            return Attempt("ok", key=key)
        failures = int(str(row.get("failures") or 0)) + 1
        wait = lock_seconds(failures)
        until_text = (now + dt.timedelta(seconds=wait)).isoformat() if wait else None
        with write_transaction(self._db):
            self._db.execute(
                "INSERT INTO staff_auth (id, failures, locked_until) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET failures = excluded.failures, "
                "locked_until = excluded.locked_until",
                [failures, until_text],
            )
            self._store.audit_in_transaction(
                "staff_login", {"outcome": "wrong", "failures": failures}
            )
        return Attempt("locked", wait) if wait else Attempt("wrong")
