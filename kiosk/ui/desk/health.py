"""The desk's kiosk table: every kiosk's last heartbeat, versions and waiting requests, with a
plain-language status; a kiosk that is silent, late, off the clock or backlogged stands out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from kiosk.content import DeskStrings
from kiosk.fleet.server import KioskHealth
from kiosk.times import clinic_time
from kiosk.ui.theme import LIGHT
from kiosk.updates import NEEDS_IT

Index = QModelIndex | QPersistentModelIndex


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class HealthModel(QAbstractTableModel):
    """One row per active kiosk, worst first (as the server orders them)."""

    KIOSK, SITE, STATUS, LAST_SEEN, APP, CONTENT, WAITING, OLDEST = range(8)

    def __init__(
        self, strings: DeskStrings, zone: dt.tzinfo, clock: Callable[[], dt.datetime] = _utcnow
    ) -> None:
        super().__init__()
        self._s = strings
        self._zone = zone
        self._clock = clock
        self._rows: list[KioskHealth] = []
        self._headers = [
            strings.col_kiosk,
            strings.col_site,
            strings.health_status,
            strings.health_last_seen,
            strings.health_app,
            strings.health_content,
            strings.health_waiting,
            strings.health_oldest,
        ]
        self._status_text = {
            "ok": strings.health_ok,
            "late": strings.health_late,
            "silent": strings.health_silent,
            "clock": strings.health_clock,
            "backlog": strings.health_backlog,
            "never": strings.health_never,
            "update": strings.health_update,
        }
        self._attention = QBrush(QColor(LIGHT.notice_bg))
        self._attention_text = QBrush(QColor(LIGHT.notice_text))
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows: list[KioskHealth]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def summary(self) -> str:
        """One sentence: how many kiosks, and how many need a look."""
        attention = sum(1 for r in self._rows if r.status != "ok")
        if not self._rows:
            return self._s.health_none
        if not attention:
            return self._s.health_all_ok.format(count=len(self._rows))
        return self._s.health_attention.format(count=len(self._rows), attention=attention)

    def status_text(self, row: KioskHealth) -> str:
        text = self._status_text.get(row.status, row.status)
        if row.status == "update":
            if row.update_outcome in NEEDS_IT:
                text += f" ({row.update_outcome})"
            elif row.update_expires is not None:
                text += f" ({row.update_expires:%Y-%m-%d})"  # when its signatures run out
        elif row.last_error_code and row.status != "ok":
            text += f" ({row.last_error_code})"
        return text

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._headers)

    def headerData(  # noqa: N802 - Qt API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        attention = r.status != "ok"
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._attention if attention else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._attention_text if attention else None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if attention and index.column() == self.STATUS else None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        column = index.column()
        if column == self.KIOSK:
            return r.kiosk_id
        if column == self.SITE:
            return r.site
        if column == self.STATUS:
            return self.status_text(r)
        if column == self.LAST_SEEN:
            if r.last_seen is None:
                return self._s.health_never_seen
            minutes = max(0, int((self._clock() - r.last_seen).total_seconds() // 60))
            local = clinic_time(r.last_seen, self._zone)
            return self._s.health_seen.format(minutes=minutes, time=f"{local:%Y-%m-%d %H:%M}")
        if column == self.APP:
            return r.app_version or ""
        if column == self.CONTENT:
            return r.content_version or ""
        if column == self.WAITING:
            return "" if r.outbox_pending is None else str(r.outbox_pending)
        if column == self.OLDEST:
            if not r.oldest_pending_s:
                return ""
            if r.oldest_pending_s < 3600:
                return self._s.health_minutes.format(minutes=r.oldest_pending_s // 60)
            return self._s.health_hours.format(hours=r.oldest_pending_s // 3600)
        return None

    def row(self, row: int) -> KioskHealth:
        return self._rows[row]
