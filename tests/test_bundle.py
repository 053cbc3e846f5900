"""The PyInstaller bundle (``make dist``): what it holds, its size, and its self-test.

Runs only with KIOSK_TEST_DIST=1, after the bundle was built (``make dist-test``; CI does it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import paths

pytestmark = pytest.mark.skipif(
    os.environ.get("KIOSK_TEST_DIST") != "1", reason="set KIOSK_TEST_DIST=1 after make dist"
)

BUNDLE = paths.bundle_root() / "dist" / "kiosk"
INTERNAL = BUNDLE / "_internal"
MAX_BYTES = 150 * 1024 * 1024


@pytest.fixture(autouse=True)
def _bundle_built() -> None:
    """Every check below needs the bundle itself: a missing one is a failure, not a pass."""
    assert (BUNDLE / "kiosk").is_file() or (BUNDLE / "kiosk.exe").is_file(), "run make dist"
    assert INTERNAL.is_dir()


NEVER = (
    "WebEngine",
    "Qt6Quick",
    "Qt6Qml",
    "Qt6Pdf",
    "Qt63D",
    "Qt6Multimedia",
    "libqwayland",
    "libqeglfs",
    "/qml/",
    "QtQuick",
    "QtQml",
    "QtPdf",
)


def test_bundle_has_what_the_kiosk_reads() -> None:
    """Content, schemas, fonts, style, icons and keyboard layouts, at source-relative paths."""
    for relative in (
        "data/content/manifest.json",
        "data/content/tr/topics.json",
        "data/banned-claims.json",
        "data/schema/topics.schema.json",
        "resources/fonts/NotoSans-Regular.ttf",
        "resources/fonts/NotoSansArabic-Regular.ttf",
        "resources/style.qss",
        "resources/icons/house.svg",
        "resources/keyboards/tr.json",
        "resources/keyboards/phone.json",
        # The clinic's time zone without a system zone database (Windows, minimal images).
        "tzdata/zoneinfo/Europe/Istanbul",
    ):
        assert (INTERNAL / relative).is_file(), relative


def test_bundle_leaves_out_unused_qt() -> None:
    """No WebEngine, Quick/QML, PDF, 3D, multimedia, Wayland or eglfs parts."""
    found = [
        str(p.relative_to(BUNDLE)) for p in BUNDLE.rglob("*") if any(n in str(p) for n in NEVER)
    ]
    assert found == []


def test_bundle_leaves_out_readline_and_pillow() -> None:
    """No GNU readline (GPL; the kiosk needs no line editing) and no Pillow (unused, and
    bundled only where the build machine happened to have it)."""
    found = [
        str(p.relative_to(BUNDLE))
        for p in BUNDLE.rglob("*")
        if "readline" in p.name.lower() or p.name == "PIL" or p.name.startswith("pillow")
    ]
    assert found == []


def test_bundle_size() -> None:
    """At most 150 MB unpacked (symlinks counted once)."""
    total = sum(p.stat().st_size for p in BUNDLE.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"bundle size: {total / 1024 / 1024:.1f} MiB")
    assert total <= MAX_BYTES


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [str(BUNDLE / "kiosk"), *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_frozen_version() -> None:
    """kiosk --version works from the bundle."""
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("kiosk ") and "Qt 6." in result.stdout


def test_frozen_self_test(tmp_path: Path) -> None:
    """The frozen self-test paints every screen, saves and exports a request, decodes the QR."""
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'log_dir = "{(tmp_path / "logs").as_posix()}"\n', "utf-8")
    result = _run("doctor", "--self-test", "--config", str(cfg))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout
    for step in ("config", "content", "screens", "database", "export", "qr code"):
        assert f"OK    {step}" in result.stdout


def test_bundle_runs_on_the_linux_the_docs_name() -> None:
    """The newest glibc symbol version any program or library in the bundle asks for is no
    newer than the minimum docs/deploy.md states (the bundle runs on the glibc it was built
    with or newer: a build on a newer system must change the docs)."""
    import re

    if not sys.platform.startswith("linux"):
        pytest.skip("glibc is Linux's")
    stated = re.search(
        r"needs \*\*glibc (\d+)\.(\d+) or later",
        (Path(__file__).parent.parent / "docs" / "deploy.md").read_text("utf-8"),
    )
    assert stated, "docs/deploy.md no longer states the glibc the bundle needs"
    newest, where = (0, 0), ""
    for path in BUNDLE.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        with path.open("rb") as handle:
            if handle.read(4) != b"\x7fELF":
                continue
        for found in re.finditer(rb"GLIBC_(\d+)\.(\d+)", path.read_bytes()):
            version = (int(found[1]), int(found[2]))
            if version > newest:
                newest, where = version, str(path.relative_to(BUNDLE))
    assert newest <= (int(stated[1]), int(stated[2])), (newest, where)
