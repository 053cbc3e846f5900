"""The database's versioned schema: one sqlite-utils migration per change, applied in order
when the database is opened (no Qt)."""

from __future__ import annotations

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


@migrations()
def m004_sealed_personal(db: Database) -> None:
    """Encryption at rest: each request's personal data sealed under a data key, and the
    data keys themselves sealed to the clinic's public key (see kiosk.crypto)."""
    db.table("data_keys").create(
        {"id": int, "created_at": str, "key_id": str, "sealed": bytes},
        pk="id",
        not_null={"created_at", "key_id", "sealed"},
    )
    db.table("requests").add_column("sealed", bytes)
    db.table("requests").add_column("data_key_id", int)
    # The staff passcode now unwraps the private key (Argon2id); an old, cheaper scrypt
    # hash left here would let a thief test guesses faster, so it goes.
    db.execute("UPDATE staff_auth SET passcode_hash = NULL")


@migrations()
def m005_health_stays_sealed(db: Database) -> None:
    """Nothing that reveals health outside the sealed part: the weekly figures lose their
    topic (a week with one request named that request's topic); topics are counted once,
    all time, with no week or language beside them. The health-topic consent of each request
    moves into its sealed data."""
    db.execute(
        "CREATE TABLE topic_counts (topic TEXT PRIMARY KEY, count INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute(
        "INSERT INTO topic_counts (topic, count) SELECT topic, SUM(count) FROM request_counts "
        "WHERE topic != '' GROUP BY topic"
    )
    db.execute(
        "CREATE TABLE request_counts_new (week TEXT, language TEXT, count INTEGER, "
        "PRIMARY KEY (week, language))"
    )
    db.execute(
        "INSERT INTO request_counts_new (week, language, count) "
        "SELECT week, language, SUM(count) FROM request_counts GROUP BY week, language"
    )
    db.execute("DROP TABLE request_counts")
    db.execute("ALTER TABLE request_counts_new RENAME TO request_counts")
    # Requests saved before: their clear consent record loses the health-topic answer. It is
    # not lost: a topic is only ever stored with that consent (kiosk.appointment), so the
    # sealed topic itself says it was given (AppointmentStore._row).
    db.execute(
        "UPDATE requests SET consents = json_remove(consents, '$.items.health_topic') "
        "WHERE json_extract(consents, '$.items.health_topic') IS NOT NULL"
    )


@migrations()
def m006_data_key_chains(db: Database) -> None:
    """Each request's step along its data key's one-way chain (kiosk.crypto.WritingKey).
    Requests saved before have none: they were sealed under the data key itself, step 0."""
    db.table("requests").add_column("key_step", int)


_REQUEST_COLUMNS = (
    "id, reference, created_at, kiosk_id, language, personal, consents, content_version, "
    "status, exported_at, is_demo, sealed, data_key_id, key_step"
)


@migrations()
def m007_outbox(db: Database) -> None:
    """Central delivery (kiosk.fleet): each request waiting for the central server, sealed
    whole to the clinic's public key, and a tombstone for each one it confirmed (no personal
    data: an id, a hash of ciphertext and a time).

    Request ids are never used twice from now on (AUTOINCREMENT): delivery deletes the newest
    requests all day, and SQLite would give a freed id to the next patient, so a staff action
    on ids read a moment before (mark exported, remove after export) could reach a stranger's
    request. SQLite cannot add that to a table: it is rebuilt, ids kept.
    """
    db.execute(
        "CREATE TABLE requests_new ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " reference TEXT NOT NULL, created_at TEXT NOT NULL, kiosk_id TEXT NOT NULL,"
        " language TEXT NOT NULL, personal TEXT NOT NULL, consents TEXT, content_version TEXT,"
        " status TEXT NOT NULL, exported_at TEXT, is_demo INTEGER NOT NULL DEFAULT 0,"
        " sealed BLOB, data_key_id INTEGER, key_step INTEGER)"
    )
    db.execute(
        f"INSERT INTO requests_new ({_REQUEST_COLUMNS}) SELECT {_REQUEST_COLUMNS} FROM requests"
    )
    db.execute("DROP TABLE requests")
    db.execute("ALTER TABLE requests_new RENAME TO requests")
    db.execute('CREATE UNIQUE INDEX "idx_requests_reference" ON "requests" ("reference")')
    db.execute(
        'CREATE INDEX "idx_requests_status_created_at" ON "requests" ("status", "created_at")'
    )
    db.execute(
        "CREATE TABLE outbox ("
        " request_uuid TEXT PRIMARY KEY,"
        " request_id INTEGER NOT NULL UNIQUE,"
        " created_at TEXT NOT NULL,"
        " key_id TEXT NOT NULL,"
        " sha256 BLOB NOT NULL,"
        " sealed BLOB NOT NULL,"
        " state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'quarantined')),"
        " attempts INTEGER NOT NULL DEFAULT 0,"
        " last_error TEXT NOT NULL DEFAULT '',"
        " last_attempt_at TEXT)"
    )
    db.execute("CREATE INDEX outbox_due ON outbox (state, created_at)")
    # A request deleted on purpose (a patient's erasure, `kiosk requests purge`) is not sent
    # afterwards. Retention never deletes one that waits here (AppointmentStore._older_than).
    db.execute(
        "CREATE TRIGGER requests_leave_outbox AFTER DELETE ON requests "
        "BEGIN DELETE FROM outbox WHERE request_id = old.id; END"
    )
    db.execute(
        "CREATE TABLE delivered ("
        " request_uuid TEXT PRIMARY KEY,"
        " sha256 BLOB NOT NULL,"
        " delivered_at TEXT NOT NULL,"
        " outcome TEXT NOT NULL CHECK (outcome IN ('stored', 'duplicate')))"
    )
    db.execute("CREATE INDEX delivered_at ON delivered (delivered_at)")
