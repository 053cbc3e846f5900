"""`kiosk content keys|publish|resign`: IT's commands for signed content updates
(docs/content-updates.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
# `resign` fails (so the timer shows it) this long before an offline role's signature runs out.
RENEW_WARNING_DAYS = 14
# An offline key's passphrase guards a key that can change what every kiosk shows: long
# enough to hold off offline guessing at the Argon2id cost (docs/content-updates.md).
MIN_PASSPHRASE = 12
_MIN_DISTINCT = 5

REPO_HELP = "the repository folder (what the web server serves, or what is copied to a stick)"
KEYS_HELP = "the folder of signing keys (keep it off the web server; docs/content-updates.md)"


def add_parsers(
    csub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """The update commands, under ``kiosk content``."""
    stdin = argparse.ArgumentParser(add_help=False)
    stdin.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="read passphrases from standard input, one per line, in the order asked",
    )
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--repo", required=True, metavar="DIR", help=REPO_HELP)
    where.add_argument(
        "--keys",
        required=True,
        metavar="DIR",
        action="append",
        help=KEYS_HELP + "; may be given again (the host's keys and a stick's)",
    )

    keys = csub.add_parser("keys", help="the keys that sign content updates")
    ksub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    init = ksub.add_parser(
        "init",
        parents=[where, stdin],
        help="create the signing keys and an empty repository; prints the root file to "
        "give every kiosk",
    )
    init.add_argument("--root-keys", type=int, default=3, metavar="N", help="root keys (3)")
    init.add_argument(
        "--root-threshold", type=int, default=2, metavar="T", help="of which sign a root (2)"
    )
    rotate = ksub.add_parser(
        "rotate",
        parents=[where, stdin],
        help="replace a lost or leaked targets, snapshot or timestamp key (asks for the root "
        "keys' passphrases)",
    )
    rotate.add_argument("role", choices=["targets", "snapshot", "timestamp"])
    ksub.add_parser(
        "renew-root",
        parents=[where, stdin],
        help="sign the root for another year, the same keys (yearly; asks for the root "
        "keys' passphrases)",
    )

    publish = csub.add_parser(
        "publish",
        parents=[common, where, stdin],
        help="sign a content folder as the update every kiosk takes (only if `kiosk content "
        "check --release` passes)",
    )
    publish.add_argument("dir", nargs="?", help="content folder (default: the configured one)")

    publish_config = csub.add_parser(
        "publish-config",
        parents=[common, where, stdin],
        help="sign a configuration file for one site's kiosks or one kiosk (the keys it "
        "sets win over each kiosk's own kiosk.toml), or take one out with --remove",
    )
    publish_config.add_argument(
        "file", nargs="?", help="the TOML file (only keys a published file may set)"
    )
    whom = publish_config.add_mutually_exclusive_group(required=True)
    whom.add_argument("--site", metavar="NAME", help="for the kiosks whose [updates] site is NAME")
    whom.add_argument("--kiosk", metavar="ID", help="for the kiosk whose kiosk_id is ID")
    publish_config.add_argument(
        "--remove",
        action="store_true",
        help="take the site's or kiosk's file out (its kiosks go back to their own files)",
    )

    update = csub.add_parser(
        "update",
        parents=[common],
        help="this kiosk: check for a content update now, from [updates] url or --from",
    )
    update.add_argument(
        "--from",
        dest="source",
        metavar="URL|DIR",
        help="a repository's https:// address, or a folder (a USB stick's kiosk-repo)",
    )

    resign = csub.add_parser(
        "resign",
        parents=[where, stdin],
        help="renew the repository's signatures (the timestamp daily, on a timer; the "
        "snapshot when due)",
    )
    resign.add_argument(
        "--targets",
        action="store_true",
        help="also renew the targets' signature (90 days; asks for its passphrase)",
    )


def dispatch(args: argparse.Namespace, check_release: Callable[[argparse.Namespace], int]) -> int:
    """Run an update command. ``check_release``: `kiosk content check --release` (publish
    refuses what it fails)."""
    from kiosk.crypto import KeysError
    from kiosk.updates.repository import RepositoryError

    try:
        if args.content_command == "keys":
            if args.keys_command == "init":
                return _init(args)
            if args.keys_command == "renew-root":
                return _renew_root(args)
            return _rotate(args)
        if args.content_command == "publish":
            return _publish(args, check_release)
        if args.content_command == "publish-config":
            return _publish_config(args)
        if args.content_command == "update":
            return _update(args)
        return _resign(args)
    except (RepositoryError, KeysError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except _Cancelled as exc:
        print(f"nothing changed: {exc}", file=sys.stderr)
        return EXIT_FAIL


class _Cancelled(Exception):  # noqa: N818 - not an error: the person chose to stop
    """The person at the terminal gave up or mistyped; nothing changed."""


def _line(args: argparse.Namespace, prompt: str) -> str:
    import getpass

    try:
        if args.passphrase_stdin:
            line = sys.stdin.readline()
            if not line:
                raise _Cancelled("standard input ended before a passphrase was read")
            return line.rstrip("\r\n")
        return getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        raise _Cancelled("cancelled") from None


def passphrase_problem(text: str) -> str | None:
    """Why ``text`` may not guard a signing key, or None."""
    if len(text) < MIN_PASSPHRASE:
        return f"use at least {MIN_PASSPHRASE} characters (this has {len(text)})"
    if len(set(text)) < _MIN_DISTINCT:
        return f"use at least {_MIN_DISTINCT} different characters"
    return None


def _new_passphrase(args: argparse.Namespace, what: str) -> str:
    import getpass

    text = _line(args, f"New passphrase for {what} (at least {MIN_PASSPHRASE} characters): ")
    problem = passphrase_problem(text)
    if problem is not None:
        raise _Cancelled(f"not a safe passphrase for {what}: {problem}")
    if not args.passphrase_stdin:
        try:
            again = getpass.getpass("Type it again: ")
        except (EOFError, KeyboardInterrupt):
            raise _Cancelled("cancelled") from None
        if again != text:
            raise _Cancelled("the two entries differ")
    return text


def _asker(args: argparse.Namespace) -> Callable[[Path], str | None]:
    """Asks for the passphrase of each key file (an empty answer skips a root key whose
    holder is not there: the others may be enough)."""

    def ask(path: Path) -> str | None:
        return _line(args, f"Passphrase for {path.name} (Enter to skip): ") or None

    return ask


def _init(args: argparse.Namespace) -> int:
    from kiosk.updates import repository

    plan = repository.RootPlan(args.root_keys, args.root_threshold)
    if not 1 <= plan.threshold <= plan.keys <= 9:
        print("error: 1 to 9 root keys, and a threshold from 1 to their number", file=sys.stderr)
        return EXIT_USAGE
    root_passphrases = [
        _new_passphrase(args, f"root key {n} of {plan.keys}") for n in range(1, plan.keys + 1)
    ]
    targets = _new_passphrase(args, "the targets key")
    if len(args.keys) != 1:
        print("error: init writes its keys to one folder (--keys once)", file=sys.stderr)
        return EXIT_USAGE
    root_file = repository.init(Path(args.repo), _keys(args)[0], root_passphrases, targets, plan)
    print(f"repository: {args.repo}\nkeys: {args.keys[0]}")
    print(
        f"Give every kiosk {root_file} (its [updates] root; docs/content-updates.md).\n"
        f"Keep the root keys (root-*.json) and the targets key offline, each with its "
        f"holder; {plan.threshold} of the {plan.keys} root keys sign any change of keys.\n"
        "Renew the signatures daily: `kiosk content resign` on a timer (the timestamp "
        "expires in 7 days)."
    )
    return EXIT_OK


def _publish(args: argparse.Namespace, check_release: Callable[[argparse.Namespace], int]) -> int:
    from kiosk.config import load_settings
    from kiosk.updates import repository

    # The go-live gate first: nothing reaches a kiosk that is not ready for patients.
    check = argparse.Namespace(**{**vars(args), "release": True})
    if check_release(check) != EXIT_OK:
        print("error: not published: the content must pass `kiosk content check --release`",
              file=sys.stderr)  # fmt: skip
        return EXIT_FAIL
    folder = Path(args.dir) if args.dir else load_settings(args.config)[0].content_path()
    data = repository.pack(folder)
    done = repository.publish(
        Path(args.repo), _keys(args), repository.CONTENT_TARGET, data, _asker(args)
    )
    print(
        f"published {folder} as {done.name} (targets version {done.version}, "
        f"{done.length:,} bytes, sha256 {done.sha256[:12]}…)"
    )
    return EXIT_OK


def _publish_config(args: argparse.Namespace) -> int:
    import re

    from kiosk.config import (
        MAX_MANAGED_FILE,
        ConfigError,
        decode_managed,
        load_settings,
        with_managed,
    )
    from kiosk.content import read_text_file
    from kiosk.golive import is_placeholder
    from kiosk.updates import repository

    label = args.site or args.kiosk
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", label):
        print("error: a site or kiosk is named with letters, digits, '.', '_' and '-' (at most "
              "64)", file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    name = f"config/site-{label}.toml" if args.site else f"config/kiosk-{label}.toml"
    if args.remove:
        if args.file:
            print("error: --remove takes no file", file=sys.stderr)
            return EXIT_USAGE
        version = repository.withdraw(Path(args.repo), _keys(args), name, _asker(args))
        if version is None:
            print(f"error: the repository has no {name}", file=sys.stderr)
            return EXIT_FAIL
        print(f"removed {name} (targets version {version}); its kiosks go back to their own "
              "kiosk.toml for those keys after their next check")  # fmt: skip
        return EXIT_OK
    if not args.file:
        print("error: name the configuration file (or --remove)", file=sys.stderr)
        return EXIT_USAGE
    try:
        text = read_text_file(Path(args.file)).decode("utf-8")
        if len(text.encode("utf-8")) > MAX_MANAGED_FILE:
            raise ValueError("too large for a settings file")
        # Checked with a kiosk.toml of the group (--config), as each kiosk checks it again
        # with its own file before taking it; no placeholder for patients to read.
        with_managed(load_settings(args.config, managed=False)[0], [(name, text)])
        for key, value in decode_managed(text, name).items():
            texts = value.values() if isinstance(value, dict) else [value]
            if any(isinstance(t, str) and is_placeholder(t) for t in texts):
                raise ValueError(f"key '{key}' is still a placeholder")
    except (ConfigError, ValueError) as exc:
        print(f"error: not published: {exc}", file=sys.stderr)
        return EXIT_FAIL
    done = repository.publish(
        Path(args.repo), _keys(args), name, text.encode("utf-8"), _asker(args)
    )
    print(f"published {args.file} as {done.name} (targets version {done.version}); its kiosks "
          "take it at their next check and restart between visits to use it")  # fmt: skip
    return EXIT_OK


def _resign(args: argparse.Namespace) -> int:
    from kiosk.updates import repository

    targets = _asker(args) if args.targets else None
    renewed = repository.resign(Path(args.repo), _keys(args), targets_passphrase=targets)
    repo = repository.Repository(Path(args.repo), _keys(args))
    expiry = repo.expiry()
    print(f"renewed: {', '.join(renewed)}")
    for role in ("timestamp", "snapshot", "targets", "root"):
        print(f"{role} expires {expiry[role]:%Y-%m-%d %H:%M} UTC")
    # The offline roles are renewed by people: the timer's failure is what IT sees in time.
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=RENEW_WARNING_DAYS)
    due = {
        "targets": "`kiosk content resign --targets` (the targets key)",
        "root": "`kiosk content keys renew-root` (two root key holders)",
    }
    late = [role for role in due if expiry[role] < soon]
    for role in late:
        print(
            f"attention: the {role} signature expires {expiry[role]:%Y-%m-%d}; every kiosk stops "
            f"updating then: run {due[role]}",
            file=sys.stderr,
        )
    return EXIT_FAIL if late else EXIT_OK


def _rotate(args: argparse.Namespace) -> int:
    from kiosk.updates import keys, repository

    new_passphrase = None
    if args.role not in keys.ONLINE:
        new_passphrase = _new_passphrase(args, f"the new {args.role} key")
    path = repository.rotate(Path(args.repo), _keys(args), args.role, _asker(args), new_passphrase)
    print(
        f"new {args.role} key: {path}; the repository is signed with it. Destroy the old "
        f"{args.role} key's file (and every copy of it)."
    )
    return EXIT_OK


def _renew_root(args: argparse.Namespace) -> int:
    from kiosk.updates import repository

    expires = repository.renew_root(Path(args.repo), _keys(args), _asker(args))
    print(f"the root is signed until {expires:%Y-%m-%d} (UTC); kiosks take it at their next check")
    return EXIT_OK


def _update(args: argparse.Namespace) -> int:
    from kiosk.config import MANAGED_KEYS, apply_managed, load_settings, managed_record_path
    from kiosk.updates import client

    # The kiosk's own file: the configuration files it takes are checked with it.
    local, source_file = load_settings(args.config, managed=False)
    settings = apply_managed(local)[0]
    updates = settings.updates
    if updates is None:
        print(
            f"error: {source_file or 'the built-in defaults'} has no [updates] table "
            "(docs/content-updates.md)",
            file=sys.stderr,
        )
        return EXIT_FAIL
    try:
        source = client.source_for(settings, args.source)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if source is None:
        print("error: no [updates] url: name a repository with --from", file=sys.stderr)
        return EXIT_USAGE
    record = managed_record_path(local)
    kept = record.read_bytes() if record.exists() else None
    checked = client.check_configured(settings, source, local)
    if (record.read_bytes() if record.exists() else None) != kept:
        after, taken = apply_managed(local)
        changed = [k for k in sorted(MANAGED_KEYS) if getattr(after, k) != getattr(settings, k)]
        what = ", ".join(changed) or "no setting's value"
        alone = "" if taken.keys else "; kiosk.toml alone from now on"
        print(
            f"configuration changed ({what}){alone}; the running kiosk restarts between "
            "visits to use it, after its next check"
        )
    if checked.ok:
        shown = (
            "; the running kiosk shows it between visits, after its next check"
            if checked.release
            else ""
        )
        print(f"{checked.outcome}: {checked.message}{shown}")
        return EXIT_OK
    how = "partly updated" if checked.release else "not updated"
    print(f"{how} ({checked.outcome}): {checked.message}", file=sys.stderr)
    return EXIT_FAIL


def _keys(args: argparse.Namespace) -> list[Path]:
    return [Path(folder) for folder in args.keys]
