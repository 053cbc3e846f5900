"""`kiosk desk`: the front-desk console, and the administrator's commands for its accounts
and the central retention (docs/staff.md)."""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

DSN_HELP = (
    "the central database as IT's admin role, e.g. 'host=db.clinic.lan dbname=kiosks "
    "user=kiosk_admin' (default: libpq's PG* variables; put passwords in ~/.pgpass, never "
    "on the command line)"
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``kiosk desk [--config desk.toml]`` and its ``account`` and ``retention`` commands."""
    desk = sub.add_parser(
        "desk", help="the front-desk console on a reception PC (and its accounts)"
    )
    desk.add_argument(
        "--config",
        metavar="PATH",
        help="desk.toml (default: $KIOSK_DESK_CONFIG, then the platform config dir)",
    )
    desk.add_argument(
        "--exit-after-first-paint",
        action="store_true",
        help="show the window, then exit once it is painted (a check that it starts)",
    )
    dsub = desk.add_subparsers(dest="desk_command", metavar="ACTION")
    account = dsub.add_parser(
        "account", help="add, reset, disable, enable or list desk accounts (administrator)"
    )
    asub = account.add_subparsers(dest="account_command", metavar="ACTION", required=True)
    for name, text in (
        ("add", "add a staff member's account; prints a one-time passphrase to give them"),
        ("reset", "a new one-time passphrase for an account whose passphrase is forgotten"),
        ("disable", "switch an account off (its open consoles stop at their next step)"),
        ("enable", "switch an account on again"),
    ):
        action = asub.add_parser(name, help=text)
        action.add_argument("name", help="the account name (lower-case letters, digits . _ -)")
        action.add_argument("--dsn", default="", help=DSN_HELP)
        if name in ("add", "reset"):
            action.add_argument(
                "--recovery-stdin",
                action="store_true",
                help="read the recovery key from standard input instead of asking",
            )
        if name == "add":
            action.add_argument("--display-name", default="", help="the name the console shows")
            action.add_argument("--admin", action="store_true", help="an administrator's account")
    listing = asub.add_parser("list", help="every desk account")
    listing.add_argument("--dsn", default="", help=DSN_HELP)
    retention = dsub.add_parser(
        "retention",
        help="show or set how long the central server keeps requests, or apply it now",
    )
    retention.add_argument("--dsn", default="", help=DSN_HELP)
    retention.add_argument(
        "--days", type=int, help="keep a request this many days after it reached the staff"
    )
    retention.add_argument(
        "--unexported-days",
        type=int,
        help="keep a request nobody exported or contacted this many days after it arrived",
    )
    retention.add_argument(
        "--apply", action="store_true", help="destroy what is past its time now (for cron)"
    )


def dispatch(args: argparse.Namespace) -> int:
    from kiosk.fleet.accounts import AccountError
    from kiosk.fleet.server import FleetError

    try:
        if args.desk_command == "account":
            return _account(args)
        if args.desk_command == "retention":
            return _retention(args)
        return _run(args)
    except (AccountError, FleetError) as exc:
        print(f"kiosk desk: {exc}", file=sys.stderr)
        return EXIT_FAIL


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kiosk import logs, paths
    from kiosk.config import load_desk_settings
    from kiosk.ui.app import display_problem

    settings, _path = load_desk_settings(args.config)
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    log_dir = Path(settings.log_dir).expanduser() if settings.log_dir else paths.default_log_dir()
    logs.setup_logging(log_dir, file_name="desk.log")
    from kiosk.ui.desk.app import run_desk

    return run_desk(settings, exit_after_first_paint=args.exit_after_first_paint)


def _recovered(args: argparse.Namespace) -> object:
    import getpass

    from kiosk import crypto

    if args.recovery_stdin:
        text = sys.stdin.readline()
    else:
        try:
            text = getpass.getpass("Recovery key: ")
        except (EOFError, KeyboardInterrupt):
            raise crypto.KeysError("cancelled") from None
    return crypto.unlock_with_recovery_key(text)


def _account(args: argparse.Namespace) -> int:
    from kiosk import crypto, passcodes
    from kiosk.fleet import accounts

    command = args.account_command
    if command == "list":
        found = accounts.accounts(args.dsn)
        if not found:
            print("no desk account yet: add one with `kiosk desk account add NAME`")
        for a in found:
            state = "active" if a.active else "disabled"
            flags = [state] + (["administrator"] if a.is_admin else [])
            if a.must_change:
                flags.append("one-time passphrase not changed yet")
            shown = f" ({a.display_name})" if a.display_name else ""
            print(f"{a.account}{shown}: {', '.join(flags)}")
        return EXIT_OK
    if command in ("disable", "enable"):
        accounts.set_active(args.dsn, args.name, command == "enable")
        print(f"account {args.name}: {command}d")
        return EXIT_OK
    accounts.check_name(args.name)
    try:
        private = _recovered(args)
    except crypto.KeysError as exc:
        print(f"kiosk desk: {exc}; nothing changed", file=sys.stderr)
        return EXIT_FAIL
    assert isinstance(private, crypto.Unlocked)
    phrase = passcodes.random_passcode()
    try:
        if command == "add":
            accounts.add(
                args.dsn,
                private,
                args.name,
                phrase,
                display_name=args.display_name,
                is_admin=args.admin,
            )
        else:
            accounts.reset(args.dsn, private, args.name, phrase)
    finally:
        private.wipe()
    print(f"account {args.name}: one-time passphrase  {passcodes.grouped(phrase)}")
    print("Give it to them in person. At their first sign-in they choose their own.")
    return EXIT_OK


def _retention(args: argparse.Namespace) -> int:
    from kiosk.fleet import accounts

    if args.days is not None or args.unexported_days is not None:
        if args.days is None or args.unexported_days is None:
            print("kiosk desk: give both --days and --unexported-days", file=sys.stderr)
            return EXIT_USAGE
        accounts.set_retention(args.dsn, args.days, args.unexported_days)
        print(
            f"central retention: {args.days} days after a request reached the staff, "
            f"{args.unexported_days} days for one nobody exported or contacted"
        )
    if args.apply:
        reached, never = accounts.apply_retention(args.dsn)
        print(
            f"destroyed {reached + never} request(s) ({reached} reached the staff, {never} never)"
        )
    if args.days is None and not args.apply:
        days, unexported = accounts.retention(args.dsn)
        print(
            f"central retention: {days} days after a request reached the staff, "
            f"{unexported} days for one nobody exported or contacted"
        )
    return EXIT_OK
