"""Kiosk settings from a TOML file, with the bundled defaults where it is silent (no Qt)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from kiosk import paths, releases
from kiosk.content import ContentError, read_text_file
from kiosk.golive import is_placeholder
from kiosk.languages import LANGUAGES_FILE, LangCode, Languages, languages_in
from kiosk.validation import url_problem

ENV_VAR = "KIOSK_CONFIG"
PATH_KEYS = (
    "clinic_logo",
    "content_dir",
    "db_path",
    "keys_file",
    "export_dir",
    "log_dir",
    "heartbeat_file",
)
FLEET_PATH_KEYS = ("ca_file", "cert_file", "key_file")
DEFAULT_CLINIC_NAME = "Lupus Information Point"
# How long a request that never reached the staff is kept when the config does not say.
DEFAULT_UNEXPORTED_MAX_DAYS = 90
LANG_CODE = LangCode


# A text shown to patients: one string for every language, or one per language code
# ({ en = "...", tr = "..." }); a language it does not name gets the default language's.
LocalText = str | dict[str, str]


def local_text(value: LocalText, lang: str, fallback: str) -> str:
    """Return ``value`` in ``lang`` (then ``fallback``'s, then any): "" when it has none."""
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get(fallback) or next(iter(value.values()), "")


class Study(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """The approved study behind the "If you take part in a study at this clinic" pages.

    Those pages are shown only when every field is filled in with real details: a research
    treatment is never presented as a service of the clinic.
    """

    name: LocalText = ""
    ethics_committee: LocalText = ""
    ethics_decision_date: dt.date | None = None
    ethics_decision_number: str = ""
    permit_number: str = ""
    cell_product: LocalText = ""
    cell_source: LocalText = ""

    def missing(self, languages: Sequence[str] = ()) -> list[str]:
        """Return the keys still empty or placeholders (none: the study may be shown).

        A text patients read as a sentence (the cell product) must be given per language
        when there are several: spliced into a Turkish sentence, English would not do.
        """
        out = []
        for key in self.__struct_fields__:
            value = getattr(self, key)
            if value is None:
                out.append(key)
            elif isinstance(value, dict):
                missing_language = any(code not in value for code in languages)
                if not value or missing_language or any(is_placeholder(v) for v in value.values()):
                    out.append(key)
            elif isinstance(value, str):
                if is_placeholder(value) or (key in SENTENCES and len(languages) > 1):
                    out.append(key)
        return out


# Study texts read as words of a sentence, so they must be in the reader's language.
SENTENCES = frozenset({"cell_product"})


class Fleet(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Central delivery (``[fleet]``, docs/fleet.md): where the group's central PostgreSQL
    is and the files this kiosk signs in with. The kiosk's role there is its ``kiosk_id``,
    the common name of its certificate. Without this table requests stay on the kiosk."""

    host: Annotated[str, Meta(min_length=1, max_length=253)]
    port: Annotated[int, Meta(ge=1, le=65535)] = 5432
    database: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{1,63}$")] = "kiosks"
    # The group's CA (it signed the server's certificate), this kiosk's certificate and its
    # key (readable by the kiosk's account only), as `kiosk fleet enrol` wrote them.
    ca_file: Annotated[str, Meta(min_length=1)]
    cert_file: Annotated[str, Meta(min_length=1)]
    key_file: Annotated[str, Meta(min_length=1)]
    # How often the kiosk sends what waits (and right after each request), and tells the
    # server it is alive; a failure waits longer each time, up to an hour.
    sync_seconds: Annotated[int, Meta(ge=10, le=3600)] = 60
    # At most 10 minutes: fleet_health calls a kiosk late after 15 minutes without one.
    heartbeat_seconds: Annotated[int, Meta(ge=30, le=600)] = 300

    def paths(self) -> tuple[Path, Path, Path]:
        """The CA, certificate and key files, ``~`` expanded."""
        ca, cert, key = (
            Path(p).expanduser() for p in (self.ca_file, self.cert_file, self.key_file)
        )
        return ca, cert, key


class Updates(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Signed content updates (``[updates]``, docs/content-updates.md): where the clinic's
    repository is and the root this kiosk trusts. With this table the content in use is the
    newest release that passed its checks (content_dir, or the bundled set, until there is
    one)."""

    # The repository's address (https://...), or none: updates come by USB stick only.
    url: str | None = None
    # The CA that signed that server's certificate, when it is the clinic's own.
    ca_file: str | None = None
    # The repository's first root (`kiosk content keys init` printed where): what this kiosk
    # trusts before its first update. Default: data/updates/root.json in the bundle.
    root: str | None = None
    # How often the kiosk looks for an update (never during a visit).
    check_minutes: Annotated[int, Meta(ge=5, le=1440)] = 15
    # The site this kiosk stands at, as IT names it in the repository: the kiosk takes the
    # site's configuration file (config/site-<site>.toml) as well as its own
    # (config/kiosk-<kiosk_id>.toml). Not set: only its own.
    site: Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{1,64}$")] | None = None

    def root_path(self) -> Path:
        if self.root:
            return Path(self.root).expanduser()
        return paths.resource_path("data/updates/root.json")

    def ca_path(self) -> Path | None:
        return Path(self.ca_file).expanduser() if self.ca_file else None


class ConfigError(Exception):
    """The config file is missing, unreadable or invalid; the message names file and key.

    ``key`` is the top-level key at fault, when one is (None: the whole file).
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def _bundled() -> Languages | None:
    try:
        return languages_in(paths.bundled_content_dir())
    except ContentError:
        # A broken data/languages.json is a build error (tests catch it); Settings() still
        # builds, and its validation says that no language is known.
        return None


def _default_languages() -> list[str]:
    known = _bundled()
    return list(known.screen) if known else []


def _default_language() -> str:
    known = _bundled()
    return known.screen[0] if known and known.screen else ""


def _default_contact_languages() -> list[str]:
    known = _bundled()
    return list(known.contact) if known else []


class Settings(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Everything the clinic can set. Built once at start-up and passed down."""

    # The default is a stand-in: `kiosk content check --release` fails until it is replaced.
    clinic_name: LocalText = DEFAULT_CLINIC_NAME
    clinic_logo: str | None = None
    kiosk_id: Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{1,64}$")] = "kiosk-1"
    # The clinic's time zone (IANA name): the staff list and every export show times in it,
    # with its offset, whatever the kiosk's own clock setting says.
    time_zone: str = "Europe/Istanbul"
    appointment_url: str = "https://example.org/appointment"
    privacy_notice_url: str = "https://example.org/privacy"
    # The KVKK information notice (Art. 10): who is responsible and how to apply in writing.
    # Empty (or "[...]") = not given yet: the notice shows a neutral "ask at the desk", and
    # the go-live gate fails.
    data_controller_name: LocalText = ""
    data_controller_address: LocalText = ""
    data_controller_email: str = ""
    data_controller_kep: str = ""
    data_controller_phone: str = ""
    # Older single line (address, e-mail and phone): shown as the address when that is empty.
    data_controller_contact: str = ""
    # Whether patients' details leave Türkiye (a hosting or messaging company abroad): not
    # set = not stated yet (the go-live gate fails); with true, say where and why.
    transfer_abroad: bool | None = None
    transfer_abroad_details: LocalText = ""
    # How long the clinic's own appointment records keep a request that led to no visit.
    desk_retention_months: Annotated[int, Meta(ge=1, le=120)] | None = None
    study: Study | None = None
    # Not set in the config: every language of the content, default first (the defaults
    # come from data, see language_defaults; these factories are for the bundled content).
    languages: Annotated[list[LANG_CODE], Meta(min_length=1)] = msgspec.field(
        default_factory=_default_languages
    )
    default_language: LANG_CODE = msgspec.field(default_factory=_default_language)
    content_dir: str | None = None
    db_path: str | None = None
    keys_file: str | None = None
    contact_languages: Annotated[list[LANG_CODE], Meta(min_length=1)] = msgspec.field(
        default_factory=_default_contact_languages
    )
    retention_days: Annotated[int, Meta(ge=1, le=3650)] = 30
    # The hard limit for a request that never reached the staff (never exported): kept past
    # retention_days, so no patient's request is lost unread, but not for ever. Not set =
    # DEFAULT_UNEXPORTED_MAX_DAYS, or retention_days if that is longer (older config files
    # with a long retention_days keep loading).
    unexported_max_days: Annotated[int, Meta(ge=1, le=3650)] | None = None
    export_dir: str | None = None
    staff_taps: Annotated[int, Meta(ge=3, le=10)] = 5
    staff_tap_seconds: Annotated[float, Meta(ge=1, le=10)] = 3.0
    staff_idle_seconds: Annotated[int, Meta(ge=15, le=3600)] = 120
    # No longer used: the thank-you screen keeps the reference code until the visitor taps
    # "I am done" or the idle warning runs out. Accepted so older config files still load.
    thank_you_seconds: Annotated[int, Meta(ge=1, le=120)] = 15
    idle_seconds: Annotated[int, Meta(ge=20, le=3600)] = 90
    idle_form_seconds: Annotated[int, Meta(ge=20, le=3600)] = 120
    idle_warning_seconds: Annotated[int, Meta(ge=20, le=300)] = 30
    attract_mode: bool = True
    # A tap this soon after the screen changed belongs to the tap that changed it (a double
    # tap): dropped. 0 turns the guard off (the benchmarks' taps are a machine's).
    tap_guard_ms: Annotated[int, Meta(ge=0, le=1000)] = 400
    attract_seconds: Annotated[int, Meta(ge=8, le=600)] = 12
    screen_dpi: Annotated[float, Meta(ge=0, le=1000)] = 0.0
    fullscreen: bool = True
    hide_cursor: bool = False
    log_dir: str | None = None
    heartbeat_file: str | None = None
    fleet: Fleet | None = None
    updates: Updates | None = None

    def unexported_limit_days(self) -> int:
        """Days after which a request that never reached the staff is deleted all the same."""
        if self.unexported_max_days is not None:
            return self.unexported_max_days
        return max(DEFAULT_UNEXPORTED_MAX_DAYS, self.retention_days)

    def clinic_name_in(self, lang: str) -> str:
        """Return the clinic's name as shown to someone reading ``lang``."""
        return local_text(self.clinic_name, lang, self.default_language) or DEFAULT_CLINIC_NAME

    def clinic_name_given(self, lang: str) -> str | None:
        """The clinic's own name in ``lang``, or None while it is the built-in stand-in
        (screens then show the content's neutral name in the visitor's language)."""
        name = self.clinic_name_in(lang)
        return None if name == DEFAULT_CLINIC_NAME or is_placeholder(name) else name

    def controller_address(self, lang: str) -> str:
        """Return the controller's postal address ("" when not given)."""
        return local_text(self.data_controller_address, lang, self.default_language) or (
            self.data_controller_contact
        )

    def approved_study(self) -> Study | None:
        """Return the study when every detail is given, else None (its pages stay hidden)."""
        if self.study is None or self.study.missing(self.languages):
            return None
        return self.study

    def zone(self) -> dt.tzinfo:
        """The clinic's time zone (checked when the settings are loaded)."""
        return zoneinfo.ZoneInfo(self.time_zone)

    def logo_path(self) -> Path | None:
        """Return the clinic logo file, or None to show the built-in clinic icon."""
        return Path(self.clinic_logo).expanduser() if self.clinic_logo else None

    def export_path(self) -> Path | None:
        """Return the configured export folder (``~`` expanded), or None."""
        return Path(self.export_dir).expanduser() if self.export_dir else None

    def log_path(self) -> Path:
        """Return the folder for the rotating log files."""
        return Path(self.log_dir).expanduser() if self.log_dir else paths.default_log_dir()

    def heartbeat_path(self) -> Path:
        """Return the file the kiosk touches while its event loop is alive."""
        if self.heartbeat_file:
            return Path(self.heartbeat_file).expanduser()
        return paths.default_data_dir() / "heartbeat"

    def content_path(self) -> Path:
        """Return the content folder: with [updates], the release in use; otherwise (or
        before the first release) the configured folder, or the bundled one."""
        if self.updates is not None:
            release = releases.current(self.releases_path())
            if release is not None:
                return release
        return (
            Path(self.content_dir).expanduser() if self.content_dir else paths.bundled_content_dir()
        )

    def releases_path(self) -> Path:
        """Where content updates are unpacked (kiosk.releases), beside the database."""
        return self.database_path().parent / "content-releases"

    def updates_state_path(self) -> Path:
        """Where the update client keeps what it trusts and what it downloaded."""
        return self.database_path().parent / "updates"

    def database_path(self) -> Path:
        """Return the database file: configured, or one in the platform data dir."""
        if self.db_path:
            return Path(self.db_path).expanduser()
        return paths.default_data_dir() / "kiosk.db"

    def own_folders(self) -> tuple[Path, ...]:
        """The kiosk's own places (its system disk, its data, logs, home and temporary
        files): an export is refused on their filesystems, so no plain copy of patients'
        data stays on the kiosk beside the encrypted database."""
        database = self.database_path()
        return (
            Path(database.anchor or "/"),
            database.parent,
            self.keys_path().parent,
            self.log_path(),
            Path.home(),
            Path(tempfile.gettempdir()),
        )

    def keys_path(self) -> Path:
        """Return the key file (public key, passcode-wrapped private key): configured, or
        ``kiosk-keys.json`` next to the database."""
        if self.keys_file:
            return Path(self.keys_file).expanduser()
        return self.database_path().parent / "kiosk-keys.json"


def language_defaults(known: Languages) -> dict[str, object]:
    """The language keys a config leaves out, from data: ``languages`` is every language
    folder of the content (in ``data/languages.json``'s order), ``default_language`` the
    first, ``contact_languages`` the data file's list."""
    return {
        "languages": list(known.screen),
        "default_language": known.screen[0] if known.screen else "",
        "contact_languages": list(known.contact),
    }


def _content_root(data: dict[str, object]) -> Path:
    """The content folder a config's (raw) keys name (as Settings.content_path)."""
    if isinstance(data.get("updates"), dict):
        db = data.get("db_path")
        base = Path(db).expanduser().parent if isinstance(db, str) and db else None
        release = releases.current((base or paths.default_data_dir()) / "content-releases")
        if release is not None:
            return release
    value = data.get("content_dir")
    if isinstance(value, str) and value:
        return Path(value).expanduser()
    return paths.bundled_content_dir()


def find_config_file(explicit: str | os.PathLike[str] | None) -> Path | None:
    """Return the config file to use: ``--config``, then ``$KIOSK_CONFIG``, then the platform dir.

    An explicitly named file must exist; the platform default may be absent (None).
    """
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    default = paths.default_config_file()
    return default if default.is_file() else None


def _check(settings: Settings, name: str, known: Languages) -> None:
    """Rules across keys; ``known`` are the languages of the settings' content folder."""
    for key in ("clinic_name", "data_controller_name", "data_controller_address"):
        value = getattr(settings, key)
        if isinstance(value, dict):
            bad = [code for code in value if code not in settings.languages]
            if bad or not value:
                raise ConfigError(
                    f"{name}: key '{key}': give one text, or one per screen language "
                    f"({', '.join(settings.languages)}); unknown: {', '.join(bad) or 'none given'}",
                    key,
                )
    if isinstance(settings.clinic_name, str) and not settings.clinic_name.strip():
        raise ConfigError(f"{name}: key 'clinic_name': must not be empty", "clinic_name")
    for key in ("appointment_url", "privacy_notice_url"):
        value = getattr(settings, key)
        if why := url_problem(value):
            raise ConfigError(f"{name}: key '{key}': {why} (got {value!r})", key)
    if settings.default_language not in settings.languages:
        raise ConfigError(
            f"{name}: key 'default_language': '{settings.default_language}' "
            f"is not one of languages {settings.languages}",
            "default_language",
        )
    unknown = [code for code in settings.contact_languages if code not in known.known]
    if unknown:
        raise ConfigError(
            f"{name}: key 'contact_languages': unknown {unknown}; choose from "
            f"{', '.join(known.known)} (a language is named by its content folder or by "
            f"{LANGUAGES_FILE})",
            "contact_languages",
        )
    _check_zone(settings.time_zone, name)
    limit = settings.unexported_max_days
    if limit is not None and limit < settings.retention_days:
        raise ConfigError(
            f"{name}: key 'unexported_max_days': {limit} is shorter than retention_days "
            f"({settings.retention_days}); a request nobody exported must be kept at least as "
            "long as one that was",
            "unexported_max_days",
        )
    if len(set(settings.languages)) != len(settings.languages):
        raise ConfigError(f"{name}: key 'languages': a language is listed twice", "languages")
    if settings.updates is not None and settings.updates.url is not None:
        if why := url_problem(settings.updates.url):
            raise ConfigError(
                f"{name}: [updates] url: {why} (got {settings.updates.url!r})", "updates"
            )
    if settings.fleet is not None and len(settings.kiosk_id.encode()) > 63:
        raise ConfigError(
            f"{name}: key 'kiosk_id': with [fleet], at most 63 characters (it is the kiosk's "
            "role on the central server)",
            "kiosk_id",
        )


def _read_config(path: Path) -> dict[str, object]:
    """Decode the TOML file at ``path``; relative paths made relative to it. ConfigError."""
    name = str(path)
    try:
        raw = read_text_file(path)
    except FileNotFoundError:
        raise ConfigError(f"{name}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read config file ({exc.strerror})") from None
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None
    try:
        data = msgspec.toml.decode(raw, type=dict[str, object])
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"{name}: cannot decode: {exc}") from None
    # Relative paths in a config file mean "next to this file", as IT would expect.
    _next_to(path, data, PATH_KEYS)
    fleet = data.get("fleet")
    if isinstance(fleet, dict):
        data["fleet"] = _next_to(path, dict(fleet), FLEET_PATH_KEYS)
    return data


def _check_zone(zone: str, name: str) -> None:
    """Raise ConfigError unless ``zone`` is a time zone name (kiosk.toml and desk.toml)."""
    try:
        zoneinfo.ZoneInfo(zone)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        raise ConfigError(
            f"{name}: key 'time_zone': not a time zone name like \"Europe/Istanbul\" "
            f"(got {zone!r})",
            "time_zone",
        ) from None


def _next_to(path: Path, data: dict[str, object], keys: Sequence[str]) -> dict[str, object]:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            data[key] = str(path.parent / value)
    return data


def config_readable(path: Path) -> bool:
    """Whether the file at ``path`` can be read and decoded at all (its keys aside)."""
    try:
        _read_config(path)
    except ConfigError:
        return False
    return True


def _build(data: dict[str, object], name: str) -> Settings:
    try:
        known = languages_in(_content_root(data))
    except ContentError as exc:  # data/languages.json itself is broken
        raise ConfigError(f"{name}: {exc}") from None
    data = {**language_defaults(known), **data}
    try:
        settings = msgspec.convert(data, type=Settings, str_keys=True)
    except msgspec.ValidationError as exc:
        message = _describe(str(exc))
        raise ConfigError(f"{name}: {message}", _key_of(str(exc))) from None
    _check(settings, name, known)
    return settings


def load_settings(
    explicit: str | os.PathLike[str] | None = None, *, managed: bool = True, **overrides: object
) -> tuple[Settings, Path | None]:
    """Load settings and return them with the file they came from (None: defaults only).

    ``overrides`` (e.g. ``db_path`` from ``--db``) win over the file; the managed
    configuration this kiosk took from its updates (``managed``) wins over both for the keys
    it sets, unless it no longer fits the file (:func:`apply_managed`). Raises ConfigError.
    """
    path = find_config_file(explicit)
    data = _read_config(path) if path is not None else {}
    data.update({k: v for k, v in overrides.items() if v is not None})
    settings = _build(data, str(path) if path else "defaults")
    return (apply_managed(settings)[0] if managed else settings), path


def load_settings_leniently(
    explicit: str | os.PathLike[str] | None = None, *, managed: bool = True, **overrides: object
) -> tuple[Settings, Path | None, list[str]]:
    """Like :func:`load_settings`, for ``kiosk run``: a broken config never stops the kiosk.

    A key that is wrong takes its default; a file that cannot be read or decoded at all
    gives the defaults. Returns the settings, the file, and one line per problem (for the
    log): under systemd an exception here would restart the kiosk for ever.
    """
    try:
        settings, path = load_settings(explicit, managed=False, **overrides)
    except ConfigError as exc:
        problems = [str(exc)]
    else:
        if not managed:
            return settings, path, []
        settings, taken = apply_managed(settings)
        return settings, path, [taken.problem] if taken.problem else []
    path = find_config_file(explicit)
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        data = _read_config(path) if path is not None else {}
    except ConfigError:
        data = {}  # the whole file is unusable: problems[0] says why
    data.update(given)
    name = str(path) if path else "defaults"
    for _ in range(len(data) + 2):
        try:
            return _build(data, name), path, problems
        except ConfigError as exc:
            if str(exc) not in problems:
                problems.append(str(exc))
            if exc.key in data:
                del data[exc.key]
            elif exc.key == "default_language" and data.get("languages"):
                # The default "en" is not among the clinic's languages: start in its first.
                languages = data["languages"]
                data["default_language"] = languages[0] if isinstance(languages, list) else ""
            else:
                break
    # Still wrong: keep at least where the patients' data and keys are (a kiosk must never
    # start saving into another database under another key), and the defaults for the rest.
    kept = {k: v for k, v in data.items() if k in PATH_KEYS or k in given}
    for attempt in (kept, given):
        try:
            return _build(attempt, name), path, problems
        except ConfigError as exc:
            problems.append(str(exc))
    return Settings(), path, problems


# --- managed configuration: files IT publishes as signed update targets -------------------
#
# A clinic group sets most keys once for a site, or for one kiosk, in a file it publishes to
# the update repository (`kiosk content publish-config`, docs/content-updates.md). A kiosk
# takes the files that name it at each update check, checks them together with its own
# file, and keeps what it took in its updates folder; from its next start they win over its
# own file for the keys they set (the site's file first, then the kiosk's). A file never
# sets what is the machine's own: where the patients' data, keys, logs and content are,
# whom the kiosk trusts and where it sends requests, how long it keeps requests, its name
# and its screen mode. A signed file that could would let whoever holds the content key
# take patients' data, or delete requests no one has read.

MANAGED_KEYS = frozenset(
    {
        "clinic_name",
        "time_zone",
        "appointment_url",
        "privacy_notice_url",
        "data_controller_name",
        "data_controller_address",
        "data_controller_email",
        "data_controller_kep",
        "data_controller_phone",
        "data_controller_contact",
        "transfer_abroad",
        "transfer_abroad_details",
        "study",
        "languages",
        "default_language",
        "contact_languages",
        "staff_taps",
        "staff_tap_seconds",
        "staff_idle_seconds",
        "idle_seconds",
        "idle_form_seconds",
        "idle_warning_seconds",
        "attract_mode",
        "attract_seconds",
        "tap_guard_ms",
        "screen_dpi",
        "hide_cursor",
    }
)
# What the kiosk took, in its updates folder: the files' names and texts, in the order
# they apply (one file, replaced in one rename: never half of a new pair).
MANAGED_RECORD = "managed-config.json"


class _ManagedRecord(Struct, forbid_unknown_fields=True, frozen=True):
    files: list[tuple[str, str]]


# A settings file is a few lines; anything near this is not one.
MAX_MANAGED_FILE = 64 * 1024


@dataclass(frozen=True)
class Managed:
    """What managed configuration does to this kiosk's settings: each key it sets and the
    file that set it (the last to), or why none is in effect (``problem``, for the log,
    `kiosk doctor` and `kiosk --version`); and the record it was read from (None: none),
    which the running kiosk compares with the one its update checks keep."""

    keys: dict[str, str]
    problem: str | None = None
    record: bytes | None = None


def managed_targets(settings: Settings) -> tuple[str, ...]:
    """The update targets that configure this kiosk, in the order they apply (none without
    [updates])."""
    updates = settings.updates
    if updates is None:
        return ()
    site = (f"config/site-{updates.site}.toml",) if updates.site else ()
    return (*site, f"config/kiosk-{settings.kiosk_id}.toml")


def managed_record_path(settings: Settings) -> Path:
    return settings.updates_state_path() / MANAGED_RECORD


def decode_managed(text: str, name: str) -> dict[str, object]:
    """The keys of the managed file ``name``. Raises ConfigError: not TOML, or a key it
    may not set."""
    try:
        data = msgspec.toml.decode(text, type=dict[str, object])
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"{name}: cannot decode: {exc}") from None
    for key in sorted(data):
        if key in MANAGED_KEYS:
            continue
        if key in Settings.__struct_fields__:
            raise ConfigError(
                f"{name}: key '{key}' is set in each kiosk's own kiosk.toml, never by a "
                "published file (where data, keys and content are, whom the kiosk trusts, "
                "its name and screen mode)",
                key,
            )
        raise ConfigError(f"{name}: unknown key '{key}'", key)
    return data


def with_managed(local: Settings, files: Sequence[tuple[str, str]]) -> Settings:
    """``local`` (the kiosk's own file) with the managed ``files`` (name, text) applied in
    order, checked as a whole, and never bringing a banned claim to the screen (the go-live
    gate's rule for config texts). A table (``[study]``) replaces the kiosk's whole table.
    Raises ConfigError."""
    from kiosk.golive import config_claims

    data = msgspec.to_builtins(local)  # (its paths absolute already, its defaults given)
    for name, text in files:
        data.update(decode_managed(text, name))
    names = " + ".join(name for name, _text in files) or "defaults"
    settings = _build(data, names)
    had = {(p.path, p.message) for p in config_claims(local)}
    for claim in config_claims(settings):
        if (claim.path, claim.message) not in had:
            raise ConfigError(f"{names}: key '{claim.path}': {claim.message}", claim.path)
    return settings


def encode_managed(files: Sequence[tuple[str, str]]) -> bytes:
    """The record of the managed files a kiosk took (see MANAGED_RECORD)."""
    return msgspec.json.encode(_ManagedRecord(list(files))) + b"\n"


def stored_managed(settings: Settings) -> list[tuple[str, str]]:
    """The managed files this kiosk took that still name it (its site or its id may have
    changed since), in the order they apply. Raises ConfigError: the record is damaged."""
    return _kept_files(settings, read_managed_record(settings))


def read_managed_record(settings: Settings) -> bytes | None:
    """The record of the managed files this kiosk took (None: none). Raises ConfigError."""
    path = managed_record_path(settings)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def _kept_files(settings: Settings, raw: bytes | None) -> list[tuple[str, str]]:
    if raw is None:
        return []
    try:
        record = msgspec.json.decode(raw, type=_ManagedRecord)
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{managed_record_path(settings)}: damaged ({exc})") from None
    wanted = managed_targets(settings)
    return sorted(
        (item for item in record.files if item[0] in wanted), key=lambda f: wanted.index(f[0])
    )


def apply_managed(local: Settings) -> tuple[Settings, Managed]:
    """``local`` with the managed configuration this kiosk took, or ``local`` alone (and
    why) if that no longer fits it: a kiosk always starts, on its own file at worst."""
    if local.updates is None:
        return local, Managed({})
    record = None
    try:
        record = read_managed_record(local)
        files = _kept_files(local, record)
        if not files:
            return local, Managed({}, record=record)
        settings = with_managed(local, files)
    except ConfigError as exc:
        return local, Managed({}, f"managed configuration not used: {exc}", record)
    keys: dict[str, str] = {}
    for name, text in files:
        keys.update(dict.fromkeys(decode_managed(text, name), name))
    return settings, Managed(keys, record=record)


def _key_of(message: str) -> str | None:
    """The top-level key msgspec's message is about ("... - at `$.study.name`")."""
    marker = " - at `$."
    if marker in message:
        return message.rpartition(marker)[2].rstrip("`").split(".")[0].split("[")[0]
    unknown = "Object contains unknown field `"
    if message.startswith(unknown):
        return message[len(unknown) :].split("`")[0]
    return None


def _describe(message: str) -> str:
    """Reword msgspec's "... - at `$.key`" as "key 'key': ..." for clinic IT."""
    # A LocalText key: say what to write, not msgspec's name for the union.
    message = message.replace("`str | object`", "a text or a table of texts by language")
    message = message.replace("Object missing required field", "missing key")
    marker = " - at `$."
    if marker in message:
        text, _, key = message.rpartition(marker)
        return f"key '{key.rstrip('`')}': {text}"
    if message.startswith("Object contains unknown field"):
        return message.replace("Object contains unknown field", "unknown key")
    return message


# --- the front-desk console (`kiosk desk`, docs/staff.md) ---------------------------------

DESK_ENV_VAR = "KIOSK_DESK_CONFIG"


class DeskServer(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """``[server]`` of desk.toml: the group's central PostgreSQL, as the kiosks' ``[fleet]``
    names it. The desk signs in with each staff member's account: no certificate."""

    host: Annotated[str, Meta(min_length=1, max_length=253)]
    port: Annotated[int, Meta(ge=1, le=65535)] = 5432
    database: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{1,63}$")] = "kiosks"
    # The group's CA, which signed the server's certificate (`kiosk fleet server-cert`).
    ca_file: Annotated[str, Meta(min_length=1)]


class DeskSettings(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """desk.toml: the console on a reception PC."""

    server: DeskServer
    # The console's language (a content folder with a desk.json); not set: the kiosk's default.
    language: LANG_CODE = msgspec.field(default_factory=_default_language)
    time_zone: str = "Europe/Istanbul"
    # Signed out after this long unused (no key, click, wheel or mouse movement): the screen
    # shows patients' data.
    idle_minutes: Annotated[int, Meta(ge=1, le=240)] = 10
    content_dir: str | None = None
    log_dir: str | None = None

    def zone(self) -> dt.tzinfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def content_path(self) -> Path:
        return (
            Path(self.content_dir).expanduser() if self.content_dir else paths.bundled_content_dir()
        )


def default_desk_config_file() -> Path:
    return paths.default_config_file().with_name("desk.toml")


def load_desk_settings(explicit: str | os.PathLike[str] | None = None) -> tuple[DeskSettings, Path]:
    """desk.toml from ``--config``, $KIOSK_DESK_CONFIG or the platform's config folder; paths
    in it relative to it. Raises ConfigError."""
    path = Path(explicit or os.environ.get(DESK_ENV_VAR) or default_desk_config_file())
    if not path.is_file():
        raise ConfigError(
            f"{path}: no desk configuration: write one as docs/staff.md shows, or name it "
            "with --config"
        )
    data = _read_config(path)
    server = data.get("server")
    if isinstance(server, dict):
        data["server"] = _next_to(path, dict(server), ("ca_file",))
    try:
        settings = msgspec.convert(data, type=DeskSettings, str_keys=True)
    except msgspec.ValidationError as exc:
        message = _describe(str(exc))
        raise ConfigError(f"{path}: {message}", _key_of(str(exc))) from None
    _check_zone(settings.time_zone, str(path))
    return settings, path
