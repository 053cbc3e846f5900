"""How the kiosk is installed: the lock files agree with pyproject.toml, and its licence field
is one setuptools reads (issue 19, item 11).

`make` installs only what requirements/*.txt name, at their versions and hashes. A dependency
added to or changed in pyproject.toml without `make lock` would otherwise be left out of every
install, or installed at a version the project no longer accepts: these tests fail first.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.licenses import canonicalize_license_expression
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
GROUPS = PYPROJECT["dependency-groups"]
EXTRAS = PROJECT["optional-dependencies"]

# Each lock file and what pyproject.toml asks of it; the Makefile installs each one whole.
LOCKS: dict[str, list[str]] = {
    "build.txt": PYPROJECT["build-system"]["requires"] + GROUPS["build"],
    "uv.txt": GROUPS["lock"],
    "run.txt": PROJECT["dependencies"],
    "test.txt": PROJECT["dependencies"] + EXTRAS["test"],
    "dist.txt": PROJECT["dependencies"] + EXTRAS["test"] + EXTRAS["dist"],
    "bench.txt": PROJECT["dependencies"] + EXTRAS["bench"],
}

# Every Python requires-python admits (3.11 to 3.13 today), read from it so that widening the
# range widens what is checked.
PYTHONS = [
    f"3.{minor}"
    for minor in range(0, 40)
    if SpecifierSet(PROJECT["requires-python"]).contains(f"3.{minor}")
]

# The machines the kiosk is installed and its bundle built on: Linux x86_64 and the Windows
# mini-PCs, with the marker values those platforms report.
PLATFORMS: dict[str, dict[str, Any]] = {
    "linux-x86_64": {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": "x86_64",
        # Wheels Debian 12 (glibc 2.36, the oldest system docs/deploy.md names) takes.
        "wheel_platforms": [f"manylinux_2_{minor}_x86_64" for minor in range(36, 4, -1)]
        + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"],
    },
    "windows-amd64": {
        "sys_platform": "win32",
        "platform_system": "Windows",
        "os_name": "nt",
        "platform_machine": "AMD64",
        "wheel_platforms": ["win_amd64"],
    },
}


def environment(platform: str, python: str) -> dict[str, str]:
    return {
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "python_version": python,
        "python_full_version": f"{python}.0",
        "platform_release": "",
        "platform_version": "",
        "implementation_version": f"{python}.0",
        "extra": "",
        **{key: value for key, value in PLATFORMS[platform].items() if key != "wheel_platforms"},
    }


ENVIRONMENTS = [(platform, python) for platform in PLATFORMS for python in PYTHONS]


@dataclass(frozen=True)
class Pin:
    name: NormalizedName
    version: str
    marker: Marker | None
    hashes: frozenset[str]
    line: str


def read_lock(name: str) -> list[Pin]:
    """The pins in one requirements file as uv export writes it (one requirement per logical
    line, continued with backslashes, its hashes as --hash options)."""
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.strip().startswith("#")]
    logical = re.sub(r"\\\n", " ", "\n".join(lines))
    pins = []
    for line in filter(None, (raw.strip() for raw in logical.splitlines())):
        words = [word.strip() for word in re.split(r"\s--hash=", line)]
        requirement = Requirement(words[0])
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", f"not pinned: {line}"
        assert "*" not in specifiers[0].version, f"not pinned: {line}"
        assert requirement.url is None and not requirement.extras, f"not a plain pin: {line}"
        pins.append(
            Pin(
                canonicalize_name(requirement.name),
                specifiers[0].version,
                requirement.marker,
                frozenset(words[1:]),
                line,
            )
        )
    assert pins, f"requirements/{name} pins nothing"
    return pins


def pins_for(pins: list[Pin], platform: str, python: str) -> dict[NormalizedName, Pin]:
    """What pip installs from a lock on one machine: the pins whose markers hold there."""
    env = environment(platform, python)
    chosen: dict[NormalizedName, Pin] = {}
    for pin in pins:
        if pin.marker is None or pin.marker.evaluate(env):
            assert pin.name not in chosen, f"{pin.name} pinned twice for {platform} {python}"
            chosen[pin.name] = pin
    return chosen


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_lock_line_is_an_exact_version_with_sha256_hashes(lock: str) -> None:
    # pip's --require-hashes refuses a file with a line it cannot check; this names the line.
    for pin in read_lock(lock):
        assert pin.hashes, f"requirements/{lock}: no hash for {pin.line}"
        for digest in pin.hashes:
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), f"{lock}: {digest}"


@pytest.mark.parametrize("lock", sorted(LOCKS))
@pytest.mark.parametrize(("platform", "python"), ENVIRONMENTS)
def test_every_requirement_in_pyproject_is_met_by_the_lock(
    lock: str, platform: str, python: str
) -> None:
    pinned = pins_for(read_lock(lock), platform, python)
    env = environment(platform, python)
    problems = []
    for text in LOCKS[lock]:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate(env):
            continue
        pin = pinned.get(canonicalize_name(requirement.name))
        if pin is None:
            problems.append(f"{text}: not in the lock")
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{text}: the lock has {pin.version}")
    assert not problems, f"requirements/{lock} on {platform} Python {python}: run `make lock`: " + (
        "; ".join(problems)
    )


def uv_lock() -> dict:
    return tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))


def test_uv_lock_was_written_from_the_current_pyproject() -> None:
    # Also catches what the test above cannot: a dependency removed, or a range widened, since
    # the last `make lock` (the old pins still fit, but the next re-lock would change them).
    def key(group: str, text: str) -> tuple[str, str, SpecifierSet]:
        requirement = Requirement(text)
        return (group, canonicalize_name(requirement.name), requirement.specifier)

    wanted = {key("", text) for text in PROJECT["dependencies"]}
    wanted |= {key(extra, text) for extra, texts in EXTRAS.items() for text in texts}
    wanted |= {key(f"group {group}", text) for group, texts in GROUPS.items() for text in texts}

    name = canonicalize_name(PROJECT["name"])
    (project,) = [package for package in uv_lock()["package"] if package["name"] == name]
    recorded = set()
    for entry in project["metadata"]["requires-dist"]:
        extra = re.fullmatch(r"extra == '([^']*)'", entry.get("marker", "extra == ''"))
        assert extra, f"uv.lock: a marker this test does not read: {entry}"
        specifier = SpecifierSet(entry.get("specifier", ""))
        recorded.add((extra.group(1), canonicalize_name(entry["name"]), specifier))
    for group, entries in project["metadata"]["requires-dev"].items():
        for entry in entries:
            specifier = SpecifierSet(entry.get("specifier", ""))
            recorded.add((f"group {group}", canonicalize_name(entry["name"]), specifier))

    # The Pythons the lock was resolved for.
    recorded.add(("requires-python", "", SpecifierSet(uv_lock()["requires-python"])))
    wanted.add(("requires-python", "", SpecifierSet(PROJECT["requires-python"])))
    assert recorded == wanted, (
        "uv.lock is older than pyproject.toml: run `make lock`. "
        f"Only in pyproject.toml: {sorted(map(str, wanted - recorded))}; "
        f"only in uv.lock: {sorted(map(str, recorded - wanted))}"
    )


def test_the_lock_files_were_written_from_the_current_uv_lock() -> None:
    # `make lock` writes requirements/ from uv.lock: a version or hash that differs means a
    # file was edited by hand or not rewritten.
    packages = {canonicalize_name(p["name"]): p for p in uv_lock()["package"] if "version" in p}
    in_locks = set()
    for lock in LOCKS:
        for pin in read_lock(lock):
            package = packages.get(pin.name)
            assert package is not None, f"requirements/{lock}: {pin.name} is not in uv.lock"
            assert pin.version == package["version"], f"requirements/{lock}: {pin.line[:60]}"
            files = package.get("wheels", []) + ([package["sdist"]] if "sdist" in package else [])
            assert pin.hashes == {f["hash"] for f in files}, f"requirements/{lock}: {pin.name}"
            in_locks.add(pin.name)
    # Every package uv.lock holds, but the project itself, is in some lock file.
    missing = set(packages) - in_locks - {canonicalize_name(PROJECT["name"])}
    assert not missing, f"in uv.lock but in no requirements file: {sorted(missing)}"


@pytest.mark.parametrize(("platform", "python"), ENVIRONMENTS)
def test_every_locked_package_has_a_wheel_for_every_kiosk_machine(
    platform: str, python: str
) -> None:
    # The Makefile installs wheels only (--only-binary): a package without one for a kiosk
    # machine would fail there, at install, rather than here.
    major, minor = map(int, python.split("."))
    platforms = PLATFORMS[platform]["wheel_platforms"]
    supported = set(cpython_tags((major, minor), platforms=platforms))
    supported |= set(compatible_tags((major, minor), platforms=platforms))
    packages = {canonicalize_name(p["name"]): p for p in uv_lock()["package"]}
    missing = []
    for lock in LOCKS:
        for name, pin in pins_for(read_lock(lock), platform, python).items():
            wheels = [wheel["url"].rsplit("/", 1)[1] for wheel in packages[name].get("wheels", [])]
            tags: set[Tag] = set()
            for wheel in wheels:
                tags |= parse_wheel_filename(wheel)[3]
            if not tags & supported:
                missing.append(f"{name} {pin.version} ({lock})")
    assert not missing, f"no wheel for {platform} Python {python}: {sorted(set(missing))}"


def test_licence_is_an_spdx_expression_and_setuptools_can_read_it() -> None:
    # PEP 639: a plain SPDX expression. The old table form stops building in 2027, and a
    # setuptools older than 77 rejects the string, so the build requirement must exclude those.
    licence = PROJECT["license"]
    assert isinstance(licence, str)
    assert canonicalize_license_expression(licence) == licence
    (setuptools,) = [
        Requirement(text)
        for text in PYPROJECT["build-system"]["requires"]
        if canonicalize_name(Requirement(text).name) == "setuptools"
    ]
    assert not setuptools.specifier.contains("77.0.2")
