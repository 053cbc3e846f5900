"""Export: N requests to CSV or XLSX, as the staff screen writes them: time and peak memory.

    python -m bench.exporting fill --db PATH --count 100000
    python -m bench.exporting run --db PATH --format csv|xlsx

``run`` is meant for a fresh process each time, so its peak resident memory is the export's
(plus the interpreter and the imports, reported separately as the baseline).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench import adapter
from bench.common import MIB, emit, peak_rss_bytes, rss_bytes, scratch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["fill", "run"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    args = parser.parse_args()
    if args.action == "fill":
        t0 = time.perf_counter()
        adapter.make_keys(Path(args.db).parent)
        adapter.fill(Path(args.db), Path(args.db).parent / "kiosk-keys.json", args.count)
        emit({"filled": args.count, "seconds": time.perf_counter() - t0})
        return
    import kiosk.export  # noqa: F401  (imported before the baseline is read)

    keys = Path(args.db).parent / "kiosk-keys.json"
    store = adapter.open_store(Path(args.db), keys)
    adapter.unlock(store, keys)
    baseline = rss_bytes()
    with scratch("export-") as out:
        t0 = time.perf_counter()
        path, rows = adapter.export(store, args.format, Path(out))
        seconds = time.perf_counter() - t0
        size = path.stat().st_size
    adapter.close_store(store)
    peak = peak_rss_bytes()
    emit(
        {
            "format": args.format,
            "rows": rows,
            "seconds": seconds,
            "peak_rss_mib": peak / MIB,
            "baseline_rss_mib": baseline / MIB,
            "peak_increase_mib": (peak - baseline) / MIB,
            "file_mib": size / MIB,
        }
    )


if __name__ == "__main__":
    main()
