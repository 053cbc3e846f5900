"""Submission: the durable save of one appointment request (one committed transaction with
WAL and synchronous=FULL, as the kiosk opens its database), p50 and p95.

    python -m bench.submission [--saves 300]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench import adapter
from bench.common import emit, percentile, scratch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    with scratch("save-") as tmp:
        keys = adapter.make_keys(Path(tmp))
        store = adapter.open_store(Path(tmp) / "kiosk.db", keys)
        requests = [adapter.sample_request(i) for i in range(args.saves + args.warmup)]
        times: list[float] = []
        for i, request in enumerate(requests):
            t0 = time.perf_counter()
            adapter.save(store, request)
            if i >= args.warmup:
                times.append((time.perf_counter() - t0) * 1000.0)
        saved = adapter.count(store)
        adapter.close_store(store)
    emit(
        {
            "saves": len(times),
            "p50_ms": percentile(times, 50),
            "p95_ms": percentile(times, 95),
            "max_ms": max(times),
            "stored": saved,
        }
    )


if __name__ == "__main__":
    main()
