"""The shipped systemd units: sandboxed to systemd's "OK" exposure or better, and still
letting the kiosk write where it writes.

`systemd-analyze security` rates a unit from 0 (PERFECT) to 10 (UNSAFE); "OK" is below 5.0.
The unsandboxed user unit was 9.8 UNSAFE. Whether the units run the kiosk cannot be checked
here (it needs a systemd user manager and a display); docs/deploy.md says how it was checked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import paths

SYSTEMD = paths.bundle_root() / "resources" / "systemd"
USER_UNIT = SYSTEMD / "kiosk.service"
CAGE_UNIT = SYSTEMD / "kiosk-cage.service"
NO_USERNS = SYSTEMD / "kiosk.service.d" / "no-user-namespace.conf"
# systemd's own scale (src/analyze/analyze-security.c): OK is an exposure below 5.0.
GOOD_ENOUGH = ("OK", "SAFE", "PERFECT")

needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (tests/system-packages.sh installs systemd)",
)


def _exposure(unit: Path, tmp_path: Path, *, user: bool) -> tuple[float, str]:
    """The overall exposure systemd-analyze gives ``unit`` on its own: a copy is analysed,
    so drop-ins beside the shipped file (the no-user-namespace one) are not applied."""
    copy = tmp_path / "units" / unit.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(unit, copy)
    runtime = tmp_path / "runtime"  # --user looks for the user manager's runtime folder
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), SYSTEMD_COLORS="0")
    args = ["systemd-analyze", "security", "--offline=true", *(["--user"] if user else []), copy]
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)", result.stdout)
    assert found, result.stdout[-2000:] + result.stderr[-2000:]
    return float(found[1]), found[2]


@needs_analyze
def test_user_unit_is_sandboxed_to_ok(tmp_path: Path) -> None:
    exposure, level = _exposure(USER_UNIT, tmp_path, user=True)
    print(f"kiosk.service: {exposure} {level}")
    assert level in GOOD_ENOUGH and exposure < 5.0, (exposure, level)


@needs_analyze
def test_cage_unit_is_sandboxed_to_ok(tmp_path: Path) -> None:
    exposure, level = _exposure(CAGE_UNIT, tmp_path, user=False)
    print(f"kiosk-cage.service: {exposure} {level}")
    assert level in GOOD_ENOUGH and exposure < 5.0, (exposure, level)


def _settings(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if re.match(r"^[A-Z]\w*=", line):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def _writable(unit: dict[str, list[str]], home: str, real_home: Path) -> list[Path]:
    return [
        Path(entry.lstrip("-").replace(home, str(real_home)))
        for value in unit.get("ReadWritePaths", [])
        for entry in value.split()
    ]


def _created(unit: dict[str, list[str]], home: str, real_home: Path) -> list[Path]:
    """The folders the unit creates before the sandbox is set up (a ReadWritePaths= entry
    without "-" that does not exist stops the unit)."""
    return [
        Path(word.replace(home, str(real_home)))
        for command in unit.get("ExecStartPre", [])
        if command.startswith("+mkdir -p ")
        for word in command.split()[2:]
    ]


@pytest.mark.parametrize(("unit_file", "home"), [(USER_UNIT, "%h"), (CAGE_UNIT, "/home/kiosk")])
def test_unit_lets_the_kiosk_write_its_default_folders(
    unit_file: Path, home: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every folder the kiosk writes by default (database, key file, lockout, heartbeat,
    single-instance lock, content record, logs) is writable in the sandbox and exists before
    the sandbox is set up: a change to kiosk.paths that the unit does not follow fails here."""
    from kiosk.config import Settings

    fake_home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(fake_home))
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    settings = Settings()
    written = {
        settings.database_path().parent,
        settings.keys_path().parent,
        settings.heartbeat_path().parent,
        paths.default_data_dir(),  # kiosk.lock
        settings.log_path(),
    }
    unit = _settings(unit_file.read_text("utf-8"))
    writable = _writable(unit, home, fake_home)
    created = _created(unit, home, fake_home)
    for folder in written:
        assert any(folder.is_relative_to(w) for w in writable), (folder, writable)
        assert any(folder.is_relative_to(c) for c in created), (folder, created)
    # Removable drives: where udisks mounts them (/media/<user>, /run/media/<user>).
    assert Path("/media") in writable and Path("/run/media") in writable


def test_units_never_leave_a_core_dump() -> None:
    """LimitCORE=0, and the watchdog kills with SIGKILL (its default, SIGABRT, asks for a
    dump holding the last visitor's details)."""
    for unit_file in (USER_UNIT, CAGE_UNIT):
        unit = _settings(unit_file.read_text("utf-8"))
        assert unit["LimitCORE"] == ["0"], unit_file.name
        assert unit["WatchdogSignal"] == ["SIGKILL"], unit_file.name


# What a user manager can apply only inside a user namespace (systemd.exec(5): "only available
# ... when PrivateUsers= is enabled"), plus the capability settings it cannot apply without one.
NEEDS_USER_NAMESPACE = {
    "PrivateUsers",
    "ProtectSystem",
    "ProtectHome",
    "ReadWritePaths",
    "ReadOnlyPaths",
    "InaccessiblePaths",
    "BindPaths",
    "BindReadOnlyPaths",
    "TemporaryFileSystem",
    "PrivateTmp",
    "PrivateDevices",
    "PrivateNetwork",
    "PrivateIPC",
    "PrivateMounts",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectControlGroups",
    "ProtectHostname",
    "ProtectClock",
    "CapabilityBoundingSet",
}


def test_no_user_namespace_drop_in_undoes_every_setting_that_needs_one() -> None:
    """Where user services may not create a user namespace (Ubuntu 23.10 and later), the
    drop-in must turn off each such setting the unit uses, or the kiosk does not start."""
    used = set(_settings(USER_UNIT.read_text("utf-8"))) & NEEDS_USER_NAMESPACE
    undone = set(_settings(NO_USERNS.read_text("utf-8")))
    assert used - undone == set()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="systemd units: Linux")
def test_doctor_names_a_unit_this_system_would_not_start(tmp_path: Path) -> None:
    """Where user namespaces are refused (Ubuntu 23.10+), the shipped unit would fail at
    every start with nothing on screen: `kiosk doctor` fails and names the drop-in; with the
    drop-in installed, or where namespaces are allowed, it passes."""
    from kiosk.doctor import check_service

    home = tmp_path / "config"
    units = home / "systemd" / "user"
    refused, allowed = tmp_path / "refused", tmp_path / "allowed"
    refused.write_text("1\n")
    allowed.write_text("0\n")
    assert check_service(home, refused).ok  # no unit installed: nothing to say
    units.mkdir(parents=True)
    shutil.copyfile(USER_UNIT, units / "kiosk.service")
    result = check_service(home, refused)
    assert not result.ok and "no-user-namespace.conf" in result.detail
    assert check_service(home, allowed).ok
    assert check_service(home, tmp_path / "no-such-sysctl").ok  # no AppArmor at all
    (units / "kiosk.service.d").mkdir()
    shutil.copyfile(NO_USERNS, units / "kiosk.service.d" / NO_USERNS.name)
    result = check_service(home, refused)
    assert result.ok and "without a user namespace" in result.detail
