"""Central delivery against a real PostgreSQL on loopback (started here, TLS from the kiosk's
own tools): a backlog drained, many kiosks' heartbeats at once, and screen switches while the
kiosk delivers.

    python -m bench.fleet backlog [--requests 10000]
    python -m bench.fleet kiosk [--requests 10000]
    python -m bench.fleet heartbeats [--kiosks 200] [--every 5] [--seconds 60]
    python -m bench.fleet switch [--switches 1000] [--backlog 20000] [--deliver]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import adapter
from bench.common import ROOT, emit, percentile, scratch

# The PostgreSQL the fleet tests start (tests/pgserver.py), here with certificates from
# kiosk.fleet.enrol: `make bench` has no test libraries.
sys.path.insert(0, str(ROOT / "tests"))
from pgserver import Central, PgServer, running_server

from kiosk.fleet.delivery import Courier, Target
from kiosk.fleet.server import server_init


@contextlib.contextmanager
def central(folder: Path) -> Iterator[tuple[PgServer, Central]]:
    with running_server(ca_dir=folder / "ca") as pg:
        dsn = pg.create_database("kiosks")
        server_init(dsn)
        yield pg, Central(pg, "kiosks", dsn, folder / "kiosks")


def target(pg: PgServer, central_db: Central, kiosk_id: str) -> Target:
    files = central_db.enrol_files(kiosk_id)
    return central_db.target(kiosk_id, files)


def backlog(requests: int) -> dict[str, Any]:
    """Seconds to deliver ``requests`` waiting requests (a kiosk back after days away)."""
    with scratch("fleet-") as tmp, central(Path(tmp)) as (pg, db):
        keys = adapter.make_keys(Path(tmp))
        path = Path(tmp) / "kiosk.db"
        adapter.fill(path, keys, requests, deliver=True)
        store = adapter.open_store_delivering(path, keys)
        courier = Courier(target(pg, db, "bench"), run_seconds=3600)
        t0 = time.perf_counter()
        report = courier.sync(store)
        seconds = time.perf_counter() - t0
        left = store.outbox.state().pending
        on_server = db.stored()
        store.close()
    return {
        "requests": requests,
        "seconds": seconds,
        "per_s": requests / seconds,
        "batches": report.batches,
        "stored": report.settled.stored,
        "error": report.error,
        "left": left,
        "on_server": on_server,
    }


def heartbeats(kiosks: int, every: float, seconds: float) -> dict[str, Any]:
    """``kiosks`` kiosks, each on its own thread with its own certificate, each telling the
    server how it is every ``every`` seconds for ``seconds``, a new connection each time as
    a kiosk makes it."""
    from kiosk.store import AppointmentStore, memory_database

    with scratch("fleet-") as tmp, central(Path(tmp)) as (pg, db):
        targets = [target(pg, db, f"kiosk-{n:03d}") for n in range(kiosks)]
        times: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()
        start = time.monotonic() + 1.0

        def run(n: int) -> None:
            store = AppointmentStore(memory_database(), deliver=True)
            courier = Courier(targets[n])
            beat = 0
            # Spread over the interval, as kiosks started at different moments are.
            first = start + every * n / kiosks
            while True:
                due = first + beat * every
                if due - start > seconds:
                    break
                time.sleep(max(0.0, due - time.monotonic()))
                t0 = time.perf_counter()
                skew = courier.heartbeat(store, "bench", "bench")
                took = (time.perf_counter() - t0) * 1000.0
                with lock:
                    if skew is None:
                        failures.append(courier.last_error or "unknown")
                    else:
                        times.append(took)
                beat += 1
            store.close()

        threads = [threading.Thread(target=run, args=(n,)) for n in range(kiosks)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        health = db.health()
    return {
        "kiosks": kiosks,
        "every_s": every,
        "seconds": seconds,
        "sent": len(times) + len(failures),
        "errors": len(failures),
        "error_codes": sorted(set(failures)),
        "p50_ms": percentile(times, 50) if times else float("nan"),
        "p95_ms": percentile(times, 95) if times else float("nan"),
        "health": health,
    }


def _fleet_table(pg: PgServer, db: Central) -> dict[str, object]:
    files = db.enrol_files("bench")
    return {
        "host": "127.0.0.1",
        "port": pg.port,
        "database": "kiosks",
        "ca_file": str(files.ca),
        "cert_file": str(files.cert),
        "key_file": str(files.key),
    }


def kiosk(requests: int) -> dict[str, Any]:
    """Seconds the running kiosk takes to deliver ``requests`` waiting at its start, on its
    own (paced) delivery thread, the screen up and idle."""
    from PySide6.QtCore import QCoreApplication

    from bench.driver import make_window

    with scratch("fleet-") as tmp, central(Path(tmp)) as (pg, db):
        folder = Path(tmp)
        keys = adapter.make_keys(folder)
        adapter.fill(folder / "kiosk.db", keys, requests, deliver=True)
        fleet = _fleet_table(pg, db)
        t0 = time.perf_counter()
        _app, window = make_window(
            folder, (1920, 1080), keys, attract_mode=False, kiosk_id="bench", fleet=fleet
        )
        count = 0
        while time.perf_counter() - t0 < 120:
            QCoreApplication.processEvents()
            count = db.stored()
            if count == requests:
                break
            time.sleep(0.05)  # polling the server from outside the kiosk, not in it
        seconds = time.perf_counter() - t0
        window.jobs.stop()  # type: ignore[attr-defined]
    return {"requests": requests, "delivered": count, "seconds": seconds}


def switch(switches: int, backlog_size: int, deliver: bool) -> dict[str, Any]:
    """Screen switches (tap → painted) in a kiosk whose outbox holds ``backlog_size``
    requests: with ``deliver`` it sends them meanwhile (its own thread), without it the
    same kiosk has no [fleet] and sends nothing. Every switch's time is kept in order, and
    how many of the first ones were made while the delivery ran (``during``): bench.run
    compares the same first switches of both runs (the first visits build screens, so a
    shorter window of one run must not meet a longer one of the other)."""
    from bench.driver import Driver, Run, make_window, tours

    with scratch("fleet-") as tmp, central(Path(tmp)) as (pg, db):
        folder = Path(tmp)
        keys = adapter.make_keys(folder)
        adapter.fill(folder / "kiosk.db", keys, backlog_size, deliver=True)
        settings: dict[str, object] = {"attract_mode": False}
        if deliver:
            settings["kiosk_id"] = "bench"
            settings["fleet"] = _fleet_table(pg, db)
        app, window = make_window(folder, (1920, 1080), keys, **settings)
        jobs: Any = window.jobs  # type: ignore[attr-defined]
        busy_from = time.perf_counter()
        result: dict[str, Any] = {}

        def done(run: Run) -> None:
            ended = result.get("delivered_at", float("inf"))
            every = [r.ms for r in run.records]
            result.update(
                switches=len(every),
                during=sum(1 for r in run.records if r.at <= ended) if deliver else len(every),
                ms=every,
                p95_ms=percentile(every, 95) if every else float("nan"),
                errors=run.errors[:10],
            )

        def watch() -> None:
            if "delivered_at" not in result and not jobs.delivery.busy():
                result["delivered_at"] = time.perf_counter()
                result["delivery_s"] = result["delivered_at"] - busy_from

        if deliver:
            jobs.delivery.idle.connect(watch)
        content = window._content  # type: ignore[attr-defined]
        languages = window._languages  # type: ignore[attr-defined]
        driver = Driver(app, window, tours(window, content, languages, switches), done)
        driver.start()
        app.exec()  # type: ignore[attr-defined]
        jobs.stop()
        result["delivered"] = db.stored()
        result["deliver"] = deliver
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    b = sub.add_parser("backlog")
    b.add_argument("--requests", type=int, default=10_000)
    k = sub.add_parser("kiosk")
    k.add_argument("--requests", type=int, default=10_000)
    h = sub.add_parser("heartbeats")
    h.add_argument("--kiosks", type=int, default=200)
    h.add_argument("--every", type=float, default=5.0)
    h.add_argument("--seconds", type=float, default=60.0)
    s = sub.add_parser("switch")
    s.add_argument("--switches", type=int, default=1000)
    s.add_argument("--backlog", type=int, default=20_000)
    s.add_argument("--deliver", action="store_true")
    args = parser.parse_args()
    if args.what == "backlog":
        emit(backlog(args.requests))
    elif args.what == "kiosk":
        emit(kiosk(args.requests))
    elif args.what == "heartbeats":
        emit(heartbeats(args.kiosks, args.every, args.seconds))
    else:
        emit(switch(args.switches, args.backlog, args.deliver))


if __name__ == "__main__":
    main()
