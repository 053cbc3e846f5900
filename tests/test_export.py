"""Exports: CSV and XLSX round trips, formula injection, atomic writes, retention."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import openpyxl
import pytest
import xlsxwriter

from kiosk.appointment import FormData, validate_request
from kiosk.export import (
    COLUMNS,
    ExportError,
    Format,
    dialable,
    export_filename,
    export_requests,
    neutralise,
    readable,
    write_export,
)
from kiosk.store import AppointmentStore, StoredRequest, open_database

NAMES = ["Gülşen İçli-Işık", "فاطمة الزهراء", "Zoë 😀 Åström", '=HYPERLINK("http://x")']
NOW = dt.datetime(2026, 11, 22, 10, 5)


def _add(store: AppointmentStore, name: str, email: str = "a@example.com") -> str:
    request = validate_request(
        FormData(
            name=name,
            email=email,
            contact_language="tr",
            contact_method="email",
            time_window="morning",
            consents={"notice_read": True, "contact": True, "marketing_email": True},
        ),
        "tr",
    )
    assert not isinstance(request, list)
    return store.add_request(
        request, kiosk_id="k", content_version="v", consent_versions={}, notice_version="n"
    )


class Clock:
    """A wall clock the test sets by hand (monotonic time follows it)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def store(make_store: Callable[..., AppointmentStore]) -> AppointmentStore:
    s = make_store()
    for name in NAMES:
        _add(s, name)
    return s


@pytest.fixture
def stick(tmp_path: Path) -> Path:
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


def test_csv_round_trip(store: AppointmentStore, stick: Path) -> None:
    """UTF-8 with BOM, one header row, CRLF rows; names in any script come back exactly."""
    path = write_export(store.list_requests(), "csv", stick, NOW)
    assert path.name == "kiosk-requests-20261122-1005.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0][:5] == ["Reference", "Received (UTC)", "UTC offset", "Kiosk", "Name"]
    names = [r[4] for r in rows[1:]]
    assert names[:3] == NAMES[:3]
    assert names[3] == "'" + NAMES[3]  # the formula is neutralised


def test_xlsx_round_trip(store: AppointmentStore, stick: Path) -> None:
    """Header row, real dates, the same names; read back with openpyxl."""
    path = write_export(store.list_requests(), "xlsx", stick, NOW)
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Reference" and len(rows) == 1 + len(NAMES)
    assert isinstance(rows[1][1], dt.datetime)
    assert [r[4] for r in rows[1:4]] == NAMES[:3]
    # A typed text cell is never run as a formula: it needs no apostrophe.
    assert rows[4][4] == NAMES[3]
    assert sheet.column_dimensions["E"].width > 20


@pytest.mark.parametrize(
    "payload",
    ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", '=HYPERLINK("x")'],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_injection_neutralised(
    make_store: Callable[..., AppointmentStore],
    tmp_path: Path,
    stick: Path,
    payload: str,
    fmt: str,
) -> None:
    """No cell can run as a formula: a CSV cell that would starts with an apostrophe, an
    XLSX cell is a typed text cell holding the text exactly (no apostrophe to see)."""
    s = make_store(tmp_path / "inj.db")
    _add(s, "Safe Name", email="x@example.com")
    row = s.list_requests()[0]
    row.personal["name"] = payload  # as if it had slipped past validation
    path = write_export([row], fmt, stick, NOW)
    if fmt == "csv":
        cells = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline="")))[1]
        # The reader may show a carriage return as \n; the guard is the leading apostrophe,
        # which neutralise() adds exactly once.
        assert neutralise(payload) == "'" + payload
        assert cells[4].startswith("'") and payload.lstrip("\t\r")[-1] == cells[4][-1]
        for cell in cells:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    else:
        sheet = openpyxl.load_workbook(path).active
        typed = [(c.value, c.data_type) for c in list(sheet.iter_rows())[1]]
        assert all(kind != "f" for _value, kind in typed)  # no formula anywhere
        name, kind = typed[4]
        assert kind == "s" and name.replace("_x000D_", "\r") == payload


def test_export_marks_rows_and_audits(store: AppointmentStore, stick: Path) -> None:
    """A successful export marks its rows exported and writes one audit entry."""
    path, ids = export_requests(store, "csv", stick, destination="usb")
    assert path.exists() and sorted(ids) == sorted(r.id for r in store.list_requests())
    assert len(ids) == len(NAMES)
    assert {r.status for r in store.list_requests()} == {"exported"}
    entry = store.audit_log()[0]
    assert entry["event"] == "exported"
    assert entry["detail"] == {"count": len(NAMES), "destination": "usb", "format": "csv"}


def test_failing_destination_leaves_nothing(
    store: AppointmentStore, stick: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stick pulled mid-write (its fsync fails): no file at all, no row marked."""
    import kiosk.export as export

    def pulled(*_args: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(export.os, "fsync", pulled)
    with pytest.raises(ExportError) as failed:
        export_requests(store, "xlsx", stick)
    assert failed.value.reason == "gone"
    assert list(stick.iterdir()) == []
    assert {r.status for r in store.list_requests()} == {"new"}


def test_missing_folder_is_an_error(store: AppointmentStore, tmp_path: Path) -> None:
    """A destination that is gone (stick removed) gives ExportError and marks nothing."""
    with pytest.raises(ExportError):
        export_requests(store, "csv", tmp_path / "gone" / "x.csv")
    assert {r.status for r in store.list_requests()} == {"new"}


def test_failed_marking_removes_the_file(
    store: AppointmentStore, stick: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the database cannot record the export, the file is removed: both or neither."""

    def broken(*_args: object, **_kw: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "audit_in_transaction", broken)
    with pytest.raises(ExportError):
        export_requests(store, "csv", stick)
    assert list(stick.iterdir()) == []
    assert {r.status for r in store.list_requests()} == {"new"}


def test_filename_format() -> None:
    """kiosk-requests-[<kiosk>-]YYYYMMDD-HHMM.csv|xlsx."""
    assert (
        export_filename("xlsx", dt.datetime(2027, 1, 2, 3, 4))
        == "kiosk-requests-20270102-0304.xlsx"
    )
    assert (
        export_filename("csv", dt.datetime(2027, 1, 2, 3, 4), "salon-2")
        == "kiosk-requests-salon-2-20270102-0304.csv"
    )


def test_retention_with_a_fake_clock(make_store: Callable[..., AppointmentStore]) -> None:
    """Exported requests older than the retention period go; the destruction log keeps date
    and count; the anonymous figures survive."""
    now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    clock = Clock(now - dt.timedelta(days=45))
    writer = make_store(clock=clock)
    for days, name in ((45, "Old One"), (31, "Old Two"), (2, "Recent")):
        clock.now = now - dt.timedelta(days=days)
        _add(writer, name)
    writer.set_status([r.id for r in writer.list_requests()], "exported", "exported")
    store = make_store(clock=lambda: now)  # a later start of the kiosk
    assert store.purge_older_than(30).total == 2
    assert [r.personal["name"] for r in store.list_requests()] == ["Recent"]
    [entry] = store.destruction_log()
    assert entry["count"] == 2 and entry["reason"] == "retention 30 days, reached staff"
    assert sum(store.figures()["language"].values()) == 3
    assert "Old One" not in repr(store.audit_log()) + repr(store.destruction_log())
    with pytest.raises(Exception, match="append-only"):
        store.db.execute("DELETE FROM destruction_log")


def test_second_export_in_the_same_minute_keeps_the_first(
    store: AppointmentStore, stick: Path
) -> None:
    """Two exports a few seconds apart make two files; the first is never replaced."""
    first, _rows = export_requests(store, "csv", stick, now=NOW)
    store.delete([r.id for r in store.list_requests()[:2]], "removed after export")
    second, _rows = export_requests(store, "csv", stick, status="all", now=NOW)
    assert first != second and first.exists() and second.exists()
    assert second.name == "kiosk-requests-20261122-1005-2.csv"
    assert len(first.read_text("utf-8-sig").splitlines()) == 1 + len(NAMES)


def test_contacted_requests_stay_contacted(store: AppointmentStore, stick: Path) -> None:
    """Exporting "all" marks only new requests; a contacted one keeps its status."""
    contacted = store.list_requests()[0]
    store.set_status([contacted.id], "contacted", "marked_contacted")
    export_requests(store, "xlsx", stick, status="all")
    statuses = {r.reference: r.status for r in store.list_requests()}
    assert statuses.pop(contacted.reference) == "contacted"
    assert set(statuses.values()) == {"exported"}


def test_unwritable_folder_is_an_export_error(
    store: AppointmentStore, stick: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even creating the file failing (a write-protected stick) is a clean ExportError."""
    import kiosk.export as export

    real_open = export.os.open

    def refuse(path: object, flags: int, *args: object, **kw: object) -> int:
        if flags & export.os.O_CREAT:
            raise PermissionError(13, "Read-only file system")
        return real_open(path, flags, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(export.os, "open", refuse)
    with pytest.raises(ExportError) as failed:
        export_requests(store, "csv", stick)
    assert failed.value.reason == "read-only"
    assert {r.status for r in store.list_requests()} == {"new"}


def test_deleted_requests_leave_no_copy_in_the_wal(
    make_store: Callable[..., AppointmentStore], tmp_path: Path
) -> None:
    """After a delete, not even the sealed copy of the request is left in the database file
    or its -wal file (whoever later learns the key must find nothing)."""
    s = make_store(tmp_path / "w.db")
    _add(s, "Silinecek Kişi")
    sealed = next(s.db.query("select sealed from requests"))["sealed"]
    s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert sealed[:32] in b"".join(p.read_bytes() for p in tmp_path.glob("w.db*"))
    s.delete([r.id for r in s.list_requests()], "test")
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("w.db*"))
    assert sealed[:32] not in raw and b"Silinecek" not in raw


def test_database_file_is_private(tmp_path: Path) -> None:
    """The database is readable by the kiosk's own account only."""
    import os
    import stat

    if os.name != "posix":
        pytest.skip("POSIX permissions")
    open_database(tmp_path / "p" / "k.db").close()
    assert stat.S_IMODE((tmp_path / "p" / "k.db").stat().st_mode) == 0o600


# --- the fast writers give what the csv module and xlsxwriter gave -----------------------

TRICKY = [
    "plain",
    "",
    "a, b",
    'say "hi"',
    "two\nlines",
    "cr\rinside",
    "=1+1",
    "+90 532",
    "+905321234567",
    "a;=1+1",
    "x; -2",
    'a;"=1+1',
    " =1+1",
    'x\n"@SUM(1)',
    "-5",
    "@SUM(A1)",
    "\t=tab",
    "\r=cr",
    " leading",
    "trailing ",
    "\u00a0nbsp",
    "tail\n",
    "&<>'\"",
    "_x0041_ literal",
    "ctl\x01\x1f",
    "\ufffe\uffff",
    "Zoë 😀 Åström",
    "فاطمة",
    "|pipe| ",
    "x" * 20000 + "😀" * 7000,
]


def _tricky_rows(store: AppointmentStore) -> list[StoredRequest]:
    base = store.list_requests()[0]
    rows = []
    for i, text in enumerate(TRICKY):
        personal = {
            "name": text,
            "phone": TRICKY[(i + 1) % len(TRICKY)],
            "email": TRICKY[(i + 2) % len(TRICKY)],
            "topic": TRICKY[(i + 3) % len(TRICKY)][:50],
        }
        consents = {
            "items": {"marketing_sms": {"given": i % 2}, "marketing_call": {"given": i % 3}}
        }
        rows.append(
            dataclasses.replace(
                base,
                id=i + 1,
                reference=TRICKY[(i + 4) % len(TRICKY)][:40],
                created_at=dt.datetime(2026, 3, 1, 12, 0, i, 123456 * (i % 2), tzinfo=dt.UTC)
                + dt.timedelta(hours=i * 7),
                personal=personal,
                consents=consents,
                status=TRICKY[(i + 5) % len(TRICKY)][:40],
                language="tr",
            )
        )
    return rows


def _expected_cells(r: StoredRequest, fmt: str) -> list[str | dt.datetime]:
    """The cells an export should hold, computed the plain way (the reference): the time
    in the zone (UTC here), its offset, the kiosk, phones dialable (CSV) or readable (XLSX),
    and a CSV cell that could be a formula with its apostrophe."""
    p = r.personal
    items = r.consents.get("items", {})
    marketing = [
        c.removeprefix("marketing_")
        for c in ("marketing_sms", "marketing_email", "marketing_call")
        if items.get(c, {}).get("given")
    ]
    phone = p.get("phone") or ""
    if phone:
        phone = dialable(phone) if fmt == "csv" else readable(phone)
    cells: list[str | dt.datetime] = [
        r.reference,
        r.created_at.astimezone(dt.UTC).replace(tzinfo=None),
        "UTC+00:00",
        r.kiosk_id,
        p.get("name") or "",
        phone,
        *(
            p.get(k) or ""
            for k in ("email", "contact_language", "contact_method", "time_window", "topic")
        ),
        r.status,
        " / ".join(marketing),
        r.language,
        "demo" if r.is_demo else "",
    ]
    if fmt == "csv":
        cells = [
            v.strftime("%Y-%m-%d %H:%M") if isinstance(v, dt.datetime) else neutralise(v)
            for v in cells
        ]
        # In a semicolon spreadsheet the text after a semicolon or line break is a cell.
        cells = [re.sub(r"([;\r\n])([\s\"]*)(?=[=+\-@])", r"\1\2'", str(v)) for v in cells]
    return cells


def _check_csv(path: Path, rows: list[StoredRequest]) -> None:
    """The file reads back as the expected cells, split at commas by the csv module, and a
    spreadsheet set to the semicolon (Turkish Excel) finds no cell starting a formula."""
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    text = raw.decode("utf-8-sig")
    assert text.count("\r\n") >= len(rows) + 1
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert read[0] == [title.format(zone="UTC") for _key, title, _w in COLUMNS]
    assert read[1:] == [_expected_cells(r, "csv") for r in rows]
    for line in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
        for cell in line:
            assert not cell.lstrip(' "').startswith(("=", "+", "-", "@")), cell


def _expected_xlsx(path: Path, rows: list[StoredRequest]) -> None:
    """The workbook xlsxwriter's constant_memory mode writes for these rows (the reference)."""
    book = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "tmpdir": str(path.parent), "strings_to_formulas": False},
    )
    sheet = book.add_worksheet("Requests")
    bold = book.add_format({"bold": True})
    date = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for c, (_key, title, width) in enumerate(COLUMNS):
        sheet.set_column(c, c, width)
        sheet.write_string(0, c, title.format(zone="UTC"), bold)
    for n, r in enumerate(rows, start=1):
        for c, value in enumerate(_expected_cells(r, "xlsx")):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(n, c, value, date)
            else:
                sheet.write_string(n, c, value)
    sheet.freeze_panes(1, 0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    book.close()


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        # The document properties hold the time the file was made, nothing else differs.
        return {i.filename: archive.read(i) for i in archive.infolist() if "core" not in i.filename}


def test_csv_reads_back_as_the_cells(store: AppointmentStore, stick: Path) -> None:
    """Quotes, commas, semicolons, line breaks, formula starts and any script: the csv
    module reads back exactly the expected cells (the fast path joins cells itself)."""
    rows = _tricky_rows(store)
    path = write_export(rows, "csv", stick, NOW)
    _check_csv(path, rows)


@pytest.mark.parametrize("count", [0, 1, len(TRICKY)])
def test_xlsx_is_the_workbook_xlsxwriter_writes(
    store: AppointmentStore, stick: Path, tmp_path: Path, count: int
) -> None:
    """Every part of the workbook (sheet XML, styles, widths, frozen header, escapes of
    control characters and "_xHHHH_", whitespace, over-long text) is byte for byte what
    xlsxwriter's constant_memory mode wrote; openpyxl reads the same cells and formats."""
    rows = _tricky_rows(store)[:count]
    path = write_export(rows, "xlsx", stick, NOW)
    reference = tmp_path / "reference.xlsx"
    _expected_xlsx(reference, rows)
    assert _parts(path) == _parts(reference)
    ours, theirs = openpyxl.load_workbook(path), openpyxl.load_workbook(reference)
    assert ours.sheetnames == theirs.sheetnames == ["Requests"]
    a, b = ours.active, theirs.active
    assert a.freeze_panes == b.freeze_panes == "A2"
    assert {k: d.width for k, d in a.column_dimensions.items()} == {
        k: d.width for k, d in b.column_dimensions.items()
    }
    cells = [[(c.value, c.number_format, c.font.b) for c in row] for row in a.iter_rows()]
    assert cells == [[(c.value, c.number_format, c.font.b) for c in row] for row in b.iter_rows()]
    assert len(cells) == 1 + count


def test_export_rows_match_the_stored_requests(
    make_store: Callable[..., AppointmentStore], tmp_path: Path, stick: Path
) -> None:
    """A clock set back makes time order differ from id order: the export still lists the
    requests by time, exactly as the requests read one by one."""
    clock = Clock(dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC))
    s = make_store(tmp_path / "order.db", clock=clock)
    for minutes, name in ((0, "Second"), (-90, "First"), (30, "Third")):
        clock.now = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
        _add(s, name)
    rows = s.list_requests()
    assert [r.personal["name"] for r in rows] == ["First", "Second", "Third"]
    fast = list(s.iter_export_rows())
    assert [r.id for r in fast] == [r.id for r in rows]
    assert [r.personal.name for r in fast if r.personal] == ["First", "Second", "Third"]
    path, ids = export_requests(s, "csv", stick, now=NOW, mark_exported=False)
    _check_csv(path, rows)
    assert ids == [r.id for r in rows]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_locked_store_exports_nothing(
    make_store: Callable[..., AppointmentStore], tmp_path: Path, stick: Path, fmt: Format
) -> None:
    """Sealed rows without the passcode: refused in either format, no file, nothing marked."""
    writer = make_store(tmp_path / "locked.db")
    _add(writer, "Kilitli Kişi")
    locked = make_store(tmp_path / "locked.db", unlocked=False)
    with pytest.raises(ExportError, match="locked"):
        export_requests(locked, fmt, stick)
    assert list(stick.iterdir()) == []
    assert {r.status for r in writer.list_requests()} == {"new"}


def test_xlsx_refuses_when_the_count_is_wrong(store: AppointmentStore, stick: Path) -> None:
    """The sheet states its size first: a request saved mid-export makes it refuse, not lie."""
    rows = store.list_requests()
    with pytest.raises(ExportError, match="changed"):
        write_export(iter(rows), "xlsx", stick, NOW, count=len(rows) - 1)
    assert list(stick.iterdir()) == []


def test_xlsx_refuses_more_rows_than_a_sheet_holds(store: AppointmentStore, stick: Path) -> None:
    """Excel stops at 1,048,576 rows; xlsxwriter used to drop the rest without a word."""
    with pytest.raises(ExportError, match="do not fit"):
        write_export(iter([]), "xlsx", stick, NOW, count=1_048_576)
    assert list(stick.iterdir()) == []


def test_csv_is_safe_where_the_semicolon_separates(store: AppointmentStore, stick: Path) -> None:
    """Written out by hand (not by the rule the code uses): in a spreadsheet set to the
    semicolon, the text after a semicolon or a line break starts a cell, even behind an
    empty quoted "" or spaces; each gets its apostrophe, and so does a leading space."""
    row = store.list_requests()[0]
    for name, written in (
        ('a;"=1+1', '"a;""\'=1+1"'),
        ("a; =1+1", '"a; \'=1+1"'),
        (" =1+1", "' =1+1"),
        ("x\n@SUM(1)", '"x\n\'@SUM(1)"'),
    ):
        row.personal["name"] = name
        path = write_export([row], "csv", stick, NOW)
        assert "," + written + "," in path.read_text("utf-8-sig"), name
        path.unlink()


def test_a_new_format_is_a_writer_and_one_registry_line(
    store: AppointmentStore, stick: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export and the command line take their formats from WRITERS alone."""
    from kiosk import export
    from kiosk.cli import build_parser

    def write_names(
        handle: IO[bytes], rows: Iterable[Any], count: int | None, style: export.ExportStyle
    ) -> str | None:
        text = "".join(f"{row.personal.name}\n" for row in rows).encode()
        handle.write(text)
        return hashlib.sha256(text).hexdigest()

    monkeypatch.setitem(export.WRITERS, "txt", export.Writer("Names", False, write_names))
    path, ids = export_requests(store, "txt", stick, status="all", now=NOW)
    assert path.name.endswith(".txt") and len(ids) == len(NAMES)
    assert path.read_text().splitlines() == NAMES
    args = build_parser().parse_args(["export", "--format", "txt", "--out", str(stick)])
    assert args.format == "txt"
    with pytest.raises(ExportError, match="unknown format"):
        export_requests(store, "pdf", stick, status="all")
