"""The desk console's service against a real PostgreSQL: accounts, the list with its filters,
sorting and search, two receptionists at once, exports, deletion, retention and losing the
server (kiosk.fleet.desk, kiosk.fleet.accounts)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from pgserver import Central, ClientFiles, PgServer

from kiosk import crypto
from kiosk.fleet import accounts
from kiosk.fleet.desk import DeskError, DeskSession, Filters

ONE_TIME = "482910375612"
OWN = "730518264903"
OTHER = "618204739526"
MARKER = "Deniz Desk-Marker-Q7"


@pytest.fixture
def private(keypair: tuple[crypto.Sealer, crypto.Unlocked]) -> crypto.Unlocked:
    return keypair[1]


@pytest.fixture
def sessions() -> Iterator[list[DeskSession]]:
    opened: list[DeskSession] = []
    yield opened
    for session in opened:
        session.close()


@pytest.fixture
def sign_in(central: Central, sessions: list[DeskSession]) -> Callable[..., DeskSession]:
    def sign_in(account: str, passphrase: str) -> DeskSession:
        session = DeskSession.sign_in(
            central.desk_target(), account, passphrase, cost=crypto.MIN_COST
        )
        sessions.append(session)
        return session

    return sign_in


@pytest.fixture
def fleet(central: Central, keypair: tuple[crypto.Sealer, crypto.Unlocked]) -> dict[str, list[str]]:
    """Two sites, three kiosks, eight requests delivered for real; their references."""
    sealer = keypair[0]
    return {
        "salon-1": central.deliver(sealer, "salon-1", "Main", [f"{MARKER} {i}" for i in range(3)]),
        "salon-2": central.deliver(sealer, "salon-2", "Main", ["Ali Veli"]),
        "branch-1": central.deliver(
            sealer, "branch-1", "Branch", [f"Branch {i}" for i in range(4)]
        ),
    }


@pytest.fixture
def ready(
    central: Central, private: crypto.Unlocked, sign_in: Callable[..., DeskSession]
) -> Callable[[str], DeskSession]:
    """An account added and signed in, its own passphrase chosen (OWN): ready to work."""

    def ready(account: str) -> DeskSession:
        central.add_account(private, account, ONE_TIME)
        session = sign_in(account, ONE_TIME)
        session.set_passphrase(OWN, cost=crypto.MIN_COST)
        return session

    return ready


def _audit(central: Central) -> list[tuple[str, str, dict[str, object]]]:
    rows = central.query("SELECT account, event, detail FROM fleet.audit ORDER BY id")
    return [(a, e, d) for a, e, d in rows]


# --- accounts -------------------------------------------------------------------------------


def test_an_account_signs_in_with_its_one_time_passphrase_then_chooses_its_own(
    central: Central, private: crypto.Unlocked, sign_in: Callable[..., DeskSession]
) -> None:
    central.add_account(private, "ayse", ONE_TIME)
    first = sign_in("Ayse ", ONE_TIME)  # as typed: a capital and a space
    assert (first.account.account, first.account.must_change) == ("ayse", True)
    first.set_passphrase(OWN, cost=crypto.MIN_COST)
    assert first.account.must_change is False
    first.close()

    again = sign_in("ayse", OWN)
    assert again.account.must_change is False
    assert again.account.key_id == private.key_id
    with pytest.raises(DeskError) as old:
        sign_in("ayse", ONE_TIME)
    assert old.value.kind == "denied"
    with pytest.raises(DeskError) as nobody:
        sign_in("nobody", OWN)
    # No desk role of that name: pg_hba (+desk_staff) has no line for it.
    assert nobody.value.kind == "refused" and "check the name" in str(nobody.value)
    # Not even a possible passphrase: the same answer, without asking the server.
    with pytest.raises(DeskError, match="not right"):
        sign_in("ayse", "abc")


def test_the_server_holds_no_passphrase_and_its_audit_no_secret(
    central: Central, pg: PgServer, private: crypto.Unlocked, sign_in: Callable[..., DeskSession]
) -> None:
    central.add_account(private, "burak", ONE_TIME)
    session = sign_in("burak", ONE_TIME)
    session.set_passphrase(OWN, cost=crypto.MIN_COST)
    with psycopg.connect(pg.superuser_dsn(central.dbname)) as conn:
        (stored,) = conn.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = 'staff:burak'"
        ).fetchone()
        dump = conn.execute(
            "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM fleet.staff_account) t"
        ).fetchone()[0] + str(_audit(central))
    assert stored.startswith("SCRAM-SHA-256$")
    for secret in (ONE_TIME, OWN, crypto.desk_credentials("burak", OWN, crypto.MIN_COST).password):
        assert secret not in stored and secret not in dump
    events = [e for a, e, _d in _audit(central)]
    assert events == ["account_added", "signed_in", "passphrase_changed"]


def test_a_disabled_account_stops_at_its_next_step_and_cannot_sign_in(
    central: Central,
    private: crypto.Unlocked,
    sign_in: Callable[..., DeskSession],
    ready: Callable[[str], DeskSession],
) -> None:
    session = ready("cem")
    assert session.count(Filters(), None) == 0
    accounts.set_active(central.admin_dsn, "cem", False)
    with pytest.raises(DeskError) as stopped:
        session.count(Filters(), None)
    assert stopped.value.kind == "disabled"
    with pytest.raises(DeskError) as refused:
        sign_in("cem", OWN)
    assert refused.value.kind == "disabled"
    accounts.set_active(central.admin_dsn, "cem", True)
    assert sign_in("cem", OWN).count(Filters(), None) == 0


def test_a_reset_gives_a_new_one_time_passphrase(
    central: Central, private: crypto.Unlocked, sign_in: Callable[..., DeskSession]
) -> None:
    central.add_account(private, "deniz", ONE_TIME)
    sign_in("deniz", ONE_TIME).set_passphrase(OWN, cost=crypto.MIN_COST)
    accounts.reset(central.admin_dsn, private, "deniz", OTHER, cost=crypto.MIN_COST)
    with pytest.raises(DeskError):
        sign_in("deniz", OWN)
    assert sign_in("deniz", OTHER).account.must_change is True
    listed = {a.account: a for a in accounts.accounts(central.admin_dsn)}
    assert listed["deniz"].must_change and listed["deniz"].active


def test_accounts_refuse_weak_passphrases_bad_names_and_doubles(
    central: Central, private: crypto.Unlocked
) -> None:
    with pytest.raises(accounts.AccountError, match="not a safe passphrase"):
        central.add_account(private, "emre", "123456789012")
    with pytest.raises(accounts.AccountError, match="cannot be an account name"):
        central.add_account(private, "Emre Y", ONE_TIME)
    central.add_account(private, "emre", ONE_TIME)
    with pytest.raises(accounts.AccountError, match="already"):
        central.add_account(private, "emre", OTHER)
    with pytest.raises(accounts.AccountError, match="no account"):
        accounts.reset(central.admin_dsn, private, "nobody", OTHER, cost=crypto.MIN_COST)


def test_kiosks_cannot_read_and_staff_cannot_write_as_a_kiosk(
    central: Central, private: crypto.Unlocked, sign_in: Callable[..., DeskSession]
) -> None:
    kiosk_dsn = central.enrol("salon-9")
    with psycopg.connect(kiosk_dsn) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT * FROM fleet.desk_me()")
    central.add_account(private, "filiz", ONE_TIME)
    target = central.desk_target()
    password = crypto.desk_credentials("filiz", ONE_TIME, crypto.MIN_COST).password
    params = target.params("filiz", password)
    for statement in (
        "SELECT * FROM fleet.request",
        "SELECT * FROM fleet.staff_account",
        "SELECT fleet.kiosk_heartbeat(now(), 'a', 'b', 0, 0, '')",
    ):
        with psycopg.connect(**params) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


# --- the list -------------------------------------------------------------------------------


def test_the_list_is_filtered_sorted_and_opened_on_the_desk(
    central: Central,
    private: crypto.Unlocked,
    sign_in: Callable[..., DeskSession],
    fleet: dict[str, list[str]],
    ready: Callable[[str], DeskSession],
) -> None:
    desk = ready("gul")
    everything = Filters()
    assert desk.count(everything, None) == 8
    rows = desk.page(everything, None, limit=100)
    assert len(rows) == 8
    times = [r.created_at for r in rows]
    assert times == sorted(times, reverse=True)
    # Opened here: the names the kiosks sealed, and the reference codes.
    assert {r.personal.name for r in rows if r.personal} >= {f"{MARKER} {i}" for i in range(3)}
    assert {r.reference for r in rows} == {ref for refs in fleet.values() for ref in refs}
    assert all(r.status == "new" and r.version == 1 and r.language for r in rows)

    assert desk.count(Filters(site="Branch"), None) == 4
    assert {r.kiosk_id for r in desk.page(Filters(site="Main"), None)} == {"salon-1", "salon-2"}
    assert desk.count(Filters(kiosk="salon-2"), None) == 1
    assert desk.count(Filters(status="contacted"), None) == 0
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert desk.count(Filters(since=future), None) == 0
    assert desk.count(Filters(until=future), None) == 8

    oldest_first = desk.page(everything, None, descending=False)
    assert [r.request_id for r in oldest_first] == [r.request_id for r in reversed(rows)]
    # Pages follow each other without a gap or a repeat, by offset or read on from the last.
    paged = [
        r.request_id for o in (0, 3, 6) for r in desk.page(everything, None, offset=o, limit=3)
    ]
    assert paged == [r.request_id for r in rows]
    keyed: list[str] = []
    after = None
    while page := desk.page(everything, None, after=after, limit=3):
        keyed += [r.request_id for r in page]
        after = page[-1]
    assert keyed == [r.request_id for r in rows]
    # Hostile filter values are values, never SQL.
    for value in ("Main' OR 'a'='a", "$1", "Main; DROP TABLE fleet.request"):
        assert desk.count(Filters(site=value), None) == 0
        assert desk.page(Filters(kiosk=value), None) == []
    # A list as of a moment leaves out what arrived after it.
    before = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    assert desk.count(everything, before) == 0 and desk.page(everything, before) == []

    viewed = [d for _a, e, d in _audit(central) if e == "viewed"]
    assert viewed and all(len(d["requests"]) <= 8 for d in viewed)
    assert MARKER not in json.dumps(_audit(central))


def test_a_patient_who_calls_is_found_by_their_reference_code(
    central: Central,
    private: crypto.Unlocked,
    sign_in: Callable[..., DeskSession],
    fleet: dict[str, list[str]],
    ready: Callable[[str], DeskSession],
) -> None:
    desk = ready("hale")
    code = fleet["salon-1"][1]
    for typed in (code, code.lower(), code.replace("-", " "), code.replace("-", "")):
        found = desk.find(typed)
        assert [r.reference for r in found] == [code]
    assert found[0].personal is not None and found[0].personal.name == f"{MARKER} 1"
    assert desk.find("ZZZ-ZZZ") == [] and desk.find("12") == []
    searched = [d for a, e, d in _audit(central) if e == "searched"]
    assert searched[0]["requests"] == [found[0].request_id]


def test_two_receptionists_never_overwrite_each_other(
    central: Central,
    private: crypto.Unlocked,
    sign_in: Callable[..., DeskSession],
    fleet: dict[str, list[str]],
    ready: Callable[[str], DeskSession],
) -> None:
    first, second = ready("ilker"), ready("jale")
    (row_first,) = first.find(fleet["salon-2"][0])
    (row_second,) = second.find(fleet["salon-2"][0])

    done = first.mark(row_first, "contacted", "Called back, prefers mornings")
    assert (done.ok, done.status, done.changed_by, done.version) == (True, "contacted", "ilker", 2)
    late = second.mark(row_second, "contacted", "Left a message")
    assert (late.ok, late.status, late.changed_by) == (False, "contacted", "ilker")
    (now,) = second.find(fleet["salon-2"][0])
    assert (now.note, now.version, now.changed_by) == ("Called back, prefers mornings", 2, "ilker")
    # The note is sealed at the desk: the server holds no word of it.
    (sealed,) = central.query("SELECT note_sealed FROM fleet.request WHERE version = 2")[0]
    assert b"mornings" not in bytes(sealed)

    undone = first.undo(row_first, done)
    assert (undone.ok, undone.status, undone.version) == (True, "new", 3)
    (back,) = first.find(fleet["salon-2"][0])
    assert (back.status, back.note) == ("new", "")
    # An undo that comes too late is refused like any other change.
    assert first.undo(row_first, done).ok is False
    assert [e for _a, e, _d in _audit(central) if e == "marked"] == ["marked", "marked"]


def test_an_export_marks_its_rows_and_keeps_later_marks_free_of_conflict(
    central: Central,
    private: crypto.Unlocked,
    sign_in: Callable[..., DeskSession],
    fleet: dict[str, list[str]],
    ready: Callable[[str], DeskSession],
) -> None:
    desk = ready("kaan")
    (loaded,) = desk.find(fleet["branch-1"][0])
    rows = list(desk.export_rows(Filters(site="Branch"), None, page=3))
    assert len(rows) == 4 and len({r.request_id for r in rows}) == 4
    assert all(r.opened and r.row.site == "Branch" for r in rows)
    assert [r.row.created_at for r in rows] == sorted(r.row.created_at for r in rows)
    assert desk.record_export([r.request_id for r in rows], "xlsx") == 4
    assert desk.count(Filters(status="exported"), None) == 4
    # Marked from a row read before the export: no conflict, contacted wins; an undo
    # returns it to exported (it is in a file), not to new.
    marked = desk.mark(loaded, "contacted")
    assert marked.ok
    assert desk.undo(loaded, marked).status == "exported"
    assert ("kaan", "exported", {"count": 4, "format": "xlsx"}) in _audit(central)


def test_deleting_and_retention_destroy_with_a_record_and_nothing_else(
    central: Central,
    pg: PgServer,
    private: crypto.Unlocked,
    sign_in: Callable[..., DeskSession],
    fleet: dict[str, list[str]],
    ready: Callable[[str], DeskSession],
) -> None:
    desk = ready("lale")
    (gone,) = desk.find(fleet["salon-2"][0])
    assert desk.delete([gone.request_id]) == 1
    assert desk.mark(gone, "contacted").gone

    accounts.set_retention(central.admin_dsn, 30, 90)
    assert desk.settings() == {"retention_days": 30, "unexported_max_days": 90}
    contacted = desk.find(fleet["salon-1"][0])[0]
    assert desk.mark(contacted, "contacted").ok
    # Time passes (the server's clock only): one reached the staff 31 days ago, one arrived
    # 91 days ago and nobody exported it, one reached the staff 29 days ago.
    with psycopg.connect(pg.superuser_dsn(central.dbname), autocommit=True) as conn:
        conn.execute(
            "UPDATE fleet.request SET reached_at = now() - interval '31 days' WHERE reference = %s",
            [fleet["salon-1"][0]],
        )
        conn.execute(
            "UPDATE fleet.request SET received_at = now() - interval '91 days'"
            " WHERE reference = %s",
            [fleet["salon-1"][1]],
        )
        conn.execute(
            "UPDATE fleet.request SET status = 'contacted',"
            " reached_at = now() - interval '29 days' WHERE reference = %s",
            [fleet["salon-1"][2]],
        )
    assert desk.apply_retention() == (1, 1)
    assert desk.apply_retention() == (0, 0)
    assert accounts.apply_retention(central.admin_dsn) == (0, 0)
    assert desk.count(Filters(), None) == 5
    destroyed = central.query("SELECT count, reason, account FROM fleet.destruction ORDER BY id")
    assert destroyed == [
        (1, "deleted by staff", "lale"),
        (1, "retention 30 days, reached staff", "lale"),
        (1, "retention 90 days, never reached staff", "lale"),
    ]
    with pytest.raises(accounts.AccountError):
        accounts.set_retention(central.admin_dsn, 60, 30)


def test_a_lost_server_is_said_plainly_and_the_desk_carries_on_after(
    central: Central,
    pg: PgServer,
    private: crypto.Unlocked,
    sign_in: Callable[..., DeskSession],
    fleet: dict[str, list[str]],
    ready: Callable[[str], DeskSession],
) -> None:
    desk = ready("mert")
    assert desk.count(Filters(), None) == 8
    pg.stop()
    try:
        for _ in range(2):  # and again: no hang, no crash, the same plain answer
            with pytest.raises(DeskError) as lost:
                desk.count(Filters(), None)
            assert lost.value.kind == "unreachable"
    finally:
        pg.start()
    assert desk.count(Filters(), None) == 8
    assert [r.kiosk_id for r in desk.health()] == ["branch-1", "salon-1", "salon-2"]
    assert {k.site for k in desk.kiosks()} == {"Main", "Branch"}
    desk.close()
    with pytest.raises(DeskError):
        desk.count(Filters(), None)


def test_a_list_read_on_page_by_page_misses_nothing_while_rows_leave_it(
    central: Central,
    private: crypto.Unlocked,
    sign_in: Callable[..., DeskSession],
    fleet: dict[str, list[str]],
    ready: Callable[[str], DeskSession],
) -> None:
    """The morning's work: a list of new requests, each marked contacted as it is read. The
    page after is read on from the last row shown, so none is skipped."""
    desk = ready("nur")
    waiting = Filters(status="new")
    asof = dt.datetime.now(dt.UTC)
    first = desk.page(waiting, asof, limit=3)
    assert desk.mark(first[0], "contacted").ok
    rest = desk.page(waiting, asof, after=first[-1], limit=10)
    seen = [r.request_id for r in first + rest]
    assert len(seen) == len(set(seen)) == 8
    # By offset, the same step would have skipped one: the reason pages read on.
    assert len(desk.page(waiting, asof, offset=3, limit=10)) == 4


def test_a_one_time_passphrase_opens_nothing_but_the_change(
    central: Central, private: crypto.Unlocked, sign_in: Callable[..., DeskSession]
) -> None:
    central.add_account(private, "oya", ONE_TIME)
    first = sign_in("oya", ONE_TIME)
    with pytest.raises(DeskError, match="passphrase of your own"):
        first.count(Filters(), None)
    first.set_passphrase(OWN, cost=crypto.MIN_COST)
    assert first.count(Filters(), None) == 0


def test_undo_is_only_of_ones_own_change(
    central: Central,
    private: crypto.Unlocked,
    sign_in: Callable[..., DeskSession],
    fleet: dict[str, list[str]],
    ready: Callable[[str], DeskSession],
) -> None:
    first, second = ready("pelin"), ready("rana")
    (row_first,) = first.find(fleet["salon-2"][0])
    (row_second,) = second.find(fleet["salon-2"][0])
    assert first.mark(row_first, "contacted", "Pelin called").ok
    refused = second.mark(row_second, "contacted")
    assert not refused.ok
    with pytest.raises(ValueError, match="nothing to undo"):
        second.undo(row_second, refused)
    (now,) = second.find(fleet["salon-2"][0])
    assert (now.status, now.note) == ("contacted", "Pelin called")


def test_a_destroyed_request_sent_again_never_comes_back(
    central: Central,
    private: crypto.Unlocked,
    sign_in: Callable[..., DeskSession],
    fleet: dict[str, list[str]],
    ready: Callable[[str], DeskSession],
) -> None:
    """A kiosk restored from a backup, or whose answer was lost, sends a request staff have
    since deleted: the server says it has it, and keeps nothing."""
    desk = ready("sena")
    (row,) = desk.find(fleet["salon-2"][0])
    copy = central.query(
        "SELECT request_id, created_at_kiosk, key_id, payload_sha256, sealed_payload, reference"
        " FROM fleet.request WHERE request_id = %s",
        [row.request_id],
    )[0]
    assert desk.delete([row.request_id]) == 1
    folder = central.folder / "salon-2"
    files = ClientFiles(folder / "salon-2.crt", folder / "salon-2.key", central.server.ca_file)
    with psycopg.connect(
        central.server.kiosk_dsn("salon-2", files, central.dbname), autocommit=True
    ) as conn:
        found = conn.execute(
            "SELECT outcome FROM fleet.ingest_batch(%s::uuid[], %s::timestamptz[],"
            " %s::text[], %s::bytea[], %s::bytea[], %s::text[])",
            [[c] for c in copy],
        ).fetchone()
    assert found is not None and found[0] == "duplicate"
    assert desk.find(fleet["salon-2"][0]) == []
    assert central.query("SELECT count(*) FROM fleet.destroyed")[0][0] == 1


def test_staff_cannot_call_the_servers_own_steps(
    central: Central, private: crypto.Unlocked
) -> None:
    central.add_account(private, "tuba", ONE_TIME)
    password = crypto.desk_credentials("tuba", ONE_TIME, crypto.MIN_COST).password
    params = central.desk_target().params("tuba", password)
    for statement in (
        "SELECT fleet._staff()",
        "SELECT fleet._desk_audit('x', 'y', '{}')",
        "SELECT fleet._destroy(ARRAY[gen_random_uuid()], 'x', 'y')",
        "SELECT * FROM fleet.destroyed",
        "SELECT * FROM fleet.audit",
    ):
        with psycopg.connect(**params) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_a_request_from_the_release_before_opens_too(
    central: Central,
    keypair: tuple[crypto.Sealer, crypto.Unlocked],
    ready: Callable[[str], DeskSession],
) -> None:
    """The first release's kiosks sealed each record alone to the public key, and send no
    reference code: the desk opens those as well."""
    import hashlib
    import uuid

    record = json.dumps(
        {"format": "kiosk-request/1", "reference": "ABC-DEF", "language": "en",
         "personal": {"name": "Older Release"}},
    ).encode()  # fmt: skip
    sealed = keypair[0].seal(record + b" " * (-len(record) % 512))
    with psycopg.connect(central.enrol("salon-old"), autocommit=True) as conn:
        (outcome,) = conn.execute(
            "SELECT outcome FROM fleet.ingest_batch(%s::uuid[], %s::timestamptz[],"
            " %s::text[], %s::bytea[], %s::bytea[])",
            [[uuid.uuid4()], [dt.datetime.now(dt.UTC)], [keypair[0].key_id],
             [hashlib.sha256(sealed).digest()], [sealed]],
        ).fetchone()  # fmt: skip
    assert outcome == "stored"
    desk = ready("umut")
    (row,) = desk.page(Filters(), None)
    assert row.personal is not None and row.personal.name == "Older Release"
    assert row.reference == "ABC-DEF"  # from the record: the server had none


def test_an_export_that_fails_marks_nothing_and_one_that_works_marks_all(
    central: Central,
    ready: Callable[[str], DeskSession],
    fleet: dict[str, list[str]],
    tmp_path: Path,
) -> None:
    """The pages are marked as they are written, in one transaction: committed only once the
    file is read back."""
    from kiosk.fleet.desk import export_list

    desk = ready("veli")
    missing = tmp_path / "no-such-folder"
    failed = export_list(desk, Filters(), None, "csv", missing, "Europe/Istanbul")
    assert failed.path is None and failed.reason is not None
    assert desk.count(Filters(status="new"), None) == 8
    assert not [e for _a, e, _d in _audit(central) if e == "exported"]

    # A request sealed to another key pair (a kiosk set up with the wrong public key) is
    # written, its code and kiosk, but not marked: it has not reached the staff.
    central.deliver(crypto.ephemeral_keys()[0], "kiosk-wrong-key", "Branch", ["Unreadable"])
    folder = tmp_path / "out"
    folder.mkdir()
    done = export_list(desk, Filters(), None, "xlsx", folder, "Europe/Istanbul")
    assert done.path is not None and done.count == 9 and done.unreadable == 1
    assert desk.count(Filters(status="exported"), None) == 8
    assert desk.count(Filters(status="new", kiosk="kiosk-wrong-key"), None) == 1
    assert ("veli", "exported", {"count": 9, "format": "xlsx"}) in _audit(central)
