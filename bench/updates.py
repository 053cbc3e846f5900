"""Content updates: a typical update applied by a kiosk, and the switch on its screen.

    python -m bench.updates [--repeat 5]

A repository made here (the bundled content, published), read from a folder as from a USB
stick (so no download is timed): each update is a fresh kiosk's first, verified, unpacked,
checked as at start-up and switched to (kiosk.updates.client.check_configured). The switch
is MainWindow.use_content on an offscreen window at 1920×1080, on Home between visits:
the time the GUI thread is held until the new Home is painted, then each frame of the
screens being prepared again, as a tap would wait for it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

from bench.common import OFFSCREEN, emit, percentile, scratch


def _repository(tmp: Path, content: Path) -> tuple[Path, Path]:
    """A repository publishing ``content``: its folder and first root."""
    from kiosk import crypto
    from kiosk.updates import repository

    root = repository.init(
        tmp / "repo", tmp / "keys", ["bench root passphrase"], "bench targets passphrase",
        repository.RootPlan(1, 1), crypto.MIN_COST,
    )  # fmt: skip
    repository.publish(
        tmp / "repo", tmp / "keys", repository.CONTENT_TARGET, repository.pack(content),
        lambda _path: "bench targets passphrase",
    )  # fmt: skip
    return tmp / "repo", root


def _updates(tmp: Path, repeat: int) -> tuple[list[float], int]:
    from kiosk import paths
    from kiosk.config import Settings, Updates
    from kiosk.updates import client

    content = tmp / "content"
    shutil.copytree(paths.bundled_content_dir(), content)
    repo, root = _repository(tmp, content)
    seconds = []
    for n in range(repeat):
        settings = Settings(
            db_path=str(tmp / f"kiosk-{n}" / "kiosk.db"), updates=Updates(root=str(root))
        )
        source = client.source_for(settings, repo)
        assert source is not None
        t0 = time.perf_counter()
        checked = client.check_configured(settings, source)
        seconds.append(time.perf_counter() - t0)
        if checked.outcome != "updated":
            raise SystemExit(f"the update did not apply: {checked}")
    bundle = next((repo / "targets").glob("*.content.tar.gz"))
    return seconds, bundle.stat().st_size


def _switch(tmp: Path, repeat: int) -> dict[str, Any]:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", OFFSCREEN)
    from PySide6.QtWidgets import QApplication

    from kiosk import paths
    from kiosk.config import Settings
    from kiosk.ui.app import load_fonts
    from kiosk.ui.main_window import MainWindow
    from kiosk.validation import load_content

    app = QApplication.instance() or QApplication([])
    load_fonts()
    versions = []
    for n in range(repeat):  # each swap brings different content (a new version)
        folder = tmp / f"content-{n}"
        shutil.copytree(paths.bundled_content_dir(), folder)
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        manifest["content_version"] = f"bench-{n}"
        (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
        versions.append(load_content(folder))
    settings = Settings(db_path=str(tmp / "switch" / "kiosk.db"), attract_mode=False)
    window = MainWindow(settings, load_content(paths.bundled_content_dir()), ("en", "tr"))
    window.resize(1920, 1080)
    window.show()
    window.finish_start_up()
    while window.starting_up():
        app.processEvents()
    held, frames = [], []
    for content in versions:
        t0 = time.perf_counter()
        window.use_content(content)
        window.repaint()  # the new Home on screen
        held.append(time.perf_counter() - t0)
        # The screens prepared again one per turn of the event loop: each turn is as long
        # as a tap on Home could wait.
        while window.starting_up():
            t1 = time.perf_counter()
            app.processEvents()
            frames.append(time.perf_counter() - t1)
        assert window.jobs.content_version == content.manifest.content_version
    window.close()
    return {
        "switch_ms": [s * 1000.0 for s in held],
        "prepare_turn_p95_ms": percentile(frames, 95) * 1000.0,
        "prepare_turn_max_ms": max(frames) * 1000.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with scratch("updates-") as tmp:
        seconds, size = _updates(Path(tmp), args.repeat)
        switch = _switch(Path(tmp), args.repeat)
    emit({"update_s": seconds, "bundle_bytes": size, **switch})


if __name__ == "__main__":
    main()
