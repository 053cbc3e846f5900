"""Staff passcode: it unwraps the private key; lockout with a fake clock; timing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kiosk import crypto
from kiosk.staff import (
    FREE_ATTEMPTS,
    MAX_LOCK_SECONDS,
    Lockout,
    PasscodeError,
    StaffAuth,
    check_format,
    lock_seconds,
)
from kiosk.store import AppointmentStore, open_database

from testkit import Clock

CODE = "482913"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kiosk.db"


def _keys(db_path: Path) -> Path:
    return db_path.parent / "kiosk-keys.json"


def _auth(db_path: Path, clock: Clock, *, keys: bool = True) -> StaffAuth:
    """A staff check as a fresh process would build it (a key file opened by CODE)."""
    if keys and not _keys(db_path).exists():
        crypto.init_keys(_keys(db_path), CODE, crypto.MIN_COST)
    store = AppointmentStore(open_database(db_path), clock=clock)
    return StaffAuth(store, _keys(db_path), clock=clock)


def test_right_passcode_hands_out_the_private_key(db_path: Path, clock: Clock) -> None:
    """The right code returns the private key that opens data sealed to the kiosk."""
    auth = _auth(db_path, clock)
    result = auth.attempt(CODE)
    assert result.result == "ok" and result.key is not None
    sealed = crypto.load_sealer(_keys(db_path)).seal(b"hello")
    assert result.key.open(sealed) == b"hello"
    wrong = auth.attempt("000000")
    assert wrong.result == "wrong" and wrong.key is None


@pytest.mark.parametrize(
    "code", ["12345", "12345678901234567", "12a456", "１２３４５６", "", "123 456"]
)
def test_passcode_rules(code: str) -> None:
    """A sign-in attempt is 6 to 16 ASCII digits (a code set under the old 6-digit rule
    still signs in); anything else is answered at once."""
    with pytest.raises(PasscodeError):
        check_format(code)


def test_lock_schedule() -> None:
    """Four free mistakes, then one minute, doubling with each further failure."""
    assert [lock_seconds(n) for n in range(1, 9)] == [0, 0, 0, 0, 60, 120, 240, 480]


def test_not_configured(db_path: Path, clock: Clock) -> None:
    """Without a key file every attempt says so (and is audited)."""
    auth = _auth(db_path, clock, keys=False)
    assert not auth.is_configured()
    assert auth.attempt("123456").result == "not_configured"


def test_lockout_doubles_and_survives_restart(db_path: Path, clock: Clock) -> None:
    """Five wrong attempts lock for a minute; a restart changes nothing; the next failure
    locks for two minutes; the right code afterwards resets the count."""
    auth = _auth(db_path, clock)
    for _ in range(4):
        assert auth.attempt("000000").result == "wrong"
    fifth = auth.attempt("000000")
    assert (fifth.result, fifth.wait_seconds) == ("locked", 60)
    clock.advance(30)
    restarted = _auth(db_path, clock)  # a new process on the same database
    during = restarted.attempt(CODE)
    assert during.result == "locked" and 0 < during.wait_seconds <= 31
    clock.advance(31)
    sixth = restarted.attempt("111111")
    assert (sixth.result, sixth.wait_seconds) == ("locked", 120)
    clock.advance(121)
    assert restarted.attempt(CODE).result == "ok"
    assert restarted.attempt("000000").result == "wrong"  # the count started again


def test_wrong_attempts_say_how_many_tries_are_left(db_path: Path, clock: Clock) -> None:
    """Each wrong passcode says how many more lock the pad (the last of them does); a
    malformed entry counts nothing and says the same; after a lock has run out, the next
    wrong passcode locks again."""
    auth = _auth(db_path, clock)
    left = [auth.attempt("000000").tries_left for _ in range(FREE_ATTEMPTS - 1)]
    assert left == [4, 3, 2, 1]
    assert auth.attempt("12").tries_left == 1
    assert auth.attempt("000000").result == "locked"
    clock.advance(61)
    assert auth.attempt("12").tries_left == 1
    assert auth.attempt("000000").result == "locked"


def test_lock_remaining_reads_the_stored_lock_time(db_path: Path, clock: Clock) -> None:
    """The wait left, in whole seconds rounded up, from the lock time beside the key file:
    a lock another process set counts, and none is 0."""
    auth = _auth(db_path, clock)
    assert auth.lock_remaining() == 0
    other = _auth(db_path, clock)  # the command line, say
    for _ in range(FREE_ATTEMPTS):
        other.attempt("000000")
    assert auth.lock_remaining() == 60
    clock.advance(0.4)
    assert auth.lock_remaining() == 60
    clock.advance(20)
    assert auth.lock_remaining() == 40
    clock.advance(40)
    assert auth.lock_remaining() == 0


def test_every_attempt_is_audited_without_the_code(db_path: Path, clock: Clock) -> None:
    """Each attempt leaves an audit entry; neither the code nor its hash is in the log."""
    auth = _auth(db_path, clock)
    auth.attempt("999999")
    auth.attempt(CODE)
    store = AppointmentStore(open_database(db_path))
    log = store.audit_log()
    outcomes = [e["detail"].get("outcome") for e in log if e["event"] == "staff_login"]
    assert outcomes == ["ok", "wrong"]
    text = repr(log)
    assert CODE not in text and "999999" not in text


def test_passcode_never_stored(db_path: Path, clock: Clock) -> None:
    """Neither the database nor the key file holds the passcode, or any hash of it that
    is cheaper to test than the Argon2id unwrap."""
    auth = _auth(db_path, clock)
    key = auth.attempt(CODE).key
    assert key is not None
    auth.change_passcode(key, "739104582016")
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob("kiosk*"))
    assert b"739104582016" not in raw and CODE.encode() not in raw
    rows = list(AppointmentStore(open_database(db_path)).db.query("select * from staff_auth"))
    assert all(r["passcode_hash"] is None for r in rows)
    assert CODE not in Lockout(_keys(db_path)).path.read_text("utf-8")
    assert auth.attempt(CODE).result == "wrong"
    assert auth.attempt("739104582016").result == "ok"


def test_changing_the_passcode_keeps_the_key_pair(db_path: Path, clock: Clock) -> None:
    """A new passcode re-wraps the same private key: data sealed before still opens."""
    auth = _auth(db_path, clock)
    sealed = crypto.load_sealer(_keys(db_path)).seal(b"before")
    key = auth.attempt(CODE).key
    assert key is not None
    with pytest.raises(PasscodeError):
        auth.change_passcode(key, "12")
    with pytest.raises(PasscodeError):
        auth.change_passcode(key, "555123")  # the old 6-digit rule is gone
    auth.change_passcode(key, "830571926485")
    again = auth.attempt("830571926485").key
    assert again is not None and again.open(sealed) == b"before"


def test_malformed_entries_do_not_count(db_path: Path, clock: Clock) -> None:
    """Empty or short entries can never be right: they are refused without counting, so a
    passer-by tapping Open cannot lock the desk out."""
    auth = _auth(db_path, clock)
    for _ in range(20):
        assert auth.attempt("").result == "wrong"
        assert auth.attempt("12").result == "wrong"
    assert auth.attempt(CODE).result == "ok"


def test_lock_is_capped_at_half_an_hour() -> None:
    """Doubling stops at 30 minutes."""
    assert lock_seconds(10) == 1800 and lock_seconds(500) == 1800


def test_wrong_and_right_passcodes_do_the_same_work(
    db_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong and a right passcode do the same work, so their times match: one Argon2id
    derivation at the key file's cost, one authenticated decryption, one write transaction.
    Counted, not timed (a busy machine cannot make it fail); `make bench` reports the
    measured time ratio (unlock_wrong_ratio)."""
    keys = _keys(db_path)
    cost = crypto.KdfCost(2, 64 * 1024 * 1024)
    crypto.init_keys(keys, CODE, cost)
    store = AppointmentStore(open_database(db_path), clock=clock)
    auth = StaffAuth(store, keys, clock=clock)
    calls: list[str] = []
    wrap_key, unwrap = crypto._wrap_key, crypto._unwrap

    def counted_wrap_key(passcode: str, salt: bytes, cost: crypto.KdfCost) -> crypto.Secret:
        calls.append(f"kdf {cost.opslimit} {cost.memlimit}")
        return wrap_key(passcode, salt, cost)

    def counted_unwrap(wrapping: crypto.Secret, blob: bytes) -> crypto.Secret | None:
        calls.append("decrypt")
        return unwrap(wrapping, blob)

    monkeypatch.setattr(crypto, "_wrap_key", counted_wrap_key)
    monkeypatch.setattr(crypto, "_unwrap", counted_unwrap)
    # Watching the statements the check runs: each attempt is one write transaction.
    store.db.conn.set_trace_callback(
        lambda sql: calls.append("begin") if sql.startswith("BEGIN") else None
    )
    work = {}
    for outcome, code in (("wrong", "135791"), ("ok", CODE)):
        calls.clear()
        assert auth.attempt(code).result == outcome
        work[outcome] = sorted(calls)
    expected = sorted([f"kdf {cost.opslimit} {cost.memlimit}", "decrypt", "begin"])
    assert work["ok"] == work["wrong"] == expected, work


def test_another_database_does_not_reset_the_lockout(tmp_path: Path, clock: Clock) -> None:
    """The command line with --db naming a scratch database guesses against the same key
    file: it meets the lockout the kiosk's own database saw, because the lockout belongs to
    the key file."""
    kiosk_db, scratch_db = tmp_path / "kiosk.db", tmp_path / "scratch.db"
    crypto.init_keys(_keys(kiosk_db), CODE, crypto.MIN_COST)
    kiosk = _auth(kiosk_db, clock)
    for i in range(FREE_ATTEMPTS):
        kiosk.attempt(f"{200000 + i:06d}")
    scratch = StaffAuth(
        AppointmentStore(open_database(scratch_db), clock=clock), _keys(kiosk_db), clock=clock
    )
    attempt = scratch.attempt(CODE)
    assert attempt.result == "locked" and attempt.key is None


def test_parallel_guesses_are_each_counted(db_path: Path, clock: Clock) -> None:
    """Guesses made at the same time (threads here; processes take the same file lock) are
    counted one by one, none lost to a race between reading and writing the count."""
    import threading

    crypto.init_keys(_keys(db_path), CODE, crypto.MIN_COST)
    _auth(db_path, clock)  # the database exists before the guessers open it
    guessers = 4
    start = threading.Barrier(guessers, timeout=60)
    outcomes: list[str] = []

    def guess(n: int) -> None:
        store = AppointmentStore(open_database(db_path), clock=clock)  # as each process has
        try:
            auth = StaffAuth(store, _keys(db_path), clock=clock)
            start.wait()
            outcomes.append(auth.attempt(f"{300000 + n:06d}").result)
        finally:
            store.db.close()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(guessers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["wrong"] * guessers
    failures, _until = Lockout(_keys(db_path)).read(clock())
    assert failures == guessers


def test_a_damaged_lockout_file_buys_nothing(db_path: Path, clock: Clock) -> None:
    """Spoiling the count file leaves every free attempt used: the next wrong one locks."""
    auth = _auth(db_path, clock)
    auth.attempt("222222")
    Lockout(_keys(db_path)).path.write_text("{not json", "utf-8")
    assert auth.attempt("333333").result == "locked"


def test_a_forged_lock_time_cannot_shut_the_desk_out(db_path: Path, clock: Clock) -> None:
    """A lock time without a time zone counts as a damaged file (no crash on comparing it),
    and one far in the future is cut to the longest lock the kiosk ever sets."""
    auth = _auth(db_path, clock)
    lockout = Lockout(_keys(db_path))
    lockout.path.write_text('{"failures": 1, "locked_until": "2099-01-01T00:00:00"}', "utf-8")
    assert auth.attempt(CODE).result == "ok"
    lockout.path.write_text(
        '{"failures": -1000, "locked_until": "2099-01-01T00:00:00+00:00"}', "utf-8"
    )
    failures, until = lockout.read(clock())
    assert failures == 0
    assert until is not None and until <= clock() + dt.timedelta(seconds=MAX_LOCK_SECONDS)


def test_a_count_that_cannot_be_stored_does_not_stop_sign_in(db_path: Path, clock: Clock) -> None:
    """Where the count cannot be written (here its name is taken by a folder; in the field,
    a read-only key folder) the right passcode still opens the staff screen."""
    auth = _auth(db_path, clock)
    Lockout(_keys(db_path)).path.mkdir()
    assert auth.attempt(CODE).result == "ok"
    # ... and the count is still kept, in the memory of this process: guessing stays slow.
    for i in range(FREE_ATTEMPTS):
        auth.attempt(f"{400000 + i:06d}")
    assert auth.attempt(CODE).result == "locked"
