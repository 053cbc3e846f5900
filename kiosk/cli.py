"""The ``kiosk`` command line: one program, subcommands, ``run`` by default."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec

from kiosk import __version__, paths, releases
from kiosk.config import (
    ConfigError,
    Settings,
    apply_managed,
    config_readable,
    load_settings,
    load_settings_leniently,
)
from kiosk.content import Content, ContentError, json_schemas
from kiosk.logs import setup_logging
from kiosk.memory import forbid_core_dumps
from kiosk.validation import check_content, load_content, load_content_remembered

if TYPE_CHECKING:
    from PySide6.QtCore import QLockFile

    from kiosk.fleet.delivery import Target
    from kiosk.store import AppointmentStore
    from kiosk.ui.main_window import MainWindow

log = logging.getLogger("kiosk")

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
# "Exit kiosk" on the staff screen: the service manager should not restart the kiosk
# (kiosk.service has RestartPreventExitStatus=3).
EXIT_STAFF_EXIT = 3
# Where the kiosk cannot start itself again for new managed configuration (Windows), it
# ends its run cleanly for the service manager to (a status of its own would read as a
# failure in systemd's log, which names 4 "NOPERMISSION").
EXIT_RESTART = EXIT_OK
SCHEMA_DIR = "data/schema"


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT, e.g. 1920x1080: {text!r}"
        ) from None
    if not (200 <= w <= 8000 and 200 <= h <= 8000):
        raise argparse.ArgumentTypeError(f"size out of range: {text!r}")
    return w, h


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD: {text!r}") from None


class _ExportFormats:
    """The export formats (kiosk.export.WRITERS) as argparse choices, read only when a
    command line names one or asks for help: the export's libraries load with it, and
    ``kiosk run`` builds this parser too, before its first paint."""

    def __contains__(self, fmt: object) -> bool:
        from kiosk.export import WRITERS

        return fmt in WRITERS

    def __iter__(self) -> Iterator[str]:
        from kiosk.export import WRITERS

        return iter(WRITERS)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        help="TOML config file (default: $KIOSK_CONFIG, then the "
        "platform config dir, then built-in defaults)",
    )
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", metavar="PATH", help="SQLite database file (overrides db_path)")

    parser = argparse.ArgumentParser(
        prog="kiosk", description="Patient-information kiosk for clinic waiting rooms."
    )
    parser.add_argument("--version", action="store_true", help="print versions and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", parents=[common, db], help="start the kiosk (the default)")
    run.add_argument("--windowed", action="store_true", help="a normal window, for development")
    run.add_argument(
        "--exit-after-first-paint",
        action="store_true",
        help="exit once Home is painted, printing when (for measuring start-up: make bench)",
    )

    content = sub.add_parser("content", help="work with the content files")
    csub = content.add_subparsers(dest="content_command", metavar="ACTION", required=True)
    check = csub.add_parser("check", parents=[common], help="validate a content folder")
    check.add_argument("dir", nargs="?", help="content folder (default: the configured one)")
    check.add_argument(
        "--release",
        action="store_true",
        help="fail while anything patients see is a placeholder or a default (go-live gate)",
    )
    schema = csub.add_parser(
        "schema", parents=[common], help="write the JSON Schemas for content editors"
    )
    schema.add_argument("--out", metavar="DIR", default=None, help=f"folder (default {SCHEMA_DIR})")
    from kiosk import updates_cli

    updates_cli.add_parsers(csub, common)

    config = sub.add_parser("config", help="the kiosk's TOML configuration")
    cfsub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    cfsub.add_parser("check", parents=[common], help="validate the config without starting")

    doctor = sub.add_parser(
        "doctor", parents=[common, db], help="check display, fonts, database, content, config, disk"
    )
    doctor.add_argument(
        "--self-test",
        action="store_true",
        help="also paint every screen, save, read back and export a request, decode the QR code",
    )

    demo = sub.add_parser(
        "demo-data", parents=[common, db], help="fill the database with invented requests"
    )
    demo.add_argument("--count", type=int, default=40, metavar="N", help="how many (default 40)")
    demo.add_argument(
        "--force", action="store_true", help="add them even if real requests are present"
    )

    qr = sub.add_parser(
        "qr", parents=[common], help="write the appointment QR code for a poster (PNG or SVG)"
    )
    qr.add_argument("--out", metavar="FILE", required=True, help="FILE.png or FILE.svg")
    qr.add_argument("--lang", metavar="L", default=None, help="language (default: the default)")

    secret = argparse.ArgumentParser(add_help=False)
    secret.add_argument(
        "--passcode-stdin",
        action="store_true",
        help="read the passcode(s) from standard input, one per line (for scripted set-up)",
    )

    staff = sub.add_parser("staff", help="front-desk staff access")
    ssub = staff.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    ssub.add_parser(
        "set-passcode",
        parents=[common, db, secret],
        help="change the staff passcode (asks the current one; stdin: current, then new)",
    )

    keys = sub.add_parser("keys", help="the key pair that encrypts patients' data at rest")
    ksub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    kinit = ksub.add_parser(
        "init",
        parents=[common, db, secret],
        help="create the key pair, set the staff passcode, print the one-time recovery key",
    )
    kinit.add_argument(
        "--if-missing", action="store_true", help="do nothing (and succeed) if keys exist"
    )
    kinit.add_argument(
        "--development",
        action="store_true",
        help="a developer's machine only: use the published development passcode (`make "
        "run`); the key file is marked and `kiosk doctor` fails on it",
    )
    kinit.add_argument(
        "--replace-development",
        action="store_true",
        help="replace development keys (and the demo requests sealed to them) with a real "
        "key pair; refused if real requests are sealed to them",
    )
    ksub.add_parser(
        "recover",
        parents=[common, db, secret],
        help="set a new staff passcode with the recovery key (stdin: recovery key, then "
        "new passcode)",
    )

    ksub.add_parser(
        "unlock",
        parents=[common, db, secret],
        help="lift the staff lockout with the recovery key; the passcode stays the same "
        "(stdin: recovery key)",
    )

    requests = sub.add_parser("requests", help="appointment requests stored on this kiosk")
    rsub = requests.add_subparsers(dest="requests_command", metavar="ACTION", required=True)
    rlist = rsub.add_parser(
        "list",
        parents=[common, db, secret],
        help="print the requests as a table (asks the passcode)",
    )
    rlist.add_argument("--status", choices=["new", "exported", "contacted", "all"], default="all")
    purge = rsub.add_parser(
        "purge",
        parents=[common, db, secret],
        help="delete the requests older than DAYS days that staff exported (asks the passcode)",
        description="Delete requests received more than DAYS days ago that reached the staff "
        "(exported or marked contacted). Requests nobody exported are kept unless "
        "--include-unexported is given. Asks the staff passcode; wrong ones count towards "
        "the lockout.",
    )
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    purge.add_argument(
        "--include-unexported",
        action="store_true",
        help="also delete the requests nobody exported: those patients were never contacted",
    )
    purge.add_argument(
        "--dry-run",
        action="store_true",
        help="only say how many would be deleted; deletes nothing and asks no passcode, as it "
        "shows counts only (as kiosk doctor does)",
    )

    export = sub.add_parser(
        "export",
        parents=[common, db, secret],
        help="export requests to a CSV or XLSX file (asks the passcode)",
    )
    export.add_argument(
        "--format",
        choices=_ExportFormats(),
        required=True,
        metavar="FORMAT",
        help="the file format: %(choices)s",
    )
    export.add_argument("--out", required=True, metavar="PATH", help="a folder or a file name")
    export.add_argument("--status", choices=["new", "exported", "contacted", "all"], default="new")
    export.add_argument("--since", type=_date, metavar="YYYY-MM-DD", default=None)
    export.add_argument(
        "--mark-exported", action="store_true", help="mark the exported rows as exported"
    )
    export.add_argument(
        "--include-demo",
        action="store_true",
        help="also export demo requests (made by `kiosk demo-data`; marked in a Demo column)",
    )

    fleet = sub.add_parser("fleet", help="central delivery for a clinic group (docs/fleet.md)")
    fsub = fleet.add_subparsers(dest="fleet_command", metavar="ACTION", required=True)
    finit = fsub.add_parser(
        "server-init",
        help="create or migrate the central PostgreSQL's schema (safe to run again)",
    )
    dsn_help = (
        "the central database as IT's admin role, e.g. 'host=db.clinic.lan dbname=kiosks "
        "user=kiosk_admin' (default: libpq's PG* variables; put passwords in ~/.pgpass, "
        "never on the command line)"
    )
    finit.add_argument("--dsn", default="", help=dsn_help)
    fhealth = fsub.add_parser(
        "health",
        parents=[common],
        help="every kiosk of the group, one line each: ok, late, silent, clock, backlog",
    )
    fhealth.add_argument("--dsn", default="", help=dsn_help)
    fenrol = fsub.add_parser(
        "enrol",
        help="make a kiosk's certificate and key (signed by the group's CA) and its role on "
        "the central server",
    )
    fenrol.add_argument("--kiosk-id", required=True, help="the kiosk's kiosk_id setting")
    fenrol.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="where to write its ca.crt, kiosk.crt, kiosk.key",
    )
    fenrol.add_argument(
        "--ca",
        default="kiosk-ca",
        metavar="DIR",
        help="the group's CA: a folder with ca.crt and ca.key (made there on first use; "
        "default: %(default)s)",
    )
    fenrol.add_argument(
        "--dsn",
        default=None,
        help="the central database as IT's admin role, to create the kiosk's role there "
        "(without it, create it by hand as docs/fleet.md shows)",
    )
    fenrol.add_argument(
        "--cert",
        default=None,
        metavar="FILE",
        help="use this certificate the group's CA made (easy-rsa, say; CN = the kiosk id) "
        "instead of a new one; with --key",
    )
    fenrol.add_argument("--key", default=None, metavar="FILE", help="its private key")
    fenrol.add_argument("--site", default="", help="where the kiosk stands, for fleet health")
    fenrol.add_argument(
        "--days", type=int, default=825, help="how long the certificate is valid (%(default)s)"
    )
    fenrol.add_argument(
        "--host", default="", help="the central server's name, for the [fleet] table printed"
    )
    fenrol.add_argument(
        "--kiosk-folder",
        default="/etc/clinic-kiosk/fleet",
        metavar="DIR",
        help="where the three files will be on the kiosk, for the [fleet] table printed "
        "(%(default)s)",
    )
    fenrol.add_argument("--port", type=int, default=5432, help="its port (%(default)s)")
    fenrol.add_argument("--database", default="kiosks", help="its database (%(default)s)")
    fserver = fsub.add_parser(
        "server-cert",
        help="make the central server's TLS certificate, signed by the group's CA (made there "
        "on first use)",
    )
    fserver.add_argument(
        "--host",
        required=True,
        action="append",
        help="a name (or address) kiosks connect to, as in [fleet]; repeat it for each one "
        "(a LAN name and a WireGuard address, say)",
    )
    fserver.add_argument(
        "--out", required=True, metavar="DIR", help="where to write server.crt, server.key, ca.crt"
    )
    fserver.add_argument(
        "--ca", default="kiosk-ca", metavar="DIR", help="the group's CA folder (%(default)s)"
    )
    fserver.add_argument("--days", type=int, default=825, help="how long it is valid (%(default)s)")
    fsub.add_parser(
        "sync",
        parents=[common],
        help="send this kiosk's waiting requests to the central server now; counts per outcome",
    )
    fsub.add_parser(
        "status",
        parents=[common],
        help="this kiosk's outbox: how many wait, the last delivery, the last error",
    )
    fsub.add_parser(
        "requeue",
        parents=[common],
        help="send the requests the central server refused (quarantined) again, under new ids",
    )

    from kiosk import desk_cli

    desk_cli.add_parser(sub)

    shots = sub.add_parser(
        "screenshots", parents=[common], help="render every screen to PNG files (offscreen)"
    )
    shots.add_argument("--out", metavar="DIR", required=True, help="folder for the PNG files")
    shots.add_argument("--lang", action="append", metavar="L", help="language (repeatable)")
    shots.add_argument(
        "--size", action="append", type=_size, metavar="WxH", help="window size (repeatable)"
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings, _ = load_settings(args.config, db_path=getattr(args, "db", None))
    return settings


def _languages(settings: Settings, content: Content) -> tuple[str, ...]:
    """Return the configured languages that the content has, default first on error."""
    offered = tuple(code for code in settings.languages if code in content.languages)
    if settings.default_language not in offered:
        raise ConfigError(
            f"default_language '{settings.default_language}' has no content "
            f"(content has: {', '.join(sorted(content.languages))})"
        )
    return offered


def _languages_for_run(settings: Settings, content: Content) -> tuple[Settings, tuple[str, ...]]:
    """Like :func:`_languages`, but never fails: without content for the default language
    the kiosk starts in the first configured language the content has (logged)."""
    try:
        return settings, _languages(settings, content)
    except ConfigError as exc:
        offered = tuple(code for code in settings.languages if code in content.languages)
        offered = offered or tuple(sorted(content.languages))
        log.error("config_invalid %s; starting in %s", exc, offered[0])
        return msgspec.structs.replace(settings, default_language=offered[0]), offered


def _content_for_run(settings: Settings, record: Path | None = None) -> tuple[Content, str | None]:
    """Load the configured content; fall back to the bundled set if it is broken.

    Returns the content and, after a fall-back, the first problem (for the staff screen).
    With ``record`` (a file), content that passed every rule before is only decoded.
    """
    try:
        return load_content_remembered(settings.content_path(), record), None
    except ContentError as exc:
        failed = settings.content_path()
        if settings.updates is not None and failed == releases.current(settings.releases_path()):
            # An update that passed its checks when it came fails them now (a newer kiosk's
            # rules, a damaged disk): back to the release before it, or what it had before.
            log.error(
                "content_release_invalid release=%s problems=%d", failed.name, len(exc.problems)
            )
            releases.step_back(settings.releases_path())
            return _content_for_run(settings, record)
        bundled = paths.bundled_content_dir()
        # realpath, not resolve(): a symlink loop in content_dir must not crash the start.
        if os.path.realpath(settings.content_path()) == os.path.realpath(bundled):
            raise
        log.error(
            "content_invalid dir=%s problems=%d; using bundled content",
            settings.content_path(),
            len(exc.problems),
        )
        for problem in exc.problems[:20]:
            log.error("content_problem %s", problem)
        return load_content(bundled), str(exc.problems[0])


def cmd_config_check(args: argparse.Namespace) -> int:
    from kiosk.golive import config_claims

    settings, source = load_settings(args.config)
    claims = config_claims(settings)
    for problem in claims:
        print(problem)
    if claims:
        print(f"{source or 'built-in defaults'}: {len(claims)} banned claim(s) in texts shown")
        return EXIT_FAIL
    print(f"{source or 'built-in defaults'}: config valid (kiosk_id {settings.kiosk_id})")
    fleet = settings.fleet
    if fleet is not None:
        print(
            f"central delivery: to {fleet.host}:{fleet.port}/{fleet.database} as "
            f"{settings.kiosk_id} (`kiosk doctor` checks its files and the server)"
        )
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from kiosk.doctor import run_checks

    if args.self_test:
        from kiosk.selftest import SelfTestError, run_self_test

        try:
            run_self_test(args.config)
        except SelfTestError as exc:
            print(f"FAIL  {exc}")
            print("self-test failed")
            return EXIT_FAIL
        print("self-test passed")
        return EXIT_OK
    results = run_checks(args.config, getattr(args, "db", None))
    for result in results:
        print(result)
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)} of {len(results)} checks passed")
    return EXIT_FAIL if failed else EXIT_OK


def cmd_version() -> int:
    content_version = "unknown"
    updates = ""
    settings: Settings | None = None
    managed = None
    try:
        local, _ = load_settings(None, managed=False)
        settings, managed = apply_managed(local)
    except ConfigError:
        settings = None  # the version is still worth printing
    root = settings.content_path() if settings else paths.bundled_content_dir()
    try:
        manifest = json.loads((root / "manifest.json").read_text("utf-8"))
        content_version = manifest.get("content_version", "unknown")
    except (OSError, ValueError):
        pass
    if settings is not None and settings.updates is not None:
        from kiosk.updates import client

        state = client.status(settings.updates_state_path(), settings.releases_path())
        updates = f"\nupdates: {state.release or 'none applied yet'}"
        if state.expires is not None:
            updates += f"; repository signed until {state.expires:%Y-%m-%d %H:%M} UTC"
        if state.last is not None:
            updates += f"; last check {state.last.at}: {state.last.outcome}"
            if not state.last.ok:
                updates += f" ({state.last.message})"
        if managed is not None and managed.problem:
            updates += f"\nconfiguration: {managed.problem}"
        elif managed is not None and managed.keys:
            files = sorted(set(managed.keys.values()))
            updates += f"\nconfiguration: {len(managed.keys)} keys from {', '.join(files)}"
    try:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        qt = f"Qt {qVersion()} (PySide6 {pyside_version})"
    except ImportError:  # pragma: no cover - PySide6 is a hard dependency
        qt = "Qt not available"
    print(f"kiosk {__version__}\ncontent {content_version}{updates}\n{qt}")
    return EXIT_OK


def cmd_content_check(args: argparse.Namespace) -> int:
    from kiosk.golive import config_claims, release_problems

    settings = _settings(args)
    root = Path(args.dir) if args.dir else settings.content_path()
    content, problems = check_content(root)
    problems += config_claims(settings)  # the clinic's name is on every screen
    if content is not None:
        # What the clinic still has to fill in: warnings while trying the kiosk out, errors
        # for a release.
        gate = release_problems(settings, content)
        severity: Literal["error", "warning"] = "error" if args.release else "warning"
        problems += [dataclasses.replace(p, severity=severity) for p in gate]
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if errors:
        what = "not ready for patients" if content is not None else "content invalid"
        print(f"{root}: {what}: {errors} error(s), {warnings} warning(s)")
        return EXIT_FAIL
    assert content is not None
    langs = ", ".join(sorted(content.languages))
    ready = "; ready for patients" if args.release else ""
    print(f"{root}: content valid ({langs}; {warnings} warning(s)){ready}")
    return EXIT_OK


def cmd_content_schema(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else paths.resource_path(SCHEMA_DIR)
    out.mkdir(parents=True, exist_ok=True)
    for name, schema in json_schemas().items():
        target = out / name.replace(".json", ".schema.json")
        target.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(target)
    return EXIT_OK


def _require_display() -> None:
    from kiosk.ui.app import display_problem

    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _rss_bytes() -> int | None:
    """Return this process's resident memory now (Linux), else None."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            resident_pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    import os

    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def _rss_anon_bytes() -> int | None:
    """Return the anonymous part of this process's resident memory (Linux), else None: its
    own heap, without the shared library pages that resident memory also counts."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _report_first_paint(app: object, first_paint: float) -> None:
    """--exit-after-first-paint: print when Home was painted (CLOCK_MONOTONIC, comparable
    across processes on Linux) and the resident memory once start-up has finished, then
    leave the event loop."""
    report = {
        "first_paint": first_paint,
        "ready": time.monotonic(),
        "rss_bytes": _rss_bytes(),
        "rss_anon_bytes": _rss_anon_bytes(),
    }
    print(json.dumps(report), flush=True)
    app.exit(0)  # type: ignore[attr-defined]


def _instance_lock() -> QLockFile:
    """The lock a running kiosk holds on this computer (one kiosk at a time; commands that
    must not run beside it take it too)."""
    from PySide6.QtCore import QLockFile

    lock_path = paths.default_data_dir() / "kiosk.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = QLockFile(str(lock_path))
    lock.setStaleLockTime(0)  # a crashed kiosk's lock is stale as soon as its pid is gone
    return lock


def _store_error() -> type[Exception]:
    """kiosk.store.StoreError, imported only when an exception is being matched: importing
    the store (sqlite-utils) is start-up time that ``kiosk run`` spends after its first paint."""
    from kiosk.store import StoreError

    return StoreError


def _open_store_for_run(settings: Settings) -> AppointmentStore | None:
    """The kiosk's store, or None (logged) when the database cannot be opened."""
    try:
        store = open_store(settings, keys_optional=True)
    except _store_error() as exc:
        # Information screens still work; the form offers the online-form QR code instead.
        log.error("database_unavailable %s", exc)
        return None
    log.info("database_open")
    if not store.can_save:
        log.error("no_encryption_key: requests cannot be saved until `kiosk keys init`")
    else:
        _warn_about_weak_keys(settings)
    return store


def _warn_about_weak_keys(settings: Settings) -> None:
    """Say in the log, at every start, what `kiosk doctor` fails on: keys IT must replace."""
    from kiosk import passcodes
    from kiosk.crypto import KeysError, read_key_file

    try:
        key_file = read_key_file(settings.keys_path())
    except KeysError:
        return
    if key_file.development:
        log.warning(
            "keys_development: requests are sealed to `make run`'s keys, whose passcode is "
            "published; never for patients (stop the kiosk, then `kiosk keys init "
            "--replace-development`)"
        )
    elif key_file.passcode_rules < passcodes.RULES_VERSION:
        log.warning(
            "passcode_too_weak: the staff passcode was set under older rules and may be "
            "guessed from a stolen disk; set a new one (`kiosk staff set-passcode`)"
        )


def cmd_run(args: argparse.Namespace) -> int:
    # A broken config must not stop the kiosk (systemd would restart it for ever): a bad key
    # takes its default, an unreadable file gives the defaults, and the log says so.
    local, _path, config_problems = load_settings_leniently(
        args.config, managed=False, db_path=getattr(args, "db", None)
    )
    # The configuration files the kiosk took from its updates, over its own (never one
    # that does not fit it: then its own file alone).
    settings, managed = apply_managed(local)
    log_file = setup_logging(settings.log_path())
    log.info("kiosk_start version=%s log=%s", __version__, log_file)
    for problem in config_problems:
        log.error("config_invalid %s; using the default", problem)
    if managed.problem:
        log.error("config_managed_invalid %s", managed.problem)
    elif managed.keys:
        log.info("config_managed keys=%s", ",".join(sorted(managed.keys)))
    # A config that cannot be read at all does not say where the patients' database and key
    # are: saving into the default ones could put requests under another (a development)
    # key. Information screens work; the form offers the online form until IT fixes it.
    saving = not (config_problems and _path is not None and not config_readable(_path))
    if not saving:
        log.error("config_unreadable: requests are not saved until the config file is fixed")
    # A record next to the database of the content that last passed every rule: start-up
    # then only decodes it (the rules run again after any change).
    record = settings.database_path().parent / "content-checked"
    content, warning = _content_for_run(settings, record)
    settings, languages = _languages_for_run(settings, content)
    from kiosk.golive import config_claims

    for claim in config_claims(settings):  # kiosk config check and doctor fail on these
        log.error("config_banned_claim %s", claim)
    _require_display()
    from kiosk.ui.app import create_app, launch

    instance_lock = _instance_lock()
    if not instance_lock.tryLock(200):
        print("kiosk: another kiosk is already running on this computer.", file=sys.stderr)
        return EXIT_FAIL

    app = create_app()
    kiosk_mode = settings.fullscreen and not args.windowed
    painted: list[float] = []

    def after_first_paint(window: MainWindow) -> None:
        painted.append(time.monotonic())
        if args.exit_after_first_paint:
            # Report once start-up is over (screens built), so the memory figure is honest.
            window.started_up.connect(lambda: _report_first_paint(app, painted[0]))

    window = launch(
        settings,
        content,
        languages,
        warning,
        kiosk_mode=kiosk_mode,
        open_store=lambda: _open_store_for_run(settings) if saving else None,
        after_first_paint=after_first_paint,
        local_settings=local,
        managed=managed,
    )
    window.exit_requested.connect(lambda: app.exit(EXIT_STAFF_EXIT))
    # New managed configuration, between visits: settings are read at start, so start again.
    restart: list[bool] = []

    def start_again() -> None:
        restart.append(True)
        app.exit(EXIT_RESTART)

    window.restart_requested.connect(start_again)
    code = app.exec()
    # An export under way finishes first (staff's "Exit kiosk", or the service stopped):
    # a file half written would hold requests never marked exported. Update checks stop.
    window.closing()
    instance_lock.unlock()
    if window.store is not None:
        window.store.close()
    if restart:
        _start_again()
    return code


def _start_again() -> None:
    """Replace this process with a new start of the same command (POSIX: the same process
    to systemd and cage, no gap for a service manager's restart delay). Elsewhere (Windows
    has no exec: a new process would race Shell Launcher's restart) the run ends with
    EXIT_RESTART and the service manager starts it again."""
    import os

    if os.name != "posix":
        return
    if getattr(sys, "frozen", False):  # the PyInstaller bundle: its executable is the kiosk
        argv = [sys.executable, *sys.argv[1:]]
    else:
        argv = [sys.executable, *sys.orig_argv[1:]]
    log.info("kiosk_start_again")
    logging.shutdown()  # (the log's buffers: exec does not flush them)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)


def cmd_screenshots(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    logging.getLogger().setLevel(logging.WARNING)  # one line per screen would drown the report
    settings = _settings(args)
    content = load_content(settings.content_path())
    languages = _languages(settings, content)
    chosen = tuple(args.lang) if args.lang else languages
    unknown = [code for code in chosen if code not in content.languages]
    if unknown:
        print(f"kiosk screenshots: unknown language(s): {', '.join(unknown)}", file=sys.stderr)
        return EXIT_USAGE
    _require_display()
    from kiosk.ui.app import create_app
    from kiosk.ui.screenshots import render_all

    create_app()
    sizes = args.size or [(1920, 1080), (1080, 1920)]
    written = render_all(settings, content, languages, Path(args.out), sizes, chosen)
    for path, screens in written:
        if screens > 1.0:
            print(f"{path.name}: page is {screens:.1f} screens long")
    print(f"{len(written)} screenshots in {args.out}")
    return EXIT_OK


def cmd_demo_data(args: argparse.Namespace) -> int:
    from kiosk.demo import RealDataError, fill_demo

    if not 1 <= args.count <= 100_000:
        print("kiosk demo-data: --count must be between 1 and 100000", file=sys.stderr)
        return EXIT_USAGE
    settings = _settings(args)
    try:
        store = _keep(args, open_store(settings))
        added = fill_demo(store, args.count, force=args.force)
    except RealDataError as exc:
        print(f"kiosk demo-data: refused: {exc}; use --force to add demo rows anyway")
        return EXIT_FAIL
    except _store_error() as exc:
        print(f"kiosk demo-data: {exc}", file=sys.stderr)
        return EXIT_FAIL
    print(f"added {added} demo requests to {settings.database_path()}")
    return EXIT_OK


def cmd_qr(args: argparse.Namespace) -> int:
    from kiosk.qr import appointment_link, matrix_to_png, matrix_to_svg, qr_matrix

    settings = _settings(args)
    lang = args.lang or settings.default_language
    if lang not in settings.languages:
        print(f"kiosk qr: language {lang!r} is not one of {settings.languages}", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg"):
        print("kiosk qr: --out must end in .png or .svg", file=sys.stderr)
        return EXIT_USAGE
    link = appointment_link(settings.appointment_url, lang)
    matrix = qr_matrix(link)
    try:
        if suffix == ".png":
            out.write_bytes(matrix_to_png(matrix))
        else:
            out.write_text(matrix_to_svg(matrix), encoding="utf-8")
    except OSError as exc:
        print(f"kiosk qr: cannot write {out}: {exc.strerror}", file=sys.stderr)
        return EXIT_FAIL
    print(f"{out}: {link}")
    return EXIT_OK


def open_store(settings: Settings, *, keys_optional: bool = False) -> AppointmentStore:
    """Open the database with the public key (if keys exist), sealing any requests an
    earlier kiosk without keys stored in the clear. Raises StoreError.

    With ``keys_optional`` (the running kiosk) a damaged key file leaves the store without
    its public key instead: nothing can be saved (the form offers the online form), but
    retention still deletes what is due, and the log and ``kiosk doctor`` name the file.
    """
    from kiosk.crypto import KeysError, load_sealer
    from kiosk.store import AppointmentStore, StoreError, open_database

    db = open_database(settings.database_path())
    sealer = None
    keys_path = settings.keys_path()
    if keys_path.exists():
        try:
            sealer = load_sealer(keys_path)
        except KeysError as exc:
            if not keys_optional:
                db.close()
                raise StoreError(str(exc)) from None
            log.error("keys_unusable %s; nothing can be saved, retention continues", exc)
    store = AppointmentStore(db, sealer=sealer, deliver=settings.fleet is not None)
    store.seal_plaintext_rows()
    return store


def _keep(args: argparse.Namespace, store: AppointmentStore) -> AppointmentStore:
    """Close ``store``'s database when the command ends, whichever way it returns."""
    args.resources.callback(store.close)
    return store


def _store(args: argparse.Namespace) -> AppointmentStore:
    return _keep(args, open_store(_settings(args)))


class _Cancelled(Exception):  # noqa: N818 - not an error: the person chose to stop
    """The person at the terminal gave up or mistyped; nothing changed."""


def _read_secret(args: argparse.Namespace, prompt: str, *, confirm: bool = False) -> str:
    import getpass

    try:
        if args.passcode_stdin:
            line = sys.stdin.readline()
            if not line:
                raise _Cancelled("standard input ended before a passcode was read")
            return _ungrouped(line)
        value = getpass.getpass(prompt)
        if confirm and _ungrouped(getpass.getpass("Type it again: ")) != _ungrouped(value):
            raise _Cancelled("the two entries differ")
        return _ungrouped(value)
    except (EOFError, KeyboardInterrupt):
        raise _Cancelled("cancelled") from None


def _ungrouped(text: str) -> str:
    """``text`` without spaces and dashes: a passcode is shown in groups (4829 1370 5186) and
    a recovery key with dashes, and either may be typed back that way."""
    return "".join(text.split()).replace("-", "")


def _new_passcode(args: argparse.Namespace) -> str:
    from kiosk import passcodes

    interactive = not args.passcode_stdin
    prompt = (
        f"New staff passcode ({passcodes.MIN_DIGITS}-{passcodes.MAX_DIGITS} digits; "
        "press Enter to have one chosen at random): "
    )
    code = _read_secret(args, prompt)
    chosen = not code and interactive
    if chosen:
        code = passcodes.random_passcode()
    try:
        passcodes.check_new(code)
    except passcodes.PasscodeError as exc:
        raise _Cancelled(
            f"{exc}; choose {passcodes.MIN_DIGITS} or more digits at random, or press Enter "
            "at the prompt to have them chosen (docs/security.md)"
        ) from None
    if chosen:
        print(f"The new staff passcode is:  {passcodes.grouped(code)}")
        print("Tell it to the front desk in person; do not write it on the kiosk.")
    elif interactive and _read_secret(args, "Type it again: ") != code:
        raise _Cancelled("the two entries differ")
    return code


def _unlock(args: argparse.Namespace, store: AppointmentStore) -> bool:
    """Ask the staff passcode (the lockout applies) and unlock ``store``; False if refused."""
    from kiosk.staff import StaffAuth

    settings = _settings(args)
    auth = StaffAuth(store, settings.keys_path())
    code = _read_secret(args, "Staff passcode: ")
    result = auth.attempt(code)
    if result.result == "ok" and result.key is not None:
        store.unlock(result.key)
        return True
    if result.result == "not_configured":
        print("kiosk: no keys on this kiosk yet: run `kiosk keys init`", file=sys.stderr)
    elif result.result == "locked":
        print(
            f"kiosk: too many wrong passcodes; try again in {result.wait_seconds} s",
            file=sys.stderr,
        )
    else:
        print("kiosk: wrong passcode", file=sys.stderr)
    return False


def cmd_fleet_server_init(args: argparse.Namespace) -> int:
    """Create or migrate the central schema; says what it did, never the DSN (it may hold a
    password)."""
    from kiosk.fleet.server import FleetError, server_init

    try:
        applied, version = server_init(args.dsn)
    except FleetError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return EXIT_FAIL
    if applied:
        done = ", ".join(str(v) for v in applied)
        print(f"central schema at version {version} (applied now: {done})")
    else:
        print(f"central schema at version {version}: up to date, nothing changed")
    return EXIT_OK


def cmd_fleet_health(args: argparse.Namespace) -> int:
    """One line per kiosk, worst first; exit 1 when any is not ok (for a cron job or a
    monitoring check), 2 when the server cannot be asked."""
    from kiosk.fleet.server import FleetError, fleet_health
    from kiosk.times import clinic_time_text

    zone = _settings(args).zone()
    try:
        kiosks = fleet_health(args.dsn)
    except FleetError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    if not kiosks:
        print("no kiosk is enrolled")
        return EXIT_OK
    now = dt.datetime.now(dt.UTC)

    def plain(text: object) -> str:
        # What a kiosk says of itself never draws on IT's terminal (no line breaks, no
        # escape sequences): the server keeps it to plain words already.
        return "".join(c if c.isprintable() else "?" for c in str(text))

    for k in kiosks:
        parts = [f"{plain(k.kiosk_id):<16}", f"{k.status:<8}"]
        if k.last_seen is not None:
            minutes = max(0, int((now - k.last_seen).total_seconds() // 60))
            parts.append(f"seen {minutes} min ago")
            skew = "unknown" if k.clock_skew_s is None else f"{k.clock_skew_s:+.0f} s"
            parts.append(f"clock {skew}")
            parts.append(f"waiting {k.outbox_pending or 0}")
            if k.oldest_pending_s:
                parts.append(f"oldest {k.oldest_pending_s // 3600} h")
            parts.append(f"app {plain(k.app_version)} content {plain(k.content_version)}")
            if k.last_error_code:
                parts.append(f"last error {plain(k.last_error_code)}")
            if k.update_outcome:
                until = f" (signed until {k.update_expires:%Y-%m-%d})" if k.update_expires else ""
                parts.append(f"update {plain(k.update_outcome)}{until}")
        last = clinic_time_text(k.last_delivery, zone) if k.last_delivery else "none"
        parts.append(f"last delivery {last}")
        if k.site:
            parts.append(f"site {plain(k.site)}")
        print("  ".join(parts))
    return EXIT_OK if all(k.status == "ok" for k in kiosks) else EXIT_FAIL


def _fleet_target(args: argparse.Namespace) -> tuple[Settings, Target]:
    from kiosk.fleet.delivery import target_of

    settings = _settings(args)
    target = target_of(settings)
    if target is None:
        raise ConfigError(
            "central delivery is off: this kiosk's config has no [fleet] table (docs/fleet.md)"
        )
    return settings, target


def _error_text(code: str) -> str:
    from kiosk.fleet.delivery import ERROR_TEXTS

    return f"{code}: {ERROR_TEXTS.get(code, 'see the log')}"


def cmd_fleet_sync(args: argparse.Namespace) -> int:
    """Deliver now, every batch until the outbox is empty or something fails; print what
    the server answered. Exit 1 when requests are still waiting because of a failure."""
    from kiosk.fleet.delivery import Courier

    _, target = _fleet_target(args)
    store = _store(args)
    report = Courier(target, run_seconds=float("inf")).sync(store, now=True)
    if report.skipped == "busy":
        print(
            "kiosk fleet: this kiosk is sending right now (the running kiosk, or another "
            "sync); nothing was sent twice. Try again in a minute.",
            file=sys.stderr,
        )
        return EXIT_FAIL
    s = report.settled
    print(
        f"stored {s.stored}, duplicate {s.duplicate}, retry {s.retry}, conflict {s.conflict}, "
        f"quarantined {report.quarantined + s.conflict}"
    )
    state = store.outbox.state()
    print(f"waiting {state.pending}, quarantined {state.quarantined}")
    if report.error:
        print(f"kiosk fleet: not all sent: {_error_text(report.error)}", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def cmd_fleet_status(args: argparse.Namespace) -> int:
    """This kiosk's side of central delivery, without asking the server."""
    from kiosk.times import clinic_time_text

    settings, target = _fleet_target(args)
    store = _store(args)
    state = store.outbox.state()
    zone = settings.zone()
    now = dt.datetime.now(dt.UTC)
    print(f"central server   {target.host}:{target.port}/{target.database} as {target.kiosk_id}")
    waiting = f"{state.pending}"
    if state.oldest_pending is not None:
        hours = state.oldest_pending_seconds(now) / 3600
        waiting += f" (the oldest not yet delivered was saved {hours:.1f} h ago)"
    print(f"waiting          {waiting}")
    print(
        f"quarantined      {state.quarantined}"
        + (
            " (see docs/fleet.md: `kiosk fleet requeue`, or export them by USB)"
            if state.quarantined
            else ""
        )
    )
    last = clinic_time_text(state.last_delivered, zone) if state.last_delivered else "none"
    print(f"last delivery    {last}")
    print(f"last error       {_error_text(state.last_error) if state.last_error else 'none'}")
    if state.kept_here:
        print(
            f"kept here        {state.kept_here} saved before central delivery was on: "
            "staff export them by USB"
        )
    return EXIT_OK


def cmd_fleet_enrol(args: argparse.Namespace) -> int:
    """Enrol one kiosk; say what was made and print its [fleet] table."""
    from kiosk.fleet.enrol import EnrolError, config_block, enrol
    from kiosk.fleet.server import FleetError

    if not 1 <= args.days <= 3650:
        print("kiosk fleet enrol: --days must be 1 to 3650", file=sys.stderr)
        return EXIT_USAGE
    if (args.cert is None) != (args.key is None):
        print("kiosk fleet enrol: give --cert and --key together", file=sys.stderr)
        return EXIT_USAGE
    out, ca = Path(args.out), Path(args.ca)
    existing = (Path(args.cert), Path(args.key)) if args.cert else None
    try:
        done = enrol(
            args.kiosk_id,
            out,
            ca,
            dsn=args.dsn,
            site=args.site,
            days=args.days,
            existing=existing,
        )
    except (EnrolError, FleetError) as exc:
        print(f"kiosk fleet enrol: {exc}", file=sys.stderr)
        return EXIT_FAIL
    if existing is not None:
        print(f"used {args.cert} (checked: this kiosk's, for signing in, signed by {ca})")
    elif done.ca_created:
        print(
            f"a new group CA is in {ca}: keep ca.key offline and backed up (whoever has it "
            "can enrol kiosks); give ca.crt to the central server (docs/fleet.md)"
        )
    else:
        print(f"signed with the group CA in {ca}")
    until = f" (valid until {done.not_after:%Y-%m-%d})" if done.not_after else ""
    print(f"wrote {out / 'kiosk.crt'}{until}, {out / 'kiosk.key'} and {out / 'ca.crt'}")
    print(
        "copy them to the kiosk; kiosk.key must stay readable by the kiosk's account only "
        "(it is this kiosk's only credential)"
    )
    if done.role == "created":
        print(f"role {args.kiosk_id} created on the central server")
    elif done.role == "existed":
        print(f"role {args.kiosk_id} was there already: allowed to sign in again")
    else:
        print("no --dsn: create the kiosk's role on the central server as docs/fleet.md shows")
    print(
        f"\nadd to the kiosk's config (kiosk.toml), with the three files in "
        f"{args.kiosk_folder} on the kiosk:\n"
    )
    host = args.host or "CENTRAL-SERVER-NAME"
    print(config_block(host, args.port, args.database, args.kiosk_folder))
    return EXIT_OK


def cmd_fleet_server_cert(args: argparse.Namespace) -> int:
    """The central server's certificate from the group's CA (made there if it has none)."""
    from kiosk.fleet.certs import read_certificate
    from kiosk.fleet.enrol import EnrolError, ensure_ca, issue_server

    if not 1 <= args.days <= 3650:
        print("kiosk fleet server-cert: --days must be 1 to 3650", file=sys.stderr)
        return EXIT_USAGE
    out, ca = Path(args.out), Path(args.ca)
    try:
        if ensure_ca(ca, f"./easyrsa build-server-full {args.host[0]} nopass"):
            print(f"a new group CA is in {ca}: keep ca.key offline and backed up")
        issue_server(args.host, out, ca, args.days)
    except EnrolError as exc:
        print(f"kiosk fleet server-cert: {exc}", file=sys.stderr)
        return EXIT_FAIL
    facts = read_certificate(out / "server.crt")
    until = f" (valid until {facts.not_after:%Y-%m-%d})" if facts else ""
    print(
        f"wrote {out / 'server.crt'}{until}, {out / 'server.key'} and {out / 'ca.crt'}: "
        "copy them into the cluster's folder, server.key owned by postgres, mode 0600 "
        "(docs/fleet.md)"
    )
    return EXIT_OK


def cmd_fleet_requeue(args: argparse.Namespace) -> int:
    _fleet_target(args)
    count = _store(args).outbox.requeue_quarantined()
    print(f"{count} quarantined request(s) will be sent again (`kiosk fleet sync` sends now)")
    return EXIT_OK


def cmd_keys_init(args: argparse.Namespace) -> int:
    from kiosk import passcodes

    settings = _settings(args)
    keys_path = settings.keys_path()
    if keys_path.exists():
        if args.if_missing:
            return EXIT_OK
        if args.replace_development:
            return _replace_development_keys(args, settings, keys_path)
        print(
            f"kiosk keys: {keys_path} already exists; nothing changed (a new key pair "
            "would make the stored requests unreadable; use `kiosk keys recover` for a "
            "lost passcode, or --replace-development for keys made by `make run`)",
            file=sys.stderr,
        )
        return EXIT_FAIL
    code = passcodes.DEVELOPMENT_PASSCODE if args.development else _new_passcode(args)
    return _create_keys(args, settings, keys_path, code)


def _create_keys(args: argparse.Namespace, settings: Settings, keys_path: Path, code: str) -> int:
    from kiosk import crypto
    from kiosk.staff import StaffAuth

    try:
        recovery = crypto.init_keys(keys_path, code)
    except crypto.KeysError as exc:
        print(f"kiosk keys: {exc}", file=sys.stderr)
        return EXIT_FAIL
    store = _keep(args, open_store(settings))  # seals any requests stored in the clear
    StaffAuth(store, keys_path).clear_lockout("keys_created")
    print(f"Key pair created: {keys_path}")
    if args.development:
        print(
            f"DEVELOPMENT keys: the staff passcode is the published {code}. Never use them "
            "for patients: `kiosk doctor` fails until `kiosk keys init --replace-development`."
        )
    else:
        print("Staff passcode set.")
    print()
    print("RECOVERY KEY (shown once; print or write it down and keep it in the clinic's safe):")
    print()
    print(f"    {recovery}")
    print()
    print("With it, `kiosk keys recover` sets a new passcode if the passcode is forgotten.")
    print("Without the passcode and this key, the stored requests cannot be read by anyone.")
    return EXIT_OK


def _replace_development_keys(args: argparse.Namespace, settings: Settings, keys_path: Path) -> int:
    """Replace `make run`'s keys and the demo requests sealed to them with a real key pair.

    Never beside a running kiosk: it would go on sealing requests to the old public key,
    and nobody could open them once that key file is gone.
    """
    from kiosk import crypto, passcodes

    lock = _instance_lock()
    if not lock.tryLock(200):
        print(
            "kiosk keys: the kiosk is running on this computer; nothing changed. Stop it "
            "first (systemctl --user stop kiosk.service), then run this again.",
            file=sys.stderr,
        )
        return EXIT_FAIL
    try:
        try:
            key_file = crypto.read_key_file(keys_path)
        except crypto.KeysError as exc:
            print(f"kiosk keys: {exc}; nothing changed", file=sys.stderr)
            return EXIT_FAIL
        if not key_file.development:
            print(
                f"kiosk keys: {keys_path} holds real keys, not development keys; nothing changed",
                file=sys.stderr,
            )
            return EXIT_FAIL
        # The new passcode first: a typing mistake must leave the old keys in place.
        code = passcodes.DEVELOPMENT_PASSCODE if args.development else _new_passcode(args)
        store = _keep(args, open_store(settings))
        try:
            removed = store.forget_key_pair(key_file.key_id)
        except _store_error() as exc:
            print(f"kiosk keys: {exc}; nothing changed", file=sys.stderr)
            return EXIT_FAIL
        try:
            keys_path.unlink()
        except OSError as exc:
            print(
                f"kiosk keys: {removed} demo request(s) were removed, but {keys_path} could "
                f"not be ({exc.strerror}): remove it, then run `kiosk keys init`",
                file=sys.stderr,
            )
            return EXIT_FAIL
        print(f"Development keys removed, with {removed} demo request(s) sealed to them.")
        return _create_keys(args, settings, keys_path, code)
    finally:
        lock.unlock()


def cmd_keys_recover(args: argparse.Namespace) -> int:
    from kiosk import crypto
    from kiosk.staff import StaffAuth

    settings = _settings(args)
    keys_path = settings.keys_path()
    recovery = _read_secret(args, "Recovery key: ")
    try:
        crypto.parse_recovery_key(recovery)
    except crypto.KeysError as exc:
        print(f"kiosk keys: {exc}; nothing changed", file=sys.stderr)
        return EXIT_FAIL
    code = _new_passcode(args)
    try:
        crypto.recover(keys_path, recovery, code)
    except crypto.KeysError as exc:
        print(f"kiosk keys: {exc}; nothing changed", file=sys.stderr)
        return EXIT_FAIL
    StaffAuth(_keep(args, open_store(settings)), keys_path).clear_lockout("passcode_recovered")
    print("New staff passcode set.")
    return EXIT_OK


def cmd_keys_unlock(args: argparse.Namespace) -> int:
    from kiosk import crypto
    from kiosk.staff import StaffAuth

    settings = _settings(args)
    keys_path = settings.keys_path()
    recovery = _read_secret(args, "Recovery key: ")
    store = _keep(args, open_store(settings))
    try:
        crypto.check_recovery_key(keys_path, recovery)
    except crypto.KeysError as exc:
        store.audit("lockout_clear_refused")
        print(f"kiosk keys: {exc}; the lockout stays", file=sys.stderr)
        return EXIT_FAIL
    auth = StaffAuth(store, keys_path)
    waited = auth.lock_remaining()
    auth.clear_lockout("lockout_cleared_by_recovery")
    was = f"it had {waited} s to run" if waited else "it was not locked"
    print(f"staff lockout cleared, wrong attempts forgotten ({was}); the passcode is unchanged")
    return EXIT_OK


def cmd_staff_set_passcode(args: argparse.Namespace) -> int:
    from kiosk.staff import StaffAuth

    settings = _settings(args)
    store = _keep(args, open_store(settings))
    auth = StaffAuth(store, settings.keys_path())
    if not auth.is_configured():
        print("kiosk staff: no keys on this kiosk yet: run `kiosk keys init`", file=sys.stderr)
        return EXIT_FAIL
    code = _read_secret(args, "Current staff passcode: ")
    result = auth.attempt(code)
    if result.key is None:
        if result.result == "locked":
            print(f"kiosk staff: locked; try again in {result.wait_seconds} s", file=sys.stderr)
        else:
            print("kiosk staff: wrong passcode; nothing changed", file=sys.stderr)
        return EXIT_FAIL
    new = _new_passcode(args)
    auth.change_passcode(result.key, new)
    print("staff passcode changed")
    return EXIT_OK


def cmd_requests_list(args: argparse.Namespace) -> int:
    store = _store(args)
    if not _unlock(args, store):
        return EXIT_FAIL
    rows = store.list_requests(None if args.status == "all" else args.status)
    store.lock()
    from kiosk.times import clinic_time_text

    settings = _settings(args)
    zone = settings.zone()
    header = (
        "reference",
        f"received ({settings.time_zone})",
        "status",
        "lang",
        "name",
        "contact",
        "demo",
    )
    table = [header] + [
        (
            r.reference,
            clinic_time_text(r.created_at, zone),
            r.status,
            r.language,
            str(r.personal.get("name") or ""),
            str(r.personal.get("phone") or r.personal.get("email") or ""),
            "demo" if r.is_demo else "",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(f"{len(rows)} request(s)")
    return EXIT_OK


def cmd_requests_purge(args: argparse.Namespace) -> int:
    days = args.older_than
    if days < 0:
        print("kiosk requests purge: --older-than must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    from kiosk.store import ClockError

    store = _store(args)
    include = args.include_unexported
    if args.dry_run:
        problem = store.clock_problem()
        if problem:
            print(f"kiosk requests purge: {problem}; a purge would delete nothing", file=sys.stderr)
            return EXIT_FAIL
        due = store.count_older_than(days)
        would = due.total if include else due.reached_staff
        print(_purge_line(would, days, due.never_reached, include, dry_run=True))
        return EXIT_OK
    if not _unlock(args, store):
        return EXIT_FAIL
    store.lock()  # deleting needs no key: the passcode only says who may
    try:
        purged = store.purge_older_than(
            days, unexported_days=days if include else None, source="purge"
        )
    except ClockError as exc:
        print(f"kiosk requests purge: {exc}; nothing deleted", file=sys.stderr)
        return EXIT_FAIL
    never = purged.never_reached if include else store.count_older_than(days).never_reached
    print(_purge_line(purged.total, days, never, include, dry_run=False))
    return EXIT_OK


def _purge_line(count: int, days: int, never: int, included: bool, *, dry_run: bool) -> str:
    """One line: how many requests went (or would go), and what of those nobody exported
    (``never``: deleted with them if ``included``, else kept)."""
    line = f"{'would delete' if dry_run else 'deleted'} {count} request(s) older than {days} days"
    if never and included:
        line += f", {never} of them never exported"
    elif never:
        kept = "would keep" if dry_run else "kept"
        line += f"; {kept} {never} never exported (--include-unexported deletes them too)"
    return f"dry run: {line}; nothing deleted" if dry_run else line


def cmd_export(args: argparse.Namespace) -> int:
    from kiosk.export import ExportError, ExportStyle, export_requests
    from kiosk.times import day_start

    settings = _settings(args)
    store = _store(args)
    if not _unlock(args, store):
        return EXIT_FAIL
    out = Path(args.out)
    try:
        path, ids = export_requests(
            store,
            args.format,
            out,
            status=args.status,
            # The clinic's day, as the staff screen counts it.
            since=day_start(args.since, settings.zone()) if args.since else None,
            mark_exported=args.mark_exported,
            include_demo=args.include_demo,
            destination="command-line",
            style=ExportStyle(settings.time_zone, settings.kiosk_id),
        )
    except ExportError as exc:
        if exc.reason == "empty":
            print("no request matches: no file written")
            return EXIT_OK
        print(f"kiosk export: {exc}", file=sys.stderr)
        return EXIT_FAIL
    finally:
        store.lock()
    print(f"{path}: {len(ids)} request(s)")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # Every command the parser knows (a bare `kiosk` or `kiosk --config F` means `run`).
    commands = {
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }
    if not argv or (argv[0] not in commands and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "run")
    # Before anything reads a passcode, a key or a request: no core dump may ever hold them.
    forbid_core_dumps()
    args = parser.parse_args(argv)
    # The running kiosk logs its events; one-shot commands only say what went wrong.
    level = logging.INFO if args.command in (None, "run") else logging.WARNING
    setup_logging(None, level)
    if args.version:
        return cmd_version()
    # Whatever a command opens (a database) is closed when it ends, however it ends.
    args.resources = contextlib.ExitStack()
    with args.resources:
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        if args.command == "content":
            if args.content_command == "check":
                return cmd_content_check(args)
            if args.content_command == "schema":
                return cmd_content_schema(args)
            from kiosk import updates_cli

            return updates_cli.dispatch(args, cmd_content_check)
        if args.command == "screenshots":
            return cmd_screenshots(args)
        if args.command == "demo-data":
            return cmd_demo_data(args)
        if args.command == "qr":
            return cmd_qr(args)
        if args.command == "staff":
            return cmd_staff_set_passcode(args)
        if args.command == "keys":
            if args.keys_command == "init":
                return cmd_keys_init(args)
            if args.keys_command == "unlock":
                return cmd_keys_unlock(args)
            return cmd_keys_recover(args)
        if args.command == "requests":
            if args.requests_command == "list":
                return cmd_requests_list(args)
            return cmd_requests_purge(args)
        if args.command == "export":
            return cmd_export(args)
        if args.command == "config":
            return cmd_config_check(args)
        if args.command == "doctor":
            return cmd_doctor(args)
        if args.command == "desk":
            from kiosk import desk_cli

            return desk_cli.dispatch(args)
        if args.command == "fleet":
            command = {
                "enrol": cmd_fleet_enrol,
                "server-cert": cmd_fleet_server_cert,
                "health": cmd_fleet_health,
                "sync": cmd_fleet_sync,
                "status": cmd_fleet_status,
                "requeue": cmd_fleet_requeue,
            }.get(args.fleet_command, cmd_fleet_server_init)
            return command(args)
        return cmd_run(args)
    except ConfigError as exc:
        print(f"kiosk: config error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except ContentError as exc:
        print(f"kiosk: content error:\n{exc}", file=sys.stderr)
        return EXIT_FAIL
    except _store_error() as exc:
        print(f"kiosk: database error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except _Cancelled as exc:
        print(f"kiosk: {exc}; nothing changed", file=sys.stderr)
        return EXIT_FAIL
