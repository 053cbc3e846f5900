"""Exporting requests for the front desk: CSV or XLSX, injection-safe, written atomically
(no Qt)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sized
from pathlib import Path
from typing import IO, Literal

import xlsxwriter
import xlsxwriter.exceptions
import xlsxwriter.utility

from kiosk.storage import (
    AppointmentStore,
    ConsentGiven,
    ExportRow,
    MarketingConsents,
    PersonalFields,
    StoredRequest,
    StoreError,
    write_transaction,
)

Format = Literal["csv", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")
# OWASP CSV injection: a cell starting with one of these may be run as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = (
    ("reference", "Reference", 12),
    ("received", "Received (UTC)", 20),
    ("name", "Name", 28),
    ("phone", "Phone", 18),
    ("email", "E-mail", 30),
    ("contact_language", "Contact language", 12),
    ("contact_method", "Contact method", 14),
    ("time_window", "Preferred time", 14),
    ("topic", "Topic", 20),
    ("status", "Status", 11),
    ("marketing", "Marketing consent", 18),
    ("kiosk_language", "Screen language", 10),
)


class ExportError(Exception):
    """The export could not be written; no file was left behind."""


def neutralise(value: str) -> str:
    """Prefix a cell that a spreadsheet would read as a formula with an apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def export_filename(fmt: Format, now: dt.datetime) -> str:
    """Return ``kiosk-requests-YYYYMMDD-HHMM.<fmt>`` for the local time ``now``."""
    return f"kiosk-requests-{now:%Y%m%d-%H%M}.{fmt}"


_NO_PERSONAL = PersonalFields()
# Which marketing consents were given (SMS, e-mail, call) to the cell that lists them.
_MARKETING = {
    (sms, email, call): ", ".join(
        name for name, given in (("sms", sms), ("email", email), ("call", call)) if given
    )
    for sms in (False, True)
    for email in (False, True)
    for call in (False, True)
}


def _row(r: ExportRow) -> list[str]:
    """The cells of one request, each neutralised, with the stored ISO 8601 creation time
    in the second cell (each format writes it its own way, see :func:`_received`)."""
    p = r.personal or _NO_PERSONAL
    m = r.marketing
    marketing = _MARKETING[
        (
            m.marketing_sms is not None and bool(m.marketing_sms.given),
            m.marketing_email is not None and bool(m.marketing_email.given),
            m.marketing_call is not None and bool(m.marketing_call.given),
        )
    ]
    starts = FORMULA_STARTS
    # neutralise() written out inline: this runs for every cell of every request.
    return [
        "'" + v if v.startswith(starts) else v
        for v in (
            r.reference,
            r.created_at,
            p.name or "",
            p.phone or "",
            p.email or "",
            p.contact_language or "",
            p.contact_method or "",
            p.time_window or "",
            p.topic or "",
            r.status,
            marketing,
            r.language,
        )
    ]


# How this kiosk stores every time (UTC, seconds): read by slicing, the common case.
_STORED_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", re.ASCII)


def _received(stored: str) -> dt.datetime:
    """The stored creation time as a naive UTC datetime (what the spreadsheet shows)."""
    when = dt.datetime.fromisoformat(stored)
    if _STORED_UTC.fullmatch(stored):
        return when.replace(tzinfo=None)
    return when.astimezone(dt.UTC).replace(tzinfo=None)


def _received_text(stored: str) -> str:
    """The stored creation time as CSV shows it: ``YYYY-MM-DD HH:MM`` in UTC."""
    when = dt.datetime.fromisoformat(stored)  # also refuses a damaged time, as before
    if _STORED_UTC.fullmatch(stored):
        return stored[:10] + " " + stored[11:16]
    return f"{when.astimezone(dt.UTC):%Y-%m-%d %H:%M}"


def _export_row(r: StoredRequest) -> ExportRow:
    """A request read with :meth:`AppointmentStore.iter_requests` as the export reads it."""
    p = r.personal
    items = r.consents.get("items", {})
    return ExportRow(
        id=r.id,
        reference=r.reference,
        created_at=r.created_at.isoformat(),
        language=r.language,
        status=r.status,
        personal=None
        if r.locked
        else PersonalFields(**{f: p.get(f) or None for f in PersonalFields.__struct_fields__}),
        marketing=MarketingConsents(
            **{
                c: ConsentGiven(items.get(c, {}).get("given"))
                for c in MarketingConsents.__struct_fields__
            }
        ),
    )


def _records(rows: Iterable[StoredRequest | ExportRow]) -> Iterator[ExportRow]:
    for r in rows:
        yield r if isinstance(r, ExportRow) else _export_row(r)


# A CSV cell needs quoting when it holds one of these (or the delimiter, counted apart).
_CSV_QUOTED = re.compile('["\r\n]')


def _write_csv(handle: io.BufferedWriter, rows: Iterable[ExportRow]) -> None:
    # The byte-order mark makes Excel read UTF-8, so Turkish and Arabic names survive.
    handle.write(codecs.BOM_UTF8)
    # RFC 4180: CRLF line ends, quotes only where needed, doubled inside quoted cells. The
    # csv module writes the lines that need quotes (and the header); every other line is
    # the cells joined by commas, which is what it would write too, at a fifth of the cost.
    quoted = io.StringIO()
    writer = csv.writer(quoted, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([title for _key, title, _w in COLUMNS])
    commas = len(COLUMNS) - 1
    needs_quotes = _CSV_QUOTED.search
    row = _row
    # Rows are written as they are read, a thousand lines at a time: 100,000 requests never
    # sit in memory at once.
    chunk: list[str] = [quoted.getvalue()]
    for r in rows:
        cells = row(r)
        # A date never starts with a formula character, so it needs no neutralising.
        cells[1] = _received_text(cells[1])
        line = ",".join(cells)
        if line.count(",") == commas and not needs_quotes(line):
            chunk.append(line + "\r\n")
        else:
            quoted.seek(0)
            quoted.truncate()
            writer.writerow(cells)
            chunk.append(quoted.getvalue())
        if len(chunk) >= 1000:
            handle.write("".join(chunk).encode("utf-8"))
            chunk.clear()
    handle.write("".join(chunk).encode("utf-8"))


# --- XLSX ---------------------------------------------------------------------------------
#
# xlsxwriter spends about 16 µs on each cell, so 1.2 million cells took far longer than the
# budget. It still builds the workbook (styles, column widths, frozen header, document
# properties): a template holding the header and one dated cell, written in its
# constant_memory mode. This module then streams the data rows into the sheet in exactly
# the XML that mode writes (inline strings, the same escapes), one string per row.

_SHEET = "xl/worksheets/sheet1.xml"
# Excel's last row; xlsxwriter silently drops cells beyond it, which would lose requests.
_MAX_ROWS = 1_048_576
# A text cell needs the slow path when it has characters XML or Excel escapes, a literal
# "_xHHHH_", whitespace at either end (checked on the row's cells joined by "|"), or may be
# too long for Excel.
_SPECIAL = re.compile(
    "[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|(?:^|\\|)\\s|\\s(?:\\||$)"
)
_CONTROL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("([\x00-\x08\x0b-\x1f])")
_LEADING_SPACE = re.compile(r"^\s")
_TRAILING_SPACE = re.compile(r"\s$")
_STRMAX = 32767  # Excel's limit, in UTF-16 code units
_EXCEL_EPOCH = dt.datetime(1899, 12, 31)


def _inline_text(value: str) -> str:
    """``<t>…</t>`` for one text cell, escaped as xlsxwriter's constant_memory mode does."""
    if len(value) > _STRMAX // 2 and len(value.encode("utf-16-le", "surrogatepass")) > _STRMAX:
        units = 0
        for index, char in enumerate(value):
            units += 2 if ord(char) > 0xFFFF else 1
            if units > _STRMAX:
                value = value[:index]
                break
    value = _CONTROL_ESCAPE.sub(r"_x005F\1", value)
    value = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", value)
    value = value.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    preserve = _LEADING_SPACE.search(value) or _TRAILING_SPACE.search(value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<t xml:space="preserve">{value}</t>' if preserve else f"<t>{value}</t>"


def _excel_serial(when: dt.datetime) -> str:
    """Excel's serial number for a naive datetime, computed and printed as xlsxwriter does."""
    delta = when - _EXCEL_EPOCH
    serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
    if when.isocalendar() == (1900, 1, 1):
        serial -= 1
    if serial > 59:
        serial += 1  # Excel counts 29 February 1900, which never was
    return f"{serial:.16G}"


class _Template:
    """The workbook xlsxwriter writes around the data: every part as bytes, and the sheet
    split where the data rows go."""

    def __init__(self, folder: Path, rows: int) -> None:
        buffer = io.BytesIO()
        # tmpdir: xlsxwriter's own temporary files stay on the export's drive, as before.
        book = xlsxwriter.Workbook(
            buffer,
            {"constant_memory": True, "tmpdir": str(folder), "strings_to_formulas": False},
        )
        sheet = book.add_worksheet("Requests")
        bold = book.add_format({"bold": True})
        date = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        for c, (_key, title, width) in enumerate(COLUMNS):
            sheet.set_column(c, c, width)
            sheet.write_string(0, c, title, bold)
        if rows:
            # One dated cell, so that the date format is in the styles; its row is taken
            # out again below, and its style number read from it.
            sheet.write_datetime(1, 1, _EXCEL_EPOCH, date)
        sheet.freeze_panes(1, 0)
        book.close()
        with zipfile.ZipFile(buffer) as archive:
            self.parts = [(info, archive.read(info)) for info in archive.infolist()]
        xml = dict((info.filename, data) for info, data in self.parts)[_SHEET].decode("utf-8")
        last = xlsxwriter.utility.xl_col_to_name(len(COLUMNS) - 1)
        dimension = f'<dimension ref="A1:{last}{2 if rows else 1}"/>'
        sample = re.search(r'<row r="2"><c r="B2" s="(\d+)"><v>[^<]*</v></c></row>', xml)
        if dimension not in xml or "</sheetData>" not in xml or (rows and sample is None):
            raise ExportError("unexpected workbook layout from xlsxwriter")  # pragma: no cover
        if sample is not None:
            xml = xml.replace(sample.group(0), "")
        xml = xml.replace(dimension, f'<dimension ref="A1:{last}{rows + 1}"/>')
        head, tail = xml.split("</sheetData>")
        self.head = head.encode("utf-8")
        self.tail = ("</sheetData>" + tail).encode("utf-8")
        self.date_style = sample.group(1) if sample is not None else "0"


def _row_formats(date_style: str) -> tuple[str, str]:
    """Format strings for one data row: the common case (plain text in every cell, taking
    the row number and the cells' text) and the general one (taking ready ``<t>`` elements)."""
    fast, slow = ['<row r="{0}">'], ['<row r="{0}">']
    for c in range(len(COLUMNS)):
        col = xlsxwriter.utility.xl_col_to_name(c)
        if c == 1:
            cell = f'<c r="{col}{{0}}" s="{date_style}"><v>{{{c + 1}}}</v></c>'
            fast.append(cell)
            slow.append(cell)
        else:
            fast.append(f'<c r="{col}{{0}}" t="inlineStr"><is><t>{{{c + 1}}}</t></is></c>')
            slow.append(f'<c r="{col}{{0}}" t="inlineStr"><is>{{{c + 1}}}</is></c>')
    return "".join(fast) + "</row>", "".join(slow) + "</row>"


def _write_xlsx(path: Path, rows: Iterable[ExportRow], count: int) -> None:
    """Write ``count`` requests (the sheet's size is stated before its rows)."""
    if count + 1 > _MAX_ROWS:
        raise ExportError(f"{count:,} requests do not fit in one sheet: export fewer")
    template = _Template(path.parent, count)
    fast, slow = _row_formats(template.date_style)
    fast_format, slow_format = fast.format, slow.format
    special = _SPECIAL.search
    row = _row
    handle = open(path, "wb")  # noqa: SIM115 (closed below, or by _abandon)
    archive = zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED)
    sheet: IO[bytes] | None = None
    try:
        for info, data in template.parts:
            if info.filename != _SHEET:
                archive.writestr(info, data)
                continue
            sheet = archive.open(info, "w")
            sheet.write(template.head)
            chunk: list[str] = []
            n = 1
            for r in rows:
                n += 1
                cells = row(r)
                cells[1] = _excel_serial(_received(cells[1]))
                joined = "|".join(cells)
                if special(joined) or len(joined) > _STRMAX // 2:
                    cells = [t if c == 1 else _inline_text(t) for c, t in enumerate(cells)]
                    chunk.append(slow_format(n, *cells))
                else:
                    chunk.append(fast_format(n, *cells))
                if len(chunk) == 1000:
                    sheet.write("".join(chunk).encode("utf-8"))
                    chunk.clear()
            sheet.write("".join(chunk).encode("utf-8"))
            if n - 1 != count:
                raise ExportError("the requests changed during the export: try again")
            sheet.write(template.tail)
            sheet.close()
        archive.close()
        handle.close()
    except BaseException:
        _abandon(handle, sheet, archive)
        raise


def _abandon(handle: IO[bytes], sheet: IO[bytes] | None, archive: zipfile.ZipFile) -> None:
    """Drop a half-written workbook: its file is closed first, so nothing more is written
    (never a workbook left to the garbage collector, which would try to finish it on a
    pulled stick); the caller removes the file."""
    for close in (handle.close, *((sheet.close,) if sheet else ()), archive.close):
        try:
            close()
        except (OSError, ValueError):
            pass  # the file is already closed, or the stick is gone


def write_export(
    rows: Iterable[StoredRequest | ExportRow],
    fmt: Format,
    target: Path,
    now: dt.datetime | None = None,
    *,
    count: int | None = None,
) -> Path:
    """Write ``rows`` to ``target`` (a folder, or a file path) and return the file written.

    The data goes to a temporary file in the same folder, is flushed and fsynced, and is
    then renamed into place: a pulled USB stick, a full disk or an error while reading the
    rows leaves no partial file. Raises ExportError (or the error the rows raised).

    An XLSX sheet states its size before its rows: pass ``count`` with an iterator (it is
    checked), or a sized collection; any other iterable is read into memory first.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}")
    if fmt == "xlsx" and count is None:
        if not isinstance(rows, Sized):
            rows = list(rows)
        count = len(rows)
    now = now or dt.datetime.now()
    if target.is_dir():
        final = _free_name(target, export_filename(fmt, now))
    elif target.suffix.lower() == f".{fmt}":
        final = target
    else:
        # Neither a folder nor a file name of this format: most likely a stick that was
        # pulled out. Never write "usb" as a file into the folder above it.
        raise ExportError(f"folder does not exist: {target}")
    folder = final.parent
    if not folder.is_dir():
        raise ExportError(f"folder does not exist: {folder}")
    tmp: Path | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".kiosk-export-", suffix=f".{fmt}", dir=folder)
        tmp = Path(tmp_name)
        if fmt == "csv":
            with os.fdopen(fd, "wb") as handle:
                _write_csv(handle, _records(rows))
                handle.flush()
                os.fsync(handle.fileno())
        else:
            os.close(fd)
            assert count is not None
            _write_xlsx(tmp, _records(rows), count)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp, final)
        _fsync_dir(folder)
    except (OSError, zipfile.BadZipFile, xlsxwriter.exceptions.XlsxWriterException) as exc:
        if tmp is not None:
            _unlink_quietly(tmp)
        raise ExportError(f"could not write the export: {exc}") from exc
    except BaseException:
        if tmp is not None:
            _unlink_quietly(tmp)
        raise
    return final


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # the stick is gone: so is the partial file


def _free_name(folder: Path, name: str) -> Path:
    """Return ``folder/name``, or ``name-2``, ``-3``... if taken: an export never replaces
    an earlier file (it may hold requests already removed from the kiosk)."""
    candidate = folder / name
    stem, suffix = candidate.stem, candidate.suffix
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def count_requests(
    store: AppointmentStore, status: str = "new", since: dt.date | None = None
) -> int:
    """How many requests an export with these choices would hold (no decryption)."""
    return store.count_matching(None if status == "all" else status, since)


def export_requests(
    store: AppointmentStore,
    fmt: Format,
    target: Path,
    *,
    status: str = "new",
    since: dt.date | None = None,
    mark_exported: bool = True,
    destination: str = "folder",
    now: dt.datetime | None = None,
) -> tuple[Path, list[int]]:
    """Export, then mark the rows exported and audit it in one transaction; return the
    file and the ids of the exported requests.

    The store must be unlocked (staff passcode). If the marking fails the file is removed
    again, so a file on the stick always means the rows were marked, and a failure leaves
    neither. Raises ExportError.
    """
    ids: list[int] = []
    wanted = None if status == "all" else status

    def rows() -> Iterator[ExportRow]:
        add = ids.append
        for r in store.iter_export_rows(wanted, since):
            if r.personal is None:
                raise ExportError("the requests are locked: open them with the staff passcode")
            add(r.id)
            yield r

    try:
        # Counted apart from the reading; a request saved in between is caught by the
        # XLSX writer, which then refuses (CSV needs no count).
        count = store.count_matching(wanted, since) if fmt == "xlsx" else None
        path = write_export(rows(), fmt, target, now, count=count)
    except StoreError as exc:
        raise ExportError(f"could not read the requests: {exc}") from exc
    try:
        with write_transaction(store.db):
            if mark_exported and ids:
                # Contacted requests stay contacted: exporting them again changes nothing.
                stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                for start in range(0, len(ids), 500):  # SQLite's limit on bound values
                    chunk = ids[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    store.db.execute(
                        f"UPDATE requests SET status = 'exported', exported_at = ? "
                        f"WHERE id IN ({marks}) AND status = 'new'",
                        [stamp, *chunk],
                    )
            store.audit_in_transaction(
                "exported",
                {"count": len(ids), "format": fmt, "destination": destination},
            )
    except Exception as exc:
        path.unlink(missing_ok=True)
        raise ExportError(f"export written but not recorded, so it was removed: {exc}") from exc
    return path, ids
