"""Shared fixtures: headless Qt, a private copy of the content, settings in a temp dir, the
central PostgreSQL."""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pgserver import Central, PgServer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Nothing a test runs (in this process or a child kiosk) may write into the user's home:
# the kiosk's default data, log and config folders point into one throw-away folder.
_HOME = Path(tempfile.mkdtemp(prefix="kiosk-tests-home-"))
for _var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
    os.environ[_var] = str(_HOME / _var.lower())
for _var in ("LOCALAPPDATA", "APPDATA"):  # the same folders on Windows
    os.environ[_var] = str(_HOME / _var.lower())
os.environ.pop("KIOSK_CONFIG", None)
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)

from kiosk import crypto, paths  # noqa: E402
from kiosk.config import Settings  # noqa: E402
from kiosk.content import Content  # noqa: E402
from kiosk.store import AppointmentStore, open_database  # noqa: E402
from kiosk.validation import load_content  # noqa: E402


@pytest.fixture(autouse=True)
def _close_databases(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every SQLite connection a test opens (its stores, fixtures, the code it drives) is
    closed when the test ends. Python 3.13 reports a connection left to the garbage
    collector, at whatever later test the collector happens to run in."""
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def tracking(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)
        opened.append(connection)
        return connection

    monkeypatch.setattr(sqlite3, "connect", tracking)
    yield
    for connection in opened:
        # One made in another thread is that thread's to close (the test does).
        with contextlib.suppress(sqlite3.ProgrammingError):
            connection.close()


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


# A clinic's config with every patient-facing detail filled in (the go-live gate passes).
FILLED_CONFIG = """
clinic_name = { en = "Anka Rheumatology Clinic", tr = "Anka Romatoloji Kliniği" }
appointment_url = "https://anka-klinik.com.tr/lupus/randevu"
privacy_notice_url = "https://anka-klinik.com.tr/kvkk"
data_controller_name = "Anka Sağlık Hizmetleri A.Ş."
data_controller_address = "Atatürk Bulvarı 1, 06420 Çankaya, Ankara"
data_controller_email = "kvkk@anka-klinik.com.tr"
data_controller_kep = "anka.saglik@hs01.kep.tr"
transfer_abroad = false
desk_retention_months = 6
"""

FILLED_STUDY = """
[study]
ethics_committee = "Anka University Clinical Research Ethics Committee"
ethics_decision_date = 2026-03-14
ethics_decision_number = "2026/45"
permit_number = "E-66175679-514.05.01-1234567"
cell_source = "Anka Cell Laboratory (GMP licence 12-345)"

[study.name]
en = "MSC in lupus nephritis"
tr = "Lupus nefritinde MSC"
de = "MSC bei Lupusnephritis"
ru = "МСК при волчаночном нефрите"
ar = "الخلايا الجذعية الوسيطة في التهاب الكلية الذئبي"

[study.cell_product]
en = "donated umbilical-cord cells"
tr = "bağışlanmış göbek kordonu hücreleri"
de = "gespendete Nabelschnurzellen"
ru = "донорские клетки пуповины"
ar = "خلايا متبرع بها من الحبل السري"
"""


def sign_off(content_root: Path) -> None:
    """Record a physician's sign-off in a content copy, as the clinic does before go-live."""
    for meta in content_root.glob("*/meta.json"):
        data = json.loads(meta.read_text("utf-8"))
        data["reviewed_by"] = "Dr. Ayşe Yılmaz, rheumatology, diploma 123456"
        meta.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    manifest = content_root / "manifest.json"
    data = json.loads(manifest.read_text("utf-8"))
    data.update(reviewed_on="2026-11-30", next_review="2027-11-30")
    manifest.write_text(json.dumps(data), "utf-8")


@pytest.fixture
def filled_config(content_dir: Path) -> Path:
    """A clinic's kiosk.toml with every patient-facing detail filled in, on a signed-off
    copy of the content: the go-live gate passes. Tests append to it ([study], ...)."""
    sign_off(content_dir)
    config = content_dir.parent / "kiosk.toml"
    db = (content_dir.parent / "kiosk.db").as_posix()
    config.write_text(
        f'content_dir = "{content_dir.as_posix()}"\ndb_path = "{db}"\n' + FILLED_CONFIG, "utf-8"
    )
    return config


@pytest.fixture
def study_config(filled_config: Path) -> Path:
    """``filled_config`` with an approved study named in full: the study pages are shown."""
    filled_config.write_text(filled_config.read_text("utf-8") + FILLED_STUDY, "utf-8")
    return filled_config


@pytest.fixture(scope="session")
def content() -> Content:
    """The bundled content, loaded and checked once."""
    return load_content(paths.bundled_content_dir())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with the database in a fresh temp dir, and the clinic's real links
    (with the example links the kiosk shows no QR code to patients)."""
    return Settings(
        db_path=str(tmp_path / "kiosk.db"),
        appointment_url="https://anka-klinik.com.tr/lupus/randevu",
        privacy_notice_url="https://anka-klinik.com.tr/kvkk",
    )


# The passcode of the key files the fixtures below make (cheap Argon2id: tests only).
PASSCODE = "482913"


@pytest.fixture(scope="session")
def keypair() -> tuple[crypto.Sealer, crypto.Unlocked]:
    """An in-memory key pair: the public half saves, the private half reads."""
    return crypto.ephemeral_keys()


@pytest.fixture
def make_store(
    tmp_path: Path, keypair: tuple[crypto.Sealer, crypto.Unlocked]
) -> Iterator[Callable[..., AppointmentStore]]:
    """Open a store on a fresh database (``tmp_path/kiosk.db`` by default) that can save,
    and by default is unlocked so tests can read what they saved."""

    opened: list[AppointmentStore] = []

    def make(
        path: Path | None = None, *, unlocked: bool = True, **kwargs: object
    ) -> AppointmentStore:
        sealer, key = keypair
        store = AppointmentStore(
            open_database(path or tmp_path / "kiosk.db"), sealer=sealer, **kwargs
        )
        if unlocked:
            store.unlock(key.copy())  # the store wipes what it was given
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.db.close()  # Python 3.13 reports a connection left open


@pytest.fixture
def keys_file(settings: Settings) -> Path:
    """A key file next to the settings' database, opened by PASSCODE."""
    path = settings.keys_path()
    crypto.init_keys(path, PASSCODE, crypto.MIN_COST)
    return path


_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def new_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the kiosk's data and keyboard layouts that the real loaders read (the other
    resources are the real ones), with a made-up language "xx" added as files only."""
    root = tmp_path / "bundle"
    shutil.copytree(_ROOT / "data", root / "data")
    (root / "resources").mkdir()
    for item in (_ROOT / "resources").iterdir():
        if item.name == "keyboards":
            shutil.copytree(item, root / "resources" / "keyboards")
        else:
            (root / "resources" / item.name).symlink_to(item)
    content = root / "data" / "content"
    shutil.copytree(content / "en", content / "xx")
    meta = json.loads((content / "xx" / "meta.json").read_text("utf-8"))
    meta.update(name="Xish", direction="rtl")
    meta.pop("keyboards", None)  # the layout named like the language is used
    (content / "xx" / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    layout = json.loads((root / "resources" / "keyboards" / "en.json").read_text("utf-8"))
    layout.update(id="xx", label="XX", note="A made-up language's keys.")
    layout["rows"][0][0] = "ẋ"
    (root / "resources" / "keyboards" / "xx.json").write_text(
        json.dumps(layout, ensure_ascii=False), "utf-8"
    )
    monkeypatch.setattr(paths, "bundle_root", lambda: root)
    return root


# The central PostgreSQL of a clinic group (tests/fleet, and the window delivering to it in
# tests/ui): one real server for the run, started on first use (about a second), and a fresh
# database with the central schema for each test.
_central_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    from pgserver import running_server

    with running_server() as server:
        yield server


@pytest.fixture
def central(pg: PgServer, tmp_path: Path) -> Central:
    from pgserver import Central

    from kiosk.fleet.server import server_init

    name = f"central_{next(_central_names)}"
    dsn = pg.create_database(name)
    server_init(dsn)
    return Central(pg, name, dsn, tmp_path)
