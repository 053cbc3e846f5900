"""Talking to the central PostgreSQL: connections that cannot hang, and creating or
migrating its schema (``kiosk fleet server-init``)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.fleet.central_schema import MIGRATIONS

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

# A dead link must not hold a sync (or the command IT ran) for hours: libpq's TCP
# keepalives and user timeout notice a silent peer, the connect and statement timeouts a
# server that accepts and never answers (psycopg issue #777: a two-hour hang without them).
HYGIENE: dict[str, Any] = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
    "options": "-c statement_timeout=30000 -c idle_in_transaction_session_timeout=60000",
    "application_name": "clinic-kiosk",
}
# Migrations of several `server-init` runs at once wait for each other.
_MIGRATION_LOCK = 0x6B696F736B  # "kiosk"


class FleetError(Exception):
    """The central server could not be reached or refused; the text names why, never a
    request's contents."""


def connect(dsn: str, **extra: Any) -> psycopg.Connection[Any]:
    """Open a connection to ``dsn`` with the hang-proof settings above; what the DSN sets
    itself wins over them, and ``extra`` (the caller's) over both. Raises FleetError."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        given = conninfo_to_dict(dsn)
    except psycopg.Error:
        # Its text would quote the DSN, password and all.
        raise FleetError("the connection string could not be read (check its quoting)") from None
    params = {**HYGIENE, **given, **extra}
    try:
        return psycopg.connect(**params)
    except psycopg.Error as exc:
        raise FleetError(f"cannot connect to the central server: {exc}") from exc


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The central schema's version (0: none yet)."""
    row = conn.execute("SELECT to_regclass('public.fleet_version') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        return 0
    found = conn.execute("SELECT coalesce(max(version), 0) FROM public.fleet_version").fetchone()
    return int(found[0]) if found else 0


def migrate(conn: psycopg.Connection[Any]) -> list[int]:
    """Apply the migrations this server has not had yet, each in its own transaction, and
    return their numbers (none: it was up to date). Raises FleetError."""
    import psycopg

    applied: list[int] = []
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [_MIGRATION_LOCK])
            conn.execute(
                "CREATE TABLE IF NOT EXISTS public.fleet_version ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            conn.execute("REVOKE ALL ON public.fleet_version FROM PUBLIC")
        for migration in MIGRATIONS:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", [_MIGRATION_LOCK])
                if migration.version <= schema_version(conn):
                    continue
                conn.execute(migration.sql.encode())
                conn.execute(
                    "INSERT INTO public.fleet_version (version, name) VALUES (%s, %s)",
                    [migration.version, migration.name],
                )
                applied.append(migration.version)
                log.info("fleet_migrated version=%d", migration.version)
    except psycopg.Error as exc:
        raise FleetError(f"the central schema could not be created: {exc}") from exc
    return applied


def server_init(dsn: str) -> tuple[list[int], int]:
    """Create or migrate the central schema at ``dsn`` (idempotent): the migrations
    applied now and the version it is at."""
    # A migration may build an index over millions of requests, or wait for another
    # server-init: no statement timeout here (the keepalives still notice a dead link).
    quiet = "-c statement_timeout=0 -c idle_in_transaction_session_timeout=60000"
    with connect(dsn, autocommit=True, options=quiet) as conn:
        applied = migrate(conn)
        return applied, schema_version(conn)


@dataclass(frozen=True)
class KioskHealth:
    """One line of ``fleet_health``: what IT needs to see of a kiosk."""

    kiosk_id: str
    site: str
    status: str  # ok, late, silent, clock, backlog, update, never
    last_seen: dt.datetime | None
    clock_skew_s: float | None
    app_version: str | None
    content_version: str | None
    outbox_pending: int | None
    oldest_pending_s: int | None
    last_error_code: str | None
    last_delivery: dt.datetime | None
    # The last content update check's outcome (kiosk.updates.client.Checked) and until when
    # the repository it trusts is signed: "update" when refused or about to expire.
    update_outcome: str | None = None
    update_expires: dt.datetime | None = None


# fleet_health's columns as KioskHealth takes them, and its order: worst first, then by id.
HEALTH_COLUMNS = (
    "kiosk_id, site, status, last_seen, clock_skew_s, app_version, content_version,"
    " outbox_pending, oldest_pending_s, last_error_code, last_delivery, update_outcome,"
    " update_expires"
)
HEALTH_ORDER = (
    "CASE status WHEN 'never' THEN 0 WHEN 'silent' THEN 1 WHEN 'late' THEN 2 "
    "WHEN 'clock' THEN 3 WHEN 'backlog' THEN 4 WHEN 'update' THEN 5 ELSE 6 END, kiosk_id"
)


def fleet_health(dsn: str) -> list[KioskHealth]:
    """Every active kiosk's health, worst first (never, silent, late, clock, backlog,
    update, ok), then by id. Raises FleetError."""
    import psycopg

    with connect(dsn) as conn:
        try:
            rows = conn.execute(
                f"SELECT {HEALTH_COLUMNS} FROM fleet.fleet_health ORDER BY {HEALTH_ORDER}"
            ).fetchall()
        except psycopg.Error as exc:
            raise FleetError(f"cannot read the fleet's health: {exc}") from exc
    return [KioskHealth(*row) for row in rows]
