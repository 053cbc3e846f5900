"""Memory soak: resident memory after start-up, then after 10,000 screen switches and 1,000
complete appointment requests (each ended with "I am done", i.e. a reset).

    python -m bench.soak [--navigations 10000] [--submissions 1000] [--blocks 10]

The work is done in blocks (navigations, then submissions); memory is sampled after each.
Also tracks the reference count of ``None``: a binding that returns None without a reference
drives it down until the interpreter aborts (PySide6 6.12.0 on Python 3.11 does).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Iterator
from pathlib import Path

from bench.common import MIB, emit, rss_bytes, scratch
from bench.driver import SINGLETONS, Driver, Run, Tap, make_window, submission, tours


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--navigations", type=int, default=10_000)
    parser.add_argument("--submissions", type=int, default=1_000)
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    samples: list[dict[str, float]] = []
    started = time.perf_counter()

    marks: list[dict[str, int]] = []
    tapped: list[int] = []

    def sample(label: str) -> None:
        gc.collect()
        marks.append(SINGLETONS.mark())
        tapped.append(driver.run.taps)
        samples.append(
            {
                "after": label,
                "rss_mib": rss_bytes() / MIB,
                "taps": driver.run.taps,
                "seconds": time.perf_counter() - started,
            }
        )

    with scratch("soak-") as tmp:
        app, window = make_window(Path(tmp), size, attract_mode=True)
        content = window._content
        per_block_nav = args.navigations // args.blocks
        per_block_sub = args.submissions // args.blocks

        def work() -> Iterator[Tap]:
            yield Tap(
                "home",
                lambda: window.bar.buttons["nav-done"],
                switch=False,
                watch=lambda: window.current_screen(),
            )
            sample("start-up")
            n = 0
            for block in range(args.blocks):
                yield from _awake(window)
                yield from tours(window, content, window._languages, per_block_nav)
                yield Tap("home", lambda: window.bar.buttons["nav-home"])
                for _ in range(per_block_sub):
                    yield from _awake(window)
                    yield from submission(window, n)
                    n += 1
                sample(
                    f"block {block + 1}: {(block + 1) * per_block_nav} navigations, {n} requests"
                )

        result: dict[str, object] = {}

        def done(run: Run) -> None:
            start, warm, end = samples[0], samples[1], samples[-1]
            result.update(
                navigations=per_block_nav * args.blocks,
                submissions=per_block_sub * args.blocks,
                taps=run.taps,
                rss_start_mib=start["rss_mib"],
                rss_end_mib=end["rss_mib"],
                growth_mib=end["rss_mib"] - start["rss_mib"],
                growth_after_first_block_mib=end["rss_mib"] - warm["rss_mib"],
                refcounts=SINGLETONS.report(marks[0], marks[-1], tapped[-1] - tapped[0]),
                saved=window.store.count() if window.store is not None else None,
                samples=samples,
                errors=run.errors[:20],
                error_count=len(run.errors),
                seconds=time.perf_counter() - started,
            )

        driver = Driver(app, window, work(), done, timed=False)
        driver.start()
        app.exec()
        emit(result)


def _awake(window: object) -> Iterator[Tap]:
    """The first touch after a reset wakes the kiosk from attract mode (and does no more)."""
    if window.attract.isVisible():
        yield Tap(
            "wake", lambda: window.attract, switch=False, watch=lambda: window.current_screen()
        )


if __name__ == "__main__":
    main()
