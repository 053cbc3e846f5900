"""Operations without Qt: watchdog notifications, heartbeat, log files, doctor, config check."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk import crypto
from kiosk.cli import main
from kiosk.doctor import check_clock, run_checks
from kiosk.logs import setup_logging
from kiosk.watchdog import beat, sd_notify, watchdog_interval_ms


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="Unix sockets only")
def test_sd_notify_sends_a_datagram(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """READY=1 and WATCHDOG=1 arrive on $NOTIFY_SOCKET as systemd expects them."""
    address = str(tmp_path / "notify")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(address)
    server.settimeout(2)
    try:
        assert sd_notify("READY=1", {"NOTIFY_SOCKET": address})
        assert server.recv(64) == b"READY=1"
        monkeypatch.setenv("NOTIFY_SOCKET", address)
        heartbeat = tmp_path / "state" / "heartbeat"
        beat(heartbeat)
        assert server.recv(64) == b"WATCHDOG=1"
        assert time.time() - heartbeat.stat().st_mtime < 5
    finally:
        server.close()


def test_sd_notify_without_systemd_is_quiet() -> None:
    """Outside systemd nothing is sent and nothing fails."""
    assert sd_notify("WATCHDOG=1", {}) is False
    assert sd_notify("WATCHDOG=1", {"NOTIFY_SOCKET": "/nonexistent/socket"}) is False


@pytest.mark.parametrize(
    ("usec", "ms"), [(None, 10_000), ("30000000", 10_000), ("6000000", 3_000), ("junk", 10_000)]
)
def test_watchdog_interval(usec: str | None, ms: int) -> None:
    """The heartbeat runs at half of WatchdogSec, at most every 10 s."""
    env = {} if usec is None else {"WATCHDOG_USEC": usec}
    assert watchdog_interval_ms(env) == ms


def test_log_files_rotate_one_event_per_line(tmp_path: Path) -> None:
    """Tracebacks stay on one line; files are size-capped and rotated."""
    path = setup_logging(tmp_path / "logs")
    try:
        assert path is not None
        logger = logging.getLogger("kiosk.test")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("something_failed")
        for handler in logging.getLogger().handlers:
            handler.flush()
        lines = path.read_text("utf-8").splitlines()
        assert len(lines) == 1 and "something_failed" in lines[0] and "ValueError: boom" in lines[0]
        big = "x" * 2000
        for _ in range(2000):
            logger.info("filler %s", big)
        files = sorted(p.name for p in path.parent.glob("kiosk.log*"))
        assert files[0] == "kiosk.log" and 2 <= len(files) <= 5
        assert all(p.stat().st_size <= 1_100_000 for p in path.parent.glob("kiosk.log*"))
    finally:
        setup_logging(None)


def test_doctor_passes_on_a_healthy_setup(
    filled_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every check passes offscreen with a fresh database and the clinic's details filled
    in; exit code 0."""
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    cfg = filled_config
    cfg.write_text(cfg.read_text("utf-8") + 'log_dir = "logs"\n', "utf-8")
    crypto.init_keys(cfg.parent / "kiosk-keys.json", "482913776605")  # the production cost
    results = run_checks(str(cfg))
    assert [r.name for r in results] == [
        "config",
        "display",
        "fonts",
        "database",
        "keys",
        "content",
        "go-live",
        "disk",
        "clock",
        "retention",
        "logs",
        "export folder",
        "central delivery",
        "service",
    ]
    assert all(r.ok for r in results), [str(r) for r in results if not r.ok]
    assert main(["doctor", "--config", str(cfg)]) == 0


def test_doctor_fails_on_broken_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A corrupt database and broken content are named, and the exit code is 1."""
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    (tmp_path / "k.db").write_bytes(b"this is not a database" * 100)
    content = tmp_path / "content"
    content.mkdir()
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text('db_path = "k.db"\ncontent_dir = "content"\nlog_dir = "logs"\n', "utf-8")
    failed = {r.name for r in run_checks(str(cfg)) if not r.ok}
    assert failed == {"database", "keys", "content", "go-live"}
    assert main(["doctor", "--config", str(cfg)]) == 1


def test_doctor_checks_the_desk_folder(tmp_path: Path) -> None:
    """A desk folder that is missing, or on the kiosk's own disk (exports there are
    refused), fails; one on another filesystem passes."""
    import tempfile

    from kiosk.config import Settings
    from kiosk.doctor import check_export_dir

    base = Settings(db_path=str(tmp_path / "k.db"))
    assert check_export_dir(base).ok
    missing = check_export_dir(Settings(db_path=base.db_path, export_dir=str(tmp_path / "no")))
    assert not missing.ok and "not found" in missing.detail
    (tmp_path / "share").mkdir()
    local = check_export_dir(Settings(db_path=base.db_path, export_dir=str(tmp_path / "share")))
    assert not local.ok and "own disk" in local.detail
    shm = Path("/dev/shm")
    if shm.is_dir() and shm.stat().st_dev != tmp_path.stat().st_dev:
        with tempfile.TemporaryDirectory(dir=shm) as share:
            assert check_export_dir(Settings(db_path=base.db_path, export_dir=share)).ok


def test_doctor_with_a_bad_config(tmp_path: Path) -> None:
    """A config error is the first failed check."""
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text("idle_seconds = 5\n", "utf-8")
    first = run_checks(str(cfg))[0]
    assert first.name == "config" and not first.ok and "idle_seconds" in first.detail


@pytest.mark.parametrize(("year", "ok"), [(1970, False), (2000, False), (2026, True), (2099, True)])
def test_clock_sanity(year: int, ok: bool) -> None:
    """A clock reset to 1970 or 2000 is reported."""
    assert check_clock(now=dt.datetime(year, 6, 1, tzinfo=dt.UTC)).ok is ok


def test_config_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """config check: exit 0 when valid, 1 with file and key when not."""
    good = tmp_path / "good.toml"
    good.write_text('kiosk_id = "hall-2"\nidle_seconds = 60\n', "utf-8")
    assert main(["config", "check", "--config", str(good)]) == 0
    assert "config valid (kiosk_id hall-2)" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text('appointment_url = "ftp://x.example"\n', "utf-8")
    assert main(["config", "check", "--config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "appointment_url" in err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="runs the real kiosk offscreen")
def test_second_instance_exits_with_a_message(tmp_path: Path) -> None:
    """While one kiosk runs, a second start says so and exits 1."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'db_path = "{(tmp_path / "k.db").as_posix()}"\n', "utf-8")
    cmd = [sys.executable, "-m", "kiosk", "run", "--windowed", "--config", str(cfg)]
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lock = tmp_path / "data" / "clinic-kiosk" / "kiosk.lock"
        deadline = time.monotonic() + 30
        while not lock.exists() and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.1)
        assert lock.exists(), f"the first kiosk did not start (exit {first.poll()})"
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "another kiosk is already running" in second.stderr
    finally:
        first.terminate()
        first.wait(timeout=10)


def test_config_docs_cover_every_key() -> None:
    """docs/configuration.md and kiosk.example.toml document every setting, and the example
    loads as a valid config."""
    import msgspec

    from kiosk import paths
    from kiosk.config import Settings, load_settings

    root = paths.bundle_root()
    doc = (root / "docs" / "configuration.md").read_text("utf-8")
    example = (root / "kiosk.example.toml").read_text("utf-8")
    for field in msgspec.structs.fields(Settings):
        assert f"`{field.name}`" in doc, field.name
        assert field.name in example, field.name
    load_settings(root / "kiosk.example.toml")


def test_exit_kiosk_status_matches_the_unit() -> None:
    """The unit keeps the kiosk stopped after "Exit kiosk" and restarts it otherwise."""
    from kiosk import paths
    from kiosk.cli import EXIT_STAFF_EXIT

    unit = (paths.bundle_root() / "resources" / "systemd" / "kiosk.service").read_text("utf-8")
    assert "Type=notify" in unit and "WatchdogSec=" in unit and "Restart=always" in unit
    assert f"RestartPreventExitStatus={EXIT_STAFF_EXIT}" in unit


def test_self_test_passes_from_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kiosk doctor --self-test` (paint, save, export, QR) passes from the source tree too,
    so a change that breaks it fails here, not only in the bundle's test."""
    from kiosk.selftest import run_self_test

    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'db_path = "{tmp_path / "k.db"}"\nlog_dir = "logs"\n', "utf-8")
    lines: list[str] = []
    run_self_test(str(cfg), lines.append)
    assert any(line.startswith("OK") and "export" in line for line in lines), lines


def test_every_core_module_is_held_to_knowing_no_qt() -> None:
    """Each module of the package outside the UI and the entry points (the command line,
    doctor, the self-test) is in the import contract that forbids Qt, so a new core
    module cannot slip past it."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    contract = next(
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["name"] == "The core knows no Qt"
    )
    entry = {
        "kiosk.__init__",
        "kiosk.__main__",
        "kiosk.cli",
        "kiosk.desk_cli",
        "kiosk.updates_cli",
        "kiosk.doctor",
        "kiosk.selftest",
    }
    core = {f"kiosk.{p.stem}" for p in (root / "kiosk").glob("*.py")} - entry
    assert core - set(contract["source_modules"]) == set()
