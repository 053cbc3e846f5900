"""Content: load and validate every language of the bundled content (what start-up does).

    python -m bench.content_load [--repeat 10]

Reports the first load in a fresh process (imports excluded, timed separately) and the
median of the following ones.
"""

from __future__ import annotations

import argparse
import time

from bench.common import emit, percentile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    t0 = time.perf_counter()
    from kiosk import paths
    from kiosk.validation import load_content

    imported = time.perf_counter() - t0
    root = paths.bundled_content_dir()
    t0 = time.perf_counter()
    content = load_content(root)
    first = time.perf_counter() - t0
    again = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        load_content(root)
        again.append(time.perf_counter() - t0)
    emit(
        {
            "languages": sorted(content.languages),
            "first_ms": first * 1000.0,
            "again_median_ms": percentile(again, 50) * 1000.0,
            "import_ms": imported * 1000.0,
        }
    )


if __name__ == "__main__":
    main()
