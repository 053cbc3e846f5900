"""Staff passcode: salted scrypt hash, constant-time check, lockout that survives restarts
(no Qt)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from kiosk.storage import AppointmentStore, StoreError

# scrypt cost: about 16 MiB of memory and a few tens of milliseconds per try on a mini-PC,
# which makes guessing a 6-digit code offline slow without making the pad feel sluggish.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
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


def hash_passcode(code: str, salt: bytes | None = None) -> str:
    """Return ``scrypt$N$r$p$salt$hash`` (base64) for ``code``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        code.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32, maxmem=64 << 20
    )
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_passcode(code: str, stored: str) -> bool:
    """Return whether ``code`` matches ``stored``, comparing in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            code.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=64 << 20,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@dataclass(frozen=True)
class Attempt:
    """The outcome of one passcode attempt."""

    result: Literal["ok", "wrong", "locked", "not_configured"]
    wait_seconds: int = 0


def lock_seconds(failures: int) -> int:
    """Lock time after ``failures`` wrong attempts: none for the first four, then one minute,
    doubling with each further failure, up to half an hour."""
    if failures < FREE_ATTEMPTS:
        return 0
    return int(min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** min(failures - FREE_ATTEMPTS, 20)))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class StaffAuth:
    """The staff passcode and its lockout, kept in the database so a restart resets nothing."""

    def __init__(self, store: AppointmentStore, clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self._store = store
        self._db = store.db
        self._clock = clock

    def _row(self) -> dict[str, object] | None:
        rows = list(self._db.query("select * from staff_auth where id = 1"))
        return rows[0] if rows else None

    def is_configured(self) -> bool:
        """Whether a passcode has been set (False if the database cannot be read)."""
        try:
            row = self._row()
        except sqlite3.Error:
            return False
        return bool(row and row["passcode_hash"])

    def set_passcode(self, code: str) -> None:
        """Store a new passcode (as a hash only) and clear any lockout."""
        check_format(code)
        hashed = hash_passcode(code)
        try:
            self._store_hash(hashed)
        except sqlite3.Error as exc:
            raise StoreError(f"could not store the passcode: {exc}") from exc

    def _store_hash(self, hashed: str) -> None:
        with self._db.atomic():
            self._db.execute(
                "INSERT INTO staff_auth (id, passcode_hash, failures, locked_until) "
                "VALUES (1, ?, 0, NULL) ON CONFLICT (id) DO UPDATE SET "
                "passcode_hash = excluded.passcode_hash, failures = 0, locked_until = NULL",
                [hashed],
            )
            self._store.audit_in_transaction("passcode_changed", {})

    def attempt(self, code: str) -> Attempt:
        """Check ``code``: every attempt is audited; wrong ones count towards the lockout.

        Raises StoreError if the database cannot be read or written.
        """
        try:
            return self._attempt(code)
        except sqlite3.Error as exc:
            raise StoreError(f"could not check the passcode: {exc}") from exc

    def _attempt(self, code: str) -> Attempt:
        row = self._row()
        if not row or not row["passcode_hash"]:
            self._store.audit("staff_login", outcome="not_configured")
            return Attempt("not_configured")
        now = self._clock().astimezone(dt.UTC)
        locked_until = row["locked_until"]
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
        if verify_passcode(code, str(row["passcode_hash"])):
            with self._db.atomic():
                self._db.execute(
                    "UPDATE staff_auth SET failures = 0, locked_until = NULL WHERE id = 1"
                )
                self._store.audit_in_transaction("staff_login", {"outcome": "ok"})
            return Attempt("ok")
        failures = int(str(row["failures"] or 0)) + 1
        wait = lock_seconds(failures)
        until_text = (now + dt.timedelta(seconds=wait)).isoformat() if wait else None
        with self._db.atomic():
            self._db.execute(
                "UPDATE staff_auth SET failures = ?, locked_until = ? WHERE id = 1",
                [failures, until_text],
            )
            self._store.audit_in_transaction(
                "staff_login", {"outcome": "wrong", "failures": failures}
            )
        return Attempt("locked", wait) if wait else Attempt("wrong")
