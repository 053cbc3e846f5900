"""Opening the kiosk's SQLite database safely: durable PRAGMAs, private files, a damaged
file set aside, and the write transaction every change goes through (no Qt)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from kiosk.store.schema import migrations

log = logging.getLogger(__name__)
PAGE_CACHE_KIB = 512


class StoreError(Exception):
    """The database could not be read or written. The message never holds personal data."""


class _Corrupt(Exception):  # noqa: N818 - a finding about the file, handled inside
    """The file opened but failed SQLite's quick check."""


def open_database(path: Path, *, busy_timeout_ms: int = 5000) -> Database:
    """Open (creating if needed) the database at ``path`` with durable settings and the schema.

    WAL keeps readers from blocking the writer, FULL sync makes a commit survive power loss,
    and secure_delete overwrites deleted patient data instead of leaving it in free pages.
    A file that is not a database or fails SQLite's quick check is moved aside (never
    deleted) as ``<name>.corrupt-<UTC time>.db`` and a fresh database is created; the staff
    screen and ``kiosk doctor`` then warn (see :func:`set_aside_copies`).
    Raises StoreError when the file cannot be opened or migrated.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _create_private(path)
        try:
            db = _open(path, busy_timeout_ms)
        except (_Corrupt, sqlite3.DatabaseError) as exc:
            if not _is_corruption(exc):
                raise
            moved = _move_aside(path)
            log.error("database_corrupt error=%s moved_to=%s", _error_name(exc), moved.name)
            _create_private(path)
            db = _open(path, busy_timeout_ms)
        _make_private(path)
    except (sqlite3.Error, OSError, _Corrupt) as exc:
        raise StoreError(f"cannot open database: {type(exc).__name__}: {exc}") from exc
    return db


def _create_private(path: Path) -> None:
    """Create an empty database file readable by the kiosk's account only, before SQLite
    opens it: SQLite gives the -wal and -shm files it makes the database file's mode, so
    they are born private too (a chmod afterwards came too late for them)."""
    if os.name != "posix" or path.exists():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # created meanwhile: _make_private sees to its mode


def _make_private(path: Path) -> None:
    """Patients' data: the database and its -wal and -shm files, the kiosk's account only."""
    if os.name != "posix":
        return
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = stat.S_IMODE(part.stat().st_mode)
            if mode & 0o077:
                part.chmod(mode & 0o700)  # group and others out; the owner's rights stay
        except FileNotFoundError:
            pass
        except PermissionError:  # another account's file: say so, the kiosk still works
            log.warning("database_file_not_private file=%s", part.name)


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """sqlite-utils' ``atomic()``, but taking the write lock first (``BEGIN IMMEDIATE``).

    A plain ``BEGIN`` reads first (sqlite-utils looks at the table) and must then upgrade
    to a write: with another writer busy, SQLite refuses the upgrade at once, without the
    busy timeout, and a patient's request is not saved (57 of 200 saves in a review). Taking
    the lock first makes a save wait its turn. Nested calls use atomic()'s savepoints.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.rollback()
        raise
    try:
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.rollback()
        raise


def _open(path: Path, busy_timeout_ms: int) -> Database:
    # No plugin discovery: nothing but our own code runs inside the patients' database.
    db = Database(path, execute_plugins=False)
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA secure_delete = ON")
        # A bounded page cache (SQLite's default is 2 MiB): the kiosk appends one row at a
        # time and reads in single passes, and a cache that fills as the table grows is
        # memory the running kiosk gains over months (measured: +1 MiB per 1,000 requests
        # up to 2 MiB; at 512 KiB it stops there).
        db.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
        check = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
        if check != ["ok"]:
            raise _Corrupt(f"quick_check found {len(check)} problem(s)")
        if migrations.pending(db):
            migrations.apply(db)
            # A migration may rewrite what it takes out of the clear (m005): no old copy of
            # those pages stays behind in the -wal file.
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        db.close()
        raise
    return db


def _error_name(exc: BaseException) -> str:
    return str(getattr(exc, "sqlite_errorname", "") or type(exc).__name__)


def _is_corruption(exc: BaseException) -> bool:
    if isinstance(exc, _Corrupt):
        return True
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))


def _move_aside(path: Path) -> Path:
    """Rename a damaged database (and its WAL) out of the way; nothing is deleted."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.corrupt-{stamp}.db")
    n = 2
    while target.exists():
        target = path.with_name(f"{path.stem}.corrupt-{stamp}-{n}.db")
        n += 1
    os.replace(path, target)
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        os.replace(wal, target.with_name(target.name + "-wal"))
    # The shared-memory index is rebuilt from the WAL; a stale one must not meet the new file.
    path.with_name(path.name + "-shm").unlink(missing_ok=True)
    return target


def set_aside_copies(path: Path) -> list[Path]:
    """Damaged databases moved aside next to ``path``, oldest first (for staff and IT)."""
    return sorted(path.parent.glob(f"{path.stem}.corrupt-*.db"))


def memory_database() -> Database:
    """Return a migrated in-memory database (screenshots, the self-test and tests)."""
    db = Database(memory=True)
    migrations.apply(db)
    return db


def _file_identity(db: Database) -> tuple[str, int, int] | None:
    """The main database file and its device and inode, or None in memory."""
    for row in db.execute("PRAGMA database_list").fetchall():
        if row[1] == "main" and row[2]:
            st = os.stat(row[2])
            return row[2], st.st_dev, st.st_ino
    return None
