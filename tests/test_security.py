"""Encryption at rest and fault tolerance: keys, sealing, crashes, full disks, corrupt and
vanished files, clocks that jump."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk import crypto, paths
from kiosk.appointment import AppointmentRequest, FormData, validate_request
from kiosk.export import ExportError, export_requests
from kiosk.store import (
    DATA_KEY_SECONDS,
    AppointmentStore,
    ClockError,
    StoreError,
    open_database,
    set_aside_copies,
)

from testkit import save_patient

CODE = "482913"
NAME = "Zeynep Şahin-Öztürk"


def _request(name: str = NAME) -> AppointmentRequest:
    result = validate_request(
        FormData(
            name=name,
            phone="0532 123 45 67",
            contact_language="tr",
            contact_method="sms",
            time_window="evening",
            consents={"notice_read": True, "contact": True},
        ),
        "tr",
    )
    assert not isinstance(result, list)
    return result


def _add(store: AppointmentStore, name: str = NAME) -> str:
    return store.add_request(
        _request(name), kiosk_id="k", content_version="v", consent_versions={}, notice_version="n"
    )


def _files(folder: Path, stem: str = "kiosk.db") -> bytes:
    return b"".join(p.read_bytes() for p in folder.glob(f"{stem}*") if p.is_file())


# --- keys --------------------------------------------------------------------------------


def test_key_file_holds_no_secret_in_the_clear(tmp_path: Path) -> None:
    """The key file has the public key, the Argon2id parameters and the wrapped private key;
    not the passcode, not the private key; readable by the kiosk's account only."""
    path = tmp_path / "keys.json"
    recovery = crypto.init_keys(path, CODE, crypto.MIN_COST)
    text = path.read_text("utf-8")
    key = crypto.unlock(path, CODE)
    assert key is not None
    private = crypto._ffi.buffer(key._private.buf)[:]
    assert CODE not in text and private.hex() not in text and len(set(private)) > 1
    assert crypto.read_key_file(path).kdf == "argon2id13"
    assert recovery.replace("-", "") not in text
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto.unlock(path, "482914") is None


def test_default_argon2id_cost_is_the_documented_one() -> None:
    """Production key files use 4 passes over 256 MiB (about 0.7 s a guess here; `make bench`
    measures it), well above libsodium's interactive level."""
    assert crypto.DEFAULT_COST == crypto.KdfCost(4, 256 * 1024 * 1024)
    assert crypto.DEFAULT_COST.opslimit > crypto.nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
    assert crypto.DEFAULT_COST.memlimit > crypto.nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: "not json",
        lambda t: t.replace('"version": 1', '"version": 9'),
        lambda t: t.replace('"public_key": "', '"public_key": "AAAA'),
        lambda t: t.replace('"kdf"', '"unexpected": 1, "kdf"'),
    ],
)
def test_damaged_key_file_is_a_clear_error(tmp_path: Path, damage: Callable[[str], str]) -> None:
    """A damaged key file gives KeysError naming the file, never a crash or a wrong key."""
    path = tmp_path / "keys.json"
    crypto.init_keys(path, CODE, crypto.MIN_COST)
    path.write_text(damage(path.read_text("utf-8")), "utf-8")
    with pytest.raises(crypto.KeysError, match="keys.json"):
        crypto.unlock(path, CODE)


def test_init_never_replaces_keys(tmp_path: Path) -> None:
    """A second init would orphan every sealed request: it is refused."""
    path = tmp_path / "keys.json"
    crypto.init_keys(path, CODE, crypto.MIN_COST)
    before = path.read_bytes()
    with pytest.raises(crypto.KeysError, match="already exists"):
        crypto.init_keys(path, "999999", crypto.MIN_COST)
    assert path.read_bytes() == before


def test_recovery_key_of_another_kiosk_is_refused(tmp_path: Path) -> None:
    """keys recover with a different kiosk's recovery key changes nothing."""
    ours, theirs = tmp_path / "ours.json", tmp_path / "theirs.json"
    crypto.init_keys(ours, CODE, crypto.MIN_COST)
    other = crypto.init_keys(theirs, CODE, crypto.MIN_COST)
    before = ours.read_bytes()
    with pytest.raises(crypto.KeysError, match="another kiosk"):
        crypto.recover(ours, other, "5551234567", crypto.MIN_COST)
    assert ours.read_bytes() == before


def test_checking_a_recovery_key_changes_nothing(tmp_path: Path) -> None:
    """The recovery key is checked against the key file (IT lifting a lockout) without
    touching it: the passcode still opens the key. Another kiosk's key, a typo and a missing
    key file are refused."""
    ours, theirs = tmp_path / "ours.json", tmp_path / "theirs.json"
    recovery = crypto.init_keys(ours, CODE, crypto.MIN_COST)
    other = crypto.init_keys(theirs, CODE, crypto.MIN_COST)
    before = ours.read_bytes()
    crypto.check_recovery_key(ours, recovery.lower().replace("-", " "))
    assert ours.read_bytes() == before and crypto.unlock(ours, CODE) is not None
    with pytest.raises(crypto.KeysError, match="another kiosk"):
        crypto.check_recovery_key(ours, other)
    with pytest.raises(crypto.KeysError, match="typing mistake"):
        crypto.check_recovery_key(ours, recovery[:-1] + ("A" if recovery[-1] != "A" else "B"))
    with pytest.raises(crypto.KeysError, match="no key file"):
        crypto.check_recovery_key(tmp_path / "lost.json", recovery)
    assert ours.read_bytes() == before


def test_recovery_key_format_and_checksum(tmp_path: Path) -> None:
    """Fourteen groups of four; case, spaces and dashes do not matter; a typo is caught."""
    key = crypto.init_keys(tmp_path / "k.json", CODE, crypto.MIN_COST)
    groups = key.split("-")
    assert len(groups) == 14 and all(len(g) == 4 for g in groups)
    assert crypto.parse_recovery_key(" ".join(groups).lower()) == crypto.parse_recovery_key(key)
    swapped = key[1] + key[0] + key[2:] if key[0] != key[1] else key[:-1] + "A"
    with pytest.raises(crypto.KeysError):
        crypto.parse_recovery_key(swapped if swapped != key else key[:-1] + "B")
    with pytest.raises(crypto.KeysError):
        crypto.parse_recovery_key("not a key")


# --- sealing in the store ----------------------------------------------------------------


def test_database_file_never_holds_personal_data(
    make_store: Callable[..., AppointmentStore], tmp_path: Path
) -> None:
    """Name, phone and consents' personal parts are sealed: the raw database and WAL files
    do not contain them, while reference, times, status and language stay readable."""
    store = make_store()
    reference = _add(store)
    store.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    raw = _files(tmp_path)
    assert NAME.encode() not in raw and "Şahin".encode() not in raw
    assert b"905321234567" not in raw and b"5321234567" not in raw
    plain = store.db.execute("select reference, status, language from requests").fetchone()
    assert plain == (reference, "new", "tr")


def test_locked_store_reads_no_personal_data(
    make_store: Callable[..., AppointmentStore], tmp_path: Path
) -> None:
    """Without the private key rows come back marked locked with no personal fields, and
    an export refuses rather than writing blank names."""
    store = make_store(unlocked=False)
    _add(store)
    [row] = store.list_requests()
    assert row.locked and row.personal == {} and row.status == "new"
    stick = tmp_path / "usb"
    stick.mkdir()
    with pytest.raises(ExportError, match="locked"):
        export_requests(store, "csv", stick)
    assert list(stick.iterdir()) == [] and store.list_requests()[0].status == "new"


def test_another_kiosks_key_cannot_unlock(make_store: Callable[..., AppointmentStore]) -> None:
    """A private key of another key pair is refused by the store."""
    store = make_store(unlocked=False)
    _sealer, foreign = crypto.ephemeral_keys()
    with pytest.raises(StoreError, match="not this kiosk"):
        store.unlock(foreign)


def test_a_store_without_keys_saves_nothing(tmp_path: Path) -> None:
    """No public key, no save: the patient is offered the online form instead."""
    store = AppointmentStore(open_database(tmp_path / "kiosk.db"))
    assert not store.can_save
    with pytest.raises(StoreError, match="keys init"):
        _add(store)
    assert store.count() == 0


def test_data_key_rotates_hourly(
    make_store: Callable[..., AppointmentStore], keypair: tuple[crypto.Sealer, crypto.Unlocked]
) -> None:
    """One data key seals at most an hour of requests (a memory dump of a running kiosk
    reveals no older request); every one of them still opens with the private key."""
    ticks = [1000.0]
    store = make_store(monotonic=lambda: ticks[0])
    _add(store, "Birinci Kişi")
    _add(store, "İkinci Kişi")
    ticks[0] += DATA_KEY_SECONDS + 1
    _add(store, "Üçüncü Kişi")
    assert store.db.execute("select count(*) from data_keys").fetchone()[0] == 2
    ids = [r[0] for r in store.db.execute("select data_key_id from requests order by id")]
    assert ids[0] == ids[1] != ids[2]
    names = [r.personal["name"] for r in store.list_requests()]
    assert names == ["Birinci Kişi", "İkinci Kişi", "Üçüncü Kişi"]


def test_tampered_row_is_refused_not_misread(make_store: Callable[..., AppointmentStore]) -> None:
    """A sealed value changed on disk fails authentication: a clear StoreError."""
    store = make_store()
    _add(store)
    blob = bytearray(store.db.execute("select sealed from requests").fetchone()[0])
    blob[-1] ^= 1
    with store.db.atomic():
        store.db.execute("UPDATE requests SET sealed = ?", [bytes(blob)])
    with pytest.raises(StoreError, match="cannot be opened"):
        store.list_requests()


# --- crashes, full disks, vanished and corrupt files -------------------------------------

WRITER = """
import sys
from pathlib import Path
from kiosk import crypto, paths
from kiosk.appointment import FormData, validate_request
from kiosk.store import AppointmentStore, open_database

store = AppointmentStore(
    open_database(Path(sys.argv[1])), sealer=crypto.load_sealer(Path(sys.argv[2]))
)
request = validate_request(
    FormData(name="Çökme Testi", phone="0532 123 45 67", contact_language="tr",
             contact_method="sms", time_window="morning",
             consents={"notice_read": True, "contact": True}),
    "tr",
)
print("ready", flush=True)
while True:
    ref = store.add_request(request, kiosk_id="crash", content_version="v",
                            consent_versions={}, notice_version="n")
    print(ref, flush=True)
"""


def test_sigkill_mid_write_loses_nothing_that_was_confirmed(tmp_path: Path) -> None:
    """A process saving in a loop is killed with SIGKILL at random moments, 50 times: the
    database stays intact and every request whose save had returned is there and opens."""
    if os.name != "posix":
        pytest.skip("SIGKILL")
    db, keys = tmp_path / "kiosk.db", tmp_path / "keys.json"
    crypto.init_keys(keys, CODE, crypto.MIN_COST)
    script = tmp_path / "writer.py"
    script.write_text(WRITER, "utf-8")
    rng = random.Random(20261122)
    confirmed: list[str] = []
    for _ in range(50):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(db), str(keys)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        for _ in range(rng.randint(0, 6)):
            confirmed.append(proc.stdout.readline().strip())
        # Land anywhere inside the next transaction (a save takes a few milliseconds).
        time.sleep(rng.uniform(0, 0.004))
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate()
        # Lines printed before the kill were confirmed too, as a patient would have seen them.
        confirmed.extend(line for line in rest.split() if line)
    key = crypto.unlock(keys, CODE)
    assert key is not None
    store = AppointmentStore(open_database(db))
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.unlock(key)
    saved = {r.reference: r for r in store.list_requests()}
    assert len(confirmed) > 50
    missing = [ref for ref in confirmed if ref not in saved]
    assert missing == []
    assert all(saved[ref].personal["name"] == "Çökme Testi" for ref in confirmed)


def test_full_disk_keeps_the_database_and_recovers(
    make_store: Callable[..., AppointmentStore],
) -> None:
    """No room left (max_page_count at the current size): the save fails cleanly, the
    database stays intact, and once there is room the next save works."""
    store = make_store()
    first = _add(store)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError):
        for i in range(200):  # fill the last free bytes of the pages there are
            _add(store, f"Dolu Disk {i} " + "x" * 60)
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    before = store.count()
    store.db.execute("PRAGMA max_page_count = 1073741823")
    second = _add(store)
    assert store.count() == before + 1
    assert store.get(first) is not None and store.get(second) is not None


def test_vanished_data_folder_is_a_store_error(
    make_store: Callable[..., AppointmentStore], tmp_path: Path
) -> None:
    """The data folder removed under a running kiosk (an unmounted disk): SQLite would keep
    writing into the deleted file, so the store refuses and says so."""
    folder = tmp_path / "data"
    store = make_store(folder / "kiosk.db")
    _add(store)
    shutil.rmtree(folder)
    with pytest.raises(StoreError, match="gone"):
        _add(store)


def test_replaced_database_file_is_a_store_error(
    make_store: Callable[..., AppointmentStore], tmp_path: Path
) -> None:
    """The file swapped for another while running: refused, never written to the old one."""
    store = make_store()
    _add(store)
    path = tmp_path / "kiosk.db"
    os.replace(path, tmp_path / "moved.db")
    shutil.copy(tmp_path / "moved.db", path)
    with pytest.raises(StoreError, match="replaced"):
        _add(store)


def _without_root_powers() -> list[str] | None:
    """A command prefix that makes file permissions apply even to root (tests run as root in
    CI): drop the capabilities that override them. None where that is not possible."""
    if os.name != "posix":
        return None
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]


READ_ONLY_SAVER = """
import sys
from pathlib import Path
from kiosk import crypto, paths
from kiosk.appointment import FormData, validate_request
from kiosk.store import AppointmentStore, StoreError, open_database

try:
    store = AppointmentStore(
        open_database(Path(sys.argv[1]), busy_timeout_ms=100),
        sealer=crypto.load_sealer(Path(sys.argv[2])),
    )
    request = validate_request(
        FormData(name="Salt Okunur", email="a@example.com", contact_language="en",
                 contact_method="email", time_window="morning",
                 consents={"notice_read": True, "contact": True}),
        "en",
    )
    store.add_request(request, kiosk_id="k", content_version="v", consent_versions={},
                      notice_version="n")
except StoreError as exc:
    print("StoreError", exc)
    sys.exit(3)
print("saved")
"""


def test_read_only_data_folder_is_a_store_error(tmp_path: Path) -> None:
    """A data folder the kiosk's account cannot write (root's power to ignore permissions
    dropped): StoreError, no crash, the file unchanged."""
    prefix = _without_root_powers()
    if prefix is None:
        pytest.skip("needs POSIX permissions (and setpriv when run as root)")
    folder = tmp_path / "ro"
    folder.mkdir()
    db, keys = folder / "kiosk.db", tmp_path / "keys.json"
    crypto.init_keys(keys, CODE, crypto.MIN_COST)
    open_database(db).close()
    before = db.read_bytes()
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        result = subprocess.run(
            [*prefix, sys.executable, "-c", READ_ONLY_SAVER, str(db), str(keys)],
            capture_output=True,
            text=True,
        )
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda raw: os.urandom(len(raw)), id="random-bytes"),
        pytest.param(lambda raw: raw[: len(raw) // 2], id="truncated"),
        pytest.param(lambda raw: raw[:100] + os.urandom(len(raw) - 100), id="bad-pages"),
    ],
)
def test_corrupt_database_is_set_aside_never_deleted(
    make_store: Callable[..., AppointmentStore],
    tmp_path: Path,
    damage: Callable[[bytes], bytes],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A damaged file is moved aside as kiosk.corrupt-<time>.db with its bytes untouched, a
    fresh database takes its place, and the copy is listed for the staff warning."""
    store = make_store()
    for i in range(30):
        _add(store, f"Kişi {i}")
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.db.close()
    path = tmp_path / "kiosk.db"
    broken = damage(path.read_bytes())
    path.write_bytes(broken)
    with caplog.at_level("ERROR"):
        db = open_database(path)
    assert db.execute("select count(*) from requests").fetchone()[0] == 0
    [aside] = set_aside_copies(path)
    assert aside.name.startswith("kiosk.corrupt-") and aside.read_bytes() == broken
    assert any("database_corrupt" in r.getMessage() for r in caplog.records)
    fresh = AppointmentStore(db, sealer=make_store().sealer)
    _add(fresh)  # the kiosk takes requests again at once
    assert fresh.count() == 1


def test_locked_database_is_not_mistaken_for_corruption(tmp_path: Path) -> None:
    """Another process holding an exclusive lock at start-up: an error, nothing moved."""
    path = tmp_path / "kiosk.db"
    open_database(path).close()
    other = sqlite3.connect(path)
    other.execute("PRAGMA journal_mode = DELETE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError):
            open_database(path, busy_timeout_ms=50)
    finally:
        other.rollback()
        other.close()
    assert set_aside_copies(path) == []


def test_export_target_removed_mid_write(
    make_store: Callable[..., AppointmentStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stick pulled while rows are being written: no partial file, no row marked."""
    import kiosk.export as export

    store = make_store()
    for i in range(5):
        _add(store, f"Kişi {i}")
    stick = tmp_path / "usb"
    stick.mkdir()
    real_cells = export._cells
    written = []

    def pull_after_two(r: object, phone: object) -> object:
        written.append(r)
        if len(written) == 3:
            shutil.rmtree(stick)  # the stick and everything on it are gone
        return real_cells(r, phone)  # type: ignore[arg-type]

    monkeypatch.setattr(export, "_cells", pull_after_two)
    for fmt in ("csv", "xlsx"):
        written.clear()
        stick.mkdir(exist_ok=True)
        with pytest.raises(ExportError):
            export_requests(store, fmt, stick)  # type: ignore[arg-type]
        assert not stick.exists() or list(stick.iterdir()) == []
        assert {r.status for r in store.list_requests()} == {"new"}


# --- clocks ------------------------------------------------------------------------------


class Clock:
    """Wall and monotonic time that tests move apart, as a clock change does."""

    def __init__(self, now: dt.datetime) -> None:
        self.now, self.mono = now, 5000.0

    def __call__(self) -> dt.datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, delta: dt.timedelta) -> None:
        self.now += delta
        self.mono += delta.total_seconds()


NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("years", [-3, 5])
def test_clock_jump_while_running_pauses_retention(
    make_store: Callable[..., AppointmentStore], years: int
) -> None:
    """The clock set years ahead or back while the kiosk runs: retention deletes nothing
    (no request is younger than retention_days by its own stored time... nor older)."""
    clock = Clock(NOW)
    store = make_store(clock=clock, monotonic=clock.monotonic)
    _add(store)
    clock.sleep(dt.timedelta(hours=1))
    clock.now += dt.timedelta(days=365 * years)  # the wall clock alone jumps
    assert store.clock_problem() is not None
    with pytest.raises(ClockError):
        store.purge_older_than(30)
    assert store.count() == 1
    events = [e["event"] for e in store.audit_log()]
    assert "retention_paused" in events and "deleted" not in events


def test_clock_far_ahead_at_start_pauses_retention(
    make_store: Callable[..., AppointmentStore],
) -> None:
    """Started with the clock years past the newest stored request (a bad NTP answer):
    nothing is deleted, however old the requests look."""
    writer = make_store(clock=lambda: NOW)
    _add(writer)
    later = make_store(clock=lambda: NOW + dt.timedelta(days=365 * 4))
    with pytest.raises(ClockError, match="more than a year"):
        later.purge_older_than(30)
    assert later.count() == 1


def test_clock_behind_the_newest_record_pauses_retention(
    make_store: Callable[..., AppointmentStore],
) -> None:
    """A clock behind the newest request (reset CMOS battery) deletes nothing."""
    writer = make_store(clock=lambda: NOW)
    _add(writer)
    earlier = make_store(clock=lambda: NOW - dt.timedelta(days=40))
    with pytest.raises(ClockError, match="behind"):
        earlier.purge_older_than(1)
    before_software = make_store(clock=lambda: dt.datetime(2001, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(ClockError, match="before this kiosk"):
        before_software.purge_older_than(1)
    assert writer.count() == 1


def test_normal_days_still_purge(make_store: Callable[..., AppointmentStore]) -> None:
    """A kiosk running normally for 31 days deletes the 31-day-old request: the checks do
    not get in the way of retention itself."""
    clock = Clock(NOW)
    store = make_store(clock=clock, monotonic=clock.monotonic)
    _add(store)
    for _ in range(31):
        clock.sleep(dt.timedelta(days=1))
        assert store.clock_problem() is None
    assert store.purge_older_than(30, unexported_days=30).total == 1


def test_doctor_flags_a_clock_behind_the_database(
    make_store: Callable[..., AppointmentStore], tmp_path: Path
) -> None:
    """kiosk doctor names the clock problem."""
    from kiosk.config import Settings
    from kiosk.doctor import check_clock

    _add(make_store(clock=lambda: NOW))
    settings = Settings(db_path=str(tmp_path / "kiosk.db"))
    bad = check_clock(settings, now=NOW - dt.timedelta(days=30))
    assert not bad.ok and "behind the newest record" in bad.detail
    assert check_clock(settings, now=NOW + dt.timedelta(hours=2)).ok


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl and RLIMIT_CORE")
def test_no_command_can_leave_a_core_dump() -> None:
    """Every kiosk command forbids core dumps before it touches a passcode, a key or a
    request: the core size limit is 0 and the process is not dumpable (a crash or the
    watchdog's SIGABRT writes nothing). Checked in a child process, as the kiosk runs."""
    code = (
        "import sys\n"
        "from kiosk.memory import core_dumps_forbidden\n"
        "assert not core_dumps_forbidden()\n"
        "from kiosk.cli import main\n"
        "main(['--version'])\n"
        "print('forbidden' if core_dumps_forbidden() else 'allowed')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "forbidden"


def test_the_unit_forbids_core_dumps() -> None:
    unit = (paths.bundle_root() / "resources" / "systemd" / "kiosk.service").read_text("utf-8")
    assert "\nLimitCORE=0\n" in unit


# --- health stays sealed -------------------------------------------------------------------


def _with_topic(topic: str) -> AppointmentRequest:
    result = validate_request(
        FormData(
            name=NAME,
            phone="0532 123 45 67",
            contact_language="tr",
            contact_method="sms",
            time_window="evening",
            topic=topic,
            consents={"notice_read": True, "contact": True, "health_topic": True},
        ),
        "tr",
    )
    assert isinstance(result, AppointmentRequest)
    return result


def test_nothing_outside_the_seal_says_which_topic(
    make_store: Callable[..., AppointmentStore], tmp_path: Path
) -> None:
    """A request with a health topic: no table in the clear names the topic or records the
    health-topic consent (the weekly figures had the topic beside a week with one request);
    the staff, unlocked, read both; topics are counted all time, with nothing beside them."""
    store = make_store()
    reference = store.add_request(
        _with_topic("cell-research"),
        kiosk_id="k",
        content_version="v",
        consent_versions={"health_topic": "tr-3"},
        notice_version="n",
    )
    # No checkpoint here: the -wal file as a thief would copy it right after the save. Its
    # history of commits would pair the new request with its topic count.
    wal = tmp_path / "kiosk.db-wal"
    assert not wal.exists() or b"cell-research" not in wal.read_bytes()
    assert not wal.exists() or wal.stat().st_size == 0
    raw = _files(tmp_path)
    assert b"cell-research" in raw  # as a count in topic_counts only, checked next
    clear = [
        json.dumps([v.hex() if isinstance(v, bytes) else v for v in row])
        for table in ("requests", "request_counts", "audit", "destruction_log")
        for row in store.db.execute(f"select * from {table}")
    ]
    assert not any("cell-research" in row or "health_topic" in row for row in clear), clear
    counts = list(store.db.execute("select * from topic_counts"))
    assert counts == [("cell-research", 1)]
    assert store.figures()["topic"] == {"cell-research": 1}
    saved = store.get(reference)
    assert saved is not None and saved.personal["topic"] == "cell-research"
    assert saved.consents["items"]["health_topic"] == {"given": True, "version": "tr-3"}
    assert "consents" not in saved.personal


def test_older_databases_lose_the_topic_beside_the_week(tmp_path: Path) -> None:
    """A database from before: the migration moves topics out of the weekly figures (their
    totals kept), and takes the health-topic answer out of the clear consent record, where
    the sealed topic now stands for it."""
    from kiosk.store import migrations

    path = tmp_path / "old.db"
    db = open_database_at_version(path, "m005_health_stays_sealed")
    db.execute(
        "INSERT INTO request_counts (week, language, topic, count) VALUES "
        "('2026-W40', 'tr', 'cell-research', 1), ('2026-W40', 'tr', '', 2), "
        "('2026-W41', 'en', 'cell-research', 3)"
    )
    db.execute(
        "INSERT INTO requests (reference, created_at, kiosk_id, language, personal, consents, "
        "content_version, status) VALUES ('ABC123', '2026-10-01T10:00:00+00:00', 'k', 'tr', "
        "'{}', ?, 'v', 'new')",
        [json.dumps({"items": {"contact": {"given": True}, "health_topic": {"given": True}}})],
    )
    migrations.apply(db)
    assert sorted(db.execute("select * from request_counts")) == [
        ("2026-W40", "tr", 3),
        ("2026-W41", "en", 3),
    ]
    assert list(db.execute("select * from topic_counts")) == [("cell-research", 4)]
    (consents,) = db.execute("select consents from requests").fetchone()
    assert json.loads(consents) == {"items": {"contact": {"given": True}}}
    db.close()


def test_requests_sealed_before_the_key_chains_still_open(
    tmp_path: Path, keypair: tuple[crypto.Sealer, crypto.Unlocked]
) -> None:
    """An older kiosk sealed every request of the hour under the data key itself. After
    the upgrade (m006) those requests read as step 0 and open, beside new ones sealed
    along a chain under the same key pair."""
    from kiosk.store import migrations

    sealer, unlocked = keypair
    path = tmp_path / "old.db"
    db = open_database_at_version(path, "m006_data_key_chains")
    old_key = crypto.WritingKey(sealer, started=0.0)
    db.execute(
        "INSERT INTO data_keys (id, created_at, key_id, sealed) VALUES (1, ?, ?, ?)",
        ["2026-10-01T10:00:00+00:00", sealer.key_id, old_key.sealed],
    )
    for i, name in enumerate(["Eski Bir", "Eski İki"]):
        blob = crypto._encrypt(old_key._key, json.dumps({"name": name}).encode())  # as before
        db.execute(
            "INSERT INTO requests (reference, created_at, kiosk_id, language, personal, "
            "consents, content_version, status, sealed, data_key_id) "
            "VALUES (?, '2026-10-01T10:00:00+00:00', 'k', 'tr', '', '{}', 'v', 'new', ?, 1)",
            [f"OLD-00{i}", blob],
        )
    db.close()
    store = AppointmentStore(open_database(path), sealer=sealer)
    assert "m006_data_key_chains" in [m.name for m in migrations.applied(store.db)]
    save_patient(store, "Yeni Üç")
    save_patient(store, "Yeni Dört")
    store.unlock(unlocked.copy())
    names = [r.personal["name"] for r in store.list_requests()]
    rows = list(store.iter_export_rows())
    store.lock()
    store.db.close()
    assert names == ["Eski Bir", "Eski İki", "Yeni Üç", "Yeni Dört"]
    assert [r.personal.name for r in rows if r.personal] == names


def open_database_at_version(path: Path, stop_before: str):
    """A database with the migrations before ``stop_before`` only (an older kiosk's)."""
    from sqlite_utils import Database

    from kiosk.store import migrations

    db = Database(path)
    migrations.apply(db, stop_before=stop_before)
    return db


def test_a_database_replaced_during_the_save_is_no_thank_you(
    make_store: Callable[..., AppointmentStore], tmp_path: Path
) -> None:
    """The file swapped for another while the request is written (a restore, a careless
    copy): the row went into the old, unlinked file, so the save reports a failure (the
    visitor is offered the online form) instead of a reference code."""
    store = make_store()
    other = tmp_path / "other.db"
    open_database(other).close()

    def swap(sql: str) -> None:
        if sql.startswith("COMMIT"):
            os.replace(other, tmp_path / "kiosk.db")

    store.db.conn.set_trace_callback(swap)
    with pytest.raises(StoreError, match="replaced"):
        _add(store)


def test_a_damaged_key_file_does_not_stop_retention(tmp_path: Path) -> None:
    """The running kiosk with an unreadable key file: nothing can be saved, but the store
    opens, so retention still deletes what is due (it needs no key)."""
    from kiosk.cli import _open_store_for_run
    from kiosk.config import Settings

    settings = Settings(db_path=str(tmp_path / "kiosk.db"))
    crypto.init_keys(settings.keys_path(), CODE, crypto.MIN_COST)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
    old = AppointmentStore(
        open_database(settings.database_path()),
        sealer=crypto.load_sealer(settings.keys_path()),
        clock=lambda: past,
    )
    _add(old)  # a request saved two months ago
    old.db.close()
    settings.keys_path().write_text('{"version": 1, "damaged', "utf-8")
    store = _open_store_for_run(settings)
    assert store is not None and not store.can_save
    assert store.purge_older_than(30, unexported_days=30).total == 1


@pytest.mark.parametrize(("field", "value"), [("memlimit", 32 << 40), ("opslimit", 10**6)])
def test_a_tampered_argon2id_cost_is_refused_not_run(
    tmp_path: Path, field: str, value: int
) -> None:
    """A key file asking for 32 TiB or a million passes would take the kiosk's memory or
    freeze sign-in for hours: it is refused as damaged before any derivation."""
    path = tmp_path / "keys.json"
    crypto.init_keys(path, CODE, crypto.MIN_COST)
    data = json.loads(path.read_text("utf-8"))
    data[field] = value
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(crypto.KeysError, match="impossible Argon2id cost"):
        crypto.unlock(path, CODE)
