"""The kiosk's side of content updates: TUF's client (python-tuf's ngclient) reading a
repository over HTTPS or from a USB stick, then the bundle unpacked, checked and switched
to (kiosk.releases).

Both sources share one trusted state: a stick older than what the server already gave is
refused like an old server (TUF's rollback protection), and a stick is as untrusted as the
network: every byte is checked against signed metadata.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import Metadata, TargetFile
from tuf.api.serialization import DeserializationError
from tuf.ngclient import Updater
from tuf.ngclient.fetcher import FetcherInterface

from kiosk import releases
from kiosk.updates.repository import CONTENT_TARGET, EXPIRY_DAYS

if TYPE_CHECKING:
    from kiosk.config import Settings

log = logging.getLogger(__name__)

# The URL a USB stick's repository is read under (never fetched from a network).
_STICK = "stick:"
# The folder on a USB stick that holds a copy of the repository (docs/content-updates.md).
STICK_FOLDER = "kiosk-repo"
_CHUNK = 256 * 1024


class UpdateError(Exception):
    """Why an update was not applied, as ``kind`` (for the staff screen, the heartbeat and
    the log) and a sentence for IT:

    ``unreachable`` the repository could not be read; ``expired`` its signatures are out of
    date (a stick: made too long ago); ``older`` it is older than what this kiosk already
    has (a rollback); ``tampered`` a file does not match what was signed; ``clock`` this
    kiosk's clock is behind the last time it trusted; ``invalid`` the content does not pass
    the kiosk's checks; ``setup`` no trusted root to start from.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Source:
    """Where a repository is: an ``https://`` address (``ca_file``: the clinic's own CA,
    if its server's certificate is not from a public one), or a folder (a USB stick's)."""

    url: str | None = None
    folder: Path | None = None
    ca_file: Path | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.folder is None):
            raise ValueError("a source is an address or a folder")
        if self.url is not None and urlsplit(self.url).scheme != "https":
            raise ValueError("a repository's address starts with https://")

    @property
    def is_stick(self) -> bool:
        return self.folder is not None

    def base(self) -> str:
        return _STICK if self.folder is not None else (self.url or "").rstrip("/") + "/"


class FolderFetcher(FetcherInterface):
    """Reads ``stick:`` addresses from a folder (a mounted USB stick); a missing file is a
    404, as TUF expects of a server (it looks for the next root that way)."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder.resolve()

    def _fetch(self, url: str) -> Iterator[bytes]:
        relative = unquote(url.removeprefix(_STICK))
        path = (self._folder / relative).resolve()
        if not path.is_relative_to(self._folder) or not path.is_file():
            raise tuf_errors.DownloadHTTPError(f"not on the stick: {relative}", 404)
        return self._chunks(path)

    @staticmethod
    def _chunks(path: Path) -> Iterator[bytes]:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                yield chunk


class HttpsFetcher(FetcherInterface):
    """HTTPS through urllib3 (TUF's own fetcher, with the clinic's CA when it has one)."""

    def __init__(self, ca_file: Path | None, timeout_s: float = 30.0) -> None:
        import urllib3

        self._timeout = urllib3.Timeout(connect=timeout_s, read=timeout_s)
        self._pool = urllib3.PoolManager(
            ca_certs=str(ca_file) if ca_file else None,
            headers={"User-Agent": "clinic-kiosk"},
            retries=urllib3.Retry(total=2, redirect=0),
        )

    def _fetch(self, url: str) -> Iterator[bytes]:
        import urllib3

        try:
            response = self._pool.request("GET", url, preload_content=False, timeout=self._timeout)
        except urllib3.exceptions.MaxRetryError as exc:
            if isinstance(exc.reason, urllib3.exceptions.TimeoutError):
                raise tuf_errors.SlowRetrievalError from exc
            raise
        if response.status >= 400:
            response.close()
            raise tuf_errors.DownloadHTTPError(f"HTTP {response.status}", response.status)
        return self._chunks(response)

    @staticmethod
    def _chunks(response: object) -> Iterator[bytes]:
        import urllib3

        try:
            yield from response.stream(_CHUNK)  # type: ignore[attr-defined]
        except urllib3.exceptions.TimeoutError as exc:
            raise tuf_errors.SlowRetrievalError from exc
        finally:
            response.release_conn()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Fetched:
    """A bundle TUF verified, in the kiosk's download cache: its SHA-256 and size, the
    targets version that named it, and when the repository's timestamp expires."""

    path: Path
    sha256: str
    length: int
    targets_version: int | None
    expires: dt.datetime | None


class Floor:
    """The earliest this kiosk's clock may be: when the repository signed the newest
    timestamp this kiosk trusted (its expiry less its lifetime: a time from IT's signing
    machine, not from this clock, which may have been fast). TUF judges expiry by the
    clock; a clock set back would let an old, expired stick look fresh, so no update is
    applied below the floor."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def value(self) -> dt.datetime | None:
        try:
            stored = dt.datetime.fromisoformat(self._path.read_text("ascii").strip())
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        return stored if stored.tzinfo is not None else None

    def check(self, now: dt.datetime, at_least: dt.datetime | None = None) -> None:
        """Raise UpdateError ("clock") if ``now`` is below the floor, or below ``at_least``
        (when the root the kiosk trusts was signed: a kiosk never checked yet has that)."""
        floor = self.value()
        if at_least is not None and (floor is None or at_least > floor):
            floor = at_least
        if floor is not None and now < floor:
            raise UpdateError(
                "clock",
                f"this kiosk's clock ({now:%Y-%m-%d %H:%M} UTC) is behind the last time it "
                f"trusted ({floor:%Y-%m-%d %H:%M} UTC): set the clock, then update",
            )

    def raise_to(self, now: dt.datetime) -> None:
        floor = self.value()
        if floor is not None and now <= floor:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        partial = self._path.with_name(self._path.name + ".tmp")
        partial.write_text(now.isoformat(timespec="seconds") + "\n", "ascii")
        os.replace(partial, self._path)


def _classify(exc: Exception, source: Source) -> UpdateError:
    if isinstance(exc, tuf_errors.ExpiredMetadataError):
        # TUF names the role: each is renewed another way (docs/content-updates.md).
        text = str(exc)
        if "root" in text:
            return UpdateError(
                "expired", "the repository's root has expired: IT must run "
                "`kiosk content keys renew-root` (two root key holders)",
            )  # fmt: skip
        if "targets" in text:
            return UpdateError(
                "expired", "the repository's content signature has expired: IT must run "
                "`kiosk content resign --targets` (the targets key)",
            )  # fmt: skip
        if source.is_stick:
            return UpdateError("expired", "this update stick is too old: make a new one")
        return UpdateError(
            "expired",
            "the repository's signatures have expired: IT must run `kiosk content resign` "
            "(daily, on a timer)",
        )
    if isinstance(exc, tuf_errors.BadVersionNumberError):
        return UpdateError("older", "this update is older than the content this kiosk already has")
    if isinstance(
        exc,
        tuf_errors.LengthOrHashMismatchError
        | tuf_errors.DownloadLengthMismatchError
        | tuf_errors.UnsignedMetadataError,
    ):
        return UpdateError("tampered", f"a file does not match what was signed ({exc})")
    if isinstance(exc, tuf_errors.DownloadHTTPError) and exc.status_code == 404:
        return UpdateError("unreachable", "the repository is incomplete or not there (404)")
    if isinstance(exc, tuf_errors.DownloadError | OSError):
        return UpdateError("unreachable", f"the repository could not be read ({exc})")
    if isinstance(exc, tuf_errors.RepositoryError):
        return UpdateError("tampered", f"the repository's metadata was refused ({exc})")
    return UpdateError("unreachable", f"{type(exc).__name__}: {exc}")


class Client:
    """One kiosk's updater: its trusted TUF state and download cache in ``state``, the root
    it was shipped with (``bootstrap``: the repository's first root, trusted on first use
    only while no newer root is known), and its time floor."""

    def __init__(self, state: Path, bootstrap: bytes | None):
        self.state = state
        self.metadata_dir = state / "metadata"
        self.download_dir = state / "downloads"
        self._bootstrap = bootstrap
        self.floor = Floor(state / "time-floor")

    def fetch(
        self,
        source: Source,
        name: str = CONTENT_TARGET,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> Fetched | None:
        """Refresh the metadata from ``source`` and download ``name`` if the repository has
        it (None: it does not yet). Everything TUF checks is checked: signatures and
        thresholds, versions (no rollback), expiry, lengths and hashes. Raises
        UpdateError."""
        return self.fetch_all(source, (name,), now)[name]

    def fetch_all(
        self,
        source: Source,
        names: Iterable[str],
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> dict[str, Fetched | None]:
        """:meth:`fetch` of each of ``names``, after one refresh of the metadata."""
        self.floor.check(now(), self._root_signed())
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        self.download_dir.mkdir(parents=True, exist_ok=True)
        # The shipped root is the trust anchor at every check (python-tuf then walks the
        # roots it keeps, root_history/, to the newest); without one, the root kept here.
        cached = (self.metadata_dir / "root.json").exists()
        if not cached and self._bootstrap is None:
            raise UpdateError("setup", "this kiosk has no trusted root for its updates")
        fetcher: FetcherInterface
        if source.folder is not None:
            fetcher = FolderFetcher(source.folder)
        else:
            fetcher = HttpsFetcher(source.ca_file)
        base = source.base()
        try:
            updater = Updater(
                metadata_dir=str(self.metadata_dir),
                metadata_base_url=base + "metadata/",
                target_dir=str(self.download_dir),
                target_base_url=base + "targets/",
                fetcher=fetcher,
                bootstrap=self._bootstrap,
            )
            updater.refresh()
            found: dict[str, tuple[TargetFile, str] | None] = {}
            for name in names:
                info = updater.get_targetinfo(name)
                if info is None:
                    found[name] = None
                else:
                    path = updater.find_cached_target(info) or updater.download_target(info)
                    found[name] = (info, path)
        except UpdateError:
            raise
        except Exception as exc:  # TUF's and the fetcher's errors, classified
            raise _classify(exc, source) from exc
        trusted = self.trusted()
        if trusted.expires is not None:
            self.floor.raise_to(trusted.expires - dt.timedelta(days=EXPIRY_DAYS["timestamp"]))
        fetched: dict[str, Fetched | None] = {}
        for name, got in found.items():
            if got is None:
                fetched[name] = None
                continue
            info, path = got
            digest = info.hashes.get("sha256") or _sha256(Path(path))
            fetched[name] = Fetched(
                Path(path), digest, info.length, trusted.targets_version, trusted.expires
            )
        return fetched

    def _root_signed(self) -> dt.datetime | None:
        """When the newest root this kiosk trusts (kept, or shipped with it) was signed:
        its expiry less a root's lifetime. A clock behind it is wrong whatever else: the
        floor of a kiosk that never checked yet (as good as its build's time)."""
        newest: dt.datetime | None = None
        kept = self.metadata_dir / "root.json"
        for data in (self._bootstrap, kept.read_bytes() if kept.is_file() else None):
            if data is None:
                continue
            try:
                signed = Metadata.from_bytes(data).signed.expires
            except (DeserializationError, ValueError):
                continue  # (TUF itself refuses it, and says so)
            # (less a day: the root is signed on an offline laptop whose clock may run fast)
            signed -= dt.timedelta(days=EXPIRY_DAYS["root"] + 1)
            newest = signed if newest is None or signed > newest else newest
        return newest

    def trusted(self) -> Trusted:
        """What the last successful check trusted (the files TUF keeps once verified)."""
        try:
            timestamp = Metadata.from_bytes((self.metadata_dir / "timestamp.json").read_bytes())
            targets = Metadata.from_bytes((self.metadata_dir / "targets.json").read_bytes())
        except (OSError, DeserializationError):
            return Trusted(None, None)
        return Trusted(targets.signed.version, timestamp.signed.expires)


@dataclass(frozen=True)
class Trusted:
    """The targets version and the timestamp's expiry this kiosk last trusted (None:
    never checked)."""

    targets_version: int | None
    expires: dt.datetime | None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ConfigPlan:
    """The managed configuration files a kiosk takes (kiosk.config): the targets that name
    it, in the order they apply; where it keeps what it took; and the check of a set of
    them (name, text) with its own file, which raises ConfigError."""

    targets: tuple[str, ...]
    record: Path
    validate: Callable[[list[tuple[str, str]]], object]


@dataclass(frozen=True)
class Applied:
    """What one check changed: the release switched to (None: none), whether the kept
    configuration changed, and what was refused (the content's refusal first; both when
    both were)."""

    release: Path | None
    config_changed: bool = False
    refused: UpdateError | None = None


def apply(
    client: Client,
    source: Source,
    releases_root: Path,
    validate: Callable[[Path], str],
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    config: ConfigPlan | None = None,
) -> Path | None:
    """:func:`apply_all`; returns the release switched to, or None (nothing new). Raises
    UpdateError for anything refused."""
    applied = apply_all(client, source, releases_root, validate, now, config)
    if applied.refused is not None:
        raise applied.refused
    return applied.release


def apply_all(
    client: Client,
    source: Source,
    releases_root: Path,
    validate: Callable[[Path], str],
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    config: ConfigPlan | None = None,
) -> Applied:
    """Fetch the content bundle from ``source`` and, if it is not the release in use,
    unpack, check and switch to it; then, on their own, the configuration files ``config``
    names, kept if they pass their check (:func:`take_config`). Raises UpdateError when
    the repository itself is refused (nothing changes); what the kiosk's checks refuse
    (``invalid``: it stays on what it has) is in the result."""
    names = (CONTENT_TARGET, *(config.targets if config else ()))
    fetched = client.fetch_all(source, names, now)
    release: Path | None = None
    refused: UpdateError | None = None
    changed = False
    try:
        release = _switch(fetched[CONTENT_TARGET], releases_root, validate)
    except UpdateError as exc:
        refused = exc
    if config is not None:
        try:
            changed = take_config(config, fetched)
        except UpdateError as exc:
            refused = exc if refused is None else UpdateError(refused.kind, f"{refused}; {exc}")
    return Applied(release, changed, refused)


def take_config(plan: ConfigPlan, fetched: dict[str, Fetched | None]) -> bool:
    """Keep the configuration files ``fetched`` for ``plan`` (those the repository no longer
    has are dropped) if, together, they pass the kiosk's checks; whether what the kiosk
    keeps changed (the running kiosk then restarts between visits). Raises UpdateError
    (``invalid``: it keeps what it had)."""
    from kiosk.config import MAX_MANAGED_FILE, ConfigError, encode_managed
    from kiosk.content import UTF8_BOM, text_problem

    files: list[tuple[str, str]] = []
    for name in plan.targets:
        got = fetched.get(name)
        if got is None:
            continue
        if got.length > MAX_MANAGED_FILE:
            raise UpdateError("invalid", f"configuration not taken: {name}: too large")
        raw = got.path.read_bytes().removeprefix(UTF8_BOM)
        if problem := text_problem(raw):
            raise UpdateError("invalid", f"configuration not taken: {name}: {problem}")
        files.append((name, raw.decode("utf-8")))
    try:
        plan.validate(files)
    except ConfigError as exc:
        raise UpdateError("invalid", f"configuration not taken: {exc}") from exc
    try:
        kept: bytes | None = plan.record.read_bytes()
    except FileNotFoundError:
        kept = None
    if not files:
        if kept is None:
            return False
        plan.record.unlink()
        log.info("managed_config_dropped")
        return True
    record = encode_managed(files)
    if record == kept:
        return False
    plan.record.parent.mkdir(parents=True, exist_ok=True)
    partial = plan.record.with_name(plan.record.name + ".tmp")
    with partial.open("wb") as handle:
        handle.write(record)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, plan.record)
    log.info("managed_config_taken files=%s", ",".join(name for name, _text in files))
    return True


def _switch(
    fetched: Fetched | None, releases_root: Path, validate: Callable[[Path], str]
) -> Path | None:
    if fetched is None:
        return None
    in_use = releases.current(releases_root)
    if in_use is not None and in_use.name.endswith("-" + fetched.sha256[:12]):
        return None
    try:
        release = releases.unpack(releases_root, fetched.path, fetched.sha256, validate)
    except releases.ReleaseError as exc:
        raise UpdateError("invalid", str(exc)) from exc
    releases.switch(releases_root, release)
    releases.collect(releases_root)
    return release


@dataclass(frozen=True)
class Checked:
    """One update check, as the kiosk records it (``last-check.json``) for `kiosk --version`,
    `kiosk doctor` and the staff screen: when, the outcome (``updated``, ``current``, or an
    UpdateError's kind), a sentence for IT, and the release switched to."""

    at: str
    outcome: str
    message: str
    release: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("updated", "current")


def _checked_path(state: Path) -> Path:
    return state / "last-check.json"


def last_check(state: Path) -> Checked | None:
    """The last check recorded in ``state`` (None: never, or the record is unreadable)."""
    import json

    try:
        data = json.loads(_checked_path(state).read_text("utf-8"))
        return Checked(
            str(data["at"]), str(data["outcome"]), str(data["message"]), data.get("release")
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _record(state: Path, checked: Checked) -> None:
    import dataclasses
    import json

    state.mkdir(parents=True, exist_ok=True)
    partial = _checked_path(state).with_suffix(".tmp")
    partial.write_text(json.dumps(dataclasses.asdict(checked)) + "\n", "utf-8")
    os.replace(partial, _checked_path(state))


def check(
    state: Path,
    bootstrap: bytes | None,
    source: Source,
    releases_root: Path,
    validate: Callable[[Path], str] = releases.check_content,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    config: ConfigPlan | None = None,
) -> Checked:
    """One update check: :func:`apply`, its outcome recorded and logged (never raises for
    what an update can meet: the kiosk carries on with what it has)."""
    from filelock import FileLock, Timeout

    at = now().isoformat(timespec="seconds")
    try:
        state.mkdir(parents=True, exist_ok=True)
        # One check at a time: the running kiosk's and IT's `kiosk content update`.
        with FileLock(state / ".check.lock", timeout=0):
            applied = apply_all(
                Client(state, bootstrap), source, releases_root, validate, now, config
            )
    except Timeout:
        return Checked(at, "busy", "another update check is running")
    except OSError as exc:  # unpacking, the pointer, the state: a full disk, a locked file
        checked = Checked(at, "disk", f"the kiosk could not write the update ({exc.strerror})")
        log.warning("content_update_failed kind=disk detail=%s", exc.strerror)
    except UpdateError as exc:
        checked = Checked(at, exc.kind, str(exc))
        log.warning("content_update_failed kind=%s detail=%s", exc.kind, exc)
    else:
        checked = _checked(at, applied)
    try:
        _record(state, checked)
    except OSError as exc:
        log.warning("content_update_unrecorded error=%s", exc.strerror)
    return checked


def _checked(at: str, applied: Applied) -> Checked:
    """A check's record: what changed, and what was refused (then its outcome)."""
    release = applied.release
    parts = [f"switched to {release.name}"] if release is not None else []
    if release is not None:
        log.info("content_updated release=%s", release.name)
    if applied.refused is not None:
        parts.append(str(applied.refused))
    elif release is None:
        parts.append("the content in use is the newest")
    if applied.config_changed:
        parts.append("new settings taken (the kiosk restarts between visits)")
    message = "; ".join(parts)
    name = release.name if release is not None else None
    if applied.refused is not None:
        log.warning("content_update_failed kind=%s detail=%s", applied.refused.kind, message)
        return Checked(at, applied.refused.kind, message, name)
    changed = release is not None or applied.config_changed
    return Checked(at, "updated" if changed else "current", message, name)


@dataclass(frozen=True)
class Status:
    """What `kiosk --version`, `kiosk doctor` and the staff screen say about updates: the
    release in use (None: the content the kiosk was installed with), until when the
    repository's signatures hold as last trusted, and the last check."""

    release: str | None
    expires: dt.datetime | None
    last: Checked | None


def status(state: Path, releases_root: Path) -> Status:
    in_use = releases.current(releases_root)
    trusted = Client(state, None).trusted()
    return Status(in_use.name if in_use else None, trusted.expires, last_check(state))


def stick_repositories(roots: Iterable[Path]) -> list[Path]:
    """The repository copies (``kiosk-repo/``) on the sticks mounted at ``roots``."""
    found = []
    for root in roots:
        folder = root / STICK_FOLDER
        with contextlib.suppress(OSError):
            if (folder / "metadata" / "timestamp.json").is_file():
                found.append(folder)
    return found


def source_for(settings: Settings, where: str | Path | None = None) -> Source | None:
    """Where to check: ``where`` (an https:// address or a folder), or the configured
    address; None when there is neither. Raises ValueError for an address that is not
    https://."""
    updates = settings.updates
    if updates is None:
        return None
    if where is None:
        where = updates.url
    if where is None:
        return None
    if isinstance(where, str) and where.startswith("https://"):
        return Source(url=where, ca_file=updates.ca_path())
    if isinstance(where, str) and "://" in where:
        raise ValueError("a repository's address starts with https://")
    return Source(folder=Path(where).expanduser())


def config_plan(local: Settings) -> ConfigPlan:
    """The managed configuration of the kiosk whose own file gave ``local``."""
    from kiosk import config

    return ConfigPlan(
        config.managed_targets(local),
        config.managed_record_path(local),
        functools.partial(config.with_managed, local),
    )


def check_configured(settings: Settings, source: Source, local: Settings | None = None) -> Checked:
    """One check for the kiosk ``settings`` describe: its trusted root, its state and
    releases beside its database, content checked as at its start (with its default
    language), and the configuration files that name it, checked with its own file
    (``local``: its settings before them; default ``settings``)."""
    updates = settings.updates
    if updates is None:
        raise ValueError("no [updates] in the settings")
    try:
        bootstrap: bytes | None = updates.root_path().read_bytes()
    except OSError:
        bootstrap = None  # the root kept from earlier checks, or "setup"
    validate = functools.partial(releases.check_content, languages=(settings.default_language,))
    return check(
        settings.updates_state_path(),
        bootstrap,
        source,
        settings.releases_path(),
        validate,
        config=config_plan(local or settings),
    )
