"""The central schema on a real PostgreSQL (issue 21, item 2): created or migrated by
`server-init` as often as IT likes; kiosks sign in by certificate and may only call the
ingest and heartbeat functions, as themselves."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pgserver import Central, PgServer

from kiosk.fleet.central_schema import MIGRATIONS
from kiosk.fleet.server import FleetError, connect, schema_version, server_init

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def _ingest(conn: psycopg.Connection[Any], items: list[tuple[uuid.UUID, bytes]]) -> dict[str, str]:
    rows = conn.execute(
        "SELECT request_id, outcome FROM fleet.ingest_batch(%s, %s, %s, %s, %s)",
        [
            [i for i, _ in items],
            [NOW for _ in items],
            ["k1" for _ in items],
            [hashlib.sha256(p).digest() for _, p in items],
            [p for _, p in items],
        ],
    ).fetchall()
    return {str(r[0]): r[1] for r in rows}


def _sealed(marker: str) -> bytes:
    """Stand-in ciphertext (the server cannot tell: it never opens it)."""
    return (marker.encode() * 64)[:64]


def test_server_init_is_idempotent(pg: PgServer) -> None:
    dsn = pg.create_database("init_twice")
    assert server_init(dsn) == ([m.version for m in MIGRATIONS], len(MIGRATIONS))
    assert server_init(dsn) == ([], len(MIGRATIONS))
    with connect(dsn) as conn:
        assert schema_version(conn) == len(MIGRATIONS)


def test_a_kiosk_stores_its_requests_exactly_once(central: Central) -> None:
    dsn = central.enrol("kiosk-1")
    first, second = uuid.uuid4(), uuid.uuid4()
    with connect(dsn, autocommit=True) as conn:
        assert _ingest(conn, [(first, _sealed("a")), (second, _sealed("b"))]) == {
            str(first): "stored",
            str(second): "stored",
        }
        # The acknowledgement lost, the batch sent again: nothing is doubled.
        assert _ingest(conn, [(first, _sealed("a"))]) == {str(first): "duplicate"}
        # The same id with other bytes: a conflict, for the kiosk to quarantine.
        assert _ingest(conn, [(first, _sealed("x"))]) == {str(first): "conflict"}
    with psycopg.connect(central.admin_dsn) as admin:
        count = admin.execute("SELECT count(*), min(kiosk_id) FROM fleet.request").fetchone()
    assert count == (2, "kiosk-1")


def test_a_kiosk_cannot_read_or_write_tables(central: Central) -> None:
    dsn = central.enrol("kiosk-1")
    with connect(dsn, autocommit=True) as conn:
        for sql in (
            "SELECT * FROM fleet.request",
            "SELECT * FROM fleet.kiosk",
            "SELECT * FROM fleet.fleet_health",
            "DELETE FROM fleet.request",
            "UPDATE fleet.kiosk SET active = true",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)


def test_a_kiosk_writes_only_as_itself(central: Central) -> None:
    """Another kiosk's id in a request changes nothing: the row is the sender's; the same
    id from another kiosk with other bytes is a conflict, never an overwrite; with the very
    same bytes (a copied database) a duplicate, and the row stays the first sender's."""
    one, two = central.enrol("kiosk-1"), central.enrol("kiosk-2")
    shared = uuid.uuid4()
    with connect(one, autocommit=True) as conn:
        assert _ingest(conn, [(shared, _sealed("one"))])[str(shared)] == "stored"
    with connect(two, autocommit=True) as conn:
        assert _ingest(conn, [(shared, _sealed("two"))])[str(shared)] == "conflict"
        assert _ingest(conn, [(shared, _sealed("one"))])[str(shared)] == "duplicate"
    assert central.query("SELECT kiosk_id FROM fleet.request") == [("kiosk-1",)]


def test_a_stolen_certificate_opens_no_other_role(central: Central, pg: PgServer) -> None:
    central.enrol("kiosk-1")
    two = central.enrol("kiosk-2")
    stolen = two.replace("user=kiosk-2", "user=kiosk-1")
    with pytest.raises(FleetError, match="certificate authentication failed"):
        connect(stolen)


def test_a_deactivated_kiosk_is_refused(central: Central) -> None:
    dsn = central.enrol("kiosk-1")
    with psycopg.connect(central.admin_dsn, autocommit=True) as admin:
        admin.execute("UPDATE fleet.kiosk SET active = false WHERE kiosk_id = 'kiosk-1'")
    with (
        connect(dsn, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InvalidAuthorizationSpecification, match="not active"),
    ):
        _ingest(conn, [(uuid.uuid4(), _sealed("late"))])


def test_heartbeats_make_fleet_health(central: Central) -> None:
    """last_seen is the server's clock; a kiosk two hours ahead shows as "clock"; a kiosk
    never heard from as "never"; a request waiting two days as "backlog"."""
    fine, ahead, waiting = (central.enrol(k) for k in ("kiosk-a", "kiosk-b", "kiosk-c"))
    central.enrol("kiosk-d")
    beat = "SELECT fleet.kiosk_heartbeat(%s, '1.0', 'c-1', %s, %s, '')"
    with connect(fine, autocommit=True) as conn:
        conn.execute(beat, [dt.datetime.now(dt.UTC), 0, 0])
    with connect(ahead, autocommit=True) as conn:
        conn.execute(beat, [dt.datetime.now(dt.UTC) + dt.timedelta(hours=2), 0, 0])
    with connect(waiting, autocommit=True) as conn:
        conn.execute(beat, [dt.datetime.now(dt.UTC), 3, 2 * 86400])
    with psycopg.connect(central.admin_dsn) as admin:
        health = dict(admin.execute("SELECT kiosk_id, status FROM fleet.fleet_health").fetchall())
        skew = admin.execute(
            "SELECT clock_skew_s FROM fleet.kiosk_status WHERE kiosk_id = 'kiosk-b'"
        ).fetchone()
    assert health == {"kiosk-a": "ok", "kiosk-b": "clock", "kiosk-c": "backlog", "kiosk-d": "never"}
    assert skew is not None and 7100 < skew[0] < 7300


def test_a_kiosks_content_updates_show_in_fleet_health(central: Central) -> None:
    """The heartbeat carries the last update check: refused, or a repository about to
    expire (its daily re-signing stopped), is "update"; an update applied or nothing new is
    ok. A kiosk of the release before (six arguments) keeps beating as it did."""
    from kiosk.fleet.server import fleet_health

    kiosks = {k: central.enrol(k) for k in ("kiosk-a", "kiosk-b", "kiosk-c", "kiosk-d")}
    now = dt.datetime.now(dt.UTC)
    beat = "SELECT fleet.kiosk_heartbeat(now(), '1.0', 'c-2', 0, 0, '', %s, %s)"
    outcomes = {
        "kiosk-a": ("updated", now + dt.timedelta(days=7)),
        "kiosk-b": ("expired", now - dt.timedelta(days=1)),
        "kiosk-c": ("current", now + dt.timedelta(days=1)),  # the re-signing stopped
    }
    for kiosk_id, (outcome, expires) in outcomes.items():
        with connect(kiosks[kiosk_id], autocommit=True) as conn:
            conn.execute(beat, [outcome, expires])
    with connect(kiosks["kiosk-d"], autocommit=True) as conn:
        conn.execute("SELECT fleet.kiosk_heartbeat(now(), '0.9', 'c-1', 0, 0, '')")
    health = {k.kiosk_id: k for k in fleet_health(central.admin_dsn)}
    assert {k: h.status for k, h in health.items()} == {
        "kiosk-a": "ok", "kiosk-b": "update", "kiosk-c": "update", "kiosk-d": "ok",
    }  # fmt: skip
    assert health["kiosk-b"].update_outcome == "expired"
    from kiosk.fleet.central_schema import _NEEDS_IT
    from kiosk.updates import NEEDS_IT

    assert {w.strip(" '") for w in _NEEDS_IT.split(",")} == NEEDS_IT  # the same list
    assert [k.kiosk_id for k in fleet_health(central.admin_dsn)][:2] == ["kiosk-b", "kiosk-c"]


def test_one_bad_request_never_fails_the_batch(central: Central) -> None:
    """Bytes that do not match their hash, or are too short to be sealed: a conflict for
    that request (the kiosk quarantines it), the others stored."""
    dsn = central.enrol("kiosk-1")
    good, short, garbled = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT request_id, outcome FROM fleet.ingest_batch(%s, %s, %s, %s, %s)",
            [
                [good, short, garbled],
                [NOW, NOW, NOW],
                ["k1", "k1", "k1"],
                [
                    hashlib.sha256(_sealed("g")).digest(),
                    hashlib.sha256(b"tiny").digest(),
                    hashlib.sha256(_sealed("x")).digest(),
                ],
                [_sealed("g"), b"tiny", _sealed("y")],
            ],
        ).fetchall()
    assert {str(r[0]): r[1] for r in rows} == {
        str(good): "stored",
        str(short): "conflict",
        str(garbled): "conflict",
    }


def test_it_runs_server_init_from_the_command_line(
    pg: PgServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.cli import main

    dsn = pg.create_database("from_cli")
    assert main(["fleet", "server-init", "--dsn", dsn]) == 0
    assert "applied now: 1, 2" in capsys.readouterr().out
    assert main(["fleet", "server-init", "--dsn", dsn]) == 0
    assert "up to date, nothing changed" in capsys.readouterr().out
    missing = dsn.replace("dbname=from_cli", "dbname=nowhere")
    assert main(["fleet", "server-init", "--dsn", missing]) == 1
    error = capsys.readouterr().err
    assert "cannot connect to the central server" in error and "nowhere" in error


def test_it_reads_the_fleets_health_from_the_command_line(
    central: Central, capsys: pytest.CaptureFixture[str]
) -> None:
    """One line per kiosk, worst first; exit 1 while any kiosk is not ok."""
    from kiosk.cli import main

    fine = central.enrol("kiosk-a", site="Şişli")
    central.enrol("kiosk-b")
    with connect(fine, autocommit=True) as conn:
        conn.execute(
            "SELECT fleet.kiosk_heartbeat(%s, '1.4', 'c-7', 2, 3600, 'E-CONNECT')",
            [dt.datetime.now(dt.UTC)],
        )
    assert main(["fleet", "health", "--dsn", central.admin_dsn]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["kiosk-b", "never"], ["kiosk-a", "ok"]]
    assert "waiting 2" in lines[1] and "oldest 1 h" in lines[1]
    assert "app 1.4 content c-7" in lines[1] and "last error E-CONNECT" in lines[1]
    assert lines[1].endswith("site Şişli") and "last delivery none" in lines[0]
    with psycopg.connect(central.admin_dsn, autocommit=True) as admin:
        admin.execute("UPDATE fleet.kiosk SET active = false WHERE kiosk_id = 'kiosk-b'")
    assert main(["fleet", "health", "--dsn", central.admin_dsn]) == 0
    assert capsys.readouterr().out.split()[:2] == ["kiosk-a", "ok"]


def test_health_without_a_server_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.cli import main

    dead = "host=127.0.0.1 port=9 dbname=x user=x connect_timeout=2 sslmode=disable"
    assert main(["fleet", "health", "--dsn", dead]) == 2
    assert "cannot connect to the central server" in capsys.readouterr().err


def test_two_server_inits_at_once_wait_for_each_other(pg: PgServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    dsn = pg.create_database("init_race")
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(server_init, [dsn, dsn]))
    # Each migration is applied once, by one of them, in order (each takes the lock for its
    # own transaction, so the two may share the work); both end at the latest version.
    first, second = (applied for applied, _ in results)
    assert sorted(first + second) == [m.version for m in MIGRATIONS]
    assert first == sorted(first) and second == sorted(second)
    assert {version for _, version in results} == {len(MIGRATIONS)}


def _raw_ingest(conn: psycopg.Connection[Any], *columns: list[Any]) -> dict[str, str]:
    rows = conn.execute(
        "SELECT request_id, outcome FROM fleet.ingest_batch(%s, %s, %s, %s, %s)", list(columns)
    ).fetchall()
    return {str(r[0]): r[1] for r in rows}


def test_malformed_requests_are_conflicts_and_fail_no_other(central: Central) -> None:
    """An id twice in one batch (neither kept: the server cannot tell which is right), a
    missing field, an over-long key id: each a conflict; the good one stored."""
    dsn = central.enrol("kiosk-1")
    good, twice, no_key, long_key, no_hash = (uuid.uuid4() for _ in range(5))
    payloads = [_sealed(c) for c in "gabklh"]
    ids = [good, twice, twice, no_key, long_key, no_hash]
    sha = [hashlib.sha256(p).digest() for p in payloads]
    sha[-1] = None
    keys = ["k1", "k1", "k1", None, "k" * 65, "k1"]
    with connect(dsn, autocommit=True) as conn:
        outcome = _raw_ingest(conn, ids, [NOW] * 6, keys, sha, payloads)
        assert outcome == {
            str(good): "stored",
            str(twice): "conflict",
            str(no_key): "conflict",
            str(long_key): "conflict",
            str(no_hash): "conflict",
        }
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="equally long"):
            _raw_ingest(conn, [uuid.uuid4()], [NOW, NOW], ["k1"], [sha[0]], [payloads[0]])
    with psycopg.connect(central.admin_dsn) as admin:
        stored = admin.execute("SELECT request_id FROM fleet.request").fetchall()
    assert stored == [(good,)]


def test_what_a_kiosk_says_of_itself_stays_one_plain_word(central: Central) -> None:
    dsn = central.enrol("kiosk-1")
    with connect(dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT fleet.kiosk_heartbeat(now(), %s, 'c-1', 0, 0, %s)",
            ["1.0\nkiosk-zz          ok", "\x1b[31mE"],
        )
    with psycopg.connect(central.admin_dsn) as admin:
        row = admin.execute(
            "SELECT app_version, last_error_code FROM fleet.kiosk_status"
        ).fetchone()
    assert row == ("1.0?kiosk-zz??????????ok", "??31mE")


def test_the_kiosk_functions_run_with_it_rights_not_a_superusers(central: Central) -> None:
    with psycopg.connect(central.admin_dsn) as admin:
        owners = admin.execute(
            "SELECT p.proname, r.rolname, r.rolsuper FROM pg_proc p"
            " JOIN pg_roles r ON r.oid = p.proowner"
            " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'fleet'"
        ).fetchall()
    assert owners and all(role == "kiosk_admin" and not su for _, role, su in owners)


def test_a_kiosk_makes_no_temporary_tables(central: Central) -> None:
    dsn = central.enrol("kiosk-1")
    with connect(dsn, autocommit=True) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("CREATE TEMP TABLE stash (x text)")


def test_the_dsns_own_settings_win_and_a_bad_one_is_not_quoted(central: Central) -> None:
    with connect(central.admin_dsn + " application_name=desk connect_timeout=3") as conn:
        assert conn.info.parameter_status("application_name") == "desk"
        timeout = conn.execute("SHOW statement_timeout").fetchone()
    assert timeout == ("30s",)
    with pytest.raises(FleetError) as caught:
        connect("postgresql://kiosk:S3%CRET@[::1/kiosks")
    assert "S3" not in str(caught.value) and "quoting" in str(caught.value)


def test_a_revoked_certificate_is_refused(central: Central, pg: PgServer) -> None:
    """Taking a kiosk out by its certificate alone (docs/fleet.md): on the revocation list,
    it cannot sign in; the other kiosks can."""
    from pgserver import ClientFiles

    stolen, other = central.enrol("kiosk-1"), central.enrol("kiosk-2")
    with connect(stolen):
        pass
    folder = central.folder / "kiosk-1"
    pg.revoke(ClientFiles(folder / "kiosk-1.crt", folder / "kiosk-1.key", pg.ca_file))
    with pytest.raises(FleetError, match="revoked"):
        connect(stolen)
    with connect(other):
        pass


def test_a_server_of_an_older_release_is_migrated_and_kiosks_keep_their_rights(
    pg: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A central server set up by the release before (schema 1) moves to the newest schema
    on the next server-init: the changed ingest function, still callable by kiosks."""
    import kiosk.fleet.server as server

    dsn = pg.create_database("older_release")
    monkeypatch.setattr(server, "MIGRATIONS", MIGRATIONS[:1])
    assert server_init(dsn) == ([1], 1)
    central = Central(pg, "older_release", dsn, tmp_path)
    one, two = central.enrol("kiosk-1"), central.enrol("kiosk-2")
    shared = uuid.uuid4()
    with connect(one, autocommit=True) as conn:
        assert _ingest(conn, [(shared, _sealed("one"))])[str(shared)] == "stored"
    with connect(two, autocommit=True) as conn:
        assert _ingest(conn, [(shared, _sealed("one"))])[str(shared)] == "conflict"

    monkeypatch.setattr(server, "MIGRATIONS", MIGRATIONS)
    assert server_init(dsn) == ([2, 3, 4, 5], 5)

    with connect(two, autocommit=True) as conn:
        assert _ingest(conn, [(shared, _sealed("one"))])[str(shared)] == "duplicate"
