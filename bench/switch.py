"""Screen switch: tap → painted, over N switches across every screen and both languages.

python -m bench.switch [--switches 1000] [--size 1920x1080]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.common import emit, percentile, scratch
from bench.driver import SINGLETONS, Driver, Run, make_window, tours


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--switches", type=int, default=1000)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    with scratch("switch-") as tmp:
        app, window = make_window(Path(tmp), size, attract_mode=False)
        content = window._content
        result: dict[str, object] = {}
        start = SINGLETONS.mark()

        def done(run: Run) -> None:
            ms = [r.ms for r in run.records]
            kinds: dict[str, list[float]] = {}
            for r in run.records:
                kinds.setdefault(r.kind, []).append(r.ms)
            result.update(
                switches=len(ms),
                p50_ms=percentile(ms, 50),
                p95_ms=percentile(ms, 95),
                max_ms=max(ms),
                languages=sorted({r.lang for r in run.records}),
                routes=len({r.route for r in run.records}),
                by_kind={
                    k: {
                        "n": len(v),
                        "p50_ms": percentile(v, 50),
                        "p95_ms": percentile(v, 95),
                        "max_ms": max(v),
                    }
                    for k, v in sorted(kinds.items())
                },
                slowest=sorted(((r.ms, r.route, r.lang) for r in run.records), reverse=True)[:8],
                errors=run.errors[:20],
                refcounts=SINGLETONS.report(start, SINGLETONS.mark(), run.taps),
            )

        driver = Driver(app, window, tours(window, content, window._languages, args.switches), done)
        driver.start()
        app.exec()
        emit(result)


if __name__ == "__main__":
    main()
