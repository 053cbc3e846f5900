"""``kiosk run --exit-after-first-paint``: the start-up measurement `make bench` relies on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="runs the real kiosk offscreen")
def test_exit_after_first_paint_reports_and_exits(tmp_path: Path) -> None:
    """It paints Home, finishes start-up, prints when (CLOCK_MONOTONIC) and how much memory,
    and exits 0 by itself. (Nothing here is timed against a budget.)"""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    env.pop("KIOSK_CONFIG", None)
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'db_path = "{(tmp_path / "k.db").as_posix()}"\n', "utf-8")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "run", "--exit-after-first-paint", "--config", str(cfg)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert started < report["first_paint"] <= report["ready"] < time.monotonic()
    assert report["rss_bytes"] > 10 * 1024 * 1024
    if sys.platform.startswith("linux"):  # the kiosk's own heap, a part of the whole
        assert 5 * 1024 * 1024 < report["rss_anon_bytes"] < report["rss_bytes"]
    assert (tmp_path / "content-checked").is_file()  # the next start only decodes the content
