"""The kiosk's SQLite database: opening it safely and its versioned schema (no Qt)."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("kiosk")


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


def open_database(path: Path) -> Database:
    """Open (creating if needed) the database at ``path`` with durable settings and the schema.

    WAL keeps readers from blocking the writer, FULL sync makes a commit survive power loss,
    and secure_delete overwrites deleted patient data instead of leaving it in free pages.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    db.execute("PRAGMA busy_timeout = 5000")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA secure_delete = ON")
    migrations.apply(db)
    return db
