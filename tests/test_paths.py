"""The one path helper: the same relative paths in source and frozen runs, nothing outside."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kiosk import paths


def test_source_run_resolves_to_repository() -> None:
    """In a source checkout the bundle root holds data/ and resources/."""
    root = paths.bundle_root()
    assert (root / "data" / "content" / "manifest.json").is_file()
    assert paths.resource_path("resources/style.qss").is_file()


def test_frozen_run_uses_meipass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A PyInstaller build resolves resources inside its unpack folder."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.bundle_root() == tmp_path
    assert paths.resource_path("data/content") == tmp_path / "data" / "content"


@pytest.mark.parametrize(
    "bad", ["", "/etc/passwd", "../secrets", "data/../../x", "C:\\x", "a/../../b"]
)
def test_rejects_paths_outside_bundle(bad: str) -> None:
    """Absolute paths and climbing out with .. are refused."""
    with pytest.raises(ValueError):
        paths.resource_path(bad)


def test_writable_dirs_are_outside_bundle() -> None:
    """The database and logs never go inside the (read-only, replaceable) bundle."""
    root = paths.bundle_root()
    for folder in (paths.default_data_dir(), paths.default_log_dir()):
        assert root not in folder.parents
