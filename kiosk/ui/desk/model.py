"""The desk's request table: a list the server counts, sorts and pages, of which only the pages
the view shows are fetched (on the desk's worker) and opened, a few kept in memory."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from kiosk.content import DeskStrings
from kiosk.fleet.desk import DeskRow
from kiosk.times import clinic_time

Index = QModelIndex | QPersistentModelIndex

# Rows fetched and opened together: a screenful or two of a desk PC's table.
PAGE_ROWS = 100
# Pages kept opened, the least recently shown dropped first: scrolling through a million
# requests keeps 2,400 opened, never all (and the memory stays flat).
CACHE_PAGES = 24


@dataclass(frozen=True)
class Names:
    """The words for what a request stores as ids: topics, contact languages, methods and
    times, in the console's language (kiosk.ui.desk.app reads them from the content). An id
    with no word shows as itself."""

    topics: Mapping[str, str] = field(default_factory=dict)
    languages: Mapping[str, str] = field(default_factory=dict)
    methods: Mapping[str, str] = field(default_factory=dict)
    times: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def _of(words: Mapping[str, str], code: str | None) -> str:
        return words.get(code or "", code or "")

    def topic(self, code: str | None) -> str:
        return self._of(self.topics, code)

    def language(self, code: str | None) -> str:
        return self._of(self.languages, code)

    def method(self, code: str | None) -> str:
        return self._of(self.methods, code)

    def time(self, code: str | None) -> str:
        return self._of(self.times, code)


_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class DeskRequestsModel(QAbstractTableModel):
    """One row per request of the server's list (its count), opened a page at a time.

    Rows not fetched yet show an ellipsis, and ask for their page with ``page_wanted``; the
    window fetches it on its worker and hands it to :meth:`put_page`. Every cell's text is
    made when the page arrives, so painting a row costs a lookup.

    Signals:
        page_wanted(int): the view shows a row of this page, not fetched yet.
    """

    page_wanted = Signal(int)

    # What staff read first comes first: a 1366-pixel screen shows it without scrolling.
    (
        REFERENCE,
        RECEIVED,
        STATUS,
        NAME,
        PHONE,
        CONTACT_LANGUAGE,
        TOPIC,
        SITE,
        KIOSK,
        CHANGED_BY,
    ) = range(10)
    # The list is in the kiosks' time, newest or oldest first: the one order every filter's
    # index serves at any size. Names and phones are sealed; site, kiosk and status filter.
    SORTABLE = {RECEIVED: "created"}

    def __init__(
        self,
        strings: DeskStrings,
        zone: dt.tzinfo,
        *,
        names: Names | None = None,
        page_rows: int = PAGE_ROWS,
        cache_pages: int = CACHE_PAGES,
    ) -> None:
        super().__init__()
        self._s = strings
        self._zone = zone
        self.names = names or Names()
        self.page_rows = page_rows
        self._cache_pages = cache_pages
        self._total = 0
        self._pages: OrderedDict[int, list[DeskRow]] = OrderedDict()
        self._cells: dict[int, list[list[str]]] = {}
        self._asked: set[int] = set()
        # A held list (start_held): all its rows here, none fetched or dropped.
        self._held = False
        # Raised by every new list: a page fetched for the list before is not put in this one.
        self.generation = 0
        self.sort_key = "created"
        self.descending = True
        self._headers = [
            strings.col_reference,
            strings.col_received,
            strings.col_status,
            strings.col_name,
            strings.col_phone,
            strings.col_contact_language,
            strings.col_topic,
            strings.col_site,
            strings.col_kiosk,
            strings.col_changed_by,
        ]
        self._status_names = {
            "new": strings.status_new,
            "exported": strings.status_exported,
            "contacted": strings.status_contacted,
        }
        self._unreadable = QBrush(QColor("#A12622"))

    # --- the list ------------------------------------------------------------------------

    def start(self, total: int) -> int:
        """A new list of ``total`` rows (after a change of filter or sort, or a refresh):
        every opened row is dropped. Returns the new generation."""
        self.beginResetModel()
        self.generation += 1
        self._total = total
        self._pages.clear()
        self._cells.clear()
        self._asked.clear()
        self._held = False
        self.endResetModel()
        return self.generation

    def start_held(self) -> int:
        """A new list the window fills itself (what a search or a topic found), every row
        kept: none is fetched from the server's list, none dropped. Its generation."""
        generation = self.start(0)
        self._held = True
        return generation

    def append(self, generation: int, rows: list[DeskRow]) -> None:
        """Rows at the end of a held list (``generation``'s; ignored if that list is gone)."""
        if generation != self.generation or not self._held or not rows:
            return
        self.beginInsertRows(QModelIndex(), self._total, self._total + len(rows) - 1)
        for r in rows:
            number, _i = divmod(self._total, self.page_rows)
            self._pages.setdefault(number, []).append(r)
            self._cells.setdefault(number, []).append(self._texts(r))
            self._total += 1
        self.endInsertRows()

    def wipe(self) -> None:
        """Forget every row (signed out): nothing opened stays in memory."""
        self.start(0)

    def put_page(self, generation: int, number: int, rows: list[DeskRow]) -> None:
        """A page fetched for list ``generation``; ignored if that list is gone."""
        self._asked.discard(number)
        if generation != self.generation:
            return
        first = number * self.page_rows
        if first >= self._total:
            return
        # The list is as of a moment; a row deleted since leaves the page short: the rows
        # after it show as fetched on their own pages.
        self._pages[number] = rows
        self._cells[number] = [self._texts(r) for r in rows]
        self._pages.move_to_end(number)
        while len(self._pages) > self._cache_pages and not self._held:
            old, _rows = self._pages.popitem(last=False)
            self._cells.pop(old, None)
        last = min(first + self.page_rows, self._total) - 1
        self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))

    def page_failed(self, generation: int, number: int) -> None:
        """A page could not be fetched: asked again when the view next needs it."""
        if generation == self.generation:
            self._asked.discard(number)

    def replace(self, updated: DeskRow) -> int | None:
        """Put ``updated`` where its request is shown (after a mark): its row, or None."""
        for number, rows in self._pages.items():
            for i, r in enumerate(rows):
                if r.request_id == updated.request_id:
                    rows[i] = updated
                    self._cells[number][i] = self._texts(updated)
                    row = number * self.page_rows + i
                    self.dataChanged.emit(
                        self.index(row, 0), self.index(row, self.columnCount() - 1)
                    )
                    return row
        return None

    def row(self, row: int) -> DeskRow | None:
        """The request at ``row``, if its page is here."""
        number, i = divmod(row, self.page_rows)
        rows = self._pages.get(number)
        return rows[i] if rows is not None and i < len(rows) else None

    def cached_rows(self) -> int:
        return sum(len(rows) for rows in self._pages.values())

    def pages_asked(self) -> set[int]:
        return set(self._asked)

    @property
    def total(self) -> int:
        return self._total

    # --- Qt's model ------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._headers)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Asked for about ten roles of each cell at every paint: the ones shown first, the
        # rest answered before any lookup (scrolling costs what painting costs).
        # (No tooltips: they would show names again, and read them as rich text.)
        if role == _DISPLAY:
            if not 0 <= index.row() < self._total:
                return None  # (an invalid index: no page -1 is ever asked for)
            number, i = divmod(index.row(), self.page_rows)
            cells = self._cells.get(number)
            if cells is None:
                if not self._held:
                    self._want(number)
                    return "…"
                return None
            return cells[i][index.column()] if i < len(cells) else ""
        if role == _FOREGROUND and index.column() == self.NAME:
            number, i = divmod(index.row(), self.page_rows)
            rows = self._pages.get(number)
            if rows is not None and i < len(rows) and rows[i].personal is None:
                return self._unreadable
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is the server's: remember the key; the window starts the new list."""
        key = self.SORTABLE.get(column)
        if key is None:
            return
        self.sort_key = key
        self.descending = order == Qt.SortOrder.DescendingOrder

    # --- texts -----------------------------------------------------------------------------

    def received_text(self, r: DeskRow) -> str:
        return f"{clinic_time(r.created_at, self._zone):%Y-%m-%d %H:%M}"

    def status_text(self, status: str) -> str:
        return self._status_names.get(status, status)

    def _texts(self, r: DeskRow) -> list[str]:
        p = r.personal
        return [
            r.reference,
            self.received_text(r),
            self.status_text(r.status),
            (p.name or "") if p is not None else self._s.unreadable,
            (p.phone or "") if p is not None else "",
            self.names.language(p.contact_language) if p is not None else "",
            self.names.topic(p.topic) if p is not None else "",
            r.site,
            r.kiosk_id,
            r.changed_by or "",
        ]

    def _want(self, number: int) -> None:
        if number not in self._asked:
            self._asked.add(number)
            self.page_wanted.emit(number)


def page_range(first_row: int, last_row: int, page_rows: int) -> range:
    """The pages rows ``first_row`` to ``last_row`` are on."""
    return range(first_row // page_rows, last_row // page_rows + 1)
