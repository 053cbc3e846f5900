"""Staff passcode: hashing, constant-time verification, lockout with a fake clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kiosk.staff import (
    PasscodeError,
    StaffAuth,
    check_format,
    hash_passcode,
    lock_seconds,
    verify_passcode,
)
from kiosk.storage import AppointmentStore, open_database


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kiosk.db"


def _auth(db_path: Path, clock: Clock) -> StaffAuth:
    return StaffAuth(AppointmentStore(open_database(db_path), clock=clock), clock=clock)


def test_hash_is_salted_scrypt_and_verifies() -> None:
    """Two hashes of one code differ (salt); the right code verifies, others do not."""
    first, second = hash_passcode("482913"), hash_passcode("482913")
    assert first != second and first.startswith("scrypt$16384$8$1$")
    assert verify_passcode("482913", first) and verify_passcode("482913", second)
    assert not verify_passcode("482914", first)
    assert not verify_passcode("482913", "md5$nonsense")
    assert not verify_passcode("482913", "scrypt$x$y")


@pytest.mark.parametrize(
    "code", ["12345", "1234567890123", "12a456", "１２３４５６", "", "123 456"]
)
def test_passcode_rules(code: str) -> None:
    """Only 6 to 12 ASCII digits are accepted."""
    with pytest.raises(PasscodeError):
        check_format(code)


def test_lock_schedule() -> None:
    """Four free mistakes, then one minute, doubling with each further failure."""
    assert [lock_seconds(n) for n in range(1, 9)] == [0, 0, 0, 0, 60, 120, 240, 480]


def test_not_configured(db_path: Path, clock: Clock) -> None:
    """Without a passcode every attempt says so (and is audited)."""
    auth = _auth(db_path, clock)
    assert not auth.is_configured()
    assert auth.attempt("123456").result == "not_configured"


def test_lockout_doubles_and_survives_restart(db_path: Path, clock: Clock) -> None:
    """Five wrong attempts lock for a minute; a restart changes nothing; the next failure
    locks for two minutes; the right code afterwards resets the count."""
    auth = _auth(db_path, clock)
    auth.set_passcode("482913")
    for _ in range(4):
        assert auth.attempt("000000").result == "wrong"
    fifth = auth.attempt("000000")
    assert (fifth.result, fifth.wait_seconds) == ("locked", 60)
    clock.advance(30)
    restarted = _auth(db_path, clock)  # a new process on the same database
    during = restarted.attempt("482913")
    assert during.result == "locked" and 0 < during.wait_seconds <= 31
    clock.advance(31)
    sixth = restarted.attempt("111111")
    assert (sixth.result, sixth.wait_seconds) == ("locked", 120)
    clock.advance(121)
    assert restarted.attempt("482913").result == "ok"
    assert restarted.attempt("000000").result == "wrong"  # the count started again


def test_every_attempt_is_audited_without_the_code(db_path: Path, clock: Clock) -> None:
    """Each attempt leaves an audit entry; neither the code nor its hash is in the log."""
    auth = _auth(db_path, clock)
    auth.set_passcode("482913")
    auth.attempt("999999")
    auth.attempt("482913")
    store = AppointmentStore(open_database(db_path))
    log = store.audit_log()
    outcomes = [e["detail"].get("outcome") for e in log if e["event"] == "staff_login"]
    assert outcomes == ["ok", "wrong"]
    assert any(e["event"] == "passcode_changed" for e in log)
    text = repr(log)
    assert "482913" not in text and "999999" not in text and "scrypt" not in text


def test_passcode_never_stored_in_clear(db_path: Path, clock: Clock) -> None:
    """The database file holds only the hash."""
    _auth(db_path, clock).set_passcode("739104")
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob("kiosk.db*"))
    assert b"739104" not in raw


def test_malformed_entries_do_not_count(db_path: Path, clock: Clock) -> None:
    """Empty or short entries can never be right: they are refused without counting, so a
    passer-by tapping Open cannot lock the desk out."""
    auth = _auth(db_path, clock)
    auth.set_passcode("482913")
    for _ in range(20):
        assert auth.attempt("").result == "wrong"
        assert auth.attempt("12").result == "wrong"
    assert auth.attempt("482913").result == "ok"


def test_lock_is_capped_at_half_an_hour() -> None:
    """Doubling stops at 30 minutes."""
    assert lock_seconds(10) == 1800 and lock_seconds(500) == 1800
