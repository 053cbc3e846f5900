"""Exporting requests for the front desk: CSV or XLSX, injection-safe, written atomically
(no Qt)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import xlsxwriter
import xlsxwriter.exceptions

from kiosk.storage import AppointmentStore, StoredRequest

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


def _csv_bytes(rows: Sequence[StoredRequest]) -> bytes:
    buffer = io.StringIO()
    # RFC 4180: CRLF line ends, quotes only where needed, doubled inside quoted cells.
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([title for _key, title, _w in COLUMNS])
    for request in rows:
        values = _row(request)
        out = []
        for key, _title, _w in COLUMNS:
            value = values[key]
            text = value.strftime("%Y-%m-%d %H:%M") if isinstance(value, dt.datetime) else value
            out.append(neutralise(text))
        writer.writerow(out)
    # The byte-order mark makes Excel read UTF-8, so Turkish and Arabic names survive.
    return buffer.getvalue().encode("utf-8-sig")


def _write_xlsx(path: Path, rows: Sequence[StoredRequest]) -> None:
    # in_memory: xlsxwriter's own temporary files would otherwise put patient data on the
    # system disk; the sheet is small, so memory is the better place.
    book = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "in_memory": True, "strings_to_formulas": False}
    )
    try:
        sheet = book.add_worksheet("Requests")
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
    finally:
        book.close()


def write_export(
    rows: Sequence[StoredRequest], fmt: Format, target: Path, now: dt.datetime | None = None
) -> Path:
    """Write ``rows`` to ``target`` (a folder, or a file path) and return the file written.

    The data goes to a temporary file in the same folder, is flushed and fsynced, and is
    then renamed into place: a pulled USB stick or a full disk leaves no partial file.
    Raises ExportError.
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
                handle.write(_csv_bytes(rows))
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
            tmp.unlink(missing_ok=True)
        raise ExportError(f"could not write the export: {exc}") from exc
    return final


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


def select_requests(
    store: AppointmentStore, status: str = "new", since: dt.date | None = None
) -> list[StoredRequest]:
    """Return the requests to export: one status (or "all"), received on or after ``since``."""
    rows = store.list_requests(None if status == "all" else status)
    if since is not None:
        rows = [r for r in rows if r.created_at.astimezone(dt.UTC).date() >= since]
    return rows


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
) -> tuple[Path, list[StoredRequest]]:
    """Export, then mark the rows exported and audit it in one transaction.

    If the marking fails the file is removed again, so a file on the stick always means
    the rows were marked, and a failure leaves neither. Raises ExportError.
    """
    rows = select_requests(store, status, since)
    path = write_export(rows, fmt, target, now)
    try:
        with store.db.atomic():
            if mark_exported and rows:
                ids = [r.id for r in rows]
                marks = ",".join("?" * len(ids))
                # Contacted requests stay contacted: exporting them again changes nothing.
                store.db.execute(
                    f"UPDATE requests SET status = 'exported', exported_at = ? "
                    f"WHERE id IN ({marks}) AND status = 'new'",
                    [dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), *ids],
                )
            store.audit_in_transaction(
                "exported",
                {"count": len(rows), "format": fmt, "destination": destination},
            )
    except Exception as exc:
        path.unlink(missing_ok=True)
        raise ExportError(f"export written but not recorded, so it was removed: {exc}") from exc
    return path, rows
