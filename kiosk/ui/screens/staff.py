"""The front-desk staff screen: requests, export to a USB stick, activity log, figures."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScroller,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kiosk.export import (
    WRITERS,
    ExportChoice,
    Exported,
    ExportStyle,
    Target,
    count_requests,
    export_on_own_connection,
    export_outcome,
)
from kiosk.languages import languages_of
from kiosk.store import STATUSES, AppointmentStore, StoreError, set_aside_copies
from kiosk.times import clinic_time, clinic_time_text, clinic_today, day_start
from kiosk.ui.context import ScreenContext
from kiosk.ui.drives import Destination, device_of
from kiosk.ui.jobs import Failed, Task
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets.blocks import boxed
from kiosk.ui.widgets.grid import TileGrid
from kiosk.ui.widgets.requests_model import RequestsTableModel
from kiosk.ui.widgets.text import label

log = logging.getLogger(__name__)

PERIODS = (("all", None), ("week", 7), ("month", 30))
WHICH = (
    ("new", "new", None),
    ("all", "all", None),
    ("week", "all", 7),
    ("month", "all", 30),
    ("since", "all", None),  # from a date the staff member picks, until now
)


class StaffScreen(Screen):
    """Everything the receptionist needs, in big touch targets.

    Signals:
        locked(): Lock was tapped (back to the patient Home).
        exit_requested(): Exit kiosk was confirmed.
        export_finished(): an export's result (or failure) is on screen.
    """

    locked = Signal()
    exit_requested = Signal()
    export_finished = Signal()

    def __init__(
        self,
        ctx: ScreenContext,
        store: AppointmentStore,
        drives: Callable[[], list[Destination]],
        content_warning: str | None = None,
        export: Task | None = None,
        parent: QWidget | None = None,
        update_problem: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("staff-screen")
        self._update_problem = update_problem
        self._ctx, self._store, self._drives = ctx, store, drives
        self._s = s = ctx.lang.staff
        m = ctx.metrics
        self._status = "all"
        self._days: int | None = None
        self._export_format, self._export_which = "xlsx", "new"
        self._include_demo = False
        self._remove_question = ""
        # The destinations on the export page when last listed, and whether they were yet.
        self._listed: list[Destination] = []
        self._listed_once = False
        self._destination: Destination | None = None
        self._last_export: list[int] = []
        # The export under way (one at a time) lives beside the screens (the window's), so
        # a screen rebuilt for another text size shows it; forgotten when staff sign out.
        self._export = export or Task(None, self)
        self._export.finished.connect(self._exported)
        self._pending_delete: int | None = None
        self._zone = ctx.settings.zone()
        # Days are the clinic's: "since 10 December" starts at midnight there.
        self.since_date = clinic_today(self._zone) - dt.timedelta(days=7)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(m.margin, m.margin // 2, m.margin, m.margin // 2)
        outer.setSpacing(m.gap // 2)
        head = QHBoxLayout()
        head.addWidget(label(s.title, "screen-title"), 0)
        self.counts = label("", "secondary-text")
        head.addWidget(self.counts, 1)
        self.lock_button = self._button(s.lock, "staff-lock", self.locked.emit)
        self.exit_button = self._button(s.exit_kiosk, "staff-exit", self._ask_exit)
        head.addWidget(self.lock_button)
        head.addWidget(self.exit_button)
        outer.addLayout(head)
        self.exit_row = self._confirm_row(
            s.exit_confirm, s.exit_kiosk, self.exit_requested.emit, "staff-exit-confirm"
        )
        outer.addWidget(self.exit_row)
        self._content_warning = content_warning
        # The notice box for IT and for requests nobody exported; filled by refresh(), so
        # it changes as soon as, say, the requests it names are exported.
        self._warnings: list[str] = []
        self.warning_box: QWidget | None = None
        self._warning_slot = QVBoxLayout()
        self._warning_slot.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self._warning_slot)

        tabs = QHBoxLayout()
        self.tab_group = QButtonGroup(self)
        self.panels = QStackedWidget()
        self.tab_buttons: dict[str, QPushButton] = {}
        for key, text, build in (
            ("requests", s.tab_requests, self._build_requests),
            ("export", s.tab_export, self._build_export),
            ("log", s.tab_log, self._build_log),
            ("figures", s.tab_figures, self._build_figures),
        ):
            button = self._button(text, "staff-tab", lambda _=False, k=key: self.show_tab(k))
            button.setCheckable(True)
            button.setProperty("tab", key)
            self.tab_group.addButton(button)
            self.tab_buttons[key] = button
            tabs.addWidget(button)
            self.panels.addWidget(build())
        tabs.addStretch(1)
        outer.addLayout(tabs)
        outer.addWidget(self.panels, 1)
        self.show_tab("requests")  # (which reads everything from the database)

    # --- helpers ---------------------------------------------------------------------------

    def _store_warnings(self) -> list[str]:
        """What staff must pass on to IT (no key, a damaged database set aside, a bad clock)
        or do themselves: export the requests that retention deletes within a week, or the
        central system refused; and, with central delivery, where the requests go."""
        s, out = self._s, []
        if not self._store.can_save:
            out.append(s.no_keys_warning)
        if self._store.path is not None:
            for copy in set_aside_copies(self._store.path):
                out.append(s.database_set_aside.format(file=copy.name))
        try:
            if self._store.clock_problem():
                out.append(s.clock_warning)
            due = self._store.unexported_due(self._ctx.settings.unexported_limit_days())
        except StoreError:
            return out  # the requests tab reports an unreadable database
        if due is not None:
            day = self._ctx.date_text(clinic_time(due.first, self._ctx.settings.zone()).date())
            out.append(s.unexported_warning.format(count=due.count, date=day))
        if self._store.deliver:
            # Delivered requests are gone from the list: staff are told where they went, and
            # what the central system refused, which only they can export.
            try:
                state = self._store.outbox.state()
            except StoreError:
                return out
            if s.fleet_note:
                out.append(s.fleet_note.format(pending=state.pending))
            if state.quarantined and s.fleet_quarantined:
                out.append(s.fleet_quarantined.format(count=state.quarantined))
        return out

    def _button(self, text: str, name: str, slot: Callable[..., object]) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        m = self._ctx.metrics
        # Measured bold, as a chosen option is drawn bold: its label is never cut.
        font = QFont("Noto Sans")
        font.setPixelSize(m.body)
        font.setBold(True)
        width = QFontMetrics(font).horizontalAdvance(text) + 64
        # Staff buttons are 20 mm tall (the touch minimum) rather than the patients' 96 px,
        # so the whole desk screen fits a 1280x800 display as well.
        button.setMinimumSize(max(m.target, width), m.target)
        button.clicked.connect(slot)
        return button

    def _options(
        self, options: list[tuple[str, str]], current: str, slot: Callable[[str], None]
    ) -> dict[str, QPushButton]:
        """One group of checkable option buttons (one chosen at a time), not yet placed."""
        group = QButtonGroup(self)
        buttons: dict[str, QPushButton] = {}
        for key, text in options:
            button = self._button(text, "staff-option", lambda _=False, k=key: slot(k))
            button.setCheckable(True)
            button.setChecked(key == current)
            button.setProperty("choice", key)
            group.addButton(button)
            buttons[key] = button
        return buttons

    def _choices(
        self,
        options: list[tuple[str, str]],
        current: str,
        slot: Callable[[str], None],
        wrap: bool = False,
    ) -> tuple[QHBoxLayout, dict[str, QPushButton]]:
        row = QHBoxLayout()
        buttons = self._options(options, current, slot)
        if wrap:
            # A grid that wraps: long labels go onto a second line of buttons instead of
            # pushing the window wider than a portrait screen (used where the page scrolls).
            widest = max(b.minimumWidth() for b in buttons.values())
            row.addWidget(TileGrid(list(buttons.values()), widest, len(buttons), 12), 1)
        else:
            for button in buttons.values():
                row.addWidget(button)
            row.addStretch(1)
        return row, buttons

    def _confirm_row(
        self,
        question: str,
        yes: str,
        on_yes: Callable[[], None],
        name: str,
        no: str | None = None,
    ) -> QWidget:
        row = QWidget()
        row.setObjectName("confirm-row")
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(label(question, "field-error"), 1)

        def answer_yes() -> None:
            row.hide()
            on_yes()

        yes_button = self._button(yes, name, answer_yes)
        no_button = self._button(no or self._s.no_keep, "staff-cancel", row.hide)
        box.addWidget(yes_button)
        box.addWidget(no_button)
        row.hide()
        return row

    def _ask_exit(self) -> None:
        self.exit_row.show()

    def staff_session_ended(self) -> None:
        self.clear_personal()  # no patient names wait in a screen awaiting deletion

    def put_away(self) -> None:
        self.clear_personal()  # (a screen rebuilt for another text size, or turned)

    def clear_personal(self) -> None:
        """Drop every request from the table (its opened rows too) and the detail view
        (staff signed out)."""
        self.model.clear()
        self.detail.clear()
        self._pending_delete = None
        self.delete_row.hide()
        self._last_export = []
        self._hide_remove()
        self.export_message.setText("")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self.panels.currentIndex() == list(self.tab_buttons).index("export"):
            self._poll_destinations()
            self.drive_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt API
        # Nobody sees the list of sticks: stop looking for them.
        self.drive_timer.stop()
        super().hideEvent(event)

    def show_tab(self, key: str) -> None:
        """Show one of: requests, export, log, figures."""
        self.tab_buttons[key].setChecked(True)
        index = list(self.tab_buttons).index(key)
        self.panels.setCurrentIndex(index)
        if key == "export":
            self._refresh_destinations()
            self.drive_timer.start()
        else:
            self.drive_timer.stop()
        self.refresh()

    def _update_warnings(self) -> None:
        """Show what staff must pass on to IT or act on, as it is now."""
        s = self._s
        problem = self._content_warning
        warnings = [s.content_warning.format(problem=problem)] if problem else []
        if self._update_problem:
            warnings.append(s.update_warning.format(reason=self._update_problem))
        warnings += self._store_warnings()
        if warnings == self._warnings:
            return
        self._warnings = warnings
        if self.warning_box is not None:
            self._warning_slot.removeWidget(self.warning_box)
            self.warning_box.deleteLater()
            self.warning_box = None
        if warnings:
            self.warning_box = boxed("notice-box", warnings)
            self._warning_slot.addWidget(self.warning_box)

    def refresh(self) -> None:
        """Reload everything from the database."""
        self._update_warnings()
        self._load_requests()
        try:
            tally = self._store.count_by_status()
        except StoreError:
            tally = dict.fromkeys(STATUSES, 0)
        self.counts.setText(self._s.counts.format(**tally))
        self._fill_log()
        self._fill_figures()
        self._update_export_button()

    # --- requests ---------------------------------------------------------------------------

    def _build_requests(self) -> QWidget:
        s, m = self._s, self._ctx.metrics
        panel = QWidget()
        box = QVBoxLayout(panel)
        box.setContentsMargins(0, 0, 0, 0)
        statuses = [("all", s.status_all), *((k, getattr(s, f"status_{k}")) for k in STATUSES)]
        self.status_buttons = self._options(statuses, "all", self._set_status)
        periods = [(k, getattr(s, f"period_{k}")) for k, _d in PERIODS]
        self.period_buttons = self._options(periods, "all", self._set_period)
        # Seven filter buttons: one line on a landscape screen, so the list keeps the height
        # for its rows; they wrap onto more lines where they do not fit (portrait).
        filters = [*self.status_buttons.values(), *self.period_buttons.values()]
        widest = max(b.minimumWidth() for b in filters)
        box.addWidget(TileGrid(filters, widest, len(filters), 12))
        # Lazy: the model holds the listed requests' ids and opens only the rows on screen;
        # filters and order are SQL (kiosk.store.AppointmentStore.request_ids).
        names = languages_of(self._ctx.content)
        self.model = RequestsTableModel(
            self._store,
            s,
            self._ctx.lang.form,
            self._ctx.settings.zone(),
            language_names={code: language.name for code, language in names.known.items()},
        )
        self.table = QTableView()
        self.table.setObjectName("requests-table")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(RequestsTableModel.RECEIVED, Qt.SortOrder.DescendingOrder)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._on_sort_changed)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # The list takes the height that is left and scrolls inside; it never pushes the
        # window past the screen.
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.table.verticalHeader().setDefaultSectionSize(m.target)
        self.table.verticalHeader().hide()
        self.table.setCornerButtonEnabled(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        # Reference and time as wide as their longest form ("K7Q-M4X · Demo",
        # "2026-12-06 14:05 +03:00") where the screen is wide enough, so neither wraps; on a
        # narrow one every column shares the width (see _fit_columns).
        cell_font = QFont("Noto Sans")
        cell_font.setPixelSize(m.body)  # as the style sheet sets it for the list's cells
        metrics = QFontMetrics(cell_font)
        # Nor its heading ("الرقم المرجعي" is wider than the code it heads).
        head_font = QFont(cell_font)
        head_font.setBold(True)
        head = QFontMetrics(head_font)

        def heading(column: int) -> int:
            text = self.model.headerData(column, Qt.Orientation.Horizontal)
            return head.horizontalAdvance(str(text or ""))

        self._fixed_columns = {
            RequestsTableModel.REFERENCE: max(
                metrics.horizontalAdvance(s.demo_reference.format(reference="WWW-WWW")),
                heading(RequestsTableModel.REFERENCE),
            )
            + 32,
            RequestsTableModel.RECEIVED: max(
                metrics.horizontalAdvance(self.model.received_sample()),
                heading(RequestsTableModel.RECEIVED),
            )
            + 32,
        }
        self.table.installEventFilter(self)
        header.setMinimumHeight(m.target)
        QScroller.grabGesture(
            self.table.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture
        )
        box.addWidget(self.table, 1)
        actions = QHBoxLayout()
        actions.addWidget(self._button(s.open, "staff-open", self.open_selected))
        actions.addWidget(self._button(s.mark_contacted, "staff-contacted", self.mark_contacted))
        actions.addWidget(self._button(s.delete, "staff-delete", self._ask_delete))
        self.action_message = label("", "secondary-text")
        actions.addWidget(self.action_message, 1)
        box.addLayout(actions)
        self.delete_row = self._confirm_row(
            s.delete_confirm, s.yes_delete, self.delete_selected, "staff-delete-confirm"
        )
        box.addWidget(self.delete_row)
        self.detail = label("", "body-text")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        box.addWidget(self.detail)
        return panel

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is getattr(self, "table", None) and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _fit_columns(self) -> None:
        """Fixed reference and time columns when they take at most half the list's width;
        otherwise (portrait, large text) all columns share it, so names stay in view."""
        header = self.table.horizontalHeader()
        fixed = sum(self._fixed_columns.values()) <= self.table.viewport().width() // 2
        for column, width in self._fixed_columns.items():
            if fixed:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
                header.resizeSection(column, width)
            else:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

    def _set_status(self, status: str) -> None:
        self._status = status
        self._load_requests()

    def _set_period(self, key: str) -> None:
        self._days = dict(PERIODS)[key]
        self._load_requests()

    def _load_requests(self) -> None:
        """List the requests of the chosen status and period again, in the chosen order;
        the selected request stays selected while it is listed."""
        keep = self._selected_id()
        since = (
            day_start(clinic_today(self._zone) - dt.timedelta(days=self._days), self._zone)
            if self._days
            else None
        )
        try:
            self.model.set_filter(None if self._status == "all" else self._status, since)
        except StoreError:
            pass  # the list stays empty, as when the database cannot be read at all
        row = self.model.row_of(keep) if keep is not None else None
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    def _on_sort_changed(self, column: int, _order: Qt.SortOrder) -> None:
        if column not in RequestsTableModel.SORTABLE:
            # A sealed column: the model kept its order, so the arrow goes back to it.
            self.table.horizontalHeader().setSortIndicator(*self.model.sort_column())

    def _selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.request_id(rows[0].row()) if rows else None

    def selected(self) -> int | None:
        """Return the row of the selected request, or None (and ask for one)."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.action_message.setText(self._s.select_first)
            return None
        return rows[0].row()

    def select_row(self, row: int) -> None:
        """Select the request on ``row`` of the list as shown."""
        self.table.selectRow(row)

    def open_selected(self) -> None:
        """Show the whole selected request below the table."""
        row = self.selected()
        if row is None:
            return
        r = self.model.request(row)
        if r is None:
            self.action_message.setText("⚠ " + self._s.request_unreadable)
            return
        form = self._ctx.lang.form
        p = r.personal
        given = [
            c.label for c in form.consents if r.consents.get("items", {}).get(c.id, {}).get("given")
        ]
        lines = [
            f"{self._s.col_reference}: {self.model.reference_text(r)} · "
            f"{self.model.status_text(r.status)}",
            f"{form.name_label}: {p.get('name') or ''}",
            f"{form.phone_label}: {p.get('phone') or '-'}",
            f"{form.email_label}: {p.get('email') or '-'}",
            f"{form.contact_method_label} {p.get('contact_method') or ''} · {form.time_label}: "
            f"{p.get('time_window') or ''} · {p.get('contact_language') or ''}",
            f"{form.topic_label} {p.get('topic') or '-'}",
            f"{form.consents_title}: {'; '.join(given)}",
        ]
        self.detail.setText("\n".join(lines))
        self._guard(lambda: self._store.audit("request_viewed", count=1))

    def mark_contacted(self) -> None:
        row = self.selected()
        if row is None:
            return
        request_id = self.model.request_id(row)
        if request_id is None:
            return
        self._guard(lambda: self._store.set_status([request_id], "contacted", "marked_contacted"))
        self.detail.clear()
        self.refresh()

    def _ask_delete(self) -> None:
        row = self.selected()
        if row is not None:
            # Remember which request was asked about; a later tap on another row must
            # not change what "Yes, delete" deletes.
            self._pending_delete = self.model.request_id(row)
            self.delete_row.show()

    def delete_selected(self) -> None:
        pending, self._pending_delete = self._pending_delete, None
        if pending is None:
            return
        if self._guard(lambda: self._store.delete([pending], "deleted by staff")):
            self.detail.clear()
        self.refresh()

    def _guard(self, action: Callable[[], object]) -> bool:
        """Run a database action; on failure say so instead of crashing."""
        try:
            action()
        except StoreError:
            self.action_message.setText("⚠ " + self._s.export_failed)
            return False
        return True

    # --- export -----------------------------------------------------------------------------

    def _build_export(self) -> QWidget:
        s = self._s
        # The choices scroll; Save, its result and the offer to remove sit below them and
        # never scroll away (two sticks and a folder pushed them below the fold).
        panel = QWidget()
        panel.setObjectName("export-panel")
        outer = QVBoxLayout(panel)
        outer.setContentsMargins(0, 0, 0, 0)
        page = self._ctx.pages.page(self._ctx.metrics, wide=True)
        page.setObjectName("export-choices")
        outer.addWidget(page, 1)
        body = page.body
        # Where first: it is the choice that changes (sticks come and go), and it must
        # never be scrolled out of sight.
        body.addWidget(label(s.export_where, "field-label"))
        self.destination_box = QVBoxLayout()
        body.addLayout(self.destination_box)
        self._destination_group = QButtonGroup(self)
        self.destination_hint = label("", "body-text")
        self.destination_hint.hide()
        body.addWidget(self.destination_hint)
        body.addWidget(label(s.export_format, "field-label"))
        row, self.format_buttons = self._choices(
            [(fmt, w.label) for fmt, w in WRITERS.items()], self._export_format, self._set_format
        )
        body.addLayout(row)
        body.addWidget(label(s.export_which, "field-label"))
        which = [
            ("new", s.status_new),
            ("all", s.status_all),
            ("week", s.period_week),
            ("month", s.period_month),
            ("since", s.which_since),
        ]
        row, self.which_buttons = self._choices(
            which, self._export_which, self._set_which, wrap=True
        )
        body.addLayout(row)
        # A date range by big buttons rather than a tiny calendar: from this day until now.
        self.since_row = QWidget()
        self.since_row.setObjectName("since-row")
        since = QHBoxLayout(self.since_row)
        since.setContentsMargins(0, 0, 0, 0)
        since.addWidget(self._button(s.day_earlier, "staff-since-earlier", lambda: self._shift(-1)))
        self.since_text = label("", "body-text")
        since.addWidget(self.since_text, 1)
        since.addWidget(self._button(s.day_later, "staff-since-later", lambda: self._shift(1)))
        self.since_row.setVisible(self._export_which == "since")
        body.addWidget(self.since_row)
        self._show_since()
        # Demo requests (made to try the kiosk out) stay out of exports unless asked for.
        self.demo_button = self._button("", "staff-include-demo", self._toggle_demo)
        self.demo_button.setCheckable(True)
        body.addWidget(self.demo_button, 0, Qt.AlignmentFlag.AlignLeading)
        page.finish()

        footer = QWidget()
        footer.setObjectName("export-footer")
        foot = QVBoxLayout(footer)
        foot.setContentsMargins(0, self._ctx.metrics.gap // 2, 0, 0)
        line = QHBoxLayout()
        self.export_button = self._button("", "staff-export", self.run_export)
        line.addWidget(self.export_button, 0)
        # An export started on the screen this one replaced (another text size) is still
        # being written: say so, as that screen did.
        self.export_message = label(self._s.saving if self._export.running else "", "body-text")
        self.export_message.setObjectName("export-message")
        line.addWidget(self.export_message, 1)
        foot.addLayout(line)
        self.remove_button = self._button("", "staff-remove-exported", self._ask_remove)
        self.remove_button.hide()
        foot.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignLeading)
        self.remove_row = self._confirm_row(
            "", s.yes_remove, self.remove_exported, "staff-remove-confirm", s.no_keep_them
        )
        foot.addWidget(self.remove_row)
        outer.addWidget(footer)
        # Sticks come and go while the page is open: looked for every second.
        self.drive_timer = QTimer(self)
        self.drive_timer.setInterval(1000)
        self.drive_timer.timeout.connect(self._poll_destinations)
        return panel

    def destinations(self) -> list[Destination]:
        found = list(self._drives())
        folder = self._ctx.settings.export_path()
        if folder is not None and folder.is_dir():
            found.append(Destination("folder", str(folder), folder, device_of(folder)))
        return found

    @staticmethod
    def _identity(found: list[Destination]) -> list[tuple[str, str, int | None]]:
        return [(d.kind, str(d.path), d.device) for d in found]

    def _poll_destinations(self) -> None:
        """Rebuild the list only when a stick came or went (the buttons keep still)."""
        if self._identity(self.destinations()) != self._identity(self._listed):
            self._refresh_destinations()

    def _refresh_destinations(self) -> None:
        for button in self._destination_group.buttons():
            self._destination_group.removeButton(button)
        while self.destination_box.count():
            item = self.destination_box.takeAt(0)
            gone = item.widget() if item is not None else None
            if gone is not None:
                gone.deleteLater()
        found = self.destinations()
        first = not self._listed_once
        previous = self._listed
        self._listed, self._listed_once = found, True
        if not any(d.kind == "usb" for d in found):
            self.destination_box.addWidget(label(self._s.no_drive, "secondary-text"))
        folder = self._ctx.settings.export_path()
        if folder is not None and not folder.is_dir():
            text = self._s.folder_unavailable.format(path=folder)
            self.destination_box.addWidget(label(text, "secondary-text"))
        self.destination_buttons: dict[str, QPushButton] = {}
        for dest in found:
            kind = self._s.drive_read_only if dest.read_only else self._s.drive
            text = (kind if dest.kind == "usb" else self._s.folder).format(
                name=dest.name, path=dest.path
            )
            button = self._button(text, "staff-destination", lambda _=False, d=dest: self._pick(d))
            button.setCheckable(True)
            # A write-protected stick is shown (staff see it was found) but cannot be chosen.
            button.setEnabled(not dest.read_only)
            self._destination_group.addButton(button)
            self.destination_buttons[str(dest.path)] = button
            self.destination_box.addWidget(button)
        usable = [d for d in found if not d.read_only]
        if self._destination in usable:
            keep = self._destination
        elif len(usable) == 1 and (first or not previous or self._destination is None):
            # The only place, on the first look or put into an empty kiosk: chosen.
            keep = usable[0]
        else:
            # Several places and none chosen yet, or the chosen stick went away: staff
            # choose; the kiosk never picks among drives, nor switches to another unasked.
            keep = None
        self._pick(keep)

    def _pick(self, dest: Destination | None) -> None:
        self._destination = dest
        if dest is not None:
            self.destination_buttons[str(dest.path)].setChecked(True)
        # Asked beside the places, never in the footer: a result shown there stays.
        choose = dest is None and any(not d.read_only for d in self._listed)
        self.destination_hint.setText(self._s.choose_destination if choose else "")
        self.destination_hint.setVisible(choose)
        self._update_export_button()

    def _set_format(self, fmt: str) -> None:
        self._export_format = fmt
        self._new_choice()

    def _set_which(self, key: str) -> None:
        self._export_which = key
        self.since_row.setVisible(key == "since")
        self._new_choice()

    def _toggle_demo(self) -> None:
        self._include_demo = self.demo_button.isChecked()
        self._new_choice()

    def _new_choice(self) -> None:
        """A new choice makes an earlier result stale: it goes, with its offer to remove."""
        self.export_message.setText("")
        self._hide_remove()
        self._update_export_button()

    def _shift(self, days: int) -> None:
        """Move the first exported day, never past today."""
        today = clinic_today(self._zone)
        self.since_date = min(today, self.since_date + dt.timedelta(days=days))
        self._show_since()
        self._new_choice()

    def _show_since(self) -> None:
        self.since_text.setText(self._s.since_label.format(date=self.since_date.isoformat()))

    def _selection(self) -> tuple[str, dt.datetime | None]:
        key, status, days = next(w for w in WHICH if w[0] == self._export_which)
        if key == "since":
            return status, day_start(self.since_date, self._zone)
        today = clinic_today(self._zone)
        since = day_start(today - dt.timedelta(days=days), self._zone) if days else None
        return status, since

    def _update_export_button(self) -> None:
        if not hasattr(self, "export_button"):
            return
        status, since = self._selection()
        try:
            real = count_requests(self._store, status, since)
            every = count_requests(self._store, status, since, include_demo=True)
        except StoreError:
            real = every = 0
        demo = every - real
        count = every if self._include_demo else real
        self.demo_button.setVisible(demo > 0)
        self.demo_button.setText(self._s.include_demo.format(count=demo))
        self.export_button.setText(self._s.export_button.format(count=count))
        ready = count > 0 and self._destination is not None and not self._export.running
        self.export_button.setEnabled(ready)

    def _failure_text(self, reason: str) -> str:
        s = self._s
        return {
            "gone": s.export_gone,
            "own-disk": s.export_own_disk,
            "full": s.export_full,
            "read-only": s.export_read_only,
            "unverified": s.export_unverified,
            "empty": s.nothing_to_export,
        }.get(reason, s.export_failed)

    def run_export(self) -> None:
        """Write the file, check it on the stick and mark the rows exported, off the GUI
        thread (a slow stick takes seconds); then offer to remove them from the kiosk.
        ``export_finished`` says the result is on screen."""
        dest = self._destination
        if dest is None or self._export.running:
            return
        settings = self._ctx.settings
        status, since = self._selection()
        target = Target(dest.path, dest.kind, dest.device, settings.own_folders())
        style = ExportStyle(settings.time_zone, settings.kiosk_id)
        choice = ExportChoice(status, since, self._include_demo, style)
        fmt = self._export_format
        # The worker's own connection, with a copy of the staff key; None for an in-memory
        # database (tests), which lives on this thread alone.
        open_store = self._store.reopener(unlocked=True)
        work: Callable[[], Exported]
        if open_store is None:
            work = partial(export_outcome, self._store, fmt, target, choice)
        else:
            work = partial(export_on_own_connection, open_store, fmt, target, choice)
        self._hide_remove()
        # Writing and reading back takes a moment on a slow stick: say so first.
        self.export_message.setText(self._s.saving)
        self._export.start("export", work, here=open_store is None)
        self._update_export_button()

    def _exported(self, outcome: Exported | Failed | None) -> None:
        """The export's outcome, back on the GUI thread: its result, an error nobody foresaw
        (a store that would not open: the runner logged its type), or None when staff
        signed out meanwhile (the file is saved; nothing is said or offered)."""
        if isinstance(outcome, Exported) and outcome.path is not None:
            self._last_export = list(outcome.ids)
            count, name = len(outcome.ids), outcome.path.name
            self.export_message.setText(self._s.export_done.format(count=count, file=name))
            self.remove_button.setText(self._s.remove_exported.format(count=count))
            self.remove_button.show()
            self._remove_question = self._s.remove_confirm.format(count=count, file=name)
        elif isinstance(outcome, Exported):
            self.export_message.setText("⚠ " + self._failure_text(outcome.reason or "failed"))
            # A pulled stick leaves the list at once, not a second later.
            self._refresh_destinations()
        elif isinstance(outcome, Failed):
            log.error("export_failed reason=unexpected error=%s", outcome.error)
            self.export_message.setText("⚠ " + self._s.export_failed)
        if outcome is None:
            self.export_message.setText("")  # ("Saving…" on a screen of the next session)
        if outcome is None or not self._store.is_unlocked:
            self._update_export_button()
            return
        self.refresh()
        self.export_finished.emit()

    def _ask_remove(self) -> None:
        """Removing is never one tap: it asks, naming how many and where they stay."""
        question = self.remove_row.findChild(QLabel)
        if question is not None:
            question.setText(self._remove_question)
        self.remove_button.hide()
        self.remove_row.show()

    def _hide_remove(self) -> None:
        self.remove_button.hide()
        self.remove_row.hide()

    def remove_exported(self) -> None:
        try:
            count = self._store.delete(self._last_export, "removed after export")
        except StoreError:
            self.export_message.setText("⚠ " + self._s.remove_failed)
            return
        self._last_export = []
        self._hide_remove()
        self.export_message.setText(self._s.removed.format(count=count))
        self.refresh()

    # --- log and figures ----------------------------------------------------------------------

    def _build_log(self) -> QWidget:
        page = self._ctx.pages.page(self._ctx.metrics, wide=True)
        page.body.addWidget(label(self._s.log_title, "field-label"))
        self.log_label = label("", "secondary-text")
        page.body.addWidget(self.log_label)
        page.finish()
        return page

    def _fill_log(self) -> None:
        if not hasattr(self, "log_label"):
            return
        lines = []
        try:
            entries = self._store.audit_log(100)
        except StoreError:
            entries = []
        zone = self._ctx.settings.zone()
        for entry in entries:
            when = clinic_time_text(dt.datetime.fromisoformat(entry["at"]), zone)
            detail = ", ".join(f"{k}={v}" for k, v in sorted(entry["detail"].items()))
            lines.append(f"{when}  {entry['event']}  {detail}")
        self.log_label.setText("\n".join(lines))

    def _build_figures(self) -> QWidget:
        page = self._ctx.pages.page(self._ctx.metrics, wide=True)
        self.figure_labels: dict[str, object] = {}
        for key, title in (
            ("week", self._s.figures_week),
            ("language", self._s.figures_language),
            ("topic", self._s.figures_topic),
        ):
            page.body.addWidget(label(title, "field-label"))
            value = label("", "secondary-text")
            self.figure_labels[key] = value
            page.body.addWidget(value)
        page.finish()
        return page

    def _fill_figures(self) -> None:
        if not hasattr(self, "figure_labels"):
            return
        try:
            figures = self._store.figures()
        except StoreError:
            return
        for key, widget in self.figure_labels.items():
            pairs = sorted(figures[key].items(), reverse=key == "week")
            widget.setText("\n".join(f"{name}: {count}" for name, count in pairs[:20]))  # type: ignore[attr-defined]
