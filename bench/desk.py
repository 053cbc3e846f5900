"""The front-desk console over a million requests on a real PostgreSQL (started here, TLS from
the kiosk's own tools): the first page after the key is open, scrolling, filtering, memory,
and exporting 100,000 requests.

    python -m bench.desk all [--requests 1000000] [--export-days 25]

``all`` starts the server and fills it (200 kiosks at 5 sites, each sending 20 requests a
day for 250 days, sealed as kiosks seal them: a chain per kiosk and day), then runs the
window (``window``) and each export (``export``) in processes of their own, so each one's
memory is its own.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import MIB, OFFSCREEN, emit, peak_rss_bytes, percentile, run_piece, scratch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

KIOSKS = 200
SITES = 5
PER_DAY = 20
ACCOUNT = "bench"
PASSPHRASE = "730518264903"
START = dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC)
# The last 50 days' requests are new: each export takes the new ones of 25 days (100,000),
# as staff export what waits, and marks them exported.
NEW_DAYS = 50


def _reference(rng: random.Random) -> str:
    from kiosk.store.requests import REFERENCE_ALPHABET

    code = "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"{code[:3]}-{code[3:]}"


def fill(central: Any, sealer: Any, requests: int) -> float:
    """``requests`` sealed requests into the central database (COPY, as IT's role): seconds."""
    t0 = time.perf_counter()
    kiosks = [(f"kiosk-{k:03d}", f"Site {k % SITES}") for k in range(KIOSKS)]
    central.copy_requests(kiosks, _rows(sealer, requests))
    return time.perf_counter() - t0


def _rows(sealer: Any, requests: int) -> Iterator[tuple[Any, ...]]:
    """The requests as the kiosks would have sent them (a chain per kiosk and day), with
    the staff's work on them."""
    from kiosk.crypto import WritingKey
    from kiosk.store.outbox import sealed_record

    rng = random.Random(22)
    days = max(1, requests // (KIOSKS * PER_DAY))
    written = 0
    for day in range(days):
        for k in range(KIOSKS):
            chain = WritingKey(sealer, 0.0)  # a kiosk's chain for the day
            for n in range(PER_DAY):
                if written >= requests:
                    chain.wipe()
                    return
                created = START + dt.timedelta(days=day, minutes=30 * n + k % 30)
                reference = _reference(rng)
                record = {
                    "reference": reference,
                    "created_at": created.isoformat(timespec="seconds"),
                    "kiosk_id": f"kiosk-{k:03d}",
                    "language": "tr",
                    "content_version": "bench",
                    "personal": {
                        "name": f"Hasta {written}",
                        "phone": f"+90532{written:07d}",
                        "contact_language": "tr",
                        "contact_method": "phone",
                        "time_window": "morning",
                        "topic": "general",
                    },
                    "consents": {"items": {}},
                }
                sealed = sealed_record(chain, record)
                # Most were worked long ago; the last NEW_DAYS days are still new.
                old = day < days - NEW_DAYS
                status = rng.choice(("exported", "contacted")) if old else "new"
                done = created + dt.timedelta(days=1) if old else None
                yield (
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                    f"kiosk-{k:03d}",
                    f"Site {k % SITES}",
                    created,
                    created + dt.timedelta(seconds=5),
                    sealer.key_id,
                    hashlib.sha256(sealed).digest(),
                    sealed,
                    reference,
                    status,
                    done if status == "exported" else None,
                    done,
                )
                written += 1
            chain.wipe()


@contextlib.contextmanager
def server(folder: Path) -> Iterator[tuple[Any, Any]]:
    from pgserver import Central, running_server

    from kiosk.fleet.server import server_init

    with running_server(ca_dir=folder / "ca") as pg:
        dsn = pg.create_database("kiosks")
        server_init(dsn)
        yield pg, Central(pg, "kiosks", dsn, folder / "kiosks")


def all_pieces(requests: int, export_days: int) -> dict[str, Any]:
    from kiosk import crypto
    from kiosk.fleet import accounts

    with scratch("desk-") as tmp, server(Path(tmp)) as (pg, central):
        sealer, private = crypto.ephemeral_keys()
        fill_s = fill(central, sealer, requests)
        # The account as staff have it: its own passphrase chosen, at the real Argon2id cost.
        accounts.add(central.admin_dsn, private, ACCOUNT, PASSPHRASE)
        central.passphrase_chosen(ACCOUNT)
        # The requests are dated from January 2026: a long retention keeps them all (the
        # desk runs the central retention as it signs in).
        accounts.set_retention(central.admin_dsn, 3650, 3650)
        where = [
            "--port", str(pg.port), "--database", "kiosks", "--ca", str(pg.ca_file),
        ]  # fmt: skip
        window = run_piece("desk", "window", *where, timeout=1800)
        days = max(1, requests // (KIOSKS * PER_DAY))
        exports = {}
        for n, fmt in enumerate(("csv", "xlsx")):
            first_day = max(0, days - NEW_DAYS) + n * export_days
            exports[fmt] = run_piece(
                "desk", "export", *where, "--format", fmt, "--days", str(export_days),
                "--from-day", str(first_day), timeout=1800,
            )  # fmt: skip
        return {"requests": requests, "fill_s": fill_s, "window": window, "export": exports}


def _target(args: argparse.Namespace) -> Any:
    from kiosk.fleet.desk import DeskTarget

    return DeskTarget("127.0.0.1", args.port, args.database, Path(args.ca))


def window_piece(args: argparse.Namespace) -> dict[str, Any]:
    """Sign in through the window (the real Argon2id), then time: the first page after the
    key is open, page steps down the list (to the paint), and each filter (to its first page
    painted). Resident memory at the end and at its peak."""
    os.environ.setdefault("QT_QPA_PLATFORM", OFFSCREEN)
    import psutil
    from PySide6.QtCore import QCoreApplication

    from bench.staff_list import PaintWatch
    from kiosk.content import load_desk_strings
    from kiosk.paths import bundled_content_dir
    from kiosk.ui.desk.app import desk_app
    from kiosk.ui.desk.window import DeskWindow

    app = desk_app()
    strings, _lang = load_desk_strings(bundled_content_dir(), "en")
    window = DeskWindow(_target(args), strings, "Europe/Istanbul")
    window.resize(1366, 768)
    window.show()
    for _ in range(5):
        QCoreApplication.processEvents()
    rss_before = psutil.Process().memory_info().rss
    watch = PaintWatch(window.table.viewport())
    unlocked: list[float] = []
    window.signed_in.connect(lambda: unlocked.append(time.perf_counter()))

    def until(condition: Any, timeout_s: float = 60.0) -> None:
        deadline = time.perf_counter() + timeout_s
        while not condition():
            QCoreApplication.processEvents()
            if time.perf_counter() > deadline:
                state = (
                    window.pages.currentIndex(),
                    window.sign_in_message.text(),
                    window.model.total,
                    window.model.cached_rows(),
                    window.table.rowAt(0),
                    window.connection.text(),
                    window.model.pages_asked(),
                    window.runner.busy(),
                    window.statusBar().currentMessage(),
                    window._visible,
                )
                raise TimeoutError(f"the desk did not answer: {state}")

    def page_shown() -> bool:
        top = window.table.rowAt(0)
        return top >= 0 and window.model.row(top) is not None

    # Resident memory sampled through the work (Argon2id's 256 MiB at sign-in, by design
    # and given back at once, is the sign-in's: kiosk.crypto.DESK_COST).
    sampler = Sampler()
    window.account_field.setText(ACCOUNT)
    window.passphrase_field.setText(PASSPHRASE)
    t_sign_in = time.perf_counter()
    window.attempt_sign_in()
    until(lambda: bool(unlocked) and page_shown())
    sampler.start()
    before = watch.paints
    window.table.viewport().update()
    watch.wait(before)
    first_page_s = time.perf_counter() - unlocked[0]
    sign_in_s = unlocked[0] - t_sign_in
    total = window.model.total

    bar = window.table.verticalScrollBar()
    table = window.table
    per_screen = max(1, table.viewport().height() // table.verticalHeader().defaultSectionSize())
    step_ms: list[float] = []
    fill_ms: list[float] = []
    for _ in range(args.steps):  # a screenful at a time, as Page Down does
        before = watch.paints
        t0 = time.perf_counter()
        bar.setValue(bar.value() + per_screen)
        watch.wait(before)
        step_ms.append((time.perf_counter() - t0) * 1000)
        until(page_shown)  # the rows themselves, fetched and opened on the worker
        fill_ms.append((time.perf_counter() - t0) * 1000)
    # A jump to the middle of the list (a drag of the scroll bar), to its rows.
    t0 = time.perf_counter()
    bar.setValue(bar.maximum() // 2)
    until(page_shown)
    jump_s = time.perf_counter() - t0

    def filtered(action: Any) -> float:
        window.runner.wait()
        QCoreApplication.processEvents()
        ready: list[int] = []
        window.list_ready.connect(ready.append)
        t0 = time.perf_counter()
        action()
        until(lambda: bool(ready) and (window.model.total == 0 or page_shown()))
        before = watch.paints
        window.table.viewport().update()
        watch.wait(before)
        window.list_ready.disconnect(ready.append)
        return time.perf_counter() - t0

    from PySide6.QtCore import QDate

    filters = {
        "status_new": lambda: window.status_box.setCurrentIndex(window.status_box.findData("new")),
        "site": lambda: window.site_box.setCurrentIndex(window.site_box.findData("Site 3")),
        "kiosk": lambda: window.kiosk_box.setCurrentIndex(window.kiosk_box.findData("kiosk-042")),
        "dates": lambda: window.from_date.setDate(QDate(2026, 3, 1)),
        "clear": window.clear_filters,
    }
    filter_s = {name: filtered(action) for name, action in filters.items()}
    rss_after = psutil.Process().memory_info().rss
    worked_peak = sampler.stop()
    window.sign_out("")
    window.runner.wait()
    window.close()
    del app
    return {
        "rows": total,
        "sign_in_s": sign_in_s,
        "first_page_s": first_page_s,
        "steps": len(step_ms),
        "rows_per_step": per_screen,
        "scroll_p50_ms": percentile(step_ms, 50),
        "scroll_p95_ms": percentile(step_ms, 95),
        "rows_shown_p95_ms": percentile(fill_ms, 95),
        "jump_s": jump_s,
        "filter_s": filter_s,
        "filter_max_s": max(filter_s.values()),
        "rss_before_mib": rss_before / MIB,
        "rss_after_mib": rss_after / MIB,
        "peak_after_unlock_mib": worked_peak / MIB,
        "peak_rss_mib": peak_rss_bytes() / MIB,
    }


class Sampler:
    """The highest resident memory seen, every 5 ms, on a thread of its own."""

    def __init__(self) -> None:
        import threading

        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        process = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, process.memory_info().rss)
            self._stop.wait(0.005)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def export_piece(args: argparse.Namespace) -> dict[str, Any]:
    """Sign in, then export ``--days`` days of every kiosk's requests, timed from the count to
    the file read back and marked, its memory sampled meanwhile."""
    from kiosk import crypto
    from kiosk.fleet.desk import SWITCH_INTERVAL_S, DeskSession, Filters, export_list

    sys.setswitchinterval(SWITCH_INTERVAL_S)  # as the console runs (kiosk.ui.desk.app)
    session = DeskSession.sign_in(_target(args), ACCOUNT, PASSPHRASE)
    since = START + dt.timedelta(days=args.from_day)
    filters = Filters(status="new", since=since, until=since + dt.timedelta(days=args.days))
    with scratch("desk-export-") as tmp:
        sampler = Sampler()  # the export's own memory (the sign-in's Argon2id is before)
        sampler.start()
        t0 = time.perf_counter()
        result = export_list(session, filters, None, args.format, Path(tmp), "Europe/Istanbul")
        seconds = time.perf_counter() - t0
        peak = sampler.stop()
        size = result.path.stat().st_size if result.path else 0
    session.close()
    del crypto
    return {
        "format": args.format,
        "count": result.count,
        "unreadable": result.unreadable,
        "reason": result.reason,
        "seconds": seconds,
        "marks_wait_s": result.marks_wait_s,
        "bytes": size,
        "peak_mib": peak / MIB,
        "process_peak_mib": peak_rss_bytes() / MIB,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="piece", required=True)
    everything = sub.add_parser("all")
    everything.add_argument("--requests", type=int, default=1_000_000)
    everything.add_argument("--export-days", type=int, default=25)
    for name in ("window", "export"):
        piece = sub.add_parser(name)
        piece.add_argument("--port", type=int, required=True)
        piece.add_argument("--database", required=True)
        piece.add_argument("--ca", required=True)
        if name == "window":
            piece.add_argument("--steps", type=int, default=200)
        else:
            piece.add_argument("--format", choices=("csv", "xlsx"), required=True)
            piece.add_argument("--days", type=int, default=25)
            piece.add_argument("--from-day", type=int, default=0)
    args = parser.parse_args()
    if args.piece == "all":
        emit(all_pieces(args.requests, args.export_days))
    elif args.piece == "window":
        emit(window_piece(args))
    else:
        emit(export_piece(args))


if __name__ == "__main__":
    main()
