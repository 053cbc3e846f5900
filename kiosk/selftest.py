"""``kiosk doctor --self-test``: exercise the whole kiosk offscreen, as IT does after installing."""

from __future__ import annotations

import csv
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from kiosk import crypto, intake
from kiosk.appointment import FormData
from kiosk.config import Settings, load_settings
from kiosk.content import Content
from kiosk.export import COLUMNS, write_export
from kiosk.qr import appointment_link
from kiosk.store import AppointmentStore, open_database
from kiosk.validation import load_content

SELF_TEST_NAME = "Self Test Ğüşİöç"


class SelfTestError(Exception):
    """One step of the self-test failed; the message names it."""


def _step(name: str, action: Callable[[], object], log: Callable[[str], None]) -> object:
    try:
        result = action()
    except SelfTestError:
        raise
    except Exception as exc:
        raise SelfTestError(f"{name}: {type(exc).__name__}: {exc}") from exc
    log(f"OK    {name}")
    return result


def run_self_test(config: str | None, log: Callable[[str], None] = print) -> None:
    """Run every step; raise SelfTestError naming the first failure."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    settings = _step("config", lambda: load_settings(config)[0], log)
    assert isinstance(settings, Settings)
    content = _step("content", lambda: load_content(settings.content_path()), log)
    assert isinstance(content, Content)
    with tempfile.TemporaryDirectory(prefix="kiosk-self-test-") as tmp:
        folder = Path(tmp)
        _step("screens", lambda: _paint_every_screen(settings, content, folder), log)
        store = _step("database", lambda: _write_and_read(folder, settings, content), log)
        assert isinstance(store, AppointmentStore)
        _step("export", lambda: _export_both(store, folder), log)
        store.close()
        _step("qr code", lambda: _decode_qr(settings), log)


def _paint_every_screen(settings: Settings, content: Content, folder: Path) -> int:
    from kiosk.ui.app import create_app
    from kiosk.ui.screenshots import render_all

    create_app()
    langs = tuple(code for code in settings.languages if code in content.languages)
    written = render_all(settings, content, langs, folder / "screens", [(1920, 1080)], None, (0,))
    if not written or any(path.stat().st_size < 10_000 for path, _ in written):
        raise SelfTestError("screens: a screen painted empty")
    return len(written)


SELF_TEST_PASSCODE = "9081726354"


def _write_and_read(folder: Path, settings: Settings, content: Content) -> AppointmentStore:
    """Save a request as the form does (validated, stamped, sealed), then read it back."""
    keys = folder / "self-test-keys.json"
    crypto.init_keys(keys, SELF_TEST_PASSCODE, crypto.MIN_COST)
    db_file = folder / "self-test.db"
    store = AppointmentStore(open_database(db_file), sealer=crypto.load_sealer(keys))
    reference = intake.submit(
        FormData(
            name=SELF_TEST_NAME,
            phone="0532 123 45 67",
            contact_language="tr",
            contact_method="phone",
            time_window="morning",
            consents={"notice_read": True, "contact": True},
        ),
        "tr" if "tr" in content.languages else settings.default_language,
        content=content,
        settings=settings,
        store=store,
    )
    if isinstance(reference, list):
        raise SelfTestError(f"database: the test request did not validate: {reference}")
    store.checkpoint()
    if SELF_TEST_NAME.encode() in db_file.read_bytes():
        raise SelfTestError("database: the name was stored in the clear")
    key = crypto.unlock(keys, SELF_TEST_PASSCODE)
    if key is None:
        raise SelfTestError("keys: the passcode did not open the private key")
    store.unlock(key)
    saved = store.get(reference)
    if saved is None or saved.personal["name"] != SELF_TEST_NAME:
        raise SelfTestError("database: the request did not read back exactly")
    return store


def _export_both(store: AppointmentStore, folder: Path) -> None:
    rows = store.list_requests()
    out = folder / "export"
    out.mkdir()
    csv_path = write_export(rows, "csv", out)
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        name = [key for key, _title, _width in COLUMNS].index("name")
        names = [r[name] for r in list(csv.reader(handle))[1:]]
    if names != [SELF_TEST_NAME]:
        raise SelfTestError(f"export: CSV read back {names!r}")
    xlsx_path = write_export(rows, "xlsx", out)
    with zipfile.ZipFile(xlsx_path) as book:
        text = "".join(book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml"))
    if SELF_TEST_NAME not in text:
        raise SelfTestError("export: the XLSX file does not hold the request")


def _decode_qr(settings: Settings) -> None:
    import zxingcpp
    from PySide6.QtGui import QImage

    from kiosk.ui.widgets.qr_widget import QrWidget

    link = appointment_link(settings.appointment_url, settings.default_language)
    image = QrWidget(link, 300).to_image().convertToFormat(QImage.Format.Format_Grayscale8)
    found = [b.text for b in zxingcpp.read_barcodes(image)]
    if found != [link]:
        raise SelfTestError(f"qr code: decoded {found!r}, expected {link!r}")
