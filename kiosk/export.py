"""Exporting requests for the front desk: CSV or XLSX, injection-safe, checked on the drive
before anything is marked (no Qt)."""

from __future__ import annotations

import codecs
import datetime as dt
import errno
import hashlib
import io
import logging
import os
import re
import stat
import tempfile
import zipfile
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import phonenumbers
import xlsxwriter
import xlsxwriter.exceptions
import xlsxwriter.utility

from kiosk.store import (
    AppointmentStore,
    ConsentGiven,
    ExportRow,
    MarketingConsents,
    PersonalFields,
    StoredRequest,
    StoreError,
)
from kiosk.times import offset_text

log = logging.getLogger(__name__)

# An export format's name: a key of WRITERS, and the file name's extension.
Format = str
# OWASP CSV injection: a cell starting with one of these may be run as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# (key, title, width). The received time is the clinic's local time (its zone in the title)
# and its offset from UTC has a column of its own: an XLSX date cannot carry one.
COLUMNS = (
    ("reference", "Reference", 12),
    ("received", "Received ({zone})", 20),
    ("offset", "UTC offset", 10),
    ("kiosk", "Kiosk", 14),
    ("name", "Name", 28),
    ("phone", "Phone", 20),
    ("email", "E-mail", 30),
    ("contact_language", "Contact language", 12),
    ("contact_method", "Contact method", 14),
    ("time_window", "Preferred time", 14),
    ("topic", "Topic", 20),
    ("status", "Status", 11),
    ("marketing", "Marketing consent", 18),
    ("kiosk_language", "Screen language", 10),
    ("demo", "Demo", 8),
)
_RECEIVED = 1  # the column holding the time


class ExportError(Exception):
    """The export could not be written; no file was left behind.

    ``reason`` says what staff can do about it: ``gone`` (the stick or folder is not there
    any more), ``own-disk`` (it is on the kiosk's own disk), ``full``, ``read-only``,
    ``unverified`` (the file read back differently), ``exists`` (a file of that name is
    there), ``locked`` (the requests are sealed), ``failed`` (anything else).
    """

    def __init__(self, message: str, reason: str = "failed") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """Where an export goes, as it was when staff were offered it.

    ``device`` is the folder's filesystem (``st_dev``) when it was offered: at save time the
    folder must still be on it, and the file written must be too. A stick pulled out leaves
    its mount folder on the kiosk's own disk; its device has changed, so nothing is written
    there. ``own`` are the kiosk's own folders (its disk, its data): an export is refused on
    their filesystems, so no plain copy of patients' data lands on the kiosk.
    """

    path: Path
    kind: str = "command-line"  # "usb", "folder" or "command-line"
    device: int | None = None
    own: tuple[Path, ...] = ()


@dataclass(frozen=True)
class ExportStyle:
    """How an export reads: the clinic's time zone, and the kiosk's name for file names."""

    zone: str = "UTC"
    kiosk_id: str = ""
    # A Site column after the kiosk's (the desk console's exports, from many sites).
    sites: bool = False

    def tzinfo(self) -> dt.tzinfo:
        return zoneinfo.ZoneInfo(self.zone)


def neutralise(value: str) -> str:
    """Prefix a cell that a spreadsheet would read as a formula with an apostrophe (also
    after leading spaces, which a spreadsheet may trim first)."""
    return "'" + value if value.lstrip(" ").startswith(FORMULA_STARTS) else value


def export_filename(fmt: Format, now: dt.datetime, kiosk_id: str = "") -> str:
    """Return ``kiosk-requests-[<kiosk id>-]YYYYMMDD-HHMM.<fmt>`` for the local time ``now``."""
    kiosk = f"{kiosk_id}-" if kiosk_id else ""
    return f"kiosk-requests-{kiosk}{now:%Y%m%d-%H%M}.{fmt}"


_SITE_COLUMN = ("site", "Site", 16)
_SITE_AT = 4  # after the kiosk's column


def columns(style: ExportStyle) -> tuple[tuple[str, str, int], ...]:
    """The columns an export with ``style`` writes."""
    if not style.sites:
        return COLUMNS
    return (*COLUMNS[:_SITE_AT], _SITE_COLUMN, *COLUMNS[_SITE_AT:])


def headers(style: ExportStyle) -> list[str]:
    """The header row, the received column naming the clinic's time zone."""
    return [title.format(zone=style.zone) for _key, title, _w in columns(style)]


_NO_PERSONAL = PersonalFields()
# Which marketing consents were given (SMS, e-mail, call) to the cell that lists them
# ("sms / email": no comma, so the common CSV line needs no quotes).
_MARKETING = {
    (sms, email, call): " / ".join(
        name for name, given in (("sms", sms), ("email", email), ("call", call)) if given
    )
    for sms in (False, True)
    for email in (False, True)
    for call in (False, True)
}


_COUNTRY_CODES = frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def _country_code(digits: str) -> int:
    """How many leading digits of an E.164 number (without its +) are its country code:
    codes are prefix-free, 1 to 3 digits, and none starts with 0."""
    for length in (1, 2, 3):
        if digits[:length] in _COUNTRY_CODES:
            return length
    return 0


def dialable(phone: str) -> str:
    """A stored E.164 number as a CSV shows it: ``00 90 5321234567``.

    It is what one dials from Türkiye (and most countries) and no spreadsheet reads it as
    a formula (a leading + is one) or a number (the spaces), so it needs no apostrophe.
    Anything else stored is returned as it is (and neutralised like any cell).
    """
    if not (phone.startswith("+") and phone[1:].isascii() and phone[1:].isdigit()):
        return phone
    digits = phone[1:]
    length = _country_code(digits)
    if not length or length == len(digits):
        return phone
    return f"00 {digits[:length]} {digits[length:]}"


def readable(phone: str) -> str:
    """A stored E.164 number as an XLSX shows it: ``+90 532 123 45 67`` (a text cell, which
    a spreadsheet never runs as a formula). Anything else stored is returned as it is."""
    if not (phone.startswith("+") and phone[1:].isascii() and phone[1:].isdigit()):
        return phone
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _cells(r: ExportRow, phone: Callable[[str], str], sites: bool = False) -> list[str]:
    """The text cells of one request, the stored ISO 8601 time in the received column
    (each format writes it its own way) and an empty offset cell after it."""
    p = r.personal or _NO_PERSONAL
    m = r.marketing
    marketing = _MARKETING[
        (
            m.marketing_sms is not None and bool(m.marketing_sms.given),
            m.marketing_email is not None and bool(m.marketing_email.given),
            m.marketing_call is not None and bool(m.marketing_call.given),
        )
    ]
    cells = [
        r.reference,
        r.created_at,
        "",
        r.kiosk_id,
        p.name or "",
        phone(p.phone) if p.phone else "",
        p.email or "",
        p.contact_language or "",
        p.contact_method or "",
        p.time_window or "",
        p.topic or "",
        r.status,
        marketing,
        r.language,
        "demo" if r.is_demo else "",
    ]
    if sites:
        cells.insert(_SITE_AT, r.site)
    return cells


class _Clock:
    """Stored UTC times in the clinic's zone, remembering each hour's offset (a zone's
    offset changes at most a few times a year, and the conversion is the costly part)."""

    def __init__(self, zone: dt.tzinfo) -> None:
        self._zone = zone
        # None: the offset changes within that hour (some zones change on the half hour).
        self._hours: dict[str, tuple[dt.timedelta, str] | None] = {}
        self._last = ("", "", "")

    def text(self, stored: str) -> tuple[str, str]:
        """The stored time as ``YYYY-MM-DD HH:MM`` in the zone, and its offset; requests
        come in time order, so the last minute asked is often asked again."""
        minute = stored[:16] + stored[19:]  # the minute and the stored offset
        if minute != self._last[0]:
            local, offset = self.local(stored)
            self._last = (minute, f"{local:%Y-%m-%d %H:%M}", offset)
        return self._last[1], self._last[2]

    def local(self, stored: str) -> tuple[dt.datetime, str]:
        """The stored time as a naive local time, and its offset as ``+03:00``."""
        if _STORED_UTC.fullmatch(stored):
            hour = stored[:13]
            if hour not in self._hours:
                self._hours[hour] = self._hour_offset(hour)
            known = self._hours[hour]
            if known is not None:
                utc = dt.datetime.fromisoformat(stored[:19])
                return utc + known[0], known[1]
        when = dt.datetime.fromisoformat(stored)  # refuses a damaged time
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        local = when.astimezone(self._zone)
        return local.replace(tzinfo=None), offset_text(local)

    def _hour_offset(self, hour: str) -> tuple[dt.timedelta, str] | None:
        """The zone's offset through a whole UTC hour (``YYYY-MM-DDTHH``), or None if it
        changes within it."""
        utc = dt.datetime.fromisoformat(hour + ":00:00+00:00")
        # Added in UTC: an aware local time adds on the wall clock, across the change.
        start = utc.astimezone(self._zone)
        end = (utc + dt.timedelta(minutes=59, seconds=59)).astimezone(self._zone)
        if start.utcoffset() != end.utcoffset():
            return None
        return start.utcoffset() or dt.timedelta(0), offset_text(start)


# How this kiosk stores every time (UTC, seconds): read by slicing, the common case.
_STORED_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", re.ASCII)


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
        kiosk_id=r.kiosk_id,
        is_demo=r.is_demo,
    )


def _records(rows: Iterable[StoredRequest | ExportRow]) -> Iterator[ExportRow]:
    for r in rows:
        yield r if isinstance(r, ExportRow) else _export_row(r)


# A CSV cell is quoted when it holds a quote, a line break or either list separator: a
# spreadsheet set to the semicolon (Turkish, German, Russian Excel) splits an unquoted
# cell at its semicolons, and a part after one could start a formula.
_CSV_QUOTED = re.compile('["\r\n,;]')
# A cell after the first starting with a formula character (after spaces), in a row's cells
# joined by commas (a comma inside a cell may match too: that row just takes the careful
# way). Starting with the comma, the pattern is searched for it: five times faster than
# "(?:^|,)", which tries every position; the first cell is looked at on its own.
_FORMULA_CELL = re.compile(", *[=+\\-@\t\r]")
# What makes a line need more than its cells joined by commas (commas are counted apart).
_CSV_SPECIAL = re.compile('["\r\n;]')
# A semicolon or line break followed by a formula start (spaces or quotes between): a
# spreadsheet set to the semicolon honours quotes only at a cell's start, so the text after
# either starts a cell of its own there (an empty quoted "" first, perhaps), and gets an
# apostrophe too.
_AFTER_BREAK = re.compile(r"([;\r\n])([\s\"]*)(?=[=+\-@])")


def _csv_cell(value: str) -> str:
    """RFC 4180: quoted, with quotes doubled, where needed."""
    return '"' + value.replace('"', '""') + '"' if _CSV_QUOTED.search(value) else value


class _Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


def _write_csv(
    handle: _Writable, rows: Iterable[StoredRequest | ExportRow], style: ExportStyle
) -> None:
    # The byte-order mark makes Excel read UTF-8, so Turkish and Arabic names survive.
    handle.write(codecs.BOM_UTF8)
    # RFC 4180: CRLF line ends, quotes only where needed, doubled inside quoted cells. Most
    # lines need none: their cells joined by commas is the line, at a fifth of the cost.
    clock = _Clock(style.tzinfo())
    special = _CSV_SPECIAL.search
    formula = _FORMULA_CELL.search
    starts = FORMULA_STARTS
    commas = len(columns(style)) - 1
    sites = style.sites
    # Rows are written as they are read, a thousand lines at a time: 100,000 requests never
    # sit in memory at once.
    chunk: list[str] = [",".join(_csv_cell(t) for t in headers(style)) + "\r\n"]
    for r in _records(rows):
        cells = _cells(r, dialable, sites)
        # The time and its offset ("UTC+03:00") never start with a formula character.
        cells[_RECEIVED], offset = clock.text(cells[_RECEIVED])
        cells[_RECEIVED + 1] = "UTC" + offset
        line = ",".join(cells)
        if formula(line) or line.lstrip(" ").startswith(starts):
            # Some cell starts with a formula character (or holds a comma followed by one):
            # neutralise() written out inline, for this row only.
            cells = ["'" + v if v.lstrip(" ").startswith(starts) else v for v in cells]
            line = ",".join(cells)
        if line.count(",") != commas or special(line):
            cells = [_csv_cell(_AFTER_BREAK.sub(r"\1\2'", v)) for v in cells]
            line = ",".join(cells)
        chunk.append(line + "\r\n")
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

    def __init__(self, rows: int, style: ExportStyle) -> None:
        buffer = io.BytesIO()
        # xlsxwriter's temporary files (the header only, no patient's data) go to a folder
        # of their own that is removed with them: never onto the stick, even when it is full.
        with tempfile.TemporaryDirectory(prefix="kiosk-xlsx-") as scratch:
            book = xlsxwriter.Workbook(
                buffer,
                {"constant_memory": True, "tmpdir": scratch, "strings_to_formulas": False},
            )
            sheet = book.add_worksheet("Requests")
            bold = book.add_format({"bold": True})
            date = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
            for c, ((_key, _title, width), title) in enumerate(
                zip(columns(style), headers(style), strict=True)
            ):
                sheet.set_column(c, c, width)
                sheet.write_string(0, c, title, bold)
            if rows:
                # One dated cell, so that the date format is in the styles; its row is
                # taken out again below, and its style number read from it.
                sheet.write_datetime(1, _RECEIVED, _EXCEL_EPOCH, date)
            sheet.freeze_panes(1, 0)
            # Printed: landscape, every column on one page's width, the header on each page.
            sheet.set_landscape()
            sheet.fit_to_pages(1, 0)
            sheet.repeat_rows(0)
            book.close()
        with zipfile.ZipFile(buffer) as archive:
            self.parts = [(info, archive.read(info)) for info in archive.infolist()]
        xml = dict((info.filename, data) for info, data in self.parts)[_SHEET].decode("utf-8")
        last = xlsxwriter.utility.xl_col_to_name(len(columns(style)) - 1)
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


def _row_formats(date_style: str, width: int = len(COLUMNS)) -> tuple[str, str]:
    """Format strings for one data row of ``width`` cells: the common case (plain text in
    every cell, taking the row number and the cells' text) and the general one (taking
    ready ``<t>`` elements)."""
    fast, slow = ['<row r="{0}">'], ['<row r="{0}">']
    for c in range(width):
        col = xlsxwriter.utility.xl_col_to_name(c)
        if c == _RECEIVED:
            cell = f'<c r="{col}{{0}}" s="{date_style}"><v>{{{c + 1}}}</v></c>'
            fast.append(cell)
            slow.append(cell)
        else:
            fast.append(f'<c r="{col}{{0}}" t="inlineStr"><is><t>{{{c + 1}}}</t></is></c>')
            slow.append(f'<c r="{col}{{0}}" t="inlineStr"><is>{{{c + 1}}}</is></c>')
    return "".join(fast) + "</row>", "".join(slow) + "</row>"


def _write_xlsx(
    handle: IO[bytes], rows: Iterable[StoredRequest | ExportRow], count: int, style: ExportStyle
) -> None:
    """Write ``count`` requests (the sheet's size is stated before its rows) into the open
    file ``handle``, which the caller closes. Every cell is a typed text cell, which a
    spreadsheet never runs as a formula: nothing needs an apostrophe."""
    if count + 1 > _MAX_ROWS:
        raise ExportError(f"{count:,} requests do not fit in one sheet: export fewer")
    template = _Template(count, style)
    fast, slow = _row_formats(template.date_style, len(columns(style)))
    sites = style.sites
    fast_format, slow_format = fast.format, slow.format
    special = _SPECIAL.search
    clock = _Clock(style.tzinfo())
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
            for r in _records(rows):
                n += 1
                cells = _cells(r, readable, sites)
                local, offset = clock.local(cells[_RECEIVED])
                cells[_RECEIVED] = _excel_serial(local)
                cells[_RECEIVED + 1] = "UTC" + offset
                joined = "|".join(cells)
                if special(joined) or len(joined) > _STRMAX // 2:
                    cells = [t if c == _RECEIVED else _inline_text(t) for c, t in enumerate(cells)]
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


def _csv(
    handle: IO[bytes],
    rows: Iterable[StoredRequest | ExportRow],
    count: int | None,
    style: ExportStyle,
) -> str | None:
    hashing = _Hashing(handle)
    _write_csv(hashing, rows, style)
    return hashing.hexdigest()


def _xlsx(
    handle: IO[bytes],
    rows: Iterable[StoredRequest | ExportRow],
    count: int | None,
    style: ExportStyle,
) -> str | None:
    assert count is not None
    _write_xlsx(handle, rows, count, style)
    return None


def _zip_damage(copy: IO[bytes]) -> str | None:
    """The first damaged part of the workbook read back (by its CRC), or None."""
    try:
        with zipfile.ZipFile(copy) as archive:
            return archive.testzip()
    except zipfile.BadZipFile:
        return "the workbook"


@dataclass(frozen=True)
class Writer:
    """One export format: its name on the staff screen's button, whether it states its row
    count before its rows (``sized``: write gets the count), and the function that writes
    the rows into an open file. ``write`` returns the SHA-256 of the bytes it wrote when it
    can tell (the copy read back must match it); otherwise ``damage`` checks the copy read
    back and names what is wrong with it (None: nothing)."""

    label: str
    sized: bool
    write: Callable[
        [IO[bytes], Iterable[StoredRequest | ExportRow], int | None, ExportStyle], str | None
    ]
    damage: Callable[[IO[bytes]], str | None] | None = None


# Every export format, in the order the staff screen offers them (the command line's choices
# and the export itself read this too). A new format is a writer and one line here; its key
# is the file extension.
WRITERS: dict[Format, Writer] = {
    "xlsx": Writer("Excel (XLSX)", sized=True, write=_xlsx, damage=_zip_damage),
    "csv": Writer("CSV", sized=False, write=_csv),
}
FORMATS: tuple[Format, ...] = tuple(WRITERS)


def write_export(
    rows: Iterable[StoredRequest | ExportRow],
    fmt: Format,
    target: Path | Target,
    now: dt.datetime | None = None,
    *,
    count: int | None = None,
    style: ExportStyle = ExportStyle(),
) -> Path:
    """Write ``rows`` to ``target`` (a folder, or a file path) and return the file written.

    The destination is checked first (:func:`check_target`). The file is created under its
    final name, never over an existing file (a folder gets ``-2``, ``-3``... names; a file
    name that exists is refused), written, fsynced, and read back from the drive and
    compared before this returns. Any failure removes it again: no partial file and no
    hidden temporary file is left. Raises ExportError (or the error the rows raised).

    An XLSX sheet states its size before its rows: pass ``count`` with an iterator (it is
    checked), or a sized collection; any other iterable is read into memory first.
    """
    writer = WRITERS.get(fmt)
    if writer is None:
        raise ExportError(f"unknown format {fmt!r}")
    if isinstance(target, Path):
        target = Target(target)
    if writer.sized and count is None:
        if not isinstance(rows, Sized):
            rows = list(rows)
        count = len(rows)
    now = now or dt.datetime.now(style.tzinfo())
    check_target(target)
    folder, name, free = _place(target, fmt, export_filename(fmt, now, style.kiosk_id))
    try:
        held = _Folder(folder)
    except OSError as exc:
        raise ExportError(f"could not open {folder}: {exc}", _reason(exc)) from exc
    try:
        if target.device is not None and held.device() != target.device:
            # Unmounted between the check and now: the folder is on the kiosk's disk.
            raise ExportError(f"{target.path} is not the drive it was", "gone")
        name, handle = held.create(name, free)
        try:
            expected = writer.write(handle, rows, count, style)
            handle.flush()
            os.fsync(handle.fileno())
            _read_back(handle, held, name, expected, writer.damage)
            handle.close()
            held.fsync()
            if target.device is not None and device_of(target.path) != target.device:
                # Unmounted while it was written (a lazy unmount): the file is not where
                # staff will look for it. Removed through the folder still held.
                raise ExportError(f"{target.path} went away during the export", "gone")
        except OSError as exc:
            held.drop(handle, name)
            raise ExportError(f"could not write the export: {exc}", _reason(exc)) from exc
        except (ExportError, StoreError):
            held.drop(handle, name)
            raise
        except Exception as exc:
            held.drop(handle, name)
            raise ExportError(f"could not write the export: {exc}") from exc
        except BaseException:
            held.drop(handle, name)
            raise
    finally:
        held.close()
    return folder / name


def device_of(path: Path) -> int | None:
    """The filesystem ``path`` is on now, or None if it cannot be reached."""
    try:
        return os.stat(path).st_dev
    except OSError:
        return None


def own_devices(folders: Iterable[Path]) -> set[int]:
    """The filesystems (``st_dev``) of the kiosk's own folders that exist."""
    found = set()
    for folder in folders:
        try:
            found.add(os.stat(folder).st_dev)
        except OSError:
            continue
    return found


def check_target(target: Target) -> None:
    """Refuse a destination that is gone or on the kiosk's own disk. Raises ExportError.

    By device, not by folder name: a pulled stick leaves its mount folder behind, an
    ordinary folder on the kiosk's disk.
    """
    if target.kind == "command-line":
        return  # IT names the file; it is created exclusively like any other
    try:
        found = os.stat(target.path)
    except OSError:
        raise ExportError(f"{target.path} is not there any more", "gone") from None
    if not stat.S_ISDIR(found.st_mode):
        raise ExportError(f"{target.path} is not a folder", "gone")
    if target.kind == "usb" and target.device is None:
        raise ExportError(f"{target.path} was offered without its drive", "gone")
    if target.device is not None and found.st_dev != target.device:
        # The usual case: the stick was pulled out and its mount folder, now an ordinary
        # folder on the kiosk's disk, stayed behind.
        raise ExportError(f"{target.path} is not the drive it was", "gone")
    if found.st_dev in own_devices(target.own):
        raise ExportError(f"{target.path} is on the kiosk's own disk", "own-disk")


def _place(target: Target, fmt: Format, name: str) -> tuple[Path, str, bool]:
    """The folder and file name an export goes to, and whether another free name may be
    taken (a folder: ``-2``, ``-3``...) or the name must be new (a file name given)."""
    if target.path.is_dir():
        return target.path, name, True
    _check_name(target, fmt)
    return target.path.parent, target.path.name, False


class _Folder:
    """The export's folder, held open from the check to the end where the platform allows
    it (POSIX): the file is created, read back and removed in that very folder, even if the
    stick is unmounted meanwhile and its mount folder, on the kiosk's disk, takes its name.
    Elsewhere (Windows) by path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None
        if os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY"):
            self.fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)

    def _name(self, name: str) -> str:
        return name if self.fd is not None else str(self.path / name)

    def device(self) -> int:
        return (os.fstat(self.fd) if self.fd is not None else os.stat(self.path)).st_dev

    def create(self, name: str, free: bool) -> tuple[str, IO[bytes]]:
        """Create ``name`` (or, if ``free``, the first free ``name-2``...) exclusively:
        creating and checking are one step, so two exports at once never write over each
        other, and nothing is ever written over an earlier file."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        stem, suffix = Path(name).stem, Path(name).suffix
        for n in range(1, 1000 if free else 2):
            candidate = name if n == 1 else f"{stem}-{n}{suffix}"
            try:
                fd = os.open(self._name(candidate), flags, 0o600, dir_fd=self.fd)
            except FileExistsError:
                if not free:
                    raise ExportError(
                        f"{self.path / name} already exists; an export never replaces a "
                        "file: name a new file or a folder",
                        "exists",
                    ) from None
                continue
            except OSError as exc:
                raise ExportError(f"could not write the export: {exc}", _reason(exc)) from exc
            return candidate, os.fdopen(fd, "wb")
        raise ExportError(f"{self.path} holds too many exports of this minute", "exists")

    def open_read(self, name: str) -> IO[bytes]:
        return os.fdopen(
            os.open(self._name(name), os.O_RDONLY | getattr(os, "O_BINARY", 0), dir_fd=self.fd),
            "rb",
        )

    def drop(self, handle: IO[bytes], name: str) -> None:
        """Close and remove a file that is not a good export (quietly: the stick may be
        gone, and its partial file with it)."""
        try:
            handle.close()
        except (OSError, ValueError):
            pass
        try:
            os.unlink(self._name(name), dir_fd=self.fd)
        except OSError:
            pass

    def fsync(self) -> None:
        """Make the new directory entry durable where the platform allows it."""
        if self.fd is not None:
            os.fsync(self.fd)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _check_name(target: Target, fmt: Format) -> None:
    """Refuse a target that is neither a folder nor a file name of this format in one."""
    if target.path.is_dir():
        return
    suffix = target.path.suffix.lower()
    if suffix in {f".{f}" for f in FORMATS} and suffix != f".{fmt}":
        raise ExportError(f"the file name ends in {suffix} but the format is {fmt}")
    if suffix != f".{fmt}" or not target.path.parent.is_dir():
        # Most likely a stick that was pulled out: never write "usb" as a file into the
        # folder above it.
        raise ExportError(f"folder does not exist: {target.path}", "gone")


class _Hashing:
    """A binary file that also hashes what is written to it (the CSV is read back and
    compared with this)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        return self._handle.write(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _read_back(
    handle: IO[bytes],
    held: _Folder,
    name: str,
    expected: str | None,
    damage: Callable[[IO[bytes]], str | None] | None,
) -> None:
    """Read the written file back from the drive and check it: against the hash of what was
    written (CSV), or else by the format's own ``damage`` check (XLSX: every part's CRC).
    Raises ExportError ("unverified").

    The kernel is first asked to forget its cached copy (Linux: written pages are clean
    after the fsync and are dropped), so the read comes from the stick itself; elsewhere it
    may come from the cache, and checks at least that the whole file is there.
    """
    fadvise = getattr(os, "posix_fadvise", None)
    if fadvise is not None:
        fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    path = held.path / name
    with held.open_read(name) as again:
        mine, theirs = os.fstat(handle.fileno()), os.fstat(again.fileno())
        if (mine.st_dev, mine.st_ino) != (theirs.st_dev, theirs.st_ino):
            raise ExportError(f"{path} is not the file that was written", "unverified")
        if expected is not None:
            digest = hashlib.sha256()
            for block in iter(lambda: again.read(1 << 20), b""):
                digest.update(block)
            if digest.hexdigest() != expected:
                raise ExportError(
                    f"{path} reads back differently from what was written", "unverified"
                )
            return
        bad = damage(again) if damage is not None else None
        if bad is not None:
            raise ExportError(f"{path}: {bad} reads back damaged", "unverified")


def _reason(exc: OSError) -> str:
    """What staff can do about a failed write, from its error number."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "full"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "read-only"
    if exc.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EIO, errno.ESTALE):
        return "gone"
    return "failed"


def count_requests(
    store: AppointmentStore,
    status: str = "new",
    since: dt.date | dt.datetime | None = None,
    *,
    include_demo: bool = False,
) -> int:
    """How many requests an export with these choices would hold (no decryption)."""
    return store.count_matching(
        None if status == "all" else status, since, include_demo=include_demo
    )


def export_requests(
    store: AppointmentStore,
    fmt: Format,
    target: Path | Target,
    *,
    status: str = "new",
    since: dt.date | dt.datetime | None = None,
    mark_exported: bool = True,
    include_demo: bool = False,
    destination: str | None = None,
    style: ExportStyle = ExportStyle(),
    now: dt.datetime | None = None,
) -> tuple[Path, list[int]]:
    """Export, then mark the rows exported and audit it in one transaction; return the
    file and the ids of the exported requests. Demo requests only with ``include_demo``.

    The store must be unlocked (staff passcode). The file is read back before anything is
    marked; if the marking fails the file is removed again, so a file on the stick always
    means the rows were marked, and a failure leaves neither. A failure is logged and
    audited (its reason, never a patient's data). Raises ExportError; reason ``empty`` when
    no request matches (no file is written).
    """
    if isinstance(target, Path):
        target = Target(target)
    where = destination or target.kind
    try:
        return _export(
            store, fmt, target, where, status, since, mark_exported, include_demo, style, now
        )
    except ExportError as exc:
        if exc.reason != "empty":
            log.warning("export_failed reason=%s format=%s destination=%s", exc.reason, fmt, where)
            try:
                store.audit("export_failed", reason=exc.reason, format=fmt, destination=where)
            except Exception:  # noqa: BLE001 (the export's own error is the one to report)
                pass  # the database is the trouble: the log line stands
        raise


@dataclass(frozen=True)
class Exported:
    """What an export left behind: the file and the requests in it, or, when it failed,
    the ExportError's reason (and no file)."""

    path: Path | None = None
    ids: tuple[int, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class ExportChoice:
    """Which requests staff chose to export (as export_requests takes them), and how the
    file writes them."""

    status: str = "new"
    since: dt.date | dt.datetime | None = None
    include_demo: bool = False
    style: ExportStyle = ExportStyle()


def export_outcome(
    store: AppointmentStore, fmt: Format, target: Target, choice: ExportChoice
) -> Exported:
    """export_requests (marking the rows), an ExportError returned as its reason."""
    try:
        path, ids = export_requests(
            store,
            fmt,
            target,
            status=choice.status,
            since=choice.since,
            include_demo=choice.include_demo,
            style=choice.style,
        )
    except ExportError as exc:
        return Exported(reason=exc.reason)
    return Exported(path, tuple(ids))


def export_on_own_connection(
    open_store: Callable[[], AppointmentStore],
    fmt: Format,
    target: Target,
    choice: ExportChoice,
) -> Exported:
    """export_outcome on a store opened by ``open_store`` (AppointmentStore.reopener with
    its key), for a worker thread: the copy of the key is zeroed and the connection closed
    before it returns. Any error but an ExportError (the database would not open) is
    raised."""
    store = open_store()
    try:
        return export_outcome(store, fmt, target, choice)
    finally:
        store.lock()
        store.close()


def _export(
    store: AppointmentStore,
    fmt: Format,
    target: Target,
    where: str,
    status: str,
    since: dt.date | dt.datetime | None,
    mark_exported: bool,
    include_demo: bool,
    style: ExportStyle,
    now: dt.datetime | None,
) -> tuple[Path, list[int]]:
    ids: list[int] = []
    wanted = None if status == "all" else status

    def rows() -> Iterator[ExportRow]:
        add = ids.append
        for r in store.iter_export_rows(wanted, since, include_demo=include_demo):
            if r.personal is None:
                raise ExportError(
                    "the requests are locked: open them with the staff passcode", "locked"
                )
            add(r.id)
            yield r

    # Where it would go is checked before the count, so a wrong place is never hidden
    # behind "nothing to export".
    check_target(target)
    _check_name(target, fmt)
    try:
        # Counted apart from the reading; a request saved in between is caught by the
        # XLSX writer, which then refuses (CSV needs no count).
        count = store.count_matching(wanted, since, include_demo=include_demo)
        if not count:
            raise ExportError("no request matches: nothing was written", "empty")
        path = write_export(rows(), fmt, target, now, count=count, style=style)
    except StoreError as exc:
        raise ExportError(f"could not read the requests: {exc}") from exc
    try:
        store.record_export(ids, mark_exported, {"format": fmt, "destination": where})
    except BaseException as exc:
        # A file on the stick always means its requests were marked: without the mark,
        # no file (quietly: the stick may have gone too).
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass
        if isinstance(exc, Exception):
            raise ExportError(f"export written but not recorded, so it was removed: {exc}") from exc
        raise
    return path, ids
