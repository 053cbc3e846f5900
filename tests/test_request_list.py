"""The store's reads for the staff list: ordered ids in SQL, a batch opened, counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from kiosk.appointment import AppointmentRequest
from kiosk.store import AppointmentStore, StoredRequest

from testkit import count_opened, patient_request

START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
# Minutes after START each request is received; two arrive in the same second.
MINUTES = [30, 0, 90, 60, 60, 10]
STATUS_OF = ["new", "contacted", "exported", "new", "contacted", "exported"]


def _request(name: str) -> AppointmentRequest:
    return patient_request(name, contact_method="sms", time_window="evening")


@pytest.fixture
def store(make_store: Callable[..., AppointmentStore]) -> AppointmentStore:
    """An unlocked store with six requests at known times and of every status."""
    now = [START]
    s = make_store(clock=lambda: now[0])
    for i, minutes in enumerate(MINUTES):
        now[0] = START + dt.timedelta(minutes=minutes)
        s.add_request(
            _request(f"Kişi {i}"),
            kiosk_id="hall-1",
            content_version="2026.11",
            consent_versions={},
            notice_version="n-1",
        )
    now[0] = START + dt.timedelta(days=1)
    by_name = {r.personal["name"]: r.id for r in s.list_requests()}
    for i, status in enumerate(STATUS_OF):
        if status != "new":
            s.set_status([by_name[f"Kişi {i}"]], status, "test")
    return s


def _opened(store: AppointmentStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    return count_opened(store, monkeypatch)


def test_ids_in_received_order(store: AppointmentStore) -> None:
    """Newest first (or oldest), the same second broken by the order of saving."""
    rows = store.list_requests()
    newest = [r.id for r in sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)]
    assert list(store.request_ids(order="received")) == newest
    assert list(store.request_ids(order="received", descending=False)) == newest[::-1]


def test_ids_in_reference_order(store: AppointmentStore) -> None:
    """By reference code, either way."""
    rows = sorted(store.list_requests(), key=lambda r: r.reference)
    assert list(store.request_ids(order="reference", descending=False)) == [r.id for r in rows]
    assert list(store.request_ids(order="reference")) == [r.id for r in reversed(rows)]


def test_ids_in_status_order(store: AppointmentStore) -> None:
    """Statuses in the order requests go through them (new, exported, contacted), not the
    alphabet; newest first within a status."""
    rank = {"new": 0, "exported": 1, "contacted": 2}
    rows = store.list_requests()

    def key(r: StoredRequest) -> tuple[int, float, int]:
        return rank[r.status], -r.created_at.timestamp(), -r.id

    expected = [r.id for r in sorted(rows, key=key)]
    got = list(store.request_ids(order="status", descending=False))
    assert got == expected
    assert [r.status for r in store.requests_by_id(got)] == [
        "new",
        "new",
        "exported",
        "exported",
        "contacted",
        "contacted",
    ]
    # Descending: the statuses the other way round, still newest first within each.
    back = list(store.request_ids(order="status"))
    assert [r.status for r in store.requests_by_id(back)][:2] == ["contacted", "contacted"]
    within = [r.created_at for r in store.requests_by_id(back)[:2]]
    assert within == sorted(within, reverse=True)


def test_ids_filtered_in_sql(store: AppointmentStore) -> None:
    """A status and a first day give the ids list_requests gives, and open nothing."""
    since = (START + dt.timedelta(minutes=45)).date()
    for status in ("new", "exported", "contacted", None):
        expected = {r.id for r in store.list_requests(status)}
        assert set(store.request_ids(status)) == expected
    assert set(store.request_ids(since=since)) == {r.id for r in store.list_requests(None, since)}
    assert list(store.request_ids(since=START.date() + dt.timedelta(days=1))) == []
    with pytest.raises(ValueError):
        store.request_ids(order="name")


def test_ids_open_nothing(store: AppointmentStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Listing ids and counting never open a sealed request."""
    opened = _opened(store, monkeypatch)
    store.request_ids(order="status")
    store.count_by_status()
    assert opened == []


def test_a_batch_opens_only_its_requests(
    store: AppointmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests_by_id opens the ids asked for, in the order asked, and leaves out ids that
    are not stored; more ids than one query takes are read in chunks."""
    ids = list(store.request_ids(order="reference"))
    opened = _opened(store, monkeypatch)
    wanted = [ids[3], ids[0]]
    got = store.requests_by_id(wanted)
    assert [r.id for r in got] == wanted
    assert sorted(opened) == sorted(wanted)
    assert all(r.personal["name"].startswith("Kişi") for r in got)
    # 1,200 ids, the stored ones spread across three chunks of 500.
    many = list(range(10_000, 11_200))
    many[0], many[700], many[1100] = ids[5], ids[1], ids[2]
    assert [r.id for r in store.requests_by_id(many)] == [ids[5], ids[1], ids[2]]


def test_a_batch_follows_the_lock(make_store: Callable[..., AppointmentStore]) -> None:
    """A locked store gives the batch's rows marked locked, their personal data unopened."""
    writer = make_store()
    writer.add_request(
        _request("Kilitli"),
        kiosk_id="hall-1",
        content_version="2026.11",
        consent_versions={},
        notice_version="n-1",
    )
    locked = make_store(unlocked=False)
    [row] = locked.requests_by_id(list(locked.request_ids()))
    assert row.locked and row.personal == {}


def test_counts_per_status(store: AppointmentStore) -> None:
    """One count per status, every status present (0 when none)."""
    assert store.count_by_status() == {"new": 2, "exported": 2, "contacted": 2}
    store.delete(list(store.request_ids("exported")), "test")
    assert store.count_by_status() == {"new": 2, "exported": 0, "contacted": 2}
