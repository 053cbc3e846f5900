"""Shared fixtures: headless Qt, a private copy of the content, settings in a temp dir."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from kiosk import crypto, paths  # noqa: E402
from kiosk.config import Settings  # noqa: E402
from kiosk.content import Content  # noqa: E402
from kiosk.storage import AppointmentStore, open_database  # noqa: E402
from kiosk.validation import load_content  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses Qt widgets as ``gui`` so ``-m "not gui"`` runs the core alone."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "qtbot" in fixtures or "qapp" in fixtures:
            item.add_marker(pytest.mark.gui)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A writable copy of the bundled content, to break in tests."""
    target = tmp_path / "content"
    shutil.copytree(paths.bundled_content_dir(), target)
    return target


@pytest.fixture(scope="session")
def content() -> Content:
    """The bundled content, loaded and checked once."""
    return load_content(paths.bundled_content_dir())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with the database in a fresh temp dir."""
    return Settings(db_path=str(tmp_path / "kiosk.db"))


# The passcode of the key files the fixtures below make (cheap Argon2id: tests only).
PASSCODE = "482913"


@pytest.fixture(scope="session")
def keypair() -> tuple[crypto.Sealer, crypto.Unlocked]:
    """An in-memory key pair: the public half saves, the private half reads."""
    return crypto.ephemeral_keys()


@pytest.fixture
def make_store(
    tmp_path: Path, keypair: tuple[crypto.Sealer, crypto.Unlocked]
) -> Callable[..., AppointmentStore]:
    """Open a store on a fresh database (``tmp_path/kiosk.db`` by default) that can save,
    and by default is unlocked so tests can read what they saved."""

    def make(
        path: Path | None = None, *, unlocked: bool = True, **kwargs: object
    ) -> AppointmentStore:
        sealer, key = keypair
        store = AppointmentStore(
            open_database(path or tmp_path / "kiosk.db"), sealer=sealer, **kwargs
        )
        if unlocked:
            store.unlock(key)
        return store

    return make


@pytest.fixture
def keys_file(settings: Settings) -> Path:
    """A key file next to the settings' database, opened by PASSCODE."""
    path = settings.keys_path()
    crypto.init_keys(path, PASSCODE, crypto.MIN_COST)
    return path
