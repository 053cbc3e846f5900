"""``kiosk doctor``: one line per check of what the kiosk needs, for clinic IT."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk import crypto, passcodes
from kiosk.config import ConfigError, Managed, Settings, apply_managed, load_settings
from kiosk.store import (
    UNEXPORTED_WARNING_DAYS,
    AppointmentStore,
    StoreError,
    open_database,
    set_aside_copies,
)
from kiosk.times import clinic_time_text
from kiosk.validation import check_content

MIN_FREE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check."""

    name: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


def check_display() -> CheckResult:
    from kiosk.ui.app import display_problem

    problem = display_problem()
    platform = os.environ.get("QT_QPA_PLATFORM") or "default"
    if problem:
        return CheckResult("display", False, problem)
    return CheckResult("display", True, f"available (Qt platform: {platform})")


def check_fonts() -> CheckResult:
    from PySide6.QtGui import QFontDatabase
    from PySide6.QtWidgets import QApplication

    from kiosk.ui.app import FONTS_DIR, display_problem, font_files, load_fonts
    from kiosk.ui.theme import font_families

    try:
        files = font_files()
    except OSError as exc:
        return CheckResult("fonts", False, f"cannot read {FONTS_DIR}: {exc.strerror}")
    if not files:
        return CheckResult("fonts", False, f"missing: no font files in {FONTS_DIR}")
    if QApplication.instance() is None:
        if display_problem():
            os.environ["QT_QPA_PLATFORM"] = "offscreen"  # fonts load without a screen
        QApplication([])
    families = load_fonts()
    wanted = set(font_families())
    if not wanted <= set(families) and not wanted <= set(QFontDatabase.families()):
        return CheckResult("fonts", False, f"could not load {sorted(wanted - set(families))}")
    return CheckResult("fonts", True, f"{' and '.join(font_families())} load")


def check_database(settings: Settings) -> CheckResult:
    path = settings.database_path()
    try:
        store = AppointmentStore(open_database(path))
        try:
            status = store.check_integrity()
            count = store.count()
        finally:
            store.close()
    except (StoreError, OSError) as exc:
        return CheckResult("database", False, f"{path}: {exc}")
    if status != "ok":
        return CheckResult("database", False, f"{path}: integrity check says {status}")
    damaged = set_aside_copies(path)
    if damaged:
        return CheckResult(
            "database",
            False,
            f"{path}: works, but a damaged database was set aside as {damaged[-1].name} "
            f"({len(damaged)} in all); look into it, then move it off the kiosk",
        )
    return CheckResult("database", True, f"{path}: writable, intact, {count} request(s)")


def check_keys(settings: Settings) -> CheckResult:
    path = settings.keys_path()
    try:
        key_file = crypto.read_key_file(path)
    except crypto.KeysError as exc:
        return CheckResult("keys", False, f"{exc}; requests cannot be saved without it")
    cost = f"Argon2id {key_file.opslimit} passes, {key_file.memlimit // (1024 * 1024)} MiB"
    weak = key_file.opslimit < crypto.DEFAULT_COST.opslimit or (
        key_file.memlimit < crypto.DEFAULT_COST.memlimit
    )
    detail = f"{path}: key pair {key_file.key_id}, private key wrapped with {cost}"
    if key_file.development:
        return CheckResult(
            "keys",
            False,
            detail + " and the published development passcode (`make run`): never for "
            "patients; stop the kiosk, then run `kiosk keys init --replace-development`",
        )
    if weak:
        return CheckResult("keys", False, detail + " (below the default cost; re-run set-passcode)")
    if key_file.passcode_rules < passcodes.RULES_VERSION:
        return CheckResult(
            "keys",
            False,
            detail + f"; the passcode was set before the {passcodes.MIN_DIGITS}-digit rule, "
            "so it may be short enough to guess from a stolen disk: set a new one with "
            "`kiosk staff set-passcode`",
        )
    return CheckResult("keys", True, detail)


def check_content_dir(settings: Settings) -> CheckResult:
    root = settings.content_path()
    content, problems = check_content(root)
    errors = [p for p in problems if p.severity == "error"]
    if content is None:
        first = str(errors[0]) if errors else "unusable"
        return CheckResult("content", False, f"{root}: {len(errors)} error(s), first: {first}")
    warnings = len(problems) - len(errors)
    return CheckResult(
        "content",
        True,
        f"{root}: valid ({', '.join(sorted(content.languages))}; "
        f"version {content.manifest.content_version}; {warnings} warning(s))",
    )


def check_go_live(settings: Settings) -> CheckResult:
    """What patients would see that is still a placeholder or a default (kiosk.golive)."""
    from kiosk.golive import release_problems

    content, _problems = check_content(settings.content_path())
    if content is None:
        return CheckResult("go-live", False, "the content is broken (see above)")
    gate = release_problems(settings, content)
    if gate:
        lines = "".join(f"\n        {p.file} {p.path}: {p.message}" for p in gate)
        return CheckResult(
            "go-live", False, f"{len(gate)} thing(s) to fill in before patients use it:{lines}"
        )
    return CheckResult("go-live", True, "clinic details, notice and physician sign-off are set")


def check_disk(settings: Settings) -> CheckResult:
    folder = settings.database_path().parent
    probe = folder if folder.exists() else Path(folder.anchor or "/")
    free = shutil.disk_usage(probe).free
    ok = free >= MIN_FREE_BYTES
    return CheckResult("disk", ok, f"{free // (1024 * 1024)} MB free at {probe} (need 200 MB)")


def check_clock(settings: Settings | None = None, now: dt.datetime | None = None) -> CheckResult:
    now = now or dt.datetime.now(dt.UTC)
    # Reference codes, retention and exports depend on the date: a reset CMOS clock
    # (1970, 2000) or one set years ahead would delete or keep the wrong requests.
    text = f"{now:%Y-%m-%d %H:%M} UTC"
    if not 2026 <= now.year <= 2100:
        return CheckResult("clock", False, f"{text} looks wrong; retention is paused")
    if settings is not None and settings.database_path().exists():
        try:
            store = AppointmentStore(open_database(settings.database_path()), clock=lambda: now)
            try:
                problem = store.clock_problem()
            finally:
                store.close()
        except StoreError as exc:
            return CheckResult(
                "clock", False, f"{text}; could not compare with the database: {exc}"
            )
        if problem:
            return CheckResult("clock", False, f"{problem}; retention is paused until it is fixed")
    return CheckResult("clock", True, text)


def check_retention(settings: Settings, now: dt.datetime | None = None) -> CheckResult:
    """Requests nobody exported that retention deletes within a week. A failure, not a note:
    each is a patient who asked to be contacted and has not been, and a failing doctor is
    what makes IT act (the desk exports them, and the check passes again)."""
    moment = now or dt.datetime.now(dt.UTC)
    days, limit = settings.retention_days, settings.unexported_limit_days()
    rules = f"exported requests go after {days} days, never exported ones after {limit}"
    path = settings.database_path()
    if not path.exists():
        return CheckResult("retention", True, f"{rules}; no database yet")
    try:
        store = AppointmentStore(open_database(path), clock=lambda: moment)
        try:
            due = store.unexported_due(limit)
        finally:
            store.close()
    except StoreError as exc:
        return CheckResult("retention", False, f"could not read the database: {exc}")
    if due is None:
        return CheckResult(
            "retention", True, f"{rules}; none due within {UNEXPORTED_WARNING_DAYS} days"
        )
    return CheckResult(
        "retention",
        False,
        f"{due.count} request(s) were never exported and will be deleted from "
        f"{clinic_time_text(due.first, settings.zone())} ({rules}); ask the front desk to "
        "export them now",
    )


def check_logs(settings: Settings) -> CheckResult:
    folder = settings.log_path()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        return CheckResult("logs", False, f"{folder}: {exc.strerror}")
    return CheckResult("logs", True, f"{folder}: writable")


def check_export_dir(settings: Settings) -> CheckResult:
    """The desk folder (``export_dir``), if set: there, writable, and not on the kiosk's own
    disk (the staff screen refuses exports there)."""
    from kiosk.export import own_devices

    folder = settings.export_path()
    if folder is None:
        return CheckResult("export folder", True, "not set: exports go to USB sticks only")
    try:
        device = os.stat(folder).st_dev
    except OSError as exc:
        return CheckResult(
            "export folder", False, f"{folder}: {exc.strerror}; staff see it as not found"
        )
    if device in own_devices(settings.own_folders()):
        return CheckResult(
            "export folder",
            False,
            f"{folder} is on the kiosk's own disk: exports there are refused, so no plain copy "
            "of patients' data stays on the kiosk (use a network share, or USB sticks only)",
        )
    try:
        probe = folder / ".kiosk-write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        return CheckResult("export folder", False, f"{folder}: {exc.strerror}")
    return CheckResult("export folder", True, f"{folder}: writable, not on the kiosk's disk")


# Ubuntu 23.10 and later (AppArmor) refuse user namespaces to unprivileged programs.
USERNS_SYSCTL = Path("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")


def _unit_setting(path: Path, key: str) -> str | None:
    """The last ``key=`` value in a systemd unit file (as systemd applies them), or None."""
    value = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        name, sep, rest = line.strip().partition("=")
        if sep and name.strip() == key:
            value = rest.strip()
    return value


def check_service(config_home: Path | None = None, sysctl: Path = USERNS_SYSCTL) -> CheckResult:
    """Whether the installed systemd user unit can start here: its sandbox needs a user
    namespace, which some systems refuse to user services. Then the kiosk would fail at every
    start (218/CAPABILITIES) with nothing on screen; the drop-in from resources/systemd turns
    those settings off."""
    if not sys.platform.startswith("linux"):
        return CheckResult("service", True, "no systemd here")
    home = config_home or Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    unit = home / "systemd" / "user" / "kiosk.service"
    if not unit.is_file():
        return CheckResult("service", True, f"{unit}: not installed (started another way)")
    try:
        namespace = _unit_setting(unit, "PrivateUsers") == "yes"
        for drop_in in sorted((unit.parent / "kiosk.service.d").glob("*.conf")):
            setting = _unit_setting(drop_in, "PrivateUsers")
            namespace = namespace if setting is None else setting == "yes"
    except OSError as exc:
        return CheckResult("service", False, f"{unit}: cannot read it ({exc.strerror})")
    try:
        refused = sysctl.read_text(encoding="ascii").strip() == "1"
    except OSError:
        refused = False  # no AppArmor restriction on this system
    if namespace and refused:
        return CheckResult(
            "service",
            False,
            f"{unit}: its sandbox needs a user namespace, which this system refuses to user "
            "services, so the kiosk cannot start: install "
            "resources/systemd/kiosk.service.d/no-user-namespace.conf (docs/deploy.md)",
        )
    how = "with a user namespace" if namespace else "without a user namespace"
    return CheckResult("service", True, f"{unit}: sandboxed {how}, which this system allows")


# A kiosk certificate this close to its end is named (enrol the kiosk again in time).
CERT_WARNING_DAYS = 30
# More than this between the kiosk's clock and the central server's: fleet health marks it.
MAX_SKEW_S = 300


def check_fleet_files(settings: Settings, now: dt.datetime | None = None) -> CheckResult:
    """Central delivery's files: there, the key private, the certificate this kiosk's and
    valid for a while yet."""
    from kiosk.fleet.certs import read_certificate

    name = "central delivery"
    fleet = settings.fleet
    if fleet is None:
        return CheckResult(name, True, "off: requests stay on this kiosk until staff export them")
    ca, cert, key = fleet.paths()
    for label, path in (("ca_file", ca), ("cert_file", cert), ("key_file", key)):
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            return CheckResult(name, False, f"[fleet] {label} {path}: {exc.strerror}")
    if os.name == "posix" and key.stat().st_mode & 0o077:
        return CheckResult(
            name,
            False,
            f"{key} can be read by other accounts: chmod 600 it (it is this "
            "kiosk's only credential)",
        )
    facts = read_certificate(cert)
    if facts is None:
        return CheckResult(name, False, f"{cert} is not a PEM certificate")
    import ssl

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(cert, key, password=b"")
    except ssl.SSLError:
        return CheckResult(
            name,
            False,
            f"{key} is not the key of {cert}, or it is encrypted (the kiosk "
            "starts unattended: it needs the key without a passphrase)",
        )
    if facts.common_name != settings.kiosk_id:
        return CheckResult(
            name,
            False,
            f"{cert} is for {facts.common_name!r}, not this kiosk "
            f"({settings.kiosk_id!r}): enrol it with `kiosk fleet enrol`",
        )
    now = now or dt.datetime.now(dt.UTC)
    if now < facts.not_before:
        return CheckResult(
            name,
            False,
            f"{cert} is valid only from {facts.not_before:%Y-%m-%d}: is the clock right?",
        )
    left = (facts.not_after - now).days
    if left < 0:
        return CheckResult(
            name, False, f"{cert} expired on {facts.not_after:%Y-%m-%d}: enrol the kiosk again"
        )
    if left < CERT_WARNING_DAYS:
        return CheckResult(
            name,
            False,
            f"{cert} expires in {left} days "
            f"({facts.not_after:%Y-%m-%d}): enrol the kiosk again before then",
        )
    return CheckResult(
        name,
        True,
        f"to {fleet.host}:{fleet.port}/{fleet.database} as {settings.kiosk_id}; "
        f"certificate valid until {facts.not_after:%Y-%m-%d}",
    )


def check_fleet_server(
    settings: Settings, clock: Callable[[], dt.datetime] | None = None
) -> CheckResult | None:
    """The central server answers this kiosk, and agrees with its clock (None: delivery off)."""
    from kiosk.fleet.delivery import Courier, target_of

    target = target_of(settings)
    if target is None:
        return None
    name = "central server"
    target = dataclasses.replace(target, connect_timeout=5)
    courier = Courier(target, batch_seconds=10, clock=clock or (lambda: dt.datetime.now(dt.UTC)))
    outcome = courier.probe()
    if isinstance(outcome, str):
        from kiosk.fleet.delivery import ERROR_TEXTS

        return CheckResult(name, False, f"{outcome}: {ERROR_TEXTS.get(outcome, 'see the log')}")
    if abs(outcome) > MAX_SKEW_S:
        return CheckResult(
            name,
            False,
            f"reachable, but this kiosk's clock is {outcome:+.0f} s off the "
            "server's: set up time synchronisation (chrony)",
        )
    return CheckResult(name, True, f"reachable; clocks agree within {abs(outcome):.0f} s")


def check_outbox(settings: Settings, now: dt.datetime | None = None) -> CheckResult | None:
    """Requests waiting for the central server: none stuck (None: delivery off)."""
    if settings.fleet is None:
        return None
    name = "outbox"
    try:
        store = AppointmentStore(open_database(settings.database_path()), deliver=True)
    except StoreError as exc:
        return CheckResult(name, False, str(exc))
    try:
        state = store.outbox.state()
    finally:
        store.close()
    now = now or dt.datetime.now(dt.UTC)
    if state.quarantined:
        return CheckResult(
            name,
            False,
            f"{state.quarantined} request(s) the central server refused "
            "(quarantined): see `kiosk fleet status` and docs/fleet.md",
        )
    hours = state.oldest_pending_seconds(now) / 3600
    if hours > 24:
        return CheckResult(
            name,
            False,
            f"{state.pending} waiting, the oldest for {hours:.0f} h: see "
            "`kiosk fleet status` for the last error",
        )
    return CheckResult(name, True, f"{state.pending} waiting")


# An expiry this close means the repository's daily re-signing stopped (docs/content-updates.md).
UPDATE_EXPIRY_WARNING = dt.timedelta(days=2)


def check_updates(settings: Settings, now: dt.datetime | None = None) -> CheckResult | None:
    """Signed content updates ([updates]): the trusted root, the release in use, the last
    check and how long the repository's signatures hold."""
    if settings.updates is None:
        return None
    from kiosk.updates import client

    now = now or dt.datetime.now(dt.UTC)
    state = client.status(settings.updates_state_path(), settings.releases_path())
    in_use = f"release {state.release}" if state.release else "the content it was installed with"
    if state.last is None:
        root = settings.updates.root_path()
        if not root.is_file():
            return CheckResult(
                "updates", False, f"no trusted root at {root}: give this kiosk the repository's "
                "1.root.json ([updates] root)",
            )  # fmt: skip
        return CheckResult("updates", True, f"{in_use}; no update check yet")
    last = f"last check {state.last.at}: {state.last.outcome}"
    if not state.last.ok:
        return CheckResult("updates", False, f"{in_use}; {last}: {state.last.message}")
    try:
        checked_at = dt.datetime.fromisoformat(state.last.at)
    except ValueError:
        checked_at = now
    # Judged at the check (the repository then), not now: a kiosk checks when asked to.
    if state.expires is not None and state.expires - checked_at < UPDATE_EXPIRY_WARNING:
        return CheckResult(
            "updates",
            False,
            f"{in_use}; {last}, but the repository's signatures were to expire "
            f"{state.expires:%Y-%m-%d %H:%M} UTC: is `kiosk content resign` running daily on "
            "the repository's host?",
        )
    until = f"; it was signed until {state.expires:%Y-%m-%d %H:%M} UTC" if state.expires else ""
    return CheckResult("updates", True, f"{in_use}; {last}{until}")


def check_managed(managed: Managed) -> CheckResult:
    """The configuration files the kiosk took from its updates ([updates]): the keys they
    set over kiosk.toml, or why they are not used."""
    if managed.problem:
        return CheckResult(
            "managed-config", False, f"{managed.problem}; the kiosk runs on its own kiosk.toml"
        )
    if not managed.keys:
        return CheckResult("managed-config", True, "none taken: kiosk.toml alone")
    by_file: dict[str, list[str]] = {}
    for key, name in sorted(managed.keys.items()):
        by_file.setdefault(name, []).append(key)
    return CheckResult(
        "managed-config",
        True,
        "; ".join(f"{name} sets {', '.join(keys)}" for name, keys in by_file.items())
        + " (over kiosk.toml)",
    )


def run_checks(config: str | None, db: str | None = None) -> list[CheckResult]:
    """Run every check; a broken config stops the ones that need it."""
    try:
        local, source = load_settings(config, managed=False, db_path=db)
    except ConfigError as exc:
        return [CheckResult("config", False, str(exc)), check_display(), check_clock()]
    settings, managed = apply_managed(local)
    from kiosk.golive import config_claims

    claims = config_claims(settings)
    if claims:
        lines = "".join(f"\n        {p.path}: {p.message}" for p in claims)
        results = [CheckResult("config", False, f"{source or 'built-in defaults'}:{lines}")]
    else:
        results = [CheckResult("config", True, f"{source or 'built-in defaults'}: valid")]
    checks: list[Callable[[], CheckResult | None]] = [
        check_display,
        check_fonts,
        lambda: check_database(settings),
        lambda: check_keys(settings),
        lambda: check_content_dir(settings),
        lambda: check_go_live(settings),
        lambda: check_disk(settings),
        lambda: check_clock(settings),
        lambda: check_retention(settings),
        lambda: check_logs(settings),
        lambda: check_export_dir(settings),
        lambda: check_fleet_files(settings),
        lambda: check_fleet_server(settings),
        lambda: check_outbox(settings),
        lambda: check_updates(settings),
        lambda: check_managed(managed) if settings.updates is not None else None,
        check_service,
    ]
    for check in checks:
        try:
            result = check()
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            result = CheckResult(getattr(check, "__name__", "check"), False, repr(exc))
        if result is not None:
            results.append(result)
    return results
