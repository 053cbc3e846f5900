"""Helpers shared by the benchmark pieces: statistics, memory, the machine, child processes.

Every measured piece runs in its own process (``python -m bench.<piece>``) and prints one
JSON object as its last line of standard output; ``bench.run`` collects them.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
# Scratch files (databases, exports, configs) go under build/, on the project's own disk: a
# tmpfs /tmp would make fsync free and the durable-save figures meaningless.
WORK = ROOT / "build" / "bench-tmp"
# Qt's offscreen platform with one 1920x1080 screen (its default screen is 800x800, and taps
# outside it are lost): the kiosk runs full screen on it as on a clinic's monitor.
OFFSCREEN = f"offscreen:configfile={ROOT / 'bench' / 'offscreen-1920x1080.json'}"


def percentile(values: Sequence[float], q: float) -> float:
    """Return the ``q``-th percentile (0-100) with linear interpolation between ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Median, min, max and count of repeated measurements."""
    return {
        "median": percentile(values, 50),
        "min": min(values) if values else math.nan,
        "max": max(values) if values else math.nan,
        "n": len(values),
        "values": list(values),
    }


def rss_bytes() -> int:
    """This process's resident memory now (Linux /proc; ru_maxrss elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return peak_rss_bytes()


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def emit(result: dict[str, Any]) -> None:
    """Print a piece's result as the last line of standard output."""
    print(json.dumps(result), flush=True)


def sandbox_env(tmp: Path, **extra: str) -> dict[str, str]:
    """Environment for a child kiosk: offscreen, and every platform folder inside ``tmp``
    (so no benchmark touches the real database, config, lock or logs)."""
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM=OFFSCREEN,
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_STATE_HOME=str(tmp / "state"),
        XDG_CACHE_HOME=str(tmp / "cache"),
        PYTHONDONTWRITEBYTECODE="",
    )
    # KIOSK_BENCH_SOURCE=<folder> measures the kiosk package in another copy of the tree
    # (e.g. an older version, for before/after figures) with this benchmark code.
    source = os.environ.get("KIOSK_BENCH_SOURCE")
    env["PYTHONPATH"] = os.pathsep.join([source, str(ROOT)] if source else [str(ROOT)])
    env.pop("KIOSK_CONFIG", None)
    env.pop("NOTIFY_SOCKET", None)
    env.update(extra)
    return env


def write_config(folder: Path, **settings: object) -> Path:
    """Write a kiosk TOML config whose writable files all live in ``folder``."""
    values: dict[str, object] = {
        "db_path": str(folder / "kiosk.db"),
        "log_dir": str(folder / "log"),
        "heartbeat_file": str(folder / "heartbeat"),
        **settings,
    }
    lines = []
    tables = {k: v for k, v in values.items() if isinstance(v, dict)}
    for key, value in values.items():
        if key in tables:
            continue
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, int | float):
            lines.append(f"{key} = {value}")
        else:
            lines.append(f"{key} = {json.dumps(str(value))}")
    for name, table in tables.items():  # ([fleet]) after the top-level keys
        lines.append(f"[{name}]")
        for key, value in table.items():
            shown = value if isinstance(value, int) else json.dumps(str(value))
            lines.append(f"{key} = {shown}")
    path = folder / "kiosk.toml"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def scratch(prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A temporary folder under build/bench-tmp (see WORK)."""
    WORK.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=WORK)


def start_piece(
    module: str, *args: str
) -> tuple[subprocess.Popen[str], tempfile.TemporaryDirectory[str]]:
    """Start ``python -m bench.<module> args`` in a fresh process (see finish_piece)."""
    tmp = scratch("env-")
    env = sandbox_env(Path(tmp.name))
    # Output to files, not pipes: a piece logging while nobody reads would fill a pipe
    # and stall.
    with open(Path(tmp.name) / "out.txt", "w") as out, open(Path(tmp.name) / "err.txt", "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", f"bench.{module}", *args],
            cwd=tmp.name,
            env=env,
            stdout=out,
            stderr=err,
            text=True,
        )
    return proc, tmp


def finish_piece(
    proc: subprocess.Popen[str],
    tmp: tempfile.TemporaryDirectory[str],
    module: str,
    timeout: float = 900,
) -> dict[str, Any]:
    """Wait for a piece started by start_piece; return its JSON result."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    out = (Path(tmp.name) / "out.txt").read_text(errors="replace")
    err = (Path(tmp.name) / "err.txt").read_text(errors="replace")
    tmp.cleanup()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(err.splitlines()[-15:])
        raise RuntimeError(f"bench.{module} failed ({proc.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_piece(module: str, *args: str, timeout: float = 900) -> dict[str, Any]:
    """Run ``python -m bench.<module> args`` in a fresh process; return its JSON result."""
    proc, tmp = start_piece(module, *args)
    return finish_piece(proc, tmp, module, timeout)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except OSError:
        return ""


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    try:
        from PySide6 import __version__ as pyside
        from PySide6.QtCore import qVersion

        qt = f"Qt {qVersion()} / PySide6 {pyside}"
    except ImportError:
        qt = "unavailable"
    return {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "memory_bytes": _mem_total(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "qt": qt,
        "qpa_platform": "offscreen, one 1920x1080 screen at 100 dpi",
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
