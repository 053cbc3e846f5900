"""The staff table of requests: ordered ids from the store, rows opened a page at a time."""

from __future__ import annotations

import datetime as dt
from array import array
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from kiosk.content import AppointmentStrings, StaffStrings
from kiosk.store import AppointmentStore, StoredRequest, StoreError
from kiosk.times import clinic_time_text

Index = QModelIndex | QPersistentModelIndex

# Rows opened together when the view asks for one not yet open: about a screenful (five
# rows on a landscape screen, fifteen in portrait), in one query, so hardly more personal
# data is opened than is shown. At most CACHE_PAGES pages stay open, the least recently
# shown dropped first: scrolling through 100,000 requests keeps 128 opened, never all.
PAGE_ROWS = 16
CACHE_PAGES = 8


class RequestsTableModel(QAbstractTableModel):
    """One row per stored request, in the order the store gives (SQL); only the rows the
    view shows are read and opened, a page at a time.

    The model holds the ids of the listed requests (status and date filter and order
    applied in SQL) and a small cache of opened pages. ``sort()`` orders by received time,
    reference or status in SQL; the other columns cannot be sorted (see ``sort``).
    """

    REFERENCE, RECEIVED, NAME, CONTACT, LANGUAGE, TIME, STATUS = range(7)
    # Column -> the store's order (kiosk.store.LIST_ORDERS).
    SORTABLE = {REFERENCE: "reference", RECEIVED: "received", STATUS: "status"}

    def __init__(
        self,
        store: AppointmentStore,
        staff: StaffStrings,
        form: AppointmentStrings,
        zone: dt.tzinfo,
        *,
        language_names: Mapping[str, str] | None = None,
        page_rows: int = PAGE_ROWS,
        cache_pages: int = CACHE_PAGES,
    ) -> None:
        super().__init__()
        self._store = store
        # Contact languages in their own names (kiosk.languages); an unknown one by its code.
        self._language_names = dict(language_names or {})
        self._s = staff
        self._zone = zone
        self._page_rows = page_rows
        self._cache_pages = cache_pages
        self._ids: array[int] = array("q")
        self._pages: OrderedDict[int, list[StoredRequest | None]] = OrderedDict()
        self._status: str | None = None
        self._since: dt.date | dt.datetime | None = None
        self._sort_column = self.RECEIVED
        self._sort_order = Qt.SortOrder.DescendingOrder
        # Until the first load, sorting only records the order (the view sorts once when
        # set up, before any request is wanted).
        self._loaded = False
        self._headers = [
            staff.col_reference,
            staff.col_received,
            staff.col_name,
            staff.col_contact,
            staff.col_language,
            staff.col_time,
            staff.col_status,
        ]
        self._times = {c.id: c.label for c in form.time_windows}

    # --- what is listed ---------------------------------------------------------------------

    def set_filter(self, status: str | None, since: dt.date | dt.datetime | None) -> None:
        """List requests of ``status`` (None: all) received on or after ``since`` (None:
        any). Raises StoreError (the list is then empty)."""
        self._status, self._since = status, since
        self.reload()

    def reload(self) -> None:
        """Read the listed ids again (after a change); every opened row is dropped, since
        its status may have changed. Raises StoreError (the list is then empty)."""
        self.beginResetModel()
        self._pages.clear()
        self._ids = array("q")
        self._loaded = False
        try:
            self._ids = self._query()
            self._loaded = True
        finally:
            self.endResetModel()

    def clear(self) -> None:
        """Forget every request: the ids and every opened row (staff signed out)."""
        self.beginResetModel()
        self._pages.clear()
        self._ids = array("q")
        self._loaded = False
        self.endResetModel()

    def _query(self) -> array[int]:
        return self._store.request_ids(
            self._status,
            self._since,
            self.SORTABLE[self._sort_column],
            self._sort_order == Qt.SortOrder.DescendingOrder,
        )

    def sort_column(self) -> tuple[int, Qt.SortOrder]:
        """The column the list is ordered by, and the direction."""
        return self._sort_column, self._sort_order

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the list by received time, reference or status, in SQL.

        The personal columns (name, contact, language, preferred time) are sealed in the
        database: ordering by them would mean opening every request, which is what this
        model exists to avoid. Sorting by them is ignored (the screen puts the header's
        arrow back).
        """
        if column not in self.SORTABLE:
            return
        if (column, order) == (self._sort_column, self._sort_order) and self._loaded:
            return
        previous = (self._sort_column, self._sort_order)
        self._sort_column, self._sort_order = column, order
        if not self._loaded:
            return
        try:
            ids = self._query()
        except StoreError:
            self._sort_column, self._sort_order = previous
            return
        if len(ids) != len(self._ids):
            # Requests were added or removed meanwhile: not a reordering, start afresh.
            self.beginResetModel()
            self._pages.clear()
            self._ids = ids
            self.endResetModel()
            return
        # (Emitted without arguments: PySide6 6.11 crashes on an empty parents list.)
        self.layoutAboutToBeChanged.emit()
        # Selection and current row follow their request to its new place.
        old = self.persistentIndexList()
        moved: dict[int, int | None] = {}  # old row -> new row (a search of the ids each)
        new = []
        for index in old:
            row = None
            if index.isValid():
                if index.row() not in moved:
                    moved[index.row()] = self._find(ids, self._ids[index.row()])
                row = moved[index.row()]
            new.append(QModelIndex() if row is None else self.index(row, index.column()))
        self._ids = ids
        self._pages.clear()
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    @staticmethod
    def _find(ids: array[int], request_id: int) -> int | None:
        try:
            return ids.index(request_id)
        except ValueError:
            return None

    # --- rows -------------------------------------------------------------------------------

    def request_id(self, row: int) -> int | None:
        """The id of the request on ``row`` (nothing is opened), or None."""
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, request_id: int) -> int | None:
        """The row showing request ``request_id``, or None when it is not listed."""
        return self._find(self._ids, request_id)

    def request(self, row: int) -> StoredRequest | None:
        """The request on ``row``, opened with its page; None when it could not be read."""
        if not 0 <= row < len(self._ids):
            return None
        number = row // self._page_rows
        page = self._pages.get(number)
        if page is None:
            page = self._read_page(number)
            self._pages[number] = page
            while len(self._pages) > self._cache_pages:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        return page[row - number * self._page_rows]

    def _read_page(self, number: int) -> list[StoredRequest | None]:
        ids = self._ids[number * self._page_rows : (number + 1) * self._page_rows]
        try:
            found = {r.id: r for r in self._store.requests_by_id(ids)}
        except StoreError:
            # One request that cannot be opened must not blank its whole page.
            found = {}
            for request_id in ids:
                try:
                    found.update((r.id, r) for r in self._store.requests_by_id([request_id]))
                except StoreError:
                    pass
        # A request deleted since the ids were read (by another program) shows empty.
        return [found.get(request_id) for request_id in ids]

    def cached_rows(self) -> int:
        """How many opened requests the model holds now (at most a few pages)."""
        return sum(len(page) for page in self._pages.values())

    # --- Qt ---------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._headers)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self._headers):
                return self._headers[section]
        return None

    def status_text(self, status: str) -> str:
        return str(getattr(self._s, f"status_{status}", status))

    def reference_text(self, r: StoredRequest) -> str:
        """The reference, marked when it is demo data (``kiosk demo-data``), so a made-up
        request is never taken for a patient."""
        return self._s.demo_reference.format(reference=r.reference) if r.is_demo else r.reference

    def received_text(self, r: StoredRequest) -> str:
        """When it was received, in the clinic's time zone with its offset."""
        return clinic_time_text(r.created_at, self._zone)

    def received_sample(self) -> str:
        """A received time as the list shows it, for measuring its column."""
        return clinic_time_text(dt.datetime(2026, 12, 28, 23, 58, tzinfo=dt.UTC), self._zone)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        r = self.request(index.row())
        if r is None:
            return None
        col = index.column()
        if col == self.REFERENCE:
            return self.reference_text(r)
        if col == self.RECEIVED:
            return self.received_text(r)
        if col == self.STATUS:
            return self.status_text(r.status)
        p = r.personal
        if col == self.NAME:
            return p.get("name") or ""
        if col == self.CONTACT:
            return p.get("phone") or p.get("email") or ""
        if col == self.LANGUAGE:
            code = p.get("contact_language") or ""
            return self._language_names.get(code, code)
        if col == self.TIME:
            return self._times.get(p.get("time_window") or "", "")
        return None
