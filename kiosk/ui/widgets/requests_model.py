"""The staff table of requests: a QAbstractTableModel behind a status/date filter proxy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from kiosk.appointment import LANGUAGE_NAMES
from kiosk.content import AppointmentStrings, StaffStrings
from kiosk.storage import StoredRequest

Index = QModelIndex | QPersistentModelIndex


class RequestsTableModel(QAbstractTableModel):
    """One row per stored request; the received column sorts by the real time."""

    REFERENCE, RECEIVED, NAME, CONTACT, LANGUAGE, TIME, STATUS = range(7)

    def __init__(self, staff: StaffStrings, form: AppointmentStrings) -> None:
        super().__init__()
        self._rows: list[StoredRequest] = []
        self._s = staff
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

    def set_rows(self, rows: list[StoredRequest]) -> None:
        """Replace every row (a full reset: the list is small)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def request(self, row: int) -> StoredRequest:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

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

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            p = r.personal
            return {
                self.REFERENCE: r.reference,
                self.RECEIVED: r.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                self.NAME: p.get("name") or "",
                self.CONTACT: p.get("phone") or p.get("email") or "",
                self.LANGUAGE: LANGUAGE_NAMES.get(p.get("contact_language") or "", ""),
                self.TIME: self._times.get(p.get("time_window") or "", ""),
                self.STATUS: self.status_text(r.status),
            }.get(col)
        if role == Qt.ItemDataRole.UserRole:
            # Sort keys: real times and statuses, not their displayed text.
            return r.created_at.timestamp() if col == self.RECEIVED else self.data(index)
        return None


class RequestsFilter(QSortFilterProxyModel):
    """Shows requests of one status (or all) received within the last N days (or any)."""

    def __init__(self) -> None:
        super().__init__()
        self._status: str = "all"
        self._days: int | None = None
        self._now = lambda: dt.datetime.now(dt.UTC)
        self.setSortRole(Qt.ItemDataRole.UserRole)

    def set_filter(self, status: str, days: int | None) -> None:
        # Qt 6.10+ way to say "the filter changed" (invalidateFilter is deprecated).
        self.beginFilterChange()
        self._status, self._days = status, days
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:  # noqa: N802 - Qt API
        model = self.sourceModel()
        assert isinstance(model, RequestsTableModel)
        request = model.request(row)
        if self._status != "all" and request.status != self._status:
            return False
        if self._days is not None:
            return request.created_at >= self._now() - dt.timedelta(days=self._days)
        return True
