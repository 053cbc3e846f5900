"""The staff list over many requests: rows opened only as shown, SQL order and filters,
actions on the right request, demo rows marked, clinic times, nothing left after sign-out."""

from __future__ import annotations

import datetime as dt
import gc
import weakref
import zoneinfo
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk.appointment import AppointmentRequest
from kiosk.content import Content
from kiosk.demo import fill_demo
from kiosk.store import AppointmentStore
from kiosk.times import clinic_time_text
from kiosk.ui.main_window import MainWindow
from kiosk.ui.screens.staff import StaffScreen
from kiosk.ui.widgets.requests_model import PAGE_ROWS, RequestsTableModel

from testkit import count_opened, patient_request
from uihelpers import LANDSCAPE

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
Model = RequestsTableModel


def _request(name: str) -> AppointmentRequest:
    return patient_request(name, contact_method="sms", time_window="evening")


def _fill(store: AppointmentStore, now: list[dt.datetime], times: list[dt.datetime]) -> None:
    for i, when in enumerate(times):
        now[0] = when
        store.add_request(
            _request(f"Kişi {i}"),
            kiosk_id="hall-1",
            content_version="2026.11",
            consent_versions={},
            notice_version="n-1",
        )
    now[0] = NOW


@pytest.fixture
def many(make_store: Callable[..., AppointmentStore]) -> AppointmentStore:
    """An unlocked store with 300 requests, one a minute over the last five hours."""
    now = [NOW]
    store = make_store(clock=lambda: now[0])
    _fill(store, now, [NOW - dt.timedelta(minutes=m) for m in range(300, 0, -1)])
    return store


@pytest.fixture
def few(make_store: Callable[..., AppointmentStore]) -> AppointmentStore:
    """An unlocked store with eight requests: three from 20 days ago, five from today, of
    every status."""
    now = [NOW]
    store = make_store(clock=lambda: now[0])
    old = [NOW - dt.timedelta(days=20, minutes=m) for m in (3, 2, 1)]
    _fill(store, now, old + [NOW - dt.timedelta(minutes=m) for m in (50, 40, 30, 20, 10)])
    ids = list(store.request_ids(order="received", descending=False))
    store.set_status([ids[0], ids[4]], "contacted", "test")
    store.set_status([ids[1], ids[5]], "exported", "test")
    return store


def _screen(qtbot: QtBot, window: MainWindow, store: AppointmentStore) -> StaffScreen:
    screen = StaffScreen(window.context(), store, lambda: [])
    qtbot.addWidget(screen)
    screen.resize(*LANDSCAPE)
    screen.show()
    qtbot.waitExposed(screen)
    return screen


def _opened(store: AppointmentStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    return count_opened(store, monkeypatch)


def _listed(model: RequestsTableModel) -> list[int]:
    return [model.request_id(row) or 0 for row in range(model.rowCount())]


def _column(model: RequestsTableModel, column: int) -> list[str]:
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


def test_only_the_rows_on_screen_are_opened(
    qtbot: QtBot, window: MainWindow, many: AppointmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening the list opens one page of requests (the one on screen), not all 300;
    scrolling to the end opens the pages there, and still not the rest."""
    opened = _opened(many, monkeypatch)
    screen = _screen(qtbot, window, many)
    qtbot.waitUntil(lambda: len(opened) > 0)
    listed = _listed(screen.model)
    assert len(listed) == 300
    assert sorted(opened) == sorted(listed[:PAGE_ROWS])  # the first page (newest), each once
    screen.table.scrollToBottom()
    qtbot.waitUntil(lambda: listed[-1] in opened)
    assert len(opened) <= 3 * PAGE_ROWS and len(set(opened)) == len(opened)
    assert set(opened) <= set(listed[:PAGE_ROWS]) | set(listed[-2 * PAGE_ROWS :])


def test_opened_rows_stay_few(
    many: AppointmentStore, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading every row, a page at a time, keeps only the last few pages opened: each row
    is opened once going down, and a dropped page is opened again when shown again."""
    en = content.languages["en"]
    model = Model(many, en.staff, en.form, zoneinfo.ZoneInfo("UTC"), page_rows=16, cache_pages=2)
    model.set_filter(None, None)
    opened = _opened(many, monkeypatch)
    names = {r.id: r.personal["name"] for r in many.list_requests()}
    opened.clear()
    for row in range(model.rowCount()):
        assert model.data(model.index(row, Model.NAME)) == names[model.request_id(row) or 0]
        assert model.cached_rows() <= 32
    assert len(opened) == 300 and len(set(opened)) == 300
    model.data(model.index(0, Model.NAME))
    assert len(opened) == 316  # the first page, dropped long ago, opened again


def test_sorting_comes_from_sql(
    qtbot: QtBot, window: MainWindow, few: AppointmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Received, reference and status sort in SQL (statuses in workflow order, not the
    alphabet); the sealed columns do not sort, and the header's arrow stays put."""
    screen = _screen(qtbot, window, few)
    model, table = screen.model, screen.table
    rows = few.list_requests()
    opened = _opened(few, monkeypatch)
    table.sortByColumn(Model.REFERENCE, Qt.SortOrder.AscendingOrder)
    assert opened == []  # sorting opens nothing; showing the rows below does
    assert _column(model, Model.REFERENCE) == sorted(r.reference for r in rows)
    table.sortByColumn(Model.RECEIVED, Qt.SortOrder.AscendingOrder)
    oldest_first = sorted(rows, key=lambda r: (r.created_at, r.id))
    assert _listed(model) == [r.id for r in oldest_first]
    table.sortByColumn(Model.STATUS, Qt.SortOrder.AscendingOrder)
    assert _column(model, Model.STATUS) == ["New"] * 4 + ["Exported"] * 2 + ["Contacted"] * 2
    new_ones = [r for r in rows if r.status == "new"]
    assert _listed(model)[:4] == [r.id for r in sorted(new_ones, key=lambda r: -r.id)]
    before = _listed(model)
    table.sortByColumn(Model.NAME, Qt.SortOrder.AscendingOrder)
    assert _listed(model) == before
    header = table.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        Model.STATUS,
        Qt.SortOrder.AscendingOrder,
    )


def test_filters_and_counts_come_from_sql(
    qtbot: QtBot, window: MainWindow, few: AppointmentStore
) -> None:
    """Status and period buttons list what SQL finds; the counts are per status."""
    screen = _screen(qtbot, window, few)
    assert screen.counts.text() == "4 new · 2 exported · 2 contacted"
    screen.status_buttons["contacted"].click()
    assert set(_listed(screen.model)) == set(few.request_ids("contacted"))
    assert screen.model.rowCount() == 2
    screen.period_buttons["week"].click()
    assert screen.model.rowCount() == 1  # one contacted request is from 20 days ago
    screen.status_buttons["all"].click()
    assert screen.model.rowCount() == 5
    screen.period_buttons["all"].click()
    assert screen.model.rowCount() == 8
    assert screen.counts.text() == "4 new · 2 exported · 2 contacted"


def test_actions_follow_the_request_after_sorting(
    qtbot: QtBot, window: MainWindow, few: AppointmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After sorting, the selected row is the request acted on, and the selection follows
    its request to its new row; acting reads its id only, opening no request."""
    screen = _screen(qtbot, window, few)
    screen.table.sortByColumn(Model.REFERENCE, Qt.SortOrder.DescendingOrder)
    last = max(few.list_requests(), key=lambda r: r.reference)
    screen.select_row(0)
    screen.table.sortByColumn(Model.RECEIVED, Qt.SortOrder.AscendingOrder)
    row = screen.selected()
    assert row is not None and screen.model.request_id(row) == last.id
    opened = _opened(few, monkeypatch)
    screen.mark_contacted()
    assert opened == []
    assert screen.model.request_id(screen.selected() or 0) == last.id  # still selected
    other = 3 if screen.model.request_id(3) != last.id else 2
    screen.select_row(other)
    asked = screen.model.request_id(other)
    screen.findChild(type(screen.lock_button), "staff-delete").click()
    screen.table.sortByColumn(Model.REFERENCE, Qt.SortOrder.AscendingOrder)  # it moves
    screen.select_row(0 if screen.model.row_of(asked or 0) != 0 else 1)  # another row
    screen.findChild(type(screen.lock_button), "staff-delete-confirm").click()
    assert opened == []
    assert few.get(last.reference).status == "contacted"  # type: ignore[union-attr]
    left = few.list_requests()
    assert asked not in {r.id for r in left} and len(left) == 7


def test_demo_requests_are_marked(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., AppointmentStore]
) -> None:
    """A demo request (kiosk demo-data) shows "· Demo" after its reference, in the list and
    when opened; a patient's request does not."""
    now = [NOW]
    store = make_store(clock=lambda: now[0])
    fill_demo(store, 2)
    _fill(store, now, [NOW - dt.timedelta(minutes=1)])
    screen = _screen(qtbot, window, store)
    shown = dict(zip(_listed(screen.model), _column(screen.model, Model.REFERENCE), strict=True))
    for r in store.list_requests():
        assert shown[r.id] == (f"{r.reference} · Demo" if r.is_demo else r.reference)
    demo_row = next(row for row, text in enumerate(shown.values()) if "Demo" in text)
    screen.select_row(demo_row)
    screen.open_selected()
    assert "· Demo" in screen.detail.text()


def test_times_are_the_clinics(
    qtbot: QtBot,
    window: MainWindow,
    few: AppointmentStore,
    content: Content,
) -> None:
    """Received times are shown in the clinic's zone (Europe/Istanbul by default) with the
    offset, whatever the computer's own zone."""
    screen = _screen(qtbot, window, few)
    by_id = {r.id: r for r in few.list_requests()}
    istanbul = zoneinfo.ZoneInfo("Europe/Istanbul")
    for request_id, text in zip(
        _listed(screen.model), _column(screen.model, Model.RECEIVED), strict=True
    ):
        assert text == clinic_time_text(by_id[request_id].created_at, istanbul)
        assert text.endswith(" +03:00")
    en = content.languages["en"]
    berlin = Model(few, en.staff, en.form, zoneinfo.ZoneInfo("Europe/Berlin"))
    berlin.set_filter(None, None)
    first = by_id[berlin.request_id(0) or 0].created_at
    expected = first.astimezone(zoneinfo.ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M")
    assert berlin.data(berlin.index(0, Model.RECEIVED)).startswith(expected + " +0")


def test_sign_out_drops_every_opened_request(
    qtbot: QtBot, window: MainWindow, few: AppointmentStore
) -> None:
    """clear_personal leaves no opened request in the model, its cache or the detail."""
    screen = _screen(qtbot, window, few)
    qtbot.waitUntil(lambda: screen.model.cached_rows() > 0)
    screen.select_row(0)
    shown = screen.model.request(0)
    assert shown is not None
    gone = weakref.ref(shown)
    screen.open_selected()
    assert shown.personal["name"] in screen.detail.text()
    del shown
    screen.clear_personal()
    gc.collect()
    assert gone() is None
    assert screen.model.cached_rows() == 0 and screen.model.rowCount() == 0
    assert screen.detail.text() == ""
