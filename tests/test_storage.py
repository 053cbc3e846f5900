"""Opening the database: schema from migrations, durable pragmas."""

from __future__ import annotations

from pathlib import Path

from kiosk.storage import migrations, open_database


def test_open_creates_schema_and_pragmas(tmp_path: Path) -> None:
    """A new database gets the requests table, WAL, FULL sync and secure delete."""
    db = open_database(tmp_path / "sub" / "kiosk.db")
    assert "requests" in db.table_names()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert migrations.pending(db) == []
    db.close()


def test_reopen_is_idempotent(tmp_path: Path) -> None:
    """Opening twice applies nothing twice."""
    path = tmp_path / "kiosk.db"
    open_database(path).close()
    db = open_database(path)
    assert [m.name for m in migrations.applied(db)] == ["m001_requests"]
    db.close()
