"""Exporting requests for the front desk: CSV or XLSX, injection-safe, written atomically
(no Qt)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

import xlsxwriter
import xlsxwriter.exceptions
import xlsxwriter.worksheet

from kiosk.storage import AppointmentStore, StoredRequest, StoreError

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


def _row(r: StoredRequest) -> dict[str, str | dt.datetime]:
    p = r.personal
    items = r.consents.get("items", {})
    marketing = [
        c.removeprefix("marketing_")
        for c in ("marketing_sms", "marketing_email", "marketing_call")
        if items.get(c, {}).get("given")
    ]
    return {
        "reference": r.reference,
        "received": r.created_at.astimezone(dt.UTC).replace(tzinfo=None),
        "name": p.get("name") or "",
        "phone": p.get("phone") or "",
        "email": p.get("email") or "",
        "contact_language": p.get("contact_language") or "",
        "contact_method": p.get("contact_method") or "",
        "time_window": p.get("time_window") or "",
        "topic": p.get("topic") or "",
        "status": r.status,
        "marketing": ", ".join(marketing),
        "kiosk_language": r.language,
    }


def _write_csv(handle: io.BufferedWriter, rows: Iterable[StoredRequest]) -> None:
    # The byte-order mark makes Excel read UTF-8, so Turkish and Arabic names survive.
    # Rows are written as they are read: 100,000 requests never sit in memory at once.
    stream = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    # RFC 4180: CRLF line ends, quotes only where needed, doubled inside quoted cells.
    writer = csv.writer(stream, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([title for _key, title, _w in COLUMNS])
    for request in rows:
        values = _row(request)
        out = []
        for key, _title, _w in COLUMNS:
            value = values[key]
            text = value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else value
            out.append(neutralise(text))
        writer.writerow(out)
    stream.flush()
    stream.detach()


def _write_xlsx(path: Path, rows: Iterable[StoredRequest]) -> None:
    # constant_memory streams each row out as it is written; tmpdir keeps xlsxwriter's
    # temporary files in the export folder (the USB stick) rather than on the system disk,
    # where patient data could linger in free blocks.
    book = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "tmpdir": str(path.parent), "strings_to_formulas": False},
    )
    sheet = book.add_worksheet("Requests")
    try:
        bold = book.add_format({"bold": True})
        date = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        for c, (_key, title, width) in enumerate(COLUMNS):
            sheet.set_column(c, c, width)
            sheet.write_string(0, c, title, bold)
        for r, request in enumerate(rows, start=1):
            values = _row(request)
            for c, (key, _title, _w) in enumerate(COLUMNS):
                value = values[key]
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, value, date)
                else:
                    sheet.write_string(r, c, neutralise(value))
        sheet.freeze_panes(1, 0)
        book.close()
    except BaseException:
        _abandon(sheet)
        raise


def _abandon(sheet: xlsxwriter.worksheet.Worksheet) -> None:
    """Close and remove the half-written sheet's temporary file (never a whole workbook
    left to the garbage collector, which would try to finish it on a pulled stick)."""
    handle = getattr(sheet, "row_data_fh", None)
    if handle is not None and not handle.closed:
        handle.close()
    name = getattr(sheet, "row_data_filename", None)
    if name:
        _unlink_quietly(Path(name))


def write_export(
    rows: Iterable[StoredRequest], fmt: Format, target: Path, now: dt.datetime | None = None
) -> Path:
    """Write ``rows`` to ``target`` (a folder, or a file path) and return the file written.

    The data goes to a temporary file in the same folder, is flushed and fsynced, and is
    then renamed into place: a pulled USB stick, a full disk or an error while reading the
    rows leaves no partial file. Raises ExportError (or the error the rows raised).
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}")
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
                _write_csv(handle, rows)
                handle.flush()
                os.fsync(handle.fileno())
        else:
            os.close(fd)
            _write_xlsx(tmp, rows)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp, final)
        _fsync_dir(folder)
    except (OSError, xlsxwriter.exceptions.XlsxWriterException) as exc:
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

    def rows() -> Iterator[StoredRequest]:
        for r in store.iter_requests(None if status == "all" else status, since):
            if r.locked:
                raise ExportError("the requests are locked: open them with the staff passcode")
            ids.append(r.id)
            yield r

    try:
        path = write_export(rows(), fmt, target, now)
    except StoreError as exc:
        raise ExportError(f"could not read the requests: {exc}") from exc
    try:
        with store.db.atomic():
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
