"""The outbox of central delivery, on the kiosk's side: what goes in it when a request is
saved, what the server's receipts do to it, and that retention never takes what waits."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk import crypto
from kiosk.store import AppointmentStore, StoreError
from kiosk.store.outbox import DELIVERED_REASON, PAD_BYTES, RECORD_FORMAT, open_record

from testkit import save_patient

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
MARKER = "Zehra Outbox-Marker-7Q4"


@pytest.fixture
def store(make_store: Callable[..., AppointmentStore]) -> AppointmentStore:
    return make_store(clock=lambda: NOW, deliver=True)


def _rows(store: AppointmentStore) -> list[tuple[str, int, str, bytes, bytes, str, int, str]]:
    return store.db.execute(
        "SELECT request_uuid, request_id, key_id, sha256, sealed, state, attempts, last_error "
        "FROM outbox ORDER BY created_at"
    ).fetchall()


def _disk(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_without_central_delivery_nothing_waits(
    make_store: Callable[..., AppointmentStore],
) -> None:
    store = make_store(clock=lambda: NOW)
    save_patient(store, MARKER)
    assert _rows(store) == []
    assert store.outbox.state().pending == 0
    assert store.outbox.state().kept_here == 1


def test_a_saved_request_waits_sealed_whole_to_the_clinic(
    store: AppointmentStore, keypair: tuple[crypto.Sealer, crypto.Unlocked]
) -> None:
    reference = save_patient(
        store,
        MARKER,
        topic="kidneys",
        consents={"notice_read": True, "contact": True, "health_topic": True},
    )
    [(uuid_, request_id, key_id, sha, sealed, state, attempts, error)] = _rows(store)
    saved = store.get(reference)
    assert saved is not None and saved.id == request_id
    assert (state, attempts, error) == ("pending", 0, "")
    assert key_id == keypair[0].key_id
    assert sha == hashlib.sha256(sealed).digest()
    assert MARKER.encode() not in sealed
    opened = open_record(keypair[1], sealed)
    # Under the chain's key, itself sealed to the clinic's public key: no other key opens it.
    with pytest.raises(crypto.KeysError):
        open_record(crypto.ephemeral_keys()[1], sealed)
    # Padded: the length of a name does not show in the length of what is sent.
    assert len(opened) % PAD_BYTES == 0
    record = json.loads(opened)
    assert record["format"] == RECORD_FORMAT
    assert record["reference"] == reference
    assert record["personal"]["name"] == MARKER
    assert record["personal"]["topic"] == "kidneys"
    # The whole consent record travels, the sealed health-topic consent with it.
    assert record["consents"]["items"]["health_topic"]["given"] is True
    assert record["consents"]["items"]["contact"]["given"] is True
    assert record["created_at"] == NOW.isoformat(timespec="seconds")
    assert len(uuid_) == 36


def test_demo_requests_are_never_sent(store: AppointmentStore) -> None:
    save_patient(store, "Demo Person", demo=True)
    assert _rows(store) == []
    assert store.outbox.state().kept_here == 0


def test_sizes_of_names_do_not_show(store: AppointmentStore) -> None:
    save_patient(store, "Al Bo")
    save_patient(store, "Alexandra Konstantinopoulou-Papadimitriou")
    sizes = {len(row[4]) for row in _rows(store)}
    assert len(sizes) == 1


def test_stored_leaves_a_tombstone_and_no_trace_on_disk(store: AppointmentStore) -> None:
    reference = save_patient(store, MARKER)
    [(uuid_, *_)] = _rows(store)
    assert store.path is not None
    store.checkpoint()
    assert MARKER.encode() not in _disk(store.path)  # sealed from the start

    settled = store.outbox.settle({uuid_: "stored"})

    assert (settled.stored, settled.delivered) == (1, 1)
    assert _rows(store) == []
    assert store.get(reference) is None
    [(tomb_uuid, outcome)] = store.db.execute(
        "SELECT request_uuid, outcome FROM delivered"
    ).fetchall()
    assert (tomb_uuid, outcome) == (uuid_, "stored")
    # The tombstone holds nothing of the patient: its columns are an id, a hash, a time.
    assert [c.name for c in store.db.table("delivered").columns] == [
        "request_uuid",
        "sha256",
        "delivered_at",
        "outcome",
    ]
    [log] = store.destruction_log()
    assert (log["count"], log["reason"]) == (1, DELIVERED_REASON)
    state = store.outbox.state()
    assert (state.pending, state.last_delivered) == (0, NOW)
    wal = store.path.with_name(store.path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_duplicate_is_delivered_too(store: AppointmentStore) -> None:
    save_patient(store, MARKER)
    [(uuid_, *_)] = _rows(store)
    assert store.outbox.settle({uuid_: "duplicate"}).duplicate == 1
    assert store.count() == 0


def test_conflict_is_quarantined_and_kept(store: AppointmentStore) -> None:
    reference = save_patient(store, MARKER)
    [(uuid_, *_)] = _rows(store)
    assert store.outbox.settle({uuid_: "conflict"}).conflict == 1
    [(_, _, _, _, _, state, attempts, error)] = _rows(store)
    assert (state, attempts, error) == ("quarantined", 1, "conflict")
    assert store.get(reference) is not None
    assert store.outbox.batch(10, 1 << 20) == []  # not sent again by itself
    state_ = store.outbox.state()
    assert (state_.pending, state_.quarantined, state_.last_error) == (0, 1, "conflict")

    assert store.outbox.requeue_quarantined() == 1
    [(new_uuid, _, _, _, _, state, attempts, error)] = _rows(store)
    assert (state, attempts, error) == ("pending", 0, "")
    assert new_uuid != uuid_
    assert [e["event"] for e in store.audit_log()][:2] == ["requeued", "delivered"]


def test_retry_and_failures_are_counted(store: AppointmentStore) -> None:
    save_patient(store, MARKER)
    [(uuid_, *_)] = _rows(store)
    store.outbox.settle({uuid_: "retry"})
    store.outbox.failed([uuid_], "unreachable")
    [(_, _, _, _, _, state, attempts, error)] = _rows(store)
    assert (state, attempts, error) == ("pending", 2, "unreachable")
    assert store.outbox.state().last_error == "unreachable"


def test_a_receipt_that_is_not_one_changes_nothing(store: AppointmentStore) -> None:
    save_patient(store, MARKER)
    [(uuid_, *_)] = _rows(store)
    with pytest.raises(StoreError):
        store.outbox.settle({uuid_: "stored", "x": "accepted"})
    assert len(_rows(store)) == 1
    assert store.count() == 1


def test_receipts_for_requests_no_longer_here_change_nothing(store: AppointmentStore) -> None:
    save_patient(store, MARKER)
    settled = store.outbox.settle({"00000000-0000-4000-8000-000000000000": "stored"})
    assert settled.delivered == 0
    assert store.count() == 1
    assert store.destruction_log() == []


def test_batches_are_bounded_oldest_first(
    make_store: Callable[..., AppointmentStore],
) -> None:
    for minute in range(5):
        writer = make_store(clock=lambda m=minute: NOW + dt.timedelta(minutes=m), deliver=True)
        save_patient(writer, f"Person {minute}")
    store = make_store(clock=lambda: NOW, deliver=True)
    first = store.outbox.batch(3, 1 << 20)
    assert [p.created_at.minute for p in first] == [0, 1, 2]
    one_size = len(first[0].sealed)
    assert len(store.outbox.batch(10, one_size * 2)) == 2
    assert len(store.outbox.batch(10, 1)) == 1  # always at least one


def test_retention_never_deletes_what_waits(
    make_store: Callable[..., AppointmentStore],
) -> None:
    old = make_store(clock=lambda: NOW - dt.timedelta(days=200), deliver=True)
    reference = save_patient(old, MARKER)
    store = make_store(clock=lambda: NOW, deliver=True)
    purged = store.purge_older_than(30, unexported_days=90)
    assert purged.total == 0
    assert store.get(reference) is not None
    assert store.unexported_due(90) is None  # not announced as going, either


def test_retention_deletes_old_tombstones(
    make_store: Callable[..., AppointmentStore],
) -> None:
    old = make_store(clock=lambda: NOW - dt.timedelta(days=40), deliver=True)
    save_patient(old, MARKER)
    [(uuid_, *_)] = _rows(old)
    old.outbox.settle({uuid_: "stored"})
    store = make_store(clock=lambda: NOW, deliver=True)
    store.purge_older_than(30, unexported_days=90)
    assert store.db.execute("SELECT count(*) FROM delivered").fetchone()[0] == 0


def test_a_request_deleted_on_purpose_is_not_sent(store: AppointmentStore) -> None:
    reference = save_patient(store, MARKER)
    saved = store.get(reference)
    assert saved is not None
    store.delete([saved.id], "erasure asked by the patient")
    assert _rows(store) == []


def test_requests_from_before_delivery_stay_here(
    make_store: Callable[..., AppointmentStore],
) -> None:
    before = make_store(clock=lambda: NOW)
    save_patient(before, "Before Delivery")
    store = make_store(clock=lambda: NOW, deliver=True)
    save_patient(store, MARKER)
    state = store.outbox.state()
    assert (state.pending, state.kept_here) == (1, 1)
    assert state.oldest_pending == NOW
    assert state.oldest_pending_seconds(NOW + dt.timedelta(minutes=2)) == 120


def test_a_store_opened_again_on_another_thread_settles(store: AppointmentStore) -> None:
    save_patient(store, MARKER)
    [(uuid_, *_)] = _rows(store)
    open_again = store.reopener()
    assert open_again is not None
    other = open_again()
    try:
        assert other.deliver
        assert other.outbox.settle({uuid_: "stored"}).stored == 1
    finally:
        other.close()
    assert _rows(store) == []
    assert store.count() == 0


def test_a_reader_in_the_way_of_the_checkpoint_is_waited_out_later(
    tmp_path: Path,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Another connection reading (the kiosk's screen while the courier settles) can keep
    SQLite from emptying the WAL: that is said in the log, not taken for done, and the
    next checkpoint finishes the job."""
    import sqlite3

    from kiosk.store import open_database

    path = tmp_path / "kiosk.db"
    store = AppointmentStore(
        open_database(path, busy_timeout_ms=50),
        sealer=keypair[0],
        clock=lambda: NOW,
        deliver=True,
    )
    save_patient(store, MARKER)
    [(uuid_, _, _, _, sealed, *_)] = _rows(store)
    piece = sealed[100:132]
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM requests").fetchone()  # a snapshot held open
    with caplog.at_level("WARNING"):
        store.outbox.settle({uuid_: "stored"})
    assert "wal_checkpoint_skipped error=busy" in caplog.text
    reader.rollback()
    reader.close()
    assert store.outbox.empty_wal()
    assert piece not in _disk(path)
    store.close()


def test_a_quarantined_request_keeps_the_single_kiosk_rules(
    make_store: Callable[..., AppointmentStore],
) -> None:
    """The server refused it: it is no longer on its way, so it is announced before its
    hard limit and goes then, like a request nobody exported on a kiosk on its own."""
    old = make_store(clock=lambda: NOW - dt.timedelta(days=85), deliver=True)
    reference = save_patient(old, MARKER)
    [(uuid_, *_)] = _rows(old)
    old.outbox.settle({uuid_: "conflict"})
    store = make_store(clock=lambda: NOW, deliver=True)
    due = store.unexported_due(90)
    assert due is not None and due.count == 1
    later = make_store(clock=lambda: NOW + dt.timedelta(days=6), deliver=True)
    assert later.purge_older_than(30, unexported_days=90).never_reached == 1
    assert later.get(reference) is None


def test_a_request_erased_while_on_its_way_is_named_in_the_audit_log(
    store: AppointmentStore, caplog: pytest.LogCaptureFixture
) -> None:
    """Staff erased it while its batch was being sent; the server stored it: the audit log
    names its id (nothing else) so IT can delete it there too."""
    reference = save_patient(store, MARKER)
    [(uuid_, *_)] = _rows(store)
    saved = store.get(reference)
    assert saved is not None
    store.delete([saved.id], "erasure asked by the patient")
    with caplog.at_level("WARNING"):
        store.outbox.settle({uuid_: "stored"})
    entry = store.audit_log()[0]
    assert entry["event"] == "delivered_after_deletion"
    assert entry["detail"] == {"count": 1, "request_ids": [uuid_]}
    assert "delivered_after_deletion count=1" in caplog.text


def test_an_older_database_keeps_its_requests_and_ids(
    tmp_path: Path, keypair: tuple[crypto.Sealer, crypto.Unlocked]
) -> None:
    """The upgrade rebuilds the requests table (ids never given twice from now on): every
    request, id and column is kept, and one from before is not sent (it is kept here)."""
    from test_security import open_database_at_version

    from kiosk.store import open_database

    path = tmp_path / "old.db"
    old = AppointmentStore(open_database_at_version(path, "m007_outbox"), sealer=keypair[0])
    old.unlock(keypair[1].copy())
    for name in ("Eski Bir", "Eski İki", "Eski Üç"):
        save_patient(old, name)
    before = [(r.id, r.reference, r.personal) for r in old.list_requests()]
    assert [p["name"] for _, _, p in before] == ["Eski Bir", "Eski İki", "Eski Üç"]
    last = before[-1][0]
    assert old.delete([last], "test") == 1
    old.close()

    store = AppointmentStore(open_database(path), sealer=keypair[0], deliver=True)
    store.unlock(keypair[1].copy())
    assert [(r.id, r.reference, r.personal) for r in store.list_requests()] == before[:2]
    schema = store.db.execute("SELECT sql FROM sqlite_master WHERE name = 'requests'").fetchone()
    assert "AUTOINCREMENT" in schema[0]
    assert store.outbox.state().kept_here == 2
    new = store.get(save_patient(store, "Yeni"))
    assert new is not None and new.id > before[1][0]
    store.close()


def test_a_days_requests_share_one_chain_and_the_next_day_starts_another(
    make_store: Callable[..., AppointmentStore], keypair: tuple[crypto.Sealer, crypto.Unlocked]
) -> None:
    """The desk opens a chain's key once (kiosk.store.outbox.open_record): one chain a day,
    a new one at each start and after a day, each request under a step of its own."""
    from kiosk.store.outbox import ENVELOPE

    now = [1000.0]
    store = make_store(deliver=True, monotonic=lambda: now[0])
    save_patient(store, "First")
    save_patient(store, "Second")
    now[0] += 86_400
    save_patient(store, "Next day")
    first, second, next_day = (
        bytes(r[0]) for r in store.db.execute("SELECT sealed FROM outbox ORDER BY request_id")
    )
    head = len(ENVELOPE) + 80
    assert first[:head] == second[:head] != next_day[:head]
    assert first[head : head + 4] != second[head : head + 4]  # steps 0 and 1
    opened = [
        json.loads(open_record(keypair[1], s))["personal"]["name"]
        for s in (first, second, next_day)
    ]
    assert opened == ["First", "Second", "Next day"]


def test_a_forged_step_is_refused_before_the_chain_is_walked(
    store: AppointmentStore, keypair: tuple[crypto.Sealer, crypto.Unlocked]
) -> None:
    """A record whose step is past any real chain (a compromised kiosk's) fails at once, and
    leaves no chain key kept open."""
    import time

    from kiosk.store.outbox import ENVELOPE, MAX_STEPS

    save_patient(store, MARKER)
    [(*_, sealed, _state, _attempts, _error)] = _rows(store)
    head = len(ENVELOPE) + 80
    forged = sealed[:head] + MAX_STEPS.to_bytes(4, "big") + sealed[head + 4 :]
    openers: dict[bytes, crypto.DataKeyOpener] = {}
    t0 = time.perf_counter()
    with pytest.raises(crypto.KeysError):
        open_record(keypair[1], forged, openers)
    assert time.perf_counter() - t0 < 0.05 and openers == {}
    damaged = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(crypto.KeysError):
        open_record(keypair[1], damaged, openers)
    assert openers == {}  # a key is kept only once a record opened under it
    assert json.loads(open_record(keypair[1], sealed, openers))["personal"]["name"] == MARKER
    assert len(openers) == 1


def test_a_page_opens_in_one_call_and_a_bad_record_is_none_among_good_ones(
    make_store: Callable[..., AppointmentStore], keypair: tuple[crypto.Sealer, crypto.Unlocked]
) -> None:
    """A desk export's page (kiosk.store.outbox.open_records): records of a chain already
    open, of a new chain and of the first release open as open_record opens them; a forged
    step, a damaged record and one sealed to another key pair are None, the others unharmed."""
    from kiosk.store.outbox import ENVELOPE, MAX_STEPS, open_records

    store = make_store(deliver=True)
    for name in ("First", "Second", "Third"):
        save_patient(store, name)
    first, second, third = (
        bytes(r[0]) for r in store.db.execute("SELECT sealed FROM outbox ORDER BY request_id")
    )
    head = len(ENVELOPE) + 80
    forged = second[:head] + MAX_STEPS.to_bytes(4, "big") + second[head + 4 :]
    damaged = third[:-1] + bytes([third[-1] ^ 1])
    legacy = keypair[0].seal(b'{"personal": {"name": "Legacy"}}')
    foreign = crypto.ephemeral_keys()[0].seal(b"{}")
    openers: dict[bytes, crypto.DataKeyOpener] = {}
    opened = open_records(
        keypair[1], [first, forged, damaged, second, legacy, foreign, third], openers
    )
    names = [None if o is None else json.loads(o)["personal"]["name"] for o in opened]
    assert names == ["First", None, None, "Second", "Legacy", None, "Third"]
    assert len(openers) == 1  # the chain's key, opened once
    # Read again (the chain key already open): the same, steps back and forth.
    again = open_records(keypair[1], [third, first, damaged], openers)
    assert [None if o is None else json.loads(o)["personal"]["name"] for o in again] == [
        "Third",
        "First",
        None,
    ]
