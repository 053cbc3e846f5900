"""The staff list over N stored requests: opening it, scrolling through it, and its memory.

    python -m bench.staff_list --db PATH [--steps N]

``PATH`` is a database filled by ``python -m bench.exporting fill`` (its key file beside it);
it is copied first, so the kiosk started here (retention included) never changes it. The
kiosk's real window signs staff in with the unlocked key (the pad's ``unlocked`` signal, as
the right passcode sends it) and shows the staff screen, timed until the list's first rows
are painted. Then the list is scrolled a page at a time, each step timed until painted, and
resident memory (psutil) compared with before the screen was opened.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import MIB, OFFSCREEN, emit, percentile, scratch

os.environ.setdefault("QT_QPA_PLATFORM", OFFSCREEN)

import psutil
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QWidget

from bench import adapter
from bench.driver import make_window

SIZE = (1920, 1080)


class PaintWatch(QObject):
    """Counts the paint events of one widget (the list's viewport)."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.paints = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False

    def wait(self, before: int, timeout_s: float = 30.0) -> None:
        """Let the event loop run until a paint after ``before`` paints has finished."""
        deadline = time.perf_counter() + timeout_s
        while self.paints <= before:
            QCoreApplication.processEvents()
            if time.perf_counter() > deadline:
                raise TimeoutError("the list was not painted")
        QCoreApplication.processEvents()  # the rest of that frame


def _rss() -> int:
    return int(psutil.Process().memory_info().rss)


def _counting(store: Any) -> Callable[[], int]:
    """Count the requests the store opens for the list (its batch read), untimed."""
    read = getattr(store, "requests_by_id", None)
    opened = [0]
    if read is None:  # an older kiosk (KIOSK_BENCH_SOURCE) opens them all another way
        return lambda: -1

    def counted(ids: Any) -> Any:
        rows = read(ids)
        opened[0] += len(rows)
        return rows

    store.requests_by_id = counted
    return lambda: opened[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--steps", type=int, default=0, help="page steps (0: the whole list)")
    args = parser.parse_args()
    source = Path(args.db)
    with scratch("staff-list-") as tmp:
        folder = Path(tmp)
        db = folder / "requests" / "kiosk.db"
        db.parent.mkdir()
        shutil.copyfile(source, db)
        keys = db.parent / "kiosk-keys.json"
        shutil.copyfile(source.parent / "kiosk-keys.json", keys)
        # The requests are dated January 2026: a long retention keeps them all listed.
        app, window = make_window(
            folder / "kiosk", SIZE, keys=keys, db_path=str(db), retention_days=3650
        )
        result = measure(window, keys, args.steps)
        adapter.close_store(window.store)
    emit(result)
    del app


def measure(window: Any, keys: Path, steps: int) -> dict[str, Any]:
    from kiosk import crypto
    from kiosk.ui.main_window import Route

    store = window.store
    opened = _counting(store)
    window.navigate(Route("staff-login"))
    pad = window.current_screen()
    key = crypto.unlock(keys, adapter.PASSCODE)  # the passcode's Argon2id: not the list's
    for _ in range(3):
        QCoreApplication.processEvents()
    rss_before = _rss()

    t0 = time.perf_counter()
    pad.unlocked.emit(key)  # what the pad sends for the right passcode
    staff = window.current_screen()
    watch = PaintWatch(staff.table.viewport())
    watch.wait(0)
    open_s = time.perf_counter() - t0
    rows = staff.model.rowCount()
    opened_at_open = opened()

    table = staff.table
    bar = table.verticalScrollBar()
    step_ms: list[float] = []
    limit = steps or 10**9
    while bar.value() < bar.maximum() and len(step_ms) < limit:
        before = watch.paints
        t0 = time.perf_counter()
        bar.setValue(bar.value() + bar.pageStep())
        watch.wait(before)
        step_ms.append((time.perf_counter() - t0) * 1000)
    rss_after = _rss()
    cached = getattr(staff.model, "cached_rows", lambda: -1)()

    # Not budgets, for reference: a sort and a filter over the whole list, to the paint.
    from kiosk.ui.widgets.requests_model import RequestsTableModel

    def timed(action: Callable[[], object]) -> float:
        before = watch.paints
        t0 = time.perf_counter()
        action()
        table.viewport().update()
        watch.wait(before)
        return time.perf_counter() - t0

    from PySide6.QtCore import Qt

    sort_s = timed(
        lambda: table.sortByColumn(RequestsTableModel.REFERENCE, Qt.SortOrder.AscendingOrder)
    )
    filter_s = timed(lambda: staff.status_buttons["new"].click())
    return {
        "rows": rows,
        "open_s": open_s,
        "steps": len(step_ms),
        "rows_per_step": bar.pageStep(),
        "scroll_p50_ms": percentile(step_ms, 50),
        "scroll_p95_ms": percentile(step_ms, 95),
        "scroll_max_ms": max(step_ms) if step_ms else None,
        "rss_before_mib": rss_before / MIB,
        "rss_after_mib": rss_after / MIB,
        "growth_mib": (rss_after - rss_before) / MIB,
        "opened_at_open": opened_at_open,
        "opened_in_all": opened(),
        "cached_rows_at_end": cached,
        "sort_reference_s": sort_s,
        "filter_new_s": filter_s,
    }


if __name__ == "__main__":
    main()
