"""Central delivery from the kiosk to a real PostgreSQL: exactly once, whatever the network
or the kiosk does meanwhile (the failure cases of docs/fleet.md, made to happen for real)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pgserver import Central, ClientFiles, PgServer
from relay import relay

from kiosk import crypto
from kiosk.fleet.delivery import BACKOFF_MAX, Backoff, Courier, Target
from kiosk.store import AppointmentStore, open_database
from kiosk.store.outbox import open_record

from testkit import save_patient

KIOSK = "salon-1"
MARKER = "Elif Delivery-Marker-K9"


class Clock:
    """A monotonic clock moved by hand (a day passes in no time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def files(central: Central) -> ClientFiles:
    return central.enrol_files(KIOSK, site="Main waiting room")


@pytest.fixture
def target(central: Central, files: ClientFiles) -> Target:
    return central.target(KIOSK, files)


@pytest.fixture
def store(make_store: Callable[..., AppointmentStore]) -> AppointmentStore:
    return make_store(deliver=True)


def _save(store: AppointmentStore, n: int, name: str = MARKER) -> list[str]:
    return [save_patient(store, f"{name} {i}", kiosk=KIOSK) for i in range(n)]


def _on_server(central: Central) -> int:
    return int(central.query("SELECT count(*) FROM fleet.request")[0][0])


def _pending(store: AppointmentStore) -> int:
    return store.outbox.state().pending


def _disk(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))


def test_requests_reach_the_server_once_and_leave_no_trace(
    central: Central,
    target: Target,
    store: AppointmentStore,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
) -> None:
    references = _save(store, 3)
    assert store.path is not None
    store.checkpoint()
    parcels = store.outbox.batch(10, 1 << 20)
    # Bytes that are on the kiosk's disk now: a piece of each parcel, and of each request.
    markers = [p.sealed[100:132] for p in parcels]
    markers += [r[0][100:132] for r in store.db.execute("SELECT sealed FROM requests").fetchall()]
    disk = _disk(store.path)
    assert all(m in disk for m in markers)

    report = Courier(target).sync(store)

    assert (report.settled.stored, report.error, report.batches) == (3, "", 1)
    assert _on_server(central) == 3
    rows = central.query(
        "SELECT request_id::text, kiosk_id, key_id, payload_sha256, sealed_payload "
        "FROM fleet.request"
    )
    opened = set()
    for request_id, kiosk_id, key_id, sha, sealed in rows:
        assert (kiosk_id, key_id) == (KIOSK, keypair[0].key_id)
        assert bytes(sha) == hashlib.sha256(bytes(sealed)).digest()
        record = json.loads(open_record(keypair[1], bytes(sealed)))
        opened.add(record["reference"])
        assert record["personal"]["name"].startswith(MARKER)
        assert request_id in {p.uuid for p in parcels}
    assert opened == set(references)
    # Gone from the kiosk: no request, no parcel, and not a byte of either left on disk.
    assert store.count() == 0
    assert _pending(store) == 0
    disk = _disk(store.path)
    assert not any(m in disk for m in markers)
    assert store.db.execute("SELECT count(*) FROM delivered").fetchone()[0] == 3


def test_nothing_to_send_does_not_connect(store: AppointmentStore, central: Central) -> None:
    # A target that could not be reached: an empty outbox never tries it.
    nowhere = Target("127.0.0.1", 1, "x", KIOSK, Path("ca"), Path("c"), Path("k"))
    report = Courier(nowhere).sync(store)
    assert (report.error, report.batches) == ("", 0)


def test_a_commit_the_kiosk_cannot_record_gives_duplicates_not_doubles(
    central: Central, target: Target, tmp_path: Path, keypair: tuple[crypto.Sealer, crypto.Unlocked]
) -> None:
    path = tmp_path / "kiosk.db"
    store = AppointmentStore(
        open_database(path, busy_timeout_ms=100), sealer=keypair[0], deliver=True
    )
    _save(store, 5)
    # Another writer holds the database: the server commits, the kiosk cannot record it.
    other = sqlite3.connect(path)
    other.execute("BEGIN IMMEDIATE")
    courier = Courier(target)
    report = courier.sync(store)
    assert report.error == "local"
    assert _on_server(central) == 5
    other.rollback()
    other.close()
    assert _pending(store) == 5

    report = courier.sync(store, now=True)

    assert (report.settled.duplicate, report.settled.stored, report.error) == (5, 0, "")
    assert _on_server(central) == 5
    assert store.count() == 0
    store.close()


def test_the_servers_answer_lost_after_its_commit_gives_duplicates_not_doubles(
    central: Central, files: ClientFiles, store: AppointmentStore
) -> None:
    """The network drops the server's answer to COMMIT: the server has the batch, the kiosk
    cannot know it and keeps everything; the next run hears "duplicate", and deletes."""
    _save(store, 6)
    with relay(central.server.port, "lose-ack") as link:
        report = Courier(central.target(KIOSK, files, port=link.port)).sync(store)
        assert link.tripped.is_set()
    assert report.error == "link"
    assert report.settled.delivered == 0
    assert _on_server(central) == 6  # committed there
    assert _pending(store) == 6  # nothing taken away here

    report = Courier(central.target(KIOSK, files)).sync(store)

    assert (report.settled.duplicate, report.settled.stored) == (6, 0)
    assert _on_server(central) == 6
    assert store.count() == 0


def test_link_lost_mid_batch_stores_nothing_and_all_are_sent_later(
    central: Central, files: ClientFiles, store: AppointmentStore
) -> None:
    _save(store, 7)
    with relay(central.server.port, "cut") as link:
        courier = Courier(central.target(KIOSK, files, port=link.port))
        report = courier.sync(store)
        assert link.tripped.is_set()
    assert report.error == "link"  # cut mid-batch, after the handshake
    assert report.settled.delivered == 0
    assert _on_server(central) == 0  # the server rolled the half-sent batch back
    rows = store.db.execute("SELECT attempts, last_error FROM outbox").fetchall()
    assert rows == [(1, report.error)] * 7

    report = Courier(central.target(KIOSK, files)).sync(store)

    assert report.settled.stored == 7
    assert _on_server(central) == 7


def test_server_down_for_a_day_fails_fast_backs_off_and_delivers_later(
    central: Central, files: ClientFiles, store: AppointmentStore
) -> None:
    _save(store, 2)
    clock = Clock()
    with relay(central.server.port) as link:
        link.down()
        courier = Courier(central.target(KIOSK, files, port=link.port), monotonic=clock)
        first = courier.sync(store)
        assert first.error == "unreachable"
        assert 1.0 <= first.wait_s <= 3.0  # 2 s, ±50 %
        # Until the wait is over, nothing is tried.
        assert courier.sync(store).skipped == "backoff"
        waits = []
        for _ in range(20):  # a day of failures: each wait longer, never past an hour
            clock.now += courier.backoff.wait_left()
            waits.append(courier.sync(store).wait_s)
        # Each wait doubles, up to an hour, and is jittered ±50 % (so one may be shorter
        # than the one before: 4 s × 1.4 against 8 s × 0.55).
        for n, wait in enumerate(waits, start=1):
            nominal = min(BACKOFF_MAX, 2.0 * 2**n)
            assert 0.5 * nominal <= wait <= 1.5 * nominal, (n, wait)
        assert min(waits[-5:]) >= BACKOFF_MAX * 0.5
        clock.now += 86_400
        link.up()
        report = courier.sync(store)
    assert (report.settled.stored, report.error) == (2, "")
    assert courier.backoff.failures == 0
    assert courier.last_error == ""


def test_a_black_hole_is_given_up_on_in_bounded_time(
    central: Central, files: ClientFiles, store: AppointmentStore
) -> None:
    _save(store, 1)
    with relay(central.server.port, "black-hole") as link:
        courier = Courier(central.target(KIOSK, files, port=link.port, timeout=2))
        started = time.monotonic()
        report = courier.sync(store)
        waited = time.monotonic() - started
    assert report.error == "timeout"
    assert waited < 15  # the connect timeout, not TCP's minutes
    assert _pending(store) == 1


def test_a_server_gone_silent_mid_batch_is_given_up_on(
    central: Central, files: ClientFiles, store: AppointmentStore
) -> None:
    _save(store, 7)
    path = store.path
    assert path is not None
    reports = []

    def send() -> None:  # in a thread: without the deadline it would wait for ever
        own = AppointmentStore(open_database(path), deliver=True)
        try:
            reports.append(courier.sync(own))
        finally:
            own.close()

    with relay(central.server.port, "freeze") as link:
        courier = Courier(central.target(KIOSK, files, port=link.port), batch_seconds=2)
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        sender.join(30)
        assert not sender.is_alive(), "the sync hung on a silent server"
        assert link.tripped.is_set()
    assert reports[0].error == "timeout"
    assert _on_server(central) == 0
    assert _pending(store) == 7


def test_a_deactivated_kiosk_delivers_nothing_and_keeps_its_requests(
    central: Central, target: Target, store: AppointmentStore
) -> None:
    _save(store, 2)
    central.query("UPDATE fleet.kiosk SET active = false WHERE kiosk_id = %s", [KIOSK])
    report = Courier(target).sync(store)
    assert report.error == "inactive"
    assert (_on_server(central), _pending(store)) == (0, 2)

    central.query(f'ALTER ROLE "{KIOSK}" NOLOGIN')
    assert Courier(target).sync(store).error == "refused"
    assert _pending(store) == 2


def test_a_revoked_certificate_is_refused(
    central: Central, files: ClientFiles, target: Target, store: AppointmentStore
) -> None:
    _save(store, 1)
    central.server.revoke(files)
    report = Courier(target).sync(store)
    assert report.error == "tls"
    assert (_on_server(central), _pending(store)) == (0, 1)


def test_a_stolen_certificate_cannot_send_as_another_kiosk(
    central: Central, files: ClientFiles, store: AppointmentStore
) -> None:
    central.enrol_files("salon-2")
    _save(store, 1)
    thief = Target(
        "127.0.0.1",
        central.server.port,
        central.dbname,
        "salon-2",
        files.ca,
        files.cert,
        files.key,
    )
    report = Courier(thief).sync(store)
    assert report.error in ("refused", "tls")
    assert _on_server(central) == 0


def test_an_id_taken_by_another_kiosk_is_quarantined_then_sent_anew(
    central: Central,
    target: Target,
    store: AppointmentStore,
    make_store: Callable[..., AppointmentStore],
    tmp_path: Path,
) -> None:
    other_files = central.enrol_files("salon-2")
    other = make_store(tmp_path / "other.db", deliver=True)
    save_patient(other, "Other Kiosk Patient", kiosk="salon-2")
    assert Courier(central.target("salon-2", other_files)).sync(other).settled.stored == 1
    [(taken,)] = central.query("SELECT request_id::text FROM fleet.request")
    _save(store, 2)
    # The same UUID on this kiosk (a collision, or a copied database): the server refuses
    # it, and only it.
    store.db.execute(
        "UPDATE outbox SET request_uuid = ? WHERE rowid = (SELECT min(rowid) FROM outbox)",
        [taken],
    )
    store.db.conn.commit()

    report = Courier(target).sync(store)

    assert (report.settled.stored, report.settled.conflict) == (1, 1)
    state = store.outbox.state()
    assert (state.pending, state.quarantined, state.last_error) == (0, 1, "conflict")
    assert store.count() == 1  # kept here for staff
    assert store.outbox.requeue_quarantined() == 1
    assert Courier(target).sync(store).settled.stored == 1
    assert _on_server(central) == 3


def test_the_heartbeat_reports_the_outbox_and_the_clock(
    central: Central, target: Target, store: AppointmentStore
) -> None:
    _save(store, 2)
    courier = Courier(target, clock=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=2))
    skew = courier.heartbeat(store, "1.2.3", "content-7")
    assert skew is not None and 7100 < skew < 7300
    [(status, pending, app, content, server_skew)] = central.query(
        "SELECT status, outbox_pending, app_version, content_version, clock_skew_s "
        "FROM fleet.fleet_health"
    )
    assert (status, pending, app, content) == ("clock", 2, "1.2.3", "content-7")
    assert 7100 < server_skew < 7300


def test_the_heartbeat_tells_the_content_updates_state(
    central: Central, target: Target, store: AppointmentStore
) -> None:
    """With [updates], the heartbeat carries the last check: a refused update makes the
    kiosk "update" in fleet_health (and the desk's Kiosks tab)."""
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=6)
    courier = Courier(target)
    assert courier.heartbeat(store, "1.2.3", "content-8", ("older", expires)) is not None
    [(status, outcome, until)] = central.query(
        "SELECT status, update_outcome, update_expires FROM fleet.fleet_health"
    )
    assert (status, outcome, until) == ("update", "older", expires)
    assert courier.heartbeat(store, "1.2.3", "content-9", ("updated", expires)) is not None
    assert central.query("SELECT status FROM fleet.fleet_health") == [("ok",)]


def test_a_server_not_yet_upgraded_still_hears_the_heartbeat(
    pg: PgServer, tmp_path: Path, store: AppointmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kiosk with [updates] against a central schema from before the updates' columns
    (IT has not run server-init yet): the heartbeat goes through without them."""
    import kiosk.fleet.server as server
    from kiosk.fleet.central_schema import MIGRATIONS

    dsn = pg.create_database("before_updates")
    monkeypatch.setattr(server, "MIGRATIONS", MIGRATIONS[:4])
    assert server.server_init(dsn) == ([1, 2, 3, 4], 4)
    old = Central(pg, "before_updates", dsn, tmp_path / "old")
    courier = Courier(old.target(KIOSK, old.enrol_files(KIOSK, site="Main")))
    assert courier.heartbeat(store, "1.2.3", "content-8", ("expired", None)) is not None
    assert old.query("SELECT status, content_version FROM fleet.fleet_health") == [
        ("ok", "content-8")
    ]
    # Not asked again at every heartbeat (an error in the server's log each time).
    assert courier._older_server_until > 0
    assert courier.heartbeat(store, "1.2.3", "content-9", ("expired", None)) is not None
    assert old.query("SELECT content_version FROM fleet.fleet_health") == [("content-9",)]


def test_a_backlog_of_ten_thousand_drains_in_bounded_batches(
    central: Central, target: Target, store: AppointmentStore
) -> None:
    with store.bulk_load():
        _save(store, 10_000, "Backlog Person")
    assert _pending(store) == 10_000

    report = Courier(target, run_seconds=600).sync(store)

    assert (report.settled.stored, report.batches, report.error) == (10_000, 50, "")
    assert _on_server(central) == 10_000
    assert store.count() == 0
    biggest = central.query(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM fleet.request "
        "GROUP BY received_at) AS batches"
    )[0][0]
    assert biggest == 200  # one server transaction (one received_at) per batch of 200


@pytest.fixture
def stalled(
    tmp_path: Path,
) -> Iterator[sqlite3.Connection]:
    """The kiosk's database held by another writer until the test lets go."""
    conn = sqlite3.connect(tmp_path / "kiosk.db", check_same_thread=False)
    yield conn
    conn.close()


def test_two_senders_at_once_never_send_the_same_request_twice(
    central: Central,
    target: Target,
    store: AppointmentStore,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
    stalled: sqlite3.Connection,
) -> None:
    _save(store, 20)
    path = store.path
    assert path is not None
    results = {}

    def first_sender() -> None:
        own = AppointmentStore(
            open_database(path, busy_timeout_ms=20_000), sealer=keypair[0], deliver=True
        )
        try:
            results["first"] = Courier(target).sync(own)
        finally:
            own.close()

    stalled.execute("BEGIN IMMEDIATE")  # the first sender will wait to record its receipts
    thread = threading.Thread(target=first_sender)
    thread.start()
    deadline = time.monotonic() + 30
    while _on_server(central) < 20:  # the server has them; the first sender waits
        assert time.monotonic() < deadline
        time.sleep(0.05)

    # Meanwhile a second sender (`kiosk fleet sync` while the kiosk sends) stands back:
    # without the lock it would send the 20, still pending here, again.
    second = Courier(target).sync(store, now=True)

    stalled.rollback()
    thread.join(60)
    assert second.skipped == "busy"
    first = results["first"]
    assert (first.settled.stored, first.settled.duplicate, first.error) == (20, 0, "")
    assert _on_server(central) == 20
    assert _pending(store) == 0


def test_a_copied_database_lets_go_of_what_the_server_has(
    central: Central,
    target: Target,
    store: AppointmentStore,
    tmp_path: Path,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
) -> None:
    """A kiosk's database copied onto a second kiosk (or restored from a backup): the very
    same parcels are duplicates there, deleted, never quarantined and sent twice."""
    import shutil

    _save(store, 2)
    store.checkpoint()
    assert store.path is not None
    shutil.copy(store.path, tmp_path / "copy.db")
    assert Courier(target).sync(store).settled.stored == 2
    second_files = central.enrol_files("salon-2")
    copy = AppointmentStore(open_database(tmp_path / "copy.db"), deliver=True)
    try:
        report = Courier(central.target("salon-2", second_files)).sync(copy)
        assert (report.settled.duplicate, report.settled.conflict) == (2, 0)
        assert copy.count() == 0
    finally:
        copy.close()
    assert _on_server(central) == 2


def test_ids_of_delivered_requests_are_never_given_again(
    central: Central, target: Target, store: AppointmentStore
) -> None:
    """Delivery deletes the newest requests: the next patient's request must not take an id
    a staff screen read a moment ago (mark exported, remove after export)."""
    references = _save(store, 3)
    ids = [r.id for r in store.list_requests()]
    assert Courier(target).sync(store).settled.stored == 3
    [newcomer] = _save(store, 1)
    fresh = store.get(newcomer)
    assert fresh is not None and fresh.id > max(ids)
    assert store.delete(ids, "removed after export") == 0  # reaches nobody now
    assert store.get(newcomer) is not None and _pending(store) == 1
    assert set(references).isdisjoint({newcomer})


def test_backoff_never_grows_past_an_hour_however_long_the_outage() -> None:
    clock = Clock()
    backoff = Backoff(clock, rng=lambda: 0.5)
    waits = [backoff.failed() for _ in range(2000)]  # months of hourly failures
    assert waits[0] == 2.0 and waits[1] == 4.0
    assert max(waits) == BACKOFF_MAX
    assert not backoff.ready()
    clock.now += BACKOFF_MAX
    assert backoff.ready()
