"""The store owns every SQL statement: no module outside kiosk/store/ runs SQL, writes it,
or reaches for SQLite itself (issue 20, item 3). The tests may; they inspect the raw file.
The central PostgreSQL's statements are kiosk/fleet/'s, which reaches the kiosk's own
database only through the store too."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STORE = ROOT / "kiosk" / "store"
CENTRAL = ROOT / "kiosk" / "fleet"  # the central PostgreSQL's schema and its client
# Everything shipped or measured: the kiosk's code and the benchmarks that drive it.
SCANNED = sorted(
    p
    for folder in ("kiosk", "bench", "tools")
    for p in (ROOT / folder).rglob("*.py")
    if STORE not in p.parents and CENTRAL not in p.parents
)
# What only SQLite (sqlite-utils) code does: kiosk/fleet/ speaks psycopg, never these.
SQLITE_ONLY_CALLS = {"executescript", "query", "table", "atomic"}
# Calls that run SQL or open a statement's worth of sqlite-utils (table operations,
# transactions, the raw connection).
SQL_CALLS = {"execute", "executemany", "executescript", "query", "table", "atomic"}
SQL_ATTRIBUTES = {"conn"}
SQL_MODULES = {"sqlite3", "sqlite_utils", "apsw"}
# Text that is a statement, not prose: keywords in the shape SQL gives them.
SQL_TEXT = re.compile(
    r"\bPRAGMA\s+\w+"
    r"|\bSELECT\b.*\bFROM\s+\w+"
    r"|\bINSERT\s+(OR\s+\w+\s+)?INTO\b"
    r"|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b"
    r"|\b(BEGIN|COMMIT|ROLLBACK|VACUUM)\b(\s+(IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION))?\s*$"
    r"|\b(CREATE|DROP|ALTER)\s+(TABLE|INDEX|TRIGGER|VIEW)\b",
    re.IGNORECASE | re.DOTALL,
)


def sql_outside_the_store(path: Path) -> list[str]:
    """Where ``path`` runs SQL, spells a statement or imports SQLite: ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        where = getattr(node, "lineno", 0)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in SQL_CALLS:
                found.append(f"{where}: .{node.func.attr}(...)")
        elif isinstance(node, ast.Attribute) and node.attr in SQL_ATTRIBUTES:
            found.append(f"{where}: .{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL_TEXT.search(node.value):
                found.append(f"{where}: {node.value[:60]!r}")
        elif isinstance(node, ast.Import):
            found += [f"{where}: import {a.name}" for a in node.names if _sqlite(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and _sqlite(node.module):
            found.append(f"{where}: from {node.module} import ...")
    return found


def _sqlite(module: str) -> bool:
    return module.split(".")[0] in SQL_MODULES


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sql_outside_the_store(path: Path) -> None:
    """Only kiosk/store/ talks to SQLite: everyone else asks the store (one method each)."""
    assert sql_outside_the_store(path) == []


@pytest.mark.parametrize(
    "path", sorted(CENTRAL.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_the_fleet_package_leaves_sqlite_to_the_store(path: Path) -> None:
    """kiosk/fleet/ runs the central PostgreSQL's statements; the kiosk's own database (the
    outbox among it) it reaches only through the store."""
    found = [
        line
        for line in sql_outside_the_store(path)
        if "import" in line
        or any(f".{call}(" in line for call in SQLITE_ONLY_CALLS)
        or line.endswith(".conn")
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        'db.execute("PRAGMA integrity_check")',
        'store.db.query("select count(*) from requests")',
        'sql = f"UPDATE requests SET status = {s!r}"',
        'x = "delete from requests where id = ?"',
        'db.execute("BEGIN IMMEDIATE")',
        "db.table('requests').insert(row)",
        "with store.db.atomic():\n    pass",
        "store.db.conn.rollback()",
        "import sqlite3",
        "from sqlite_utils import Database",
    ],
)
def test_the_guard_sees_sql(tmp_path: Path, source: str) -> None:
    """Each way of running SQL outside the store is caught (the guard is not blind)."""
    module = tmp_path / "module.py"
    module.write_text(source + "\n")
    assert sql_outside_the_store(module)


@pytest.mark.parametrize(
    "source",
    [
        'help = "delete the requests older than DAYS days that staff exported"',
        'title = "Select a language"',
        'text = "Update the content, then begin again"',
        "store.count_matching(status, since)",
        "app.exec()",
    ],
)
def test_the_guard_lets_prose_be(tmp_path: Path, source: str) -> None:
    """Words that happen to be SQL keywords, in sentences, are not statements."""
    module = tmp_path / "module.py"
    module.write_text(source + "\n")
    assert sql_outside_the_store(module) == []


def test_the_store_is_where_the_sql_is() -> None:
    """The scan would find the store's own statements: it looks at the right things."""
    assert sql_outside_the_store(STORE / "requests.py")
    assert sql_outside_the_store(STORE / "db.py")
