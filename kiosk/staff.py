"""Staff passcode: it unlocks the clinic's private key (Argon2id), with a lockout that
survives restarts and is shared by every process that uses the same key file (no Qt)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import filelock

from kiosk import crypto, passcodes
from kiosk.crypto import KeysError, Unlocked
from kiosk.passcodes import PasscodeError
from kiosk.store import AppointmentStore, StoreError

log = logging.getLogger(__name__)

FREE_ATTEMPTS = 5
FIRST_LOCK_SECONDS = 60
# Doubling stops at half an hour, so a passer-by who knows the gesture cannot lock the
# desk out for a whole day.
MAX_LOCK_SECONDS = 30 * 60


# A sign-in attempt's shape (6 to 16 digits); a new passcode must meet kiosk.passcodes' rules.
check_format = passcodes.check_entry


@dataclass(frozen=True)
class Attempt:
    """The outcome of one passcode attempt."""

    result: Literal["ok", "wrong", "locked", "not_configured"]
    wait_seconds: int = 0
    # After a wrong passcode: how many more wrong ones lock the pad (the last of them does).
    tries_left: int | None = None
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


# How long an attempt waits for another process's attempt on the same key file (each takes
# about a second: the Argon2id derivation).
ATTEMPT_LOCK_SECONDS = 10  # well inside the watchdog's 30 s


class Lockout:
    """The wrong-attempt count and lock time of one key file, in a file beside it
    (``<key file>.attempts``).

    It belongs to the key file, not the database: the command line with ``--db`` pointing
    at a scratch database guesses against the same key and meets the same lockout. Every
    attempt holds ``<key file>.attempts.lock`` from reading the count to writing it, so
    guesses made in parallel (two kiosks, many command lines) are each counted.
    """

    def __init__(self, keys_path: Path) -> None:
        self.path = keys_path.with_name(keys_path.name + ".attempts")
        self._lock = filelock.FileLock(
            keys_path.with_name(keys_path.name + ".attempts.lock"), mode=0o600
        )
        # The count this process could not store (a read-only folder): still enforced here.
        self._unsaved: tuple[int, dt.datetime | None] | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for one whole attempt. Raises StoreError after a long wait.

        A folder the kiosk cannot write (a read-only key folder) must not make sign-in
        impossible: the attempt goes ahead unlocked, and the log says why.
        """
        try:
            self._lock.acquire(timeout=ATTEMPT_LOCK_SECONDS)
        except filelock.Timeout:
            raise StoreError("another passcode check is still running; try again") from None
        except OSError as exc:
            log.warning("lockout_unlocked error=%s", exc.strerror or type(exc).__name__)
            yield
            return
        try:
            yield
        finally:
            self._lock.release()

    def read(self, now: dt.datetime) -> tuple[int, dt.datetime | None]:
        """(failures, locked until) as stored: none yet without the file. A damaged file
        counts as a full set of free attempts used, so spoiling it buys a guesser nothing;
        a lock is never longer than the longest the kiosk sets (a far-future date written
        into the file must not lock the desk out for ever)."""
        if self._unsaved is not None:
            failures, until = self._unsaved
            if until is not None:
                until = min(until, now + dt.timedelta(seconds=MAX_LOCK_SECONDS))
            return failures, until
        try:
            data = json.loads(self.path.read_text("utf-8"))
            failures = max(0, int(data.get("failures", 0)))
            text = data.get("locked_until")
            until = dt.datetime.fromisoformat(text) if text else None
            if until is not None and until.tzinfo is None:
                raise ValueError("a lock time without its time zone")
        except FileNotFoundError:
            return 0, None
        except (OSError, ValueError, TypeError, AttributeError):
            return FREE_ATTEMPTS, None
        if until is not None:
            until = min(until, now + dt.timedelta(seconds=MAX_LOCK_SECONDS))
        return failures, until

    def write(self, failures: int, until: dt.datetime | None) -> None:
        """Store the count atomically (a crash leaves the old or the new, never half).
        A folder the kiosk cannot write keeps the count from being stored, not the staff
        from signing in: logged."""
        partial = self.path.with_name(self.path.name + ".tmp")
        text = json.dumps(
            {"failures": failures, "locked_until": until.isoformat() if until else None}
        )
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, self.path)
        except OSError as exc:
            log.warning("lockout_not_saved error=%s", exc.strerror or type(exc).__name__)
            self._unsaved = (failures, until)
            return
        self._unsaved = None


class StaffAuth:
    """The staff passcode and its lockout. The passcode is checked by unwrapping the
    private key in the key file; the lockout lives beside the key file (:class:`Lockout`),
    so neither a restart nor another database resets it."""

    def __init__(
        self,
        store: AppointmentStore,
        keys_path: Path,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self._store = store
        self._keys_path = keys_path
        self._lockout = Lockout(keys_path)
        self._clock = clock

    @property
    def keys_path(self) -> Path:
        return self._keys_path

    def is_configured(self) -> bool:
        """Whether a key file with a passcode exists (False if it cannot be read)."""
        try:
            crypto.read_key_file(self._keys_path)
        except KeysError:
            return False
        return True

    def change_passcode(self, key: Unlocked, code: str) -> None:
        """Re-wrap the private key under ``code`` and clear any lockout. Raises PasscodeError
        for a code that breaks the rules (kiosk.passcodes), then nothing changed."""
        passcodes.check_new(code)
        try:
            crypto.change_passcode(self._keys_path, key, code)
        except KeysError as exc:
            raise StoreError(str(exc)) from None
        self.clear_lockout("passcode_changed")

    def lock_remaining(self) -> int:
        """Whole seconds until the lock ends (rounded up), 0 when there is none. Read from
        the lock time stored beside the key file, so a lock set elsewhere (the command line,
        another kiosk) counts, and one IT cleared ends at once."""
        now = self._clock().astimezone(dt.UTC)
        _failures, until = self._lockout.read(now)
        if until is None or until <= now:
            return 0
        return math.ceil((until - now).total_seconds())

    def clear_lockout(self, event: str) -> None:
        """Forget failed attempts (after a new passcode) and audit ``event``."""
        try:
            with self._lockout.held():
                self._lockout.write(0, None)
        except OSError as exc:
            raise StoreError(f"could not store the passcode state: {exc.strerror}") from None
        self._store.audit(event)

    def attempt(self, code: str) -> Attempt:
        """Check ``code``: every attempt is audited; wrong ones count towards the lockout.

        Raises StoreError if the database, the key file or the lockout file cannot be read
        or written.
        """
        try:
            if not self._keys_path.exists():
                self._store.audit("staff_login", outcome="not_configured")
                return Attempt("not_configured")
            with self._lockout.held():
                return self._attempt(code)
        except KeysError as exc:
            raise StoreError(str(exc)) from None
        except OSError as exc:
            raise StoreError(f"could not store the passcode state: {exc.strerror}") from None

    def _attempt(self, code: str) -> Attempt:
        now = self._clock().astimezone(dt.UTC)
        failures, until = self._lockout.read(now)
        if until is not None and now < until:
            wait = int((until - now).total_seconds()) + 1
            self._store.audit("staff_login", outcome="locked")
            return Attempt("locked", wait)
        try:
            check_format(code)
        except PasscodeError:
            # Could never be right (an empty or short entry): say "wrong", count nothing.
            self._store.audit("staff_login", outcome="malformed")
            return Attempt("wrong", tries_left=_tries_left(failures))
        # The same work for a right and a wrong code: one Argon2id derivation, one
        # authenticated decryption, one write of the count, one audit entry.
        key = crypto.unlock(self._keys_path, code)
        if key is not None:
            self._lockout.write(0, None)
            self._store.audit("staff_login", outcome="ok")
            return Attempt("ok", key=key)
        failures += 1
        wait = lock_seconds(failures)
        self._lockout.write(failures, now + dt.timedelta(seconds=wait) if wait else None)
        self._store.audit("staff_login", outcome="wrong", failures=failures)
        return (
            Attempt("locked", wait) if wait else Attempt("wrong", tries_left=_tries_left(failures))
        )


def _tries_left(failures: int) -> int:
    """Wrong passcodes still possible before a lock, counting the one that locks: after the
    free ones are used (a lock has run out), the next wrong one locks again."""
    return max(1, FREE_ATTEMPTS - failures)
