"""The keys that sign a content repository: one file per key, and a TUF signer over each."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import msgspec
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import Key, Signature, Signer, SSlibKey

from kiosk import crypto

# The top-level roles of a TUF repository, each with its own keys.
ROLES = ("root", "targets", "snapshot", "timestamp")
# Keys that sign unattended (the daily re-signing on the repository's host): kept without a
# passphrase, by their file's permissions. Root and targets keys stay offline, each under a
# passphrase of its own (docs/content-updates.md).
ONLINE = ("snapshot", "timestamp")


class KeyFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A signing key's file: which role it signs for, and the key (kiosk.crypto)."""

    role: str
    keyid: str
    key: crypto.SealedSigningKey


def public_key(public: bytes) -> SSlibKey:
    """The TUF public key of an Ed25519 key, its id as securesystemslib computes one: the
    SHA-256 of the key's canonical JSON."""
    keyval = {"public": public.hex()}
    key = {"keytype": "ed25519", "scheme": "ed25519", "keyval": keyval}
    canonical = encode_canonical(key)
    assert canonical is not None  # (None only when it writes to an output function)
    keyid = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return SSlibKey(keyid, "ed25519", "ed25519", keyval)


class KeySigner(Signer):
    """Signs TUF metadata with a key of kiosk.crypto (libsodium: no other crypto library
    in the kiosk's bundle)."""

    def __init__(self, key: crypto.SigningKey) -> None:
        self._key = key
        self._public = public_key(key.public)

    @property
    def public_key(self) -> Key:
        return self._public

    def sign(self, payload: bytes) -> Signature:
        return Signature(self._public.keyid, self._key.sign(payload).hex())

    @classmethod
    def from_priv_key_uri(
        cls, priv_key_uri: str, public_key: Key, secrets_handler: Any = None
    ) -> Signer:
        # Signer's interface: keys here come from their files (load_signer), never a URI.
        raise ValueError("signing keys are read from their files: kiosk.updates.keys")

    def wipe(self) -> None:
        self._key.wipe()


def key_path(folder: Path, role: str, n: int = 1) -> Path:
    """Where a role's n-th key is kept: ``root-1.json``, ``targets-1.json`` …"""
    return folder / f"{role}-{n}.json"


def create(
    folder: Path, role: str, n: int, passphrase: str | None, cost: crypto.KdfCost
) -> KeySigner:
    """A new key for ``role``, written to its file (refused if one is there)."""
    path = key_path(folder, role, n)
    if path.exists():
        raise crypto.KeysError(f"{path}: a key is already there; nothing changed")
    key = crypto.SigningKey.generate()
    signer = KeySigner(key)
    sealed = crypto.seal_signing_key(key, passphrase, cost)
    write(path, KeyFile(role, signer.public_key.keyid, sealed))
    return signer


def write(path: Path, key_file: KeyFile) -> None:
    """Write atomically, readable by this account only (kiosk.crypto.write_private)."""
    crypto.write_private(path, msgspec.json.format(msgspec.json.encode(key_file), indent=2) + b"\n")


def read(path: Path) -> KeyFile:
    """A key's file. Raises KeysError naming the file and what is wrong."""
    try:
        key_file = msgspec.json.decode(path.read_bytes(), type=KeyFile)
    except FileNotFoundError:
        raise crypto.KeysError(f"{path}: no such key file") from None
    except OSError as exc:
        raise crypto.KeysError(f"{path}: cannot read it ({exc.strerror})") from None
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise crypto.KeysError(f"{path}: not a signing key's file ({exc})") from None
    if key_file.role not in ROLES:
        raise crypto.KeysError(f"{path}: a key for an unknown role {key_file.role!r}")
    return key_file


def needs_passphrase(path: Path) -> bool:
    return read(path).key.kdf != "none"


def load_signer(path: Path, passphrase: str | None) -> KeySigner:
    """The signer a key's file holds. Raises KeysError (a wrong passphrase among others)."""
    key_file = read(path)
    key = crypto.open_signing_key(key_file.key, passphrase)
    signer = KeySigner(key)
    if signer.public_key.keyid != key_file.keyid:
        signer.wipe()
        raise crypto.KeysError(f"{path}: the key's id does not match its key")
    return signer
