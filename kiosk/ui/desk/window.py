"""The desk console's window: signing in (and choosing one's own passphrase), the requests of
every kiosk with their filters and the selected request's details, the kiosks' health.

Every step on the server runs on the desk's worker thread (kiosk.ui.jobs.JobRunner), one at
a time; the window only shows what comes back. Nothing opened is written to disk: the only
file the window keeps is its geometry and column widths.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import crypto, passcodes
from kiosk.content import DeskStrings
from kiosk.fleet.desk import DeskError, DeskRow, DeskSession, DeskTarget, Filters, Marked
from kiosk.times import clinic_time_text, day_start
from kiosk.ui.desk.health import HealthModel
from kiosk.ui.desk.model import DeskRequestsModel, Names, page_range
from kiosk.ui.desk.style import stylesheet
from kiosk.ui.jobs import JobRunner

log = logging.getLogger(__name__)

# How often the desk asks whether requests arrived, and (while the server is lost) whether
# it is back; how often it runs the central retention.
NEWS_SECONDS = 30
RETRY_SECONDS = 10
RETENTION_SECONDS = 3600
HEALTH_SECONDS = 60
# The topic filter reads the list this many rows at a time, and keeps at most this many.
TOPIC_PAGE = 500
TOPIC_MATCHES = 5000
# How long "Undo" stays offered after a mark.
UNDO_SECONDS = 60
# The date edits' lowest date stands for "any date".
_ANY_DATE = QDate(2000, 1, 1)


@dataclass(frozen=True)
class Outcome:
    """What a step on the worker gave: its value, or the DeskError that stopped it."""

    value: Any = None
    error: DeskError | None = None


def _attempt(work: Callable[[], Any]) -> Callable[[], Outcome]:
    def run() -> Outcome:
        try:
            return Outcome(work())
        except DeskError as exc:
            return Outcome(error=exc)

    return run


SignIn = Callable[[DeskTarget, str, str], DeskSession]


# What counts as using the desk: reading with the wheel or moving the mouse too.
_USE = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.Wheel,
        QEvent.Type.MouseMove,
    }
)


class _Activity(QObject):
    """Any key or mouse press in the application: the desk is in use."""

    def __init__(self, poke: Callable[[], None]) -> None:
        super().__init__()
        self._poke = poke

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in _USE:
            self._poke()
        return False


def _centre(page: QWidget, card: QWidget) -> None:
    """``card`` in the middle of ``page``. Stretches, not an alignment: an aligned widget is
    given its size hint, and a card's wrapped text would be cut off."""
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(card)
    row.addStretch(1)
    outer = QVBoxLayout(page)
    outer.addStretch(1)
    outer.addLayout(row)
    outer.addStretch(2)


class DeskWindow(QMainWindow):
    """The console. Signals: signed_in(), signed_out(str reason), list_ready(int total),
    exported(DeskExported)."""

    signed_in = Signal()
    signed_out = Signal(str)
    list_ready = Signal(int)
    exported = Signal(object)

    def __init__(
        self,
        target: DeskTarget,
        strings: DeskStrings,
        zone_name: str,
        *,
        sign_in: SignIn | None = None,
        names: Names | None = None,
        idle_minutes: int = 10,
        state_file: Path | None = None,
        cost: crypto.KdfCost = crypto.DESK_COST,
    ) -> None:
        super().__init__()
        self.setObjectName("desk-window")
        self.target = target
        self.s = strings
        self.zone_name = zone_name
        self.zone: dt.tzinfo = zoneinfo.ZoneInfo(zone_name)
        zone = self.zone
        self.exporting = False
        self.last_export_folder: Path | None = None
        self._delete_box: QMessageBox | None = None
        self._copied = False
        QApplication.clipboard().dataChanged.connect(self._clipboard_changed)
        self._cost = cost
        self._sign_in = sign_in or (
            lambda t, account, phrase: DeskSession.sign_in(t, account, phrase, cost=cost)
        )
        self.session: DeskSession | None = None
        self.runner = JobRunner(self)
        self._state_file = state_file
        self._asof: dt.datetime | None = None
        self._filters = Filters()
        self._selected: DeskRow | None = None
        self._undo: tuple[DeskRow, Marked] | None = None
        self._lost = False
        self.setWindowTitle(strings.window_title)
        self.setStyleSheet(stylesheet())
        self.setMinimumSize(1024, 600)

        self.model = DeskRequestsModel(strings, zone, names=names)
        self.model.page_wanted.connect(self._fetch_page)
        self.health_model = HealthModel(strings, zone)

        self.pages = QStackedWidget(self)
        self.pages.setObjectName("desk-pages")
        self.setCentralWidget(self.pages)
        self.sign_in_page = self._build_sign_in()
        self.change_page = self._build_change()
        self.work_page = self._build_work()
        for page in (self.sign_in_page, self.change_page, self.work_page):
            self.pages.addWidget(page)

        # Permanent widgets: a status message (shown after each step) would hide the others.
        self.undo_button = QPushButton(strings.undo, self)
        self.undo_button.setObjectName("desk-undo")
        self.undo_button.setToolTip("Ctrl+Z")
        self.undo_button.clicked.connect(self.undo)
        self.undo_button.hide()
        self.statusBar().addPermanentWidget(self.undo_button)
        self.connection = QLabel("", self)
        self.connection.setObjectName("desk-connection")
        self.statusBar().addPermanentWidget(self.connection)

        self._timers()
        self._shortcuts()
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(idle_minutes * 60_000)
        self._idle.timeout.connect(
            lambda: self.sign_out(self.s.signed_out_idle.format(minutes=idle_minutes))
        )
        self._activity = _Activity(self._poke)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._activity)
        self._restore_state()
        self.show_sign_in("")

    # --- building --------------------------------------------------------------------------

    def _build_sign_in(self) -> QWidget:
        s = self.s
        page = QWidget()
        page.setObjectName("desk-page")
        card = QFrame(page)
        card.setObjectName("desk-card")
        card.setFixedWidth(460)
        title = QLabel(s.sign_in_title)
        title.setObjectName("desk-title")
        self.account_field = QLineEdit()
        self.account_field.setObjectName("desk-account")
        self.account_field.setMaxLength(40)
        self.passphrase_field = QLineEdit()
        self.passphrase_field.setObjectName("desk-passphrase")
        self.passphrase_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_field.setMaxLength(passcodes.MAX_DIGITS + 8)
        self.sign_in_button = QPushButton(s.sign_in)
        self.sign_in_button.setObjectName("desk-sign-in")
        self.sign_in_button.setDefault(True)
        self.sign_in_message = QLabel("")
        self.sign_in_message.setObjectName("desk-sign-in-message")
        self.sign_in_message.setWordWrap(True)
        self.sign_in_message.hide()
        form = QFormLayout()
        form.addRow(s.account_label, self.account_field)
        form.addRow(s.passphrase_label, self.passphrase_field)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(24, 24, 24, 24)
        inner.setSpacing(12)
        inner.addWidget(title)
        inner.addLayout(form)
        inner.addWidget(self.sign_in_message)
        inner.addWidget(self.sign_in_button)
        _centre(page, card)
        self.sign_in_button.clicked.connect(self.attempt_sign_in)
        self.account_field.returnPressed.connect(self.passphrase_field.setFocus)
        self.passphrase_field.returnPressed.connect(self.attempt_sign_in)
        return page

    def _build_change(self) -> QWidget:
        s = self.s
        page = QWidget()
        page.setObjectName("desk-page")
        card = QFrame(page)
        card.setObjectName("desk-card")
        card.setFixedWidth(520)
        title = QLabel(s.change_title)
        title.setObjectName("desk-title")
        hint = QLabel(s.change_hint.format(low=passcodes.MIN_DIGITS, high=passcodes.MAX_DIGITS))
        hint.setObjectName("desk-hint")
        hint.setWordWrap(True)
        self.new_field = QLineEdit()
        self.new_field.setObjectName("desk-new-passphrase")
        self.repeat_field = QLineEdit()
        self.repeat_field.setObjectName("desk-repeat-passphrase")
        for field in (self.new_field, self.repeat_field):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setMaxLength(passcodes.MAX_DIGITS + 8)
        self.change_message = QLabel("")
        self.change_message.setObjectName("desk-change-message")
        self.change_message.setWordWrap(True)
        self.change_message.hide()
        self.save_passphrase = QPushButton(s.change_save)
        self.save_passphrase.setObjectName("desk-save-passphrase")
        self.cancel_passphrase = QPushButton(s.sign_out)
        self.cancel_passphrase.setObjectName("desk-cancel-passphrase")
        self.cancel_passphrase.clicked.connect(lambda: self.sign_out(""))
        form = QFormLayout()
        form.addRow(s.new_passphrase_label, self.new_field)
        form.addRow(s.repeat_passphrase_label, self.repeat_field)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(24, 24, 24, 24)
        inner.setSpacing(12)
        inner.addWidget(title)
        inner.addWidget(hint)
        inner.addLayout(form)
        inner.addWidget(self.change_message)
        row = QHBoxLayout()
        row.addWidget(self.cancel_passphrase)
        row.addWidget(self.save_passphrase, 1)
        inner.addLayout(row)
        _centre(page, card)
        self.save_passphrase.clicked.connect(self.change_passphrase)
        self.new_field.returnPressed.connect(self.repeat_field.setFocus)
        self.repeat_field.returnPressed.connect(self.change_passphrase)
        return page

    def _build_work(self) -> QWidget:
        s = self.s
        page = QWidget()
        page.setObjectName("desk-page")
        header = QHBoxLayout()
        title = QLabel(s.window_title)
        title.setObjectName("desk-title")
        self.account_name = QLabel("")
        self.account_name.setObjectName("desk-account-name")
        self.sign_out_button = QPushButton(s.sign_out)
        self.sign_out_button.setObjectName("desk-sign-out")
        self.sign_out_button.clicked.connect(lambda: self.sign_out(""))
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.account_name)
        header.addWidget(self.sign_out_button)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("desk-tabs")
        self.tabs.addTab(self._build_requests(), s.tab_requests)
        self.tabs.addTab(self._build_health(), s.tab_kiosks)
        self.tabs.currentChanged.connect(self._tab_changed)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 8, 12, 4)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        return page

    def _build_requests(self) -> QWidget:
        s = self.s
        tab = QWidget()
        self.find_field = QLineEdit()
        self.find_field.setObjectName("desk-find")
        self.find_field.setPlaceholderText(s.find_placeholder)
        self.find_field.setClearButtonEnabled(True)
        self.find_field.setMinimumWidth(230)
        self.find_field.returnPressed.connect(self.find_reference)
        self.site_box = QComboBox()
        self.site_box.setObjectName("desk-site")
        self.kiosk_box = QComboBox()
        self.kiosk_box.setObjectName("desk-kiosk")
        self.status_box = QComboBox()
        self.status_box.setObjectName("desk-status")
        for text, value in (
            (s.status_all, None),
            (s.status_new, "new"),
            (s.status_exported, "exported"),
            (s.status_contacted, "contacted"),
        ):
            self.status_box.addItem(text, value)
        self.from_date = self._date_edit("desk-from")
        self.to_date = self._date_edit("desk-to")
        self.topic_box = QComboBox()
        self.topic_box.setObjectName("desk-topic")
        self.topic_box.addItem(s.all_topics, None)
        for topic_id, label in self.model.names.topics.items():
            self.topic_box.addItem(label, topic_id)
        self.clear_button = QPushButton(s.clear_filters)
        self.clear_button.setObjectName("desk-clear-filters")
        self.clear_button.clicked.connect(self.clear_filters)
        self.refresh_button = QPushButton(s.refresh)
        self.refresh_button.setObjectName("desk-refresh")
        self.refresh_button.clicked.connect(self.reload)

        # Two rows: the search and its buttons, then the filters (one row would not fit
        # 1366 pixels in Turkish).
        search = QHBoxLayout()
        search.addWidget(self.find_field, 1)
        topic_caption = QLabel(s.topic_label)
        topic_caption.setBuddy(self.topic_box)
        search.addWidget(topic_caption)
        search.addWidget(self.topic_box)
        search.addStretch(1)
        search.addWidget(self.clear_button)
        search.addWidget(self.refresh_button)
        filters = QHBoxLayout()
        for label, widget in (
            (s.site_label, self.site_box),
            (s.kiosk_label, self.kiosk_box),
            (s.status_label, self.status_box),
            (s.from_label, self.from_date),
            (s.to_label, self.to_date),
        ):
            caption = QLabel(label)
            caption.setBuddy(widget)
            filters.addWidget(caption)
            filters.addWidget(widget)
        filters.addStretch(1)
        for box in (self.site_box, self.kiosk_box, self.status_box, self.topic_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.currentIndexChanged.connect(self._filters_changed)
        for edit in (self.from_date, self.to_date):
            edit.dateChanged.connect(self._filters_changed)

        self.count_label = QLabel("")
        self.count_label.setObjectName("desk-count")
        self.news_button = QPushButton("")
        self.news_button.setObjectName("desk-news")
        self.news_button.clicked.connect(self.reload)
        self.news_button.hide()
        self.export_format = QComboBox()
        self.export_format.setObjectName("desk-export-format")
        self.export_format.addItem("Excel (XLSX)", "xlsx")
        self.export_format.addItem("CSV", "csv")
        self.export_button = QPushButton(s.export)
        self.export_button.setObjectName("desk-export")
        self.export_button.clicked.connect(self.choose_export_folder)
        above = QHBoxLayout()
        above.addWidget(self.count_label)
        above.addWidget(self.news_button)
        above.addStretch(1)
        above.addWidget(self.export_format)
        above.addWidget(self.export_button)
        self.export_message = QLabel("")
        self.export_message.setObjectName("desk-export-message")
        self.export_message.setWordWrap(True)
        self.export_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_message.hide()

        self.table = QTableView()
        self.table.setObjectName("desk-table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(DeskRequestsModel.RECEIVED, Qt.SortOrder.DescendingOrder)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(28)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSectionsMovable(False)
        for column, width in enumerate((90, 130, 95, 170, 145, 90, 150, 90, 90, 90)):
            # At least its title's width, in any language.
            header.resizeSection(column, max(width, header.sectionSizeFromContents(column).width()))
        header.sortIndicatorChanged.connect(self._sort_changed)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.verticalScrollBar().valueChanged.connect(lambda _v: self._visible_pages())

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("desk-splitter")
        splitter.addWidget(self.table)
        splitter.addWidget(self._build_detail())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter

        layout = QVBoxLayout(tab)
        layout.addLayout(search)
        layout.addLayout(filters)
        layout.addLayout(above)
        layout.addWidget(self.export_message)
        layout.addWidget(splitter, 1)
        return tab

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(_ANY_DATE)
        edit.setSpecialValueText(self.s.any_date)
        edit.setDate(_ANY_DATE)
        # Wide enough for "Any date" in the console's language, not only for a date.
        wide = edit.fontMetrics().horizontalAdvance(self.s.any_date + "  ") + 48
        edit.setMinimumWidth(max(edit.sizeHint().width(), wide))
        return edit

    def _build_detail(self) -> QWidget:
        s = self.s
        panel = QFrame()
        panel.setObjectName("desk-detail")
        panel.setMinimumWidth(300)
        self.detail_title = QLabel(s.select_request)
        self.detail_title.setObjectName("desk-detail-title")
        self.detail_title.setWordWrap(True)
        self.detail_fields = QLabel("")
        self.detail_fields.setObjectName("desk-detail-fields")
        self.detail_fields.setWordWrap(True)
        self.detail_fields.setTextFormat(Qt.TextFormat.PlainText)
        self.detail_fields.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_fields.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # In a scroll area: a long e-mail or a large text size never cuts a line off.
        fields = QScrollArea()
        fields.setObjectName("desk-detail-scroll")
        fields.setWidget(self.detail_fields)
        fields.setWidgetResizable(True)
        fields.setFrameShape(QFrame.Shape.NoFrame)
        self.note_field = QPlainTextEdit()
        self.note_field.setObjectName("desk-note")
        self.note_field.setPlaceholderText(s.note_placeholder)
        self.note_field.setTabChangesFocus(True)
        self.note_field.setMaximumHeight(80)
        self.detail_message = QLabel("")
        self.detail_message.setObjectName("desk-detail-message")
        self.detail_message.setWordWrap(True)
        self.detail_message.hide()
        self.mark_button = QPushButton(s.mark_contacted)
        self.mark_button.setObjectName("desk-mark-contacted")
        self.mark_button.setToolTip("Ctrl+M")
        self.mark_button.clicked.connect(lambda: self.mark("contacted"))
        self.unmark_button = QPushButton(s.mark_new)
        self.unmark_button.setObjectName("desk-mark-new")
        self.unmark_button.clicked.connect(lambda: self.mark("new"))
        self.save_note_button = QPushButton(s.save_note)
        self.save_note_button.setObjectName("desk-save-note")
        self.save_note_button.clicked.connect(self.save_note)
        self.delete_button = QPushButton(s.delete)
        self.delete_button.setObjectName("desk-delete")
        self.delete_button.clicked.connect(self.confirm_delete)
        # One above the other: each whole, in any language, however narrow the panel.
        buttons = QVBoxLayout()
        buttons.addWidget(self.mark_button)
        buttons.addWidget(self.unmark_button)
        lower = QHBoxLayout()
        lower.addWidget(self.save_note_button)
        lower.addStretch(1)
        lower.addWidget(self.delete_button)
        layout = QVBoxLayout(panel)
        layout.addWidget(self.detail_title)
        layout.addWidget(fields, 1)
        layout.addWidget(QLabel(s.note_label))
        layout.addWidget(self.note_field)
        layout.addWidget(self.detail_message)
        layout.addLayout(buttons)
        layout.addLayout(lower)
        self._show_detail(None)
        return panel

    def _build_health(self) -> QWidget:
        tab = QWidget()
        self.health_table = QTableView()
        self.health_table.setObjectName("desk-health")
        self.health_table.setModel(self.health_model)
        self.health_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.health_table.verticalHeader().hide()
        self.health_table.setWordWrap(False)
        header = self.health_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((120, 110, 260, 150, 150, 150, 80, 100)):
            header.resizeSection(column, width)
        self.health_summary = QLabel("")
        self.health_summary.setObjectName("desk-health-summary")
        self.health_summary.setWordWrap(True)
        refresh = QPushButton(self.s.refresh)
        refresh.setObjectName("desk-health-refresh")
        refresh.clicked.connect(self.load_health)
        top = QHBoxLayout()
        top.addWidget(self.health_summary, 1)
        top.addWidget(refresh)
        layout = QVBoxLayout(tab)
        layout.addLayout(top)
        layout.addWidget(self.health_table, 1)
        return tab

    def _timers(self) -> None:
        self.news_timer = QTimer(self)
        self.news_timer.setInterval(NEWS_SECONDS * 1000)
        self.news_timer.timeout.connect(self._check_news)
        self.retry_timer = QTimer(self)
        self.retry_timer.setInterval(RETRY_SECONDS * 1000)
        self.retry_timer.timeout.connect(self._retry)
        self.retention_timer = QTimer(self)
        self.retention_timer.setInterval(RETENTION_SECONDS * 1000)
        self.retention_timer.timeout.connect(self.run_retention)
        self.health_timer = QTimer(self)
        self.health_timer.setInterval(HEALTH_SECONDS * 1000)
        self.health_timer.timeout.connect(self.load_health)
        self.undo_timer = QTimer(self)
        self.undo_timer.setSingleShot(True)
        self.undo_timer.setInterval(UNDO_SECONDS * 1000)
        self.undo_timer.timeout.connect(self._forget_undo)

    def _shortcuts(self) -> None:
        for keys, action in (
            (QKeySequence.StandardKey.Find, self._focus_find),
            (QKeySequence.StandardKey.Refresh, self.reload),
            (QKeySequence("Ctrl+M"), lambda: self.mark("contacted")),
            (QKeySequence.StandardKey.Undo, self.undo),
            (QKeySequence("Ctrl+E"), self.choose_export_folder),
            (QKeySequence("Ctrl+L"), lambda: self.sign_out("")),
        ):
            shortcut = QShortcut(keys, self.work_page)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)

    # --- signing in and out ----------------------------------------------------------------

    def show_sign_in(self, message: str) -> None:
        self.pages.setCurrentWidget(self.sign_in_page)
        self.sign_in_message.setText(message)
        self.sign_in_message.setVisible(bool(message))
        self.sign_in_button.setEnabled(True)
        self.account_field.setEnabled(True)
        self.passphrase_field.setEnabled(True)
        (self.passphrase_field if self.account_field.text() else self.account_field).setFocus()

    def attempt_sign_in(self) -> None:
        if not self.sign_in_button.isEnabled():
            return  # one sign-in at a time (Enter pressed twice)
        account = self.account_field.text()
        phrase = self.passphrase_field.text()
        self.passphrase_field.clear()
        if not account.strip() or not phrase:
            self.show_sign_in(self.s.sign_in_missing)
            return
        self.sign_in_button.setEnabled(False)
        self.account_field.setEnabled(False)
        self.passphrase_field.setEnabled(False)
        self.sign_in_message.setText(self.s.signing_in)
        self.sign_in_message.show()
        target = self.target
        sign_in = self._sign_in
        self._submit("desk-sign-in", lambda: sign_in(target, account, phrase), self._signed_in)

    def _signed_in(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.show_sign_in(self._error_text(outcome.error))
            return
        session: DeskSession = outcome.value
        self.session = session
        account = session.account
        self.account_name.setText(account.display_name or account.account)
        self._poke()
        if account.must_change:
            self.new_field.clear()
            self.repeat_field.clear()
            self.change_message.hide()
            self.pages.setCurrentWidget(self.change_page)
            self.new_field.setFocus()
            return
        self._enter()

    def _enter(self) -> None:
        self.pages.setCurrentWidget(self.work_page)
        self.tabs.setCurrentIndex(0)
        self.table.setFocus()
        self._set_connected()
        self._load_kiosks()
        self.reload()
        self.news_timer.start()
        self.retention_timer.start()
        self.run_retention()
        self.signed_in.emit()

    def change_passphrase(self) -> None:
        new, again = self.new_field.text(), self.repeat_field.text()
        reason = passcodes.problem_key(new)
        if reason is not None:
            self._change_problem(getattr(self.s, f"weak_{reason}"))
            return
        if new != again:
            self._change_problem(self.s.change_differ)
            return
        session = self.session
        if session is None:
            return
        self.save_passphrase.setEnabled(False)
        self.new_field.clear()
        self.repeat_field.clear()
        cost = self._cost
        self._submit(
            "desk-passphrase",
            lambda: session.set_passphrase(new, cost=cost),
            self._passphrase_changed,
        )

    def _change_problem(self, text: str) -> None:
        self.change_message.setText(text)
        self.change_message.show()
        self.new_field.clear()
        self.repeat_field.clear()
        self.new_field.setFocus()

    def _passphrase_changed(self, outcome: Outcome) -> None:
        self.save_passphrase.setEnabled(True)
        if outcome.error is not None:
            if self._ends_session(outcome.error):
                return
            self._change_problem(self._error_text(outcome.error))
            return
        self.statusBar().showMessage(self.s.change_done, 10_000)
        self._enter()

    def sign_out(self, reason: str) -> None:
        """End the session: the key wiped, every opened row and field emptied."""
        if self.session is None and self.pages.currentWidget() is self.sign_in_page:
            return
        session, self.session = self.session, None
        for timer in (
            self.news_timer,
            self.retry_timer,
            self.retention_timer,
            self.health_timer,
            self.undo_timer,
            self._idle,
        ):
            timer.stop()
        self.runner.clear()
        if session is not None:
            # Wiped on the worker after any step still running there (it holds the lock).
            self.runner.submit("desk-sign-out", session.close)
        self.model.wipe()
        self.health_model.set_rows([])
        self._selected = None
        self._undo = None
        self.undo_button.hide()
        self._show_detail(None)
        if self._delete_box is not None:
            self._delete_box.close()  # a question left open over the sign-in page
        # setText(""), not clear(): a line edit's undo would bring what was typed back.
        for field in (self.find_field, self.new_field, self.repeat_field, self.passphrase_field):
            field.setText("")
        self.note_field.setPlainText("")  # its undo history goes with it
        if self._copied:
            # Whatever was copied while signed in may be a name or a number from the list.
            self._copied = False
            QApplication.clipboard().clear()
        self.exporting = False
        self.export_button.setEnabled(True)
        self.account_name.clear()
        self.count_label.clear()
        self.news_button.hide()
        self.export_message.hide()
        self.export_message.clear()
        self.connection.clear()
        self.statusBar().clearMessage()
        self._lost = False
        self.show_sign_in(reason)
        self.signed_out.emit(reason)

    def _clipboard_changed(self) -> None:
        if self.session is not None:
            self._copied = True

    def _poke(self) -> None:
        if self.session is not None:
            self._idle.start()

    # --- the list --------------------------------------------------------------------------

    def current_filters(self) -> Filters:
        def day(edit: QDateEdit, after: int) -> dt.datetime | None:
            date = edit.date()
            if date == _ANY_DATE:
                return None
            day = dt.date(date.year(), date.month(), date.day()) + dt.timedelta(days=after)
            return day_start(day, self.zone)

        return Filters(
            site=self.site_box.currentData(),
            kiosk=self.kiosk_box.currentData(),
            status=self.status_box.currentData(),
            since=day(self.from_date, 0),
            until=day(self.to_date, 1),
        )

    def _filters_changed(self) -> None:
        if self.session is not None and not self._filling:
            self.reload()

    _filling = False
    _searching = False

    def clear_filters(self) -> None:
        self._filling = True
        try:
            for box in (self.site_box, self.kiosk_box, self.status_box, self.topic_box):
                box.setCurrentIndex(0)
            self.from_date.setDate(_ANY_DATE)
            self.to_date.setDate(_ANY_DATE)
            self.find_field.clear()
        finally:
            self._filling = False
        self.reload()

    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if column not in DeskRequestsModel.SORTABLE:
            # Names and phones are sealed: the server cannot sort them. Back to the sort
            # it has (the indicator follows).
            header = self.table.horizontalHeader()
            key_column = DeskRequestsModel.RECEIVED
            order = (
                Qt.SortOrder.DescendingOrder
                if self.model.descending
                else Qt.SortOrder.AscendingOrder
            )
            header.blockSignals(True)
            header.setSortIndicator(key_column, order)
            header.blockSignals(False)
            self.statusBar().showMessage(self.s.cannot_sort, 6000)
            return
        if self.session is not None:
            self.reload()

    def reload(self) -> None:
        """Count the list the filters make (as of now), and show it from the top."""
        session = self.session
        if session is None:
            return
        self._searching = False
        self._filters = self.current_filters()
        self._asof = dt.datetime.now(dt.UTC)
        filters, asof = self._filters, self._asof
        self.news_button.hide()
        self.count_label.setText(self.s.loading)
        topic = self.topic_box.currentData()
        if topic is not None:
            self._scan_topic(topic)
            return
        self._submit("desk-count", lambda: session.count(filters, asof), self._counted)

    def _counted(self, outcome: Outcome) -> None:
        if self._server_error(outcome):
            return
        total = int(outcome.value)
        self.model.start(total)
        self.count_label.setText(self.s.count.format(count=f"{total:,}"))
        self._show_detail(None)
        if total:
            self.table.scrollToTop()
        self._visible_pages()
        self.list_ready.emit(total)

    # --- the topic filter ------------------------------------------------------------------
    #
    # The topic is sealed (it can say something about a patient's health): the server cannot
    # filter by it. The desk reads the list the other filters make, a page at a time, opens
    # it and keeps the rows of that topic, showing them as they are found; at most
    # TOPIC_MATCHES, and a new filter, a search or signing out stops it.

    def _scan_topic(self, topic: str) -> None:
        session = self.session
        if session is None:
            return
        self._searching = True  # a list the desk builds: no "new requests" button
        generation = self.model.start_held()
        self._show_detail(None)
        filters, asof = self._filters, self._asof
        label = self.topic_box.currentText()
        checked = [0]

        def step(after: DeskRow | None) -> None:
            self._submit(
                "desk-topic",
                lambda: (
                    session.page(filters, asof, after=after, limit=TOPIC_PAGE)
                    if generation == self.model.generation
                    else None
                ),
                lambda outcome: stepped(outcome),
            )

        def stepped(outcome: Outcome) -> None:
            if generation != self.model.generation or self.session is not session:
                return  # another list, or signed out: stop
            if self._server_error(outcome) or outcome.value is None:
                return
            rows: list[DeskRow] = outcome.value
            checked[0] += len(rows)
            room = TOPIC_MATCHES - self.model.total
            found = [r for r in rows if r.personal is not None and r.personal.topic == topic]
            self.model.append(generation, found[:room])
            more = len(rows) == TOPIC_PAGE and self.model.total < TOPIC_MATCHES
            text = self.s.topic_found.format(
                topic=label, count=f"{self.model.total:,}", checked=f"{checked[0]:,}"
            )
            if more:
                self.count_label.setText(text + " " + self.s.topic_searching)
                step(rows[-1])
                return
            if self.model.total >= TOPIC_MATCHES:
                text += " " + self.s.topic_limit.format(count=f"{TOPIC_MATCHES:,}")
            self.count_label.setText(text)
            self.list_ready.emit(self.model.total)

        self.count_label.setText(self.s.topic_searching)
        step(None)

    def held_rows(self) -> list[DeskRow] | None:
        """What a search or the topic filter found (an export writes those, as shown), or
        None: the list is the server's."""
        if not self._searching:
            return None
        return [r for r in (self.model.row(i) for i in range(self.model.total)) if r is not None]

    def _fetch_page(self, number: int) -> None:
        session = self.session
        if session is None:
            return
        filters, asof, generation = self._filters, self._asof, self.model.generation
        descending, size = self.model.descending, self.model.page_rows
        # Read on from the page before when it is here (keyset: a row marked meanwhile moves
        # no other off its page); a jump down the list goes by its offset.
        before = self.model.row(number * size - 1) if number else None

        def work() -> list[DeskRow] | None:
            if not self._page_still_wanted(generation, number):
                return None  # scrolled past before its turn came: not fetched, not opened
            return session.page(
                filters,
                asof,
                descending=descending,
                after=before,
                offset=0 if before is not None else number * size,
                limit=size,
            )

        def done(outcome: Outcome) -> None:
            if outcome.error is not None or outcome.value is None:
                self.model.page_failed(generation, number)  # asked again when shown again
                self._server_error(outcome)
                return
            self.model.put_page(generation, number, outcome.value)

        self._submit("desk-page", work, done)

    def _page_still_wanted(self, generation: int, number: int) -> bool:
        """Whether a page asked for while scrolling past is still on screen (read from the
        worker: plain ints, set on the GUI thread)."""
        if generation != self.model.generation:
            return False
        first, last = self._visible
        size = self.model.page_rows
        return first // size - 1 <= number <= last // size + 1

    _visible = (0, 0)

    def _visible_pages(self) -> None:
        """Remember which rows are on screen (the worker skips pages scrolled past)."""
        view = self.table
        if not self.model.total:
            return  # an empty list: no page to ask for
        top = view.rowAt(0)
        bottom = view.rowAt(view.viewport().height() - 1)
        if top < 0:
            top = 0
        if bottom < 0:
            bottom = max(top, self.model.total - 1)
        self._visible = (top, bottom)
        for number in page_range(top, bottom, self.model.page_rows):
            if self.model.row(number * self.model.page_rows) is None:
                self.model.data(self.model.index(number * self.model.page_rows, 0))

    def find_reference(self) -> None:
        session = self.session
        text = self.find_field.text().strip()
        if session is None or not text:
            return
        self._submit("desk-find", lambda: session.find(text), self._found)

    def _found(self, outcome: Outcome) -> None:
        if self._server_error(outcome):
            return
        rows: list[DeskRow] = outcome.value
        if not rows:
            self.statusBar().showMessage(self.s.not_found, 8000)
            self._show_detail(None)
            self.detail_title.setText(self.s.not_found)
            return
        # The list shows what the code found (two kiosks may have drawn the same code:
        # their site, kiosk and time tell them apart), the newest chosen; "Clear filters"
        # or Refresh brings the whole list back.
        self._searching = True
        self.news_button.hide()
        generation = self.model.start_held()
        self.model.append(generation, rows)
        self.count_label.setText(self.s.found.format(count=len(rows), code=rows[0].reference))
        self.table.selectRow(0)
        self._show_detail(rows[0])
        # The list has the focus: arrows move through what was found, and the shortcuts a
        # text field keeps for itself (Ctrl+Z: undo typing) act on the request.
        self.table.setFocus()
        if len(rows) > 1:
            self.statusBar().showMessage(self.s.found_several.format(count=len(rows)), 8000)

    def _focus_find(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.find_field.setFocus()
        self.find_field.selectAll()

    def _row_changed(self, current: Any, _previous: Any) -> None:
        row = self.model.row(current.row()) if current.isValid() else None
        self._show_detail(row)

    # --- the selected request --------------------------------------------------------------

    def _show_detail(self, row: DeskRow | None) -> None:
        self._selected = row
        self.detail_message.hide()
        enabled = row is not None and row.personal is not None
        for button in (self.mark_button, self.unmark_button, self.save_note_button):
            button.setEnabled(enabled)
        self.delete_button.setEnabled(row is not None)
        self.note_field.setEnabled(enabled)
        if row is None:
            self.detail_title.setText(self.s.select_request)
            self.detail_fields.clear()
            self.note_field.clear()
            return
        s = self.s
        self.detail_title.setText(f"{row.reference}  ·  {self.model.status_text(row.status)}")
        lines = [
            f"{s.col_received}: {clinic_time_text(row.created_at, self.zone)}",
            f"{s.col_kiosk}: {row.kiosk_id}" + (f" ({row.site})" if row.site else ""),
        ]
        p = row.personal
        names = self.model.names
        if p is None:
            lines.append(s.unreadable_detail)
        else:
            m = row.marketing
            given = [
                name
                for name, consent in (
                    (s.marketing_sms, m.marketing_sms),
                    (s.marketing_email, m.marketing_email),
                    (s.marketing_call, m.marketing_call),
                )
                if consent is not None and consent.given
            ]
            lines += [
                f"{s.col_name}: {p.name or ''}",
                f"{s.col_phone}: {p.phone or ''}",
                f"{s.email_label}: {p.email or ''}",
                f"{s.col_contact_language}: {names.language(p.contact_language)}",
                f"{s.contact_method_label}: {names.method(p.contact_method)}",
                f"{s.time_window_label}: {names.time(p.time_window)}",
                f"{s.col_topic}: {names.topic(p.topic)}",
                f"{s.marketing_label}: {', '.join(given) if given else s.marketing_none}",
            ]
        if row.changed_by and row.changed_at:
            lines.append(
                s.changed_line.format(
                    who=row.changed_by, when=clinic_time_text(row.changed_at, self.zone)
                )
            )
        self.detail_fields.setText("\n".join(lines))
        self.note_field.setPlainText(row.note)
        self.mark_button.setEnabled(enabled and row.status != "contacted")
        self.unmark_button.setEnabled(enabled and row.status == "contacted")

    def mark(self, status: str, *, note_only: bool = False) -> None:
        session, row = self.session, self._selected
        if session is None or row is None or row.personal is None:
            return
        if status == "contacted" and row.status == "contacted" and not note_only:
            return
        note = self.note_field.toPlainText()
        if len(note.strip()) > 500:
            self._detail_problem(self.s.note_too_long)
            return
        for button in (self.mark_button, self.unmark_button, self.save_note_button):
            button.setEnabled(False)
        self._submit(
            "desk-mark",
            lambda: session.mark(row, status, note),
            lambda outcome: self._marked(row, outcome),
        )

    def save_note(self) -> None:
        row = self._selected
        if row is not None:
            self.mark("contacted" if row.status == "contacted" else "new", note_only=True)

    def _marked(self, before: DeskRow, outcome: Outcome) -> None:
        if self._server_error(outcome):
            self._show_detail(self._selected)
            return
        marked: Marked = outcome.value
        # What is said about a request is said beside that request only.
        shown = self._selected is not None and self._selected.request_id == before.request_id
        if marked.gone:
            if shown:
                self._detail_problem(self.s.gone)
            return
        if not marked.ok:
            if not shown:
                self.statusBar().showMessage(self.s.not_saved, 10_000)
                return
            self._detail_problem(
                self.s.conflict.format(
                    who=marked.changed_by or "?",
                    when=clinic_time_text(marked.changed_at, self.zone)
                    if marked.changed_at
                    else "",
                    status=self.model.status_text(marked.status or ""),
                )
            )
            self._refresh_selected(before)
            return
        self._undo = (before, marked)
        self.undo_button.setText(self.s.undo)
        self.undo_button.show()
        self.undo_timer.start()
        text = self.s.marked_contacted if marked.status == "contacted" else self.s.saved
        self.statusBar().showMessage(text, UNDO_SECONDS * 1000)
        if self.note_field.hasFocus():
            # Ctrl+Z now undoes the mark, not the typing of its note.
            self.table.setFocus()
        self._refresh_selected(before)

    def _refresh_selected(self, row: DeskRow) -> None:
        """Read ``row`` again from the server (after a mark, or a colleague's)."""
        session = self.session
        if session is None:
            return
        reference = row.reference

        def done(outcome: Outcome) -> None:
            if self._server_error(outcome):
                return
            message = self.detail_message.text() if self.detail_message.isVisible() else ""
            for fresh in outcome.value:
                if fresh.request_id == row.request_id:
                    self.model.replace(fresh)
                    if self._selected is None or self._selected.request_id == fresh.request_id:
                        self._show_detail(fresh)
                        if message:
                            self._detail_problem(message)
                    return

        self._submit("desk-refresh-row", lambda: session.find(reference), done)

    def undo(self) -> None:
        session, pending = self.session, self._undo
        if session is None or pending is None:
            return
        before, marked = pending
        self._forget_undo()
        self._submit(
            "desk-undo",
            lambda: session.undo(before, marked),
            lambda outcome: self._undone(before, outcome),
        )

    def _undone(self, before: DeskRow, outcome: Outcome) -> None:
        if self._server_error(outcome):
            return
        marked: Marked = outcome.value
        if not marked.ok:
            self.statusBar().showMessage(self.s.undo_too_late, 10_000)
        else:
            self.statusBar().showMessage(self.s.undone, 6000)
        self._refresh_selected(before)

    def _forget_undo(self) -> None:
        self._undo = None
        self.undo_timer.stop()
        self.undo_button.hide()

    def _detail_problem(self, text: str) -> None:
        self.detail_message.setText(text)
        self.detail_message.show()

    def confirm_delete(self) -> None:
        session, row = self.session, self._selected
        if session is None or row is None:
            return
        box = QMessageBox(self)
        box.setObjectName("desk-delete-confirm")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.s.delete)
        box.setText(self.s.delete_confirm.format(reference=row.reference))
        yes = box.addButton(self.s.delete_yes, QMessageBox.ButtonRole.DestructiveRole)
        no = box.addButton(self.s.delete_no, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(no)

        def answered() -> None:
            self._delete_box = None
            box.deleteLater()
            if box.clickedButton() is yes and self.session is session:
                self._submit("desk-delete", lambda: session.delete([row.request_id]), self._deleted)

        # Not exec(): a sign-out (the idle one too) closes it, and nothing is deleted then.
        box.finished.connect(answered)
        self._delete_box = box
        box.open()

    def _deleted(self, outcome: Outcome) -> None:
        if self._server_error(outcome):
            return
        self.statusBar().showMessage(self.s.deleted, 8000)
        self.reload()

    # --- export (kiosk.ui.desk.export) -------------------------------------------------------

    def export_asof(self) -> dt.datetime | None:
        """An export writes the list as shown (its moment), not what arrived since."""
        return self._asof

    def choose_export_folder(self) -> None:
        from kiosk.ui.desk.export import choose_and_export

        if self.session is not None:
            choose_and_export(self)

    # --- the kiosks ------------------------------------------------------------------------

    def _tab_changed(self, index: int) -> None:
        if index == 1:
            self.load_health()
            self.health_timer.start()
        else:
            self.health_timer.stop()

    def load_health(self) -> None:
        session = self.session
        if session is None:
            return
        self._submit("desk-health", session.health, self._health_loaded)

    def _health_loaded(self, outcome: Outcome) -> None:
        if self._server_error(outcome):
            return
        self.health_model.set_rows(outcome.value)
        self.health_summary.setText(self.health_model.summary())

    def _load_kiosks(self) -> None:
        session = self.session
        if session is None:
            return
        self._submit("desk-kiosks", session.kiosks, self._kiosks_loaded)

    def _kiosks_loaded(self, outcome: Outcome) -> None:
        if self._server_error(outcome):
            return
        self._filling = True
        try:
            self.site_box.clear()
            self.kiosk_box.clear()
            self.site_box.addItem(self.s.all_sites, None)
            self.kiosk_box.addItem(self.s.all_kiosks, None)
            sites = sorted({k.site for k in outcome.value if k.site})
            for site in sites:
                self.site_box.addItem(site, site)
            for k in outcome.value:
                self.kiosk_box.addItem(
                    f"{k.kiosk_id} ({k.site})" if k.site else k.kiosk_id, k.kiosk_id
                )
        finally:
            self._filling = False

    # --- background steps ------------------------------------------------------------------

    def _check_news(self) -> None:
        session, asof = self.session, self._asof
        if session is None or asof is None or self._lost or self._searching:
            return
        filters, total = self._filters, self.model.total

        def done(outcome: Outcome) -> None:
            if self._server_error(outcome):
                return
            arrived = int(outcome.value) - total
            if arrived > 0 and self.model.total == total and not self._searching:
                self.news_button.setText(self.s.news.format(count=arrived))
                self.news_button.show()

        self._submit("desk-news", lambda: session.count(filters, None), done)

    def run_retention(self) -> None:
        session = self.session
        if session is None or self._lost:
            return

        def done(outcome: Outcome) -> None:
            if outcome.error is None and sum(outcome.value):
                log.info("desk_retention destroyed=%d", sum(outcome.value))

        self._submit("desk-retention", session.apply_retention, done)

    def _retry(self) -> None:
        session = self.session
        if session is None:
            self.retry_timer.stop()
            return
        filters = self._filters

        def done(outcome: Outcome) -> None:
            if outcome.error is None:
                self.retry_timer.stop()
                self._set_connected()
                self.reload()
            elif self._ends_session(outcome.error):
                return

        self._submit("desk-retry", lambda: session.count(filters, None), done)

    def _submit(self, name: str, work: Callable[[], Any], done: Callable[[Outcome], None]) -> None:
        """``work`` on the worker, then ``done(outcome)`` here, but only for the session
        that asked: a result that arrives after signing out (or in again) is dropped, never
        shown to the next person."""
        session = self.session

        def landed(outcome: Outcome) -> None:
            if self.session is session:
                done(outcome)

        def failed(error: str) -> None:
            if self.session is session:
                self._failed(error)

        self.runner.submit(name, _attempt(work), landed, failed)

    def _server_error(self, outcome: Outcome) -> bool:
        """Handle a step's error (True: there was one). A lost server is said in the status
        bar and retried; a disabled account signs out."""
        error = outcome.error
        if error is None:
            if self._lost:
                self._set_connected()
            return False
        if self._ends_session(error):
            return True
        if error.kind == "unreachable":
            self._lost = True
            self.connection.setText(self.s.server_lost.format(seconds=RETRY_SECONDS))
            self.connection.setProperty("lost", True)
            if not self.retry_timer.isActive():
                self.retry_timer.start()
        else:
            self.statusBar().showMessage(self._error_text(error), 10_000)
        return True

    def _ends_session(self, error: DeskError) -> bool:
        if error.kind in ("disabled", "denied", "refused") and self.session is not None:
            self.sign_out(self._error_text(error))
            return True
        return False

    def _set_connected(self) -> None:
        self._lost = False
        self.connection.setText(self.s.server_ok.format(host=self.target.host))

    def _failed(self, error: str) -> None:
        # A step raised something no DeskError names: logged by the runner (its type only).
        self.statusBar().showMessage(self.s.failed, 10_000)
        self.exporting = False
        self.export_button.setEnabled(True)
        if self.pages.currentWidget() is self.sign_in_page:
            self.show_sign_in(self.s.failed)
        elif self.pages.currentWidget() is self.change_page:
            self.save_passphrase.setEnabled(True)

    def _error_text(self, error: DeskError) -> str:
        return {
            "denied": self.s.denied,
            "disabled": self.s.disabled,
            "refused": self.s.refused,
            "unreachable": self.s.unreachable,
        }.get(error.kind, self.s.failed)

    # --- window state ----------------------------------------------------------------------

    def _settings_store(self) -> QSettings | None:
        if self._state_file is None:
            return None
        return QSettings(str(self._state_file), QSettings.Format.IniFormat)

    def _first_size(self) -> None:
        """1366×768 (a reception PC's screen), or the screen's free area if smaller."""
        size = QSize(1366, 768)
        screen = QApplication.primaryScreen()
        if screen is not None:
            size = size.boundedTo(screen.availableGeometry().size())
        self.resize(size)

    def _restore_state(self) -> None:
        store = self._settings_store()
        if store is None:
            self._first_size()
            return
        geometry = store.value("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self._first_size()
        columns = store.value("columns")
        if columns is not None:
            self.table.horizontalHeader().restoreState(columns)
        splitter = store.value("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def save_state(self) -> None:
        store = self._settings_store()
        if store is None:
            return
        store.setValue("geometry", self.saveGeometry())
        store.setValue("columns", self.table.horizontalHeader().saveState())
        store.setValue("splitter", self.splitter.saveState())
        store.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_state()
        self.sign_out("")
        self.runner.wait(15_000)
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._activity)
        super().closeEvent(event)
