"""Where bundled resources and writable files live, in source and frozen runs alike."""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

import platformdirs

APP_NAME = "clinic-kiosk"
# Resolved once: every icon, font and style sheet path starts here.
_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def bundle_root() -> Path:
    """Return the folder that holds ``data/`` and ``resources/``.

    This is the only place that looks at PyInstaller's ``sys.frozen`` / ``_MEIPASS``:
    the spec file mirrors the source layout, so every other path is relative to this.
    """
    if getattr(sys, "frozen", False):
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
    return _SOURCE_ROOT


def resource_path(relative: str) -> Path:
    """Return the absolute path of a bundled file given as ``"resources/fonts/x.ttf"``.

    Raises ValueError for absolute paths or paths that climb out with ``..``, so a
    value read from a config or content file can never point outside the bundle.
    """
    pure = PurePosixPath(relative.replace("\\", "/"))
    if not relative or pure.is_absolute() or ".." in pure.parts or ":" in relative:
        raise ValueError(f"not a relative resource path: {relative!r}")
    return bundle_root().joinpath(*pure.parts)


def bundled_content_dir() -> Path:
    """Return the content folder shipped with the kiosk."""
    return resource_path("data/content")


def default_data_dir() -> Path:
    """Return the per-user folder for the database (never inside the bundle)."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def default_config_file() -> Path:
    """Return where the kiosk looks for its TOML config when none is named."""
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "kiosk.toml"


def default_log_dir() -> Path:
    """Return the per-user folder for log files."""
    return platformdirs.user_log_path(APP_NAME, appauthor=False)
