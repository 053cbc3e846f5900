"""Opening the database: schema from migrations, durable pragmas."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from kiosk.store import migrations, open_database


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
    assert [m.name for m in migrations.applied(db)] == [
        "m001_requests",
        "m002_demo_flag",
        "m003_audit_and_figures",
        "m004_sealed_personal",
        "m005_health_stays_sealed",
        "m006_data_key_chains",
        "m007_outbox",
    ]
    db.close()


import datetime as dt  # noqa: E402
import re  # noqa: E402
from collections.abc import Callable  # noqa: E402

import pytest  # noqa: E402

from kiosk.appointment import FormData, validate_request  # noqa: E402
from kiosk.demo import RealDataError, fill_demo  # noqa: E402
from kiosk.store import AppointmentStore, StoreError  # noqa: E402

CLOCK = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def _request(name: str = "Gülşen İçli-Işık") -> object:
    data = FormData(
        name=name,
        phone="0532 123 45 67",
        contact_language="tr",
        contact_method="sms",
        time_window="evening",
        topic="general",
        consents={"notice_read": True, "contact": True, "health_topic": True},
    )
    result = validate_request(data, "tr")
    assert not isinstance(result, list)
    return result


@pytest.fixture
def store(make_store: Callable[..., AppointmentStore]) -> AppointmentStore:
    """An unlocked store on a fresh database file."""
    return make_store(clock=lambda: CLOCK)


def _add(store: AppointmentStore) -> str:
    return store.add_request(
        _request(),  # type: ignore[arg-type]
        kiosk_id="hall-1",
        content_version="2026.11",
        consent_versions={"notice_read": "tr-1", "contact": "tr-1", "health_topic": "tr-2"},
        notice_version="2026-11-tr-1",
    )


def test_request_round_trip(store: AppointmentStore) -> None:
    """A saved request reads back exactly: personal fields sealed together in one column,
    consents with the version of each text and of the notice, status new, UTC time."""
    reference = _add(store)
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3}", reference)
    saved = store.get(reference)
    assert saved is not None
    assert saved.personal["name"] == "Gülşen İçli-Işık"
    assert saved.personal["phone"] == "+905321234567"
    assert saved.personal["topic"] == "general"
    assert saved.created_at == CLOCK and saved.status == "new" and saved.kiosk_id == "hall-1"
    assert saved.consents["notice_version"] == "2026-11-tr-1"
    assert saved.consents["items"]["health_topic"] == {"given": True, "version": "tr-2"}
    assert saved.consents["items"]["marketing_sms"]["given"] is False
    assert saved.content_version == "2026.11" and not saved.is_demo
    row = next(store.db.query("select personal, sealed from requests"))
    assert row["personal"] == "" and "Gülşen".encode() not in row["sealed"]
    assert set(saved.personal) == {
        "name",
        "phone",
        "email",
        "contact_language",
        "contact_method",
        "time_window",
        "topic",
    }


def test_references_are_unique(store: AppointmentStore) -> None:
    """Every request gets its own code."""
    codes = {_add(store) for _ in range(50)}
    assert len(codes) == 50 and store.count() == 50


def test_read_only_database_save_fails_cleanly(store: AppointmentStore) -> None:
    """A read-only database: StoreError, nothing half-written, the database intact."""
    first = _add(store)
    store.db.execute("PRAGMA query_only = ON")
    with pytest.raises(StoreError):
        _add(store)
    store.db.execute("PRAGMA query_only = OFF")
    assert store.count() == 1 and store.get(first) is not None
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_locked_database_save_fails_cleanly(store: AppointmentStore, tmp_path: Path) -> None:
    """Another process holding the write lock: StoreError after the busy timeout, no row."""
    import sqlite3

    store.db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(tmp_path / "kiosk.db")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError):
            _add(store)
    finally:
        other.rollback()
        other.close()
    assert store.count() == 0


def test_unopenable_database_is_a_store_error(tmp_path: Path) -> None:
    """A database path that cannot be a file gives StoreError, not a crash."""
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreError):
        open_database(tmp_path / "dir.db")


def test_demo_data_refuses_real_requests(store: AppointmentStore) -> None:
    """Demo rows go into an empty or demo-only database; with real requests only by force."""
    assert fill_demo(store, 12) == 12
    assert store.count() == 12 and store.count(real_only=True) == 0
    scripts = {r.personal["name"][0] for r in store.list_requests()}
    assert {"ف", "А", "İ"} & scripts  # Arabic, Cyrillic and Turkish names among them
    _add(store)
    with pytest.raises(RealDataError):
        fill_demo(store, 5)
    assert fill_demo(store, 5, force=True) == 5
    assert store.count() == 18


def test_data_key_chain_matches_an_independent_reading() -> None:
    """What the kiosk seals along a data key's chain, staff open at any step, in any order,
    and PyNaCl's SecretBox with hashlib's BLAKE2b reads the same: each link is
    BLAKE2b-256 keyed with the one before. A changed byte, the wrong step, a short blob
    and a key of the wrong size are refused."""
    import hashlib
    import random

    import nacl.secret

    from kiosk.crypto import (
        MAX_CHAIN_STEPS,
        DataKeyOpener,
        KeysError,
        Secret,
        WritingKey,
        ephemeral_keys,
    )

    sealer, unlocked = ephemeral_keys()
    writing = WritingKey(sealer, started=0.0)
    plains = [b"", b"x", *("Gülşen İçli-Işık".encode() * n for n in range(1, 200))]
    blobs = [writing.encrypt(p) for p in plains]
    assert [step for step, _blob in blobs] == list(range(len(plains)))

    link = unlocked.open(writing.sealed)  # the first link, as a test may hold it
    for (step, blob), plain in zip(blobs, plains, strict=True):
        assert nacl.secret.SecretBox(link).decrypt(blob) == plain, step
        link = hashlib.blake2b(b"", key=link, digest_size=32, person=b"kiosk-chain-v1").digest()

    opener = unlocked.open_data_key(writing.sealed)
    order = list(range(len(plains)))
    random.Random(7).shuffle(order)
    for i in [*order, *reversed(range(len(plains)))]:
        step, blob = blobs[i]
        assert opener.open(blob, step) == plains[i]
    step, blob = blobs[5]
    damaged = blob[:-1] + bytes([blob[-1] ^ 1])
    other = unlocked.open_data_key(WritingKey(sealer, started=0.0).sealed)
    for bad_opener, bad_blob, bad_step in (
        (opener, damaged, step),
        (opener, blob, step + 1),
        (other, blob, step),
        (opener, blob[:39], step),
        (opener, blob, -1),
    ):
        with pytest.raises(KeysError):
            bad_opener.open(bad_blob, bad_step)
    with pytest.raises(KeysError):
        DataKeyOpener(Secret(16))
    with pytest.raises(KeysError):  # a damaged step: refused, not hashed towards for minutes
        opener.open(blob, MAX_CHAIN_STEPS)


def test_a_wiped_key_is_never_used() -> None:
    """A wiped key is zeros: sealing under it would hide nothing. Every use refuses."""
    from kiosk.crypto import KeysError, WritingKey, ephemeral_keys

    sealer, unlocked = ephemeral_keys()
    writing = WritingKey(sealer, started=0.0)
    writing.wipe()
    with pytest.raises(KeysError, match="wiped"):
        writing.encrypt(b"Ayse Yilmaz")
    staff = unlocked.copy()
    sealed = sealer.seal(b"x")
    assert staff.open(sealed) == b"x"
    staff.wipe()
    with pytest.raises(KeysError, match="wiped"):
        staff.open(sealed)
    assert unlocked.open(sealed) == b"x"  # the copy it was made from is its own


def test_export_rows_follow_the_lock(make_store: Callable[..., AppointmentStore]) -> None:
    """The export reader opens personal data only while unlocked, and locking forgets the
    data keys it opened."""
    s = make_store(clock=lambda: CLOCK)
    _add(s)
    [row] = s.iter_export_rows()
    assert row.personal is not None and row.personal.name == "Gülşen İçli-Işık"
    assert row.created_at == CLOCK.isoformat(timespec="seconds") and row.status == "new"
    s.lock()
    assert s._opened_keys == {}
    [locked] = s.iter_export_rows()
    assert locked.personal is None and locked.reference == row.reference


def test_export_rows_name_a_damaged_request(store: AppointmentStore) -> None:
    """A sealed value that no longer opens gives StoreError naming the request, not its data."""
    reference = _add(store)
    # Altered bytes, and a value that is not bytes at all (a corrupted database).
    for damage in ("zeroblob(80)", "42"):
        store.db.execute(f"UPDATE requests SET sealed = {damage}")
        with pytest.raises(StoreError, match=reference):
            list(store.iter_export_rows())
        with pytest.raises(StoreError, match=reference):
            store.list_requests()


def test_page_cache_is_bounded(tmp_path: Path) -> None:
    """The kiosk's connection keeps a small page cache, not SQLite's 2 MiB default."""
    from kiosk.store import PAGE_CACHE_KIB, open_database

    db = open_database(tmp_path / "k.db")
    assert db.execute("PRAGMA cache_size").fetchone()[0] == -PAGE_CACHE_KIB
    db.close()


def test_a_save_waits_for_another_writer(store: AppointmentStore, tmp_path: Path) -> None:
    """Another process holding the write lock (a CLI purge, a backup, doctor) makes a
    patient's save wait its turn, not fail: the save takes the lock first (BEGIN
    IMMEDIATE), so SQLite's busy timeout applies. A deferred BEGIN failed at once."""
    import sqlite3
    import threading

    _add(store)  # the hour's data key exists: the next save starts by reading
    other = sqlite3.connect(tmp_path / "kiosk.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO audit (at, event, detail) VALUES ('x', 'other', '{}')")
    locked = threading.Event()
    release = threading.Timer(0.5, lambda: (other.execute("COMMIT"), locked.set()))
    release.start()
    try:
        reference = _add(store)
        # The save returned after the other writer let go: it waited for the lock.
        waited = locked.is_set()
    finally:
        release.join()
        other.close()
    assert waited
    assert store.get(reference) is not None and store.count() == 2


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_database_and_its_wal_files_are_private(tmp_path: Path) -> None:
    """The database, -wal and -shm are 0600 from the start, whatever the umask; an older
    database with looser files is tightened when opened."""
    old = os.umask(0o022)
    try:
        path = tmp_path / "kiosk.db"
        db = open_database(path)
        db.execute("INSERT INTO audit (at, event, detail) VALUES ('x', 'y', '{}')")
        for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm"):
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
        db.close()
        loose = tmp_path / "old.db"
        sqlite3.connect(loose).execute("CREATE TABLE t (x)").connection.close()
        loose.chmod(0o644)
        open_database(loose).close()
        assert stat.S_IMODE(loose.stat().st_mode) == 0o600
    finally:
        os.umask(old)
