"""IT's side of content updates: a TUF repository in a folder, signed with the keys of
kiosk.updates.keys, served as plain files by any web server or copied to a USB stick.

Consistent snapshots: every version of the metadata and every bundle keeps a file of its
own (``3.targets.json``, ``<sha256>.content.tar.gz``) and only ``timestamp.json`` is
replaced, last, so a kiosk reading while IT publishes sees the old set or the new one,
never half of each. The keys and expiry follow docs/content-updates.md (root 2 of 3 and
targets offline, snapshot and timestamp online and re-signed daily).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization import DeserializationError

from kiosk import crypto
from kiosk.updates import keys

# How long each role's signature holds (days). The timestamp is re-signed every day by
# `kiosk content resign` on a timer: a kiosk refuses metadata past its expiry, so a
# repository nobody re-signs stops all updates within a week (and says so).
EXPIRY_DAYS = {"root": 365, "targets": 90, "snapshot": 30, "timestamp": 7}
# The content bundle's name as a target; a configuration file is "config/<name>".
CONTENT_TARGET = "content.tar.gz"
CONFIG_PREFIX = "config/"


class RepositoryError(Exception):
    """The repository folder or its keys cannot do what was asked: the text says why."""


@dataclass(frozen=True)
class RootPlan:
    """How many root keys there are, and how many must sign a new root."""

    keys: int = 3
    threshold: int = 2


@dataclass(frozen=True)
class Published:
    """What a publish left: the target's name, its bundle's SHA-256 and size, and the new
    version of the targets metadata (what kiosks report)."""

    name: str
    sha256: str
    length: int
    version: int


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _write_file(path: Path, data: bytes) -> None:
    """Atomically: a temporary file, fsync, rename (a web server never serves half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".publish-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # served to every kiosk: nothing in it is secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pack(content_dir: Path) -> bytes:
    """The content folder as a gzip'd tar, the same bytes for the same files: entries in
    name order, no times, owners or modes of the machine that packed it."""
    buffer = io.BytesIO()
    links = [p for p in content_dir.rglob("*") if p.is_symlink()]
    if links:
        # What a kiosk unpacks must be what `content check` read here: no links at all.
        raise RepositoryError(f"{links[0]}: a link in the content folder; copy the file in")
    files = sorted(p for p in content_dir.rglob("*") if p.is_file())
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in files:
            relative = path.relative_to(content_dir).as_posix()
            if any(part.startswith(".") for part in relative.split("/")):
                continue  # an editor's or the system's hidden files are not content
            data = path.read_bytes()
            info = tarfile.TarInfo(relative)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Repository:
    """A repository folder: ``metadata/`` and ``targets/``, and the keys in ``keys_dir``
    (one folder, or several: the host's online keys and the targets key on its stick)."""

    def __init__(self, folder: Path, keys_dir: Path | Sequence[Path]) -> None:
        self.folder = folder
        self.keys_dirs = [keys_dir] if isinstance(keys_dir, Path) else list(keys_dir)
        self.keys_dir = self.keys_dirs[0]  # where a new key is written
        self.metadata_dir = folder / "metadata"
        self.targets_dir = folder / "targets"

    # --- reading ---------------------------------------------------------------------------

    def load(self, role: str) -> Metadata[Any]:
        """The newest metadata of ``role`` (its unversioned copy)."""
        path = self.metadata_dir / f"{role}.json"
        try:
            return Metadata.from_bytes(path.read_bytes())
        except FileNotFoundError:
            raise RepositoryError(
                f"{self.folder}: not a content repository (no metadata/{role}.json); "
                "create one with `kiosk content keys init`"
            ) from None
        except (DeserializationError, OSError) as exc:
            raise RepositoryError(f"{path}: unreadable or damaged ({exc})") from None

    def root(self) -> Metadata[Root]:
        return self.load("root")

    def expiry(self) -> dict[str, dt.datetime]:
        """When each role's newest metadata expires."""
        return {role: self.load(role).signed.expires for role in keys.ROLES}

    # --- keys ------------------------------------------------------------------------------

    def _role_key_files(self, role: str) -> list[Path]:
        return sorted(p for folder in self.keys_dirs for p in folder.glob(f"{role}-*.json"))

    def signers(
        self,
        role: str,
        passphrases: Callable[[Path], str | None] = lambda _path: None,
        root: Root | None = None,
    ) -> list[keys.KeySigner]:
        """The signers of ``role`` whose files are here and whose keys ``root`` (default:
        the repository's) names for it; ``passphrases`` is asked for each offline key (None
        skips it). Raises KeysError when fewer than the role's threshold open."""
        root = root or self.root().signed
        wanted = set(root.roles[role].keyids)
        out: list[keys.KeySigner] = []
        try:
            for path in self._role_key_files(role):
                key_file = keys.read(path)
                if key_file.keyid not in wanted:
                    continue  # a key rotated out
                passphrase = passphrases(path) if key_file.key.kdf != "none" else None
                if key_file.key.kdf != "none" and passphrase is None:
                    continue
                out.append(keys.load_signer(path, passphrase))
        except BaseException:
            _wipe(out)
            raise
        threshold = root.roles[role].threshold
        if len(out) < threshold:
            _wipe(out)
            raise crypto.KeysError(
                f"the {role} role needs {threshold} of its keys; {len(out)} could be opened "
                f"from {', '.join(str(d) for d in self.keys_dirs)}"
            )
        return out

    def lock(self) -> Any:
        """One writer at a time (the daily re-signing and a publish)."""
        from filelock import FileLock

        return FileLock(self.folder / ".lock", timeout=60)

    # --- writing ---------------------------------------------------------------------------

    def _sign_and_write(
        self, metadata: Metadata[Any], role: str, signers: Sequence[keys.KeySigner]
    ) -> None:
        metadata.signatures.clear()
        for signer in signers:
            metadata.sign(signer, append=True)
        data = metadata.to_bytes()
        if role != "timestamp":  # consistent snapshots: every version keeps its own file
            _write_file(self.metadata_dir / f"{metadata.signed.version}.{role}.json", data)
        _write_file(self.metadata_dir / f"{role}.json", data)

    def _bump(self, metadata: Metadata[Any], role: str, now: dt.datetime) -> None:
        metadata.signed.version += 1
        metadata.signed.expires = now + dt.timedelta(days=EXPIRY_DAYS[role])

    def _snapshot_and_timestamp(
        self,
        now: dt.datetime,
        snapshot_signers: Sequence[keys.KeySigner],
        timestamp_signers: Sequence[keys.KeySigner],
    ) -> None:
        """A new snapshot naming the newest targets, then a new timestamp naming it: the
        timestamp is what kiosks read first, so it is written last."""
        snapshot = self.load("snapshot")
        snapshot.signed.meta["targets.json"] = MetaFile(version=self.load("targets").signed.version)
        self._bump(snapshot, "snapshot", now)
        self._sign_and_write(snapshot, "snapshot", snapshot_signers)
        self._timestamp(now, timestamp_signers)

    def _timestamp(self, now: dt.datetime, signers: Sequence[keys.KeySigner]) -> None:
        timestamp = self.load("timestamp")
        timestamp.signed.snapshot_meta = MetaFile(version=self.load("snapshot").signed.version)
        self._bump(timestamp, "timestamp", now)
        self._sign_and_write(timestamp, "timestamp", signers)


def _wipe(*groups: Sequence[keys.KeySigner] | None) -> None:
    for group in groups:
        for signer in group or ():
            signer.wipe()


def init(
    folder: Path,
    keys_dir: Path,
    root_passphrases: Sequence[str],
    targets_passphrase: str,
    plan: RootPlan = RootPlan(),
    cost: crypto.KdfCost = crypto.DEFAULT_COST,
    now: dt.datetime | None = None,
) -> Path:
    """A new repository in ``folder`` and its keys in ``keys_dir``: ``plan.keys`` root keys
    (each under its passphrase), a targets key under ``targets_passphrase``, and the
    snapshot and timestamp keys. Publishes an empty set, so kiosks can check it at once.
    Returns the first root's file: what each kiosk is given to trust. Refuses to touch an
    existing repository or key."""
    now = now or _now()
    if not 1 <= plan.threshold <= plan.keys:
        raise RepositoryError("the root's threshold must be between 1 and its number of keys")
    if len(root_passphrases) != plan.keys:
        raise RepositoryError(f"{plan.keys} root keys need {plan.keys} passphrases")
    if (folder / "metadata").exists():
        raise RepositoryError(f"{folder}: a repository is already there; nothing changed")
    existing = sorted(keys_dir.glob("*.json")) if keys_dir.exists() else []
    if existing:
        raise RepositoryError(f"{keys_dir}: keys are already there; nothing changed")
    signers: dict[str, list[keys.KeySigner]] = {role: [] for role in keys.ROLES}
    try:
        for n, passphrase in enumerate(root_passphrases, start=1):
            signers["root"].append(keys.create(keys_dir, "root", n, passphrase, cost))
        signers["targets"].append(keys.create(keys_dir, "targets", 1, targets_passphrase, cost))
        for role in keys.ONLINE:
            signers[role].append(keys.create(keys_dir, role, 1, None, cost))

        root = Root(expires=now + dt.timedelta(days=EXPIRY_DAYS["root"]), consistent_snapshot=True)
        for role, role_signers in signers.items():
            for signer in role_signers:
                root.add_key(signer.public_key, role)
        root.roles["root"].threshold = plan.threshold
        repo = Repository(folder, keys_dir)
        repo.targets_dir.mkdir(parents=True, exist_ok=True)
        repo._sign_and_write(Metadata(root), "root", signers["root"])

        targets = Metadata(Targets(expires=now + dt.timedelta(days=EXPIRY_DAYS["targets"])))
        repo._sign_and_write(targets, "targets", signers["targets"])
        snapshot = Metadata(Snapshot(expires=now + dt.timedelta(days=EXPIRY_DAYS["snapshot"])))
        snapshot.signed.meta["targets.json"] = MetaFile(version=1)
        repo._sign_and_write(snapshot, "snapshot", signers["snapshot"])
        timestamp = Metadata(Timestamp(expires=now + dt.timedelta(days=EXPIRY_DAYS["timestamp"])))
        timestamp.signed.snapshot_meta = MetaFile(version=1)
        repo._sign_and_write(timestamp, "timestamp", signers["timestamp"])
    finally:
        _wipe(*signers.values())
    return repo.metadata_dir / "1.root.json"


def publish(
    folder: Path,
    keys_dir: Path | Sequence[Path],
    name: str,
    data: bytes,
    targets_passphrase: Callable[[Path], str | None],
    now: dt.datetime | None = None,
) -> Published:
    """``data`` as the target ``name`` (the content bundle, or a configuration file): its
    file, then new targets, snapshot and timestamp metadata, in that order. Every key is
    opened before anything is written: a missing one changes nothing."""
    now = now or _now()
    repo = Repository(folder, keys_dir)
    with repo.lock():
        targets_signers = repo.signers("targets", targets_passphrase)
        online: list[list[keys.KeySigner]] = []
        try:
            online = [repo.signers("snapshot"), repo.signers("timestamp")]
            target = TargetFile.from_data(name, data, ["sha256"])
            digest = target.hashes["sha256"]
            _write_file(repo.targets_dir / _hashed(name, digest), data)
            targets = repo.load("targets")
            targets.signed.targets[name] = target
            repo._bump(targets, "targets", now)
            repo._sign_and_write(targets, "targets", targets_signers)
            repo._snapshot_and_timestamp(now, *online)
        finally:
            _wipe(targets_signers, *online)
    return Published(name, digest, len(data), targets.signed.version)


def withdraw(
    folder: Path,
    keys_dir: Path | Sequence[Path],
    name: str,
    targets_passphrase: Callable[[Path], str | None],
    now: dt.datetime | None = None,
) -> int | None:
    """Take the target ``name`` out of the repository (a configuration file no longer
    wanted: kiosks drop it at their next check): new targets, snapshot and timestamp
    metadata. Returns the new targets version, or None: the repository has no such target
    (nothing changed)."""
    now = now or _now()
    repo = Repository(folder, keys_dir)
    with repo.lock():
        if name not in repo.load("targets").signed.targets:
            return None
        targets_signers = repo.signers("targets", targets_passphrase)
        online: list[list[keys.KeySigner]] = []
        try:
            online = [repo.signers("snapshot"), repo.signers("timestamp")]
            targets = repo.load("targets")
            del targets.signed.targets[name]
            repo._bump(targets, "targets", now)
            repo._sign_and_write(targets, "targets", targets_signers)
            repo._snapshot_and_timestamp(now, *online)
        finally:
            _wipe(targets_signers, *online)
    return targets.signed.version


def _hashed(name: str, digest: str) -> str:
    """A target's file under consistent snapshots: its hash before its base name."""
    head, _, base = name.rpartition("/")
    return f"{head}/{digest}.{base}" if head else f"{digest}.{base}"


def resign(
    folder: Path,
    keys_dir: Path | Sequence[Path],
    now: dt.datetime | None = None,
    targets_passphrase: Callable[[Path], str | None] | None = None,
) -> list[str]:
    """Renew what is due: the timestamp always; the snapshot once half its time is gone;
    the targets when their passphrase is given (they are signed offline). Returns the roles
    signed anew."""
    now = now or _now()
    repo = Repository(folder, keys_dir)
    with repo.lock():
        half = dt.timedelta(days=EXPIRY_DAYS["snapshot"] / 2)
        snapshot_due = (
            targets_passphrase is not None or repo.load("snapshot").signed.expires - now < half
        )
        targets_signers: list[keys.KeySigner] = []
        snapshot_signers: list[keys.KeySigner] = []
        timestamp_signers: list[keys.KeySigner] = []
        try:
            if targets_passphrase is not None:
                targets_signers = repo.signers("targets", targets_passphrase)
            if snapshot_due:
                snapshot_signers = repo.signers("snapshot")
            timestamp_signers = repo.signers("timestamp")
            renewed: list[str] = []
            if targets_signers:
                targets = repo.load("targets")
                repo._bump(targets, "targets", now)
                repo._sign_and_write(targets, "targets", targets_signers)
                renewed.append("targets")
            if snapshot_due:
                repo._snapshot_and_timestamp(now, snapshot_signers, timestamp_signers)
                renewed += ["snapshot", "timestamp"]
            else:
                repo._timestamp(now, timestamp_signers)
                renewed.append("timestamp")
        finally:
            _wipe(targets_signers, snapshot_signers, timestamp_signers)
    return renewed


def renew_root(
    folder: Path,
    keys_dir: Path | Sequence[Path],
    root_passphrases: Callable[[Path], str | None],
    now: dt.datetime | None = None,
) -> dt.datetime:
    """A new version of the root, the same keys, another year: the yearly ceremony (a root
    past its expiry stops every kiosk's updates). Signed by the root's threshold of keys;
    returns the new expiry. Kiosks look for the next root (N+1.root.json) first at every
    check."""
    now = now or _now()
    repo = Repository(folder, keys_dir)
    with repo.lock():
        signers = repo.signers("root", root_passphrases)
        try:
            root = repo.root()
            repo._bump(root, "root", now)
            repo._sign_and_write(root, "root", signers)
        finally:
            _wipe(signers)
    return root.signed.expires


def rotate(
    folder: Path,
    keys_dir: Path | Sequence[Path],
    role: str,
    root_passphrases: Callable[[Path], str | None],
    new_passphrase: str | None,
    cost: crypto.KdfCost = crypto.DEFAULT_COST,
    now: dt.datetime | None = None,
) -> Path:
    """Replace the key of ``role`` (targets, snapshot or timestamp; a lost or leaked one):
    a new root naming the new key, signed by the root's keys, then the repository signed
    again with it. Every key the new set needs is opened before anything is written (the
    snapshot and timestamp keys must be in ``keys_dir`` too). Returns the new key's file;
    the old one stays, unused, for IT to destroy."""
    if role not in ("targets", *keys.ONLINE):
        raise RepositoryError("rotate the targets, snapshot or timestamp key")
    if (new_passphrase is None) != (role in keys.ONLINE):
        raise RepositoryError("a targets key takes a passphrase; the online keys none")
    now = now or _now()
    repo = Repository(folder, keys_dir)
    with repo.lock():
        numbers = [p.stem.rpartition("-")[2] for p in repo._role_key_files(role)]
        n = 1 + max((int(x) for x in numbers if x.isdigit()), default=0)
        root_signers = repo.signers("root", root_passphrases)
        new: keys.KeySigner | None = None
        online: list[list[keys.KeySigner]] = []
        try:
            # The new key's file first: a root naming a key nobody kept would be the end.
            new = keys.create(repo.keys_dir, role, n, new_passphrase, cost)
            root = repo.root()
            for keyid in list(root.signed.roles[role].keyids):
                root.signed.revoke_key(keyid, role)
            root.signed.add_key(new.public_key, role)
            repo._bump(root, "root", now)
            online = [
                [new] if other == role else repo.signers(other, root=root.signed)
                for other in keys.ONLINE
            ]
            repo._sign_and_write(root, "root", root_signers)
            if role == "targets":
                targets = repo.load("targets")
                repo._bump(targets, "targets", now)
                repo._sign_and_write(targets, "targets", [new])
            repo._snapshot_and_timestamp(now, *online)
        finally:
            _wipe(root_signers, *(group for group in online if new not in group))
            if new is not None:
                new.wipe()
    return keys.key_path(repo.keys_dir, role, n)
