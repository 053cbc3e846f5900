"""Exports land on the stick or nowhere: real mounts, the drive's identity, exclusive names,
read-back checks, readable cells (time zone, kiosk, phones) and demo requests left out."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

import kiosk.export as export
from kiosk.export import ExportError, ExportStyle, Target, export_requests
from kiosk.store import AppointmentStore

from testkit import save_patient, stand_in_stick

NOW = dt.datetime(2026, 12, 6, 14, 5)


@pytest.fixture
def store(make_store: Callable[..., AppointmentStore]) -> AppointmentStore:
    s = make_store()
    save_patient(s, "Ayşe Yılmaz")
    save_patient(s, "Mehmet Demir")
    return s


def _statuses(store: AppointmentStore) -> set[str]:
    return {r.status for r in store.list_requests()}


def _stick(folder: Path, own: tuple[Path, ...]) -> Target:
    """The stick as the Export page offers it: its folder and its filesystem then."""
    return Target(folder, "usb", os.stat(folder).st_dev, own)


def test_a_pulled_stick_gets_nothing_and_nothing_is_marked(
    store: AppointmentStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The review's blocker: a stick unmounted while the Export page is open leaves its
    empty mount folder on the kiosk's disk. Save must write nothing there, mark nothing,
    and log and audit the failure without a patient's data."""
    with stand_in_stick(tmp_path / "STICK") as mount:
        offered = _stick(mount, own=(tmp_path,))
        subprocess.run(["umount", str(mount)], check=True)
        assert mount.is_dir()  # the folder stays, now on the kiosk's own disk
        with caplog.at_level(logging.WARNING), pytest.raises(ExportError) as failed:
            export_requests(store, "xlsx", offered, now=NOW)
    assert failed.value.reason == "gone"
    assert list(mount.iterdir()) == []
    assert _statuses(store) == {"new"}
    entry = store.audit_log()[0]
    assert entry["event"] == "export_failed"
    assert entry["detail"] == {"reason": "gone", "format": "xlsx", "destination": "usb"}
    assert "export_failed reason=gone" in caplog.text
    assert "Ayşe" not in caplog.text and "Ayşe" not in repr(store.audit_log())


def test_a_mounted_stick_gets_a_checked_file(store: AppointmentStore, tmp_path: Path) -> None:
    """On a real mounted filesystem the export is written, read back, then marked."""
    with stand_in_stick(tmp_path / "STICK") as mount:
        path, ids = export_requests(store, "csv", _stick(mount, own=(tmp_path,)), now=NOW)
        assert path.parent == mount and len(ids) == 2
        assert "Ayşe Yılmaz" in path.read_text("utf-8-sig")
        assert [p.name for p in mount.iterdir()] == [path.name]  # nothing hidden beside it
    assert _statuses(store) == {"exported"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_full_stick_keeps_nothing(
    make_store: Callable[..., AppointmentStore], tmp_path: Path, fmt: str
) -> None:
    """A stick too small for the file: "full", no file at all (nor xlsxwriter's scratch
    files), nothing marked."""
    s = make_store()
    for n in range(300):
        save_patient(s, f"Hasta Numara {n} Uzunadlı-Soyadlı")
    with stand_in_stick(tmp_path / "SMALL", size="8k") as mount:
        with pytest.raises(ExportError) as failed:
            export_requests(s, fmt, _stick(mount, own=(tmp_path,)), now=NOW)  # type: ignore[arg-type]
        assert failed.value.reason == "full"
        assert list(mount.iterdir()) == []
    assert _statuses(s) == {"new"}


def test_a_folder_that_is_not_the_offered_drive_is_refused(
    store: AppointmentStore, tmp_path: Path
) -> None:
    """By device, not by name: the same folder on another filesystem is not the stick."""
    folder = tmp_path / "STICK"
    folder.mkdir()
    moved = Target(folder, "usb", os.stat(folder).st_dev + 1, ())
    with pytest.raises(ExportError) as failed:
        export_requests(store, "csv", moved, now=NOW)
    assert failed.value.reason == "gone" and list(folder.iterdir()) == []
    # A stick offered without knowing its drive is never trusted.
    with pytest.raises(ExportError, match="without its drive"):
        export_requests(store, "csv", Target(folder, "usb", None, ()), now=NOW)
    assert _statuses(store) == {"new"}


def test_the_kiosks_own_disk_is_refused(store: AppointmentStore, tmp_path: Path) -> None:
    """A configured folder on the kiosk's own disk would hold a plain copy of patients'
    data beside the encrypted database: refused."""
    folder = tmp_path / "desk-share"
    folder.mkdir()
    target = Target(folder, "folder", os.stat(folder).st_dev, own=(tmp_path,))
    with pytest.raises(ExportError) as failed:
        export_requests(store, "csv", target, now=NOW)
    assert failed.value.reason == "own-disk" and list(folder.iterdir()) == []


def test_a_file_that_reads_back_differently_is_removed(
    store: AppointmentStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-back check decides: a mismatch removes the file and marks nothing."""
    monkeypatch.setattr(export._Hashing, "hexdigest", lambda _self: "0" * 64)
    with pytest.raises(ExportError) as failed:
        export_requests(store, "csv", tmp_path, now=NOW)
    assert failed.value.reason == "unverified"
    assert not list(tmp_path.glob("kiosk-requests-*"))
    assert _statuses(store) == {"new"}


def test_an_existing_file_is_never_replaced(store: AppointmentStore, tmp_path: Path) -> None:
    """``--out`` naming a file that exists is refused; a folder gets the next free name,
    even when the first one appears just before the export creates it."""
    earlier = tmp_path / "requests.csv"
    earlier.write_text("an earlier export", "utf-8")
    with pytest.raises(ExportError, match="never replaces") as failed:
        export_requests(store, "csv", earlier, now=NOW)
    assert failed.value.reason == "exists"
    assert earlier.read_text("utf-8") == "an earlier export"
    taken = tmp_path / "kiosk-requests-20261206-1405.csv"
    taken.write_text("taken", "utf-8")
    path, _ids = export_requests(store, "csv", tmp_path, now=NOW)
    assert path.name == "kiosk-requests-20261206-1405-2.csv"
    assert taken.read_text("utf-8") == "taken"


def test_a_wrong_extension_says_so(store: AppointmentStore, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="ends in .xlsx but the format is csv"):
        export_requests(store, "csv", tmp_path / "out.xlsx", now=NOW)


def test_nothing_to_export_writes_no_file(store: AppointmentStore, tmp_path: Path) -> None:
    with pytest.raises(ExportError) as failed:
        export_requests(store, "csv", tmp_path, since=dt.date(2099, 1, 1), now=NOW)
    assert failed.value.reason == "empty" and not list(tmp_path.glob("kiosk-*"))


def _csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline="")))


def test_times_kiosk_and_phones_read_as_staff_need(store: AppointmentStore, tmp_path: Path) -> None:
    """Clinic time with its offset, the kiosk's name, and phone numbers that a spreadsheet
    shows as they are (no apostrophe) and no spreadsheet runs as a formula."""
    style = ExportStyle(zone="Europe/Istanbul", kiosk_id="salon-1")
    created = store.list_requests()[0].created_at
    local = created.astimezone(style.tzinfo())
    path, _ids = export_requests(store, "csv", tmp_path, style=style, now=NOW, mark_exported=False)
    assert path.name.startswith("kiosk-requests-salon-1-")
    rows = _csv_rows(path)
    head = dict(zip(rows[0], rows[1], strict=True))
    assert head["Received (Europe/Istanbul)"] == f"{local:%Y-%m-%d %H:%M}"
    assert head["UTC offset"] == "UTC+03:00"
    assert head["Kiosk"] == "salon-1"
    assert head["Phone"] == "00 90 5321234567"
    book, _ids = export_requests(store, "xlsx", tmp_path, style=style, now=NOW, mark_exported=False)
    sheet = openpyxl.load_workbook(book).active
    values = list(sheet.iter_rows(values_only=True))
    cells = dict(zip(values[0], values[1], strict=True))
    assert cells["Received (Europe/Istanbul)"] == local.replace(tzinfo=None)
    assert cells["Phone"] == "+90 532 123 45 67"
    assert cells["UTC offset"] == "UTC+03:00" and cells["Kiosk"] == "salon-1"
    assert sheet.page_setup.orientation == "landscape"


def test_demo_requests_stay_out_unless_asked(
    make_store: Callable[..., AppointmentStore], tmp_path: Path
) -> None:
    s = make_store()
    save_patient(s, "Gerçek Hasta")
    save_patient(s, "Demo Kişi", demo=True)
    path, ids = export_requests(s, "csv", tmp_path, now=NOW)
    names = [row[4] for row in _csv_rows(path)[1:]]
    assert names == ["Gerçek Hasta"] and len(ids) == 1
    demo = {r.reference: r.status for r in s.list_requests() if r.is_demo}
    assert set(demo.values()) == {"new"}  # not exported, so not marked
    path, ids = export_requests(s, "csv", tmp_path, status="all", include_demo=True, now=NOW)
    marked = {row[4]: row[-1] for row in _csv_rows(path)[1:]}
    assert marked == {"Gerçek Hasta": "", "Demo Kişi": "demo"}


def test_demo_requests_stay_out_of_the_figures(make_store: Callable[..., AppointmentStore]) -> None:
    """The clinic's figures count patients: a demo request adds nothing to them."""
    s = make_store()
    save_patient(s, "Demo Kişi", demo=True)
    assert s.figures() == {"week": {}, "language": {}, "topic": {}}
    save_patient(s, "Gerçek Hasta")
    assert sum(s.figures()["language"].values()) == 1


def test_a_stick_unmounted_during_the_write(
    make_store: Callable[..., AppointmentStore],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lazy unmount while the rows are written: the file went to a filesystem staff can
    no longer reach, so it is "gone", removed through the folder still held, and nothing
    is marked."""
    s = make_store()
    for n in range(5):
        save_patient(s, f"Hasta {n}")
    real_cells = export._cells
    written: list[object] = []
    with stand_in_stick(tmp_path / "STICK") as mount:
        target = _stick(mount, own=(tmp_path,))

        def unmount_after_two(r: object, phone: object, sites: bool = False) -> object:
            written.append(r)
            if len(written) == 2:
                subprocess.run(["umount", "-l", str(mount)], check=True)
            return real_cells(r, phone, sites)  # type: ignore[arg-type]

        monkeypatch.setattr(export, "_cells", unmount_after_two)
        with pytest.raises(ExportError) as failed:
            export_requests(s, "csv", target, now=NOW)
        assert failed.value.reason == "gone"
        assert list(mount.iterdir()) == []
    assert _statuses(s) == {"new"}


def test_a_failure_after_the_check_never_leaves_an_unmarked_file(
    store: AppointmentStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted between the checked file and its mark (Ctrl+C, a database error): the
    file goes, so a file always means its requests were marked."""

    def interrupted(*_args: object, **_kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "record_export", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_requests(store, "csv", tmp_path, now=NOW)
    assert not list(tmp_path.glob("kiosk-requests-*"))
    assert _statuses(store) == {"new"}


def test_since_a_day_means_the_clinics_day(make_store: Callable[..., AppointmentStore]) -> None:
    """A request at 01:30 in Istanbul on 10 December (22:30 UTC on the 9th) is one of the
    requests "since 10 December", as the list and the file show it."""
    from kiosk.times import day_start

    istanbul = ExportStyle(zone="Europe/Istanbul").tzinfo()
    night = dt.datetime(2026, 12, 9, 22, 30, tzinfo=dt.UTC)
    s = make_store(clock=lambda: night)
    save_patient(s, "Gece Hastası")
    since = day_start(dt.date(2026, 12, 10), istanbul)
    assert s.count_matching("new", since) == 1
    assert s.count_matching("new", day_start(dt.date(2026, 12, 11), istanbul)) == 0


def test_a_zone_that_changes_on_the_half_hour(tmp_path: Path) -> None:
    """Adelaide moves to summer time at 16:30 UTC: rows on either side of it, in one hour,
    each get their own offset (the export remembers offsets per hour only when they hold
    for the whole hour)."""
    from kiosk.export import _Clock

    clock = _Clock(ExportStyle(zone="Australia/Adelaide").tzinfo())
    assert clock.local("2026-10-03T16:15:00+00:00")[1] == "+09:30"
    assert clock.local("2026-10-03T16:45:00+00:00") == (
        dt.datetime(2026, 10, 4, 3, 15),
        "+10:30",
    )
    assert clock.text("2026-10-03T16:50:00+00:00") == ("2026-10-04 03:20", "+10:30")
