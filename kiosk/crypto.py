"""Encryption at rest: the clinic's key pair, its passcode-wrapped private key, and sealing
patients' data so that only the staff passcode (or the recovery key) opens it (no Qt)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

import msgspec
import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl._sodium import ffi as _ffi  # type: ignore[import-not-found]  # see DataKeyOpener
from nacl._sodium import lib as _sodium
from nacl.public import PrivateKey, PublicKey, SealedBox

from kiosk import passcodes

KEY_FILE_VERSION = 1
DATA_KEY_BYTES = nacl.secret.SecretBox.KEY_SIZE
_NONCE_BYTES = nacl.secret.SecretBox.NONCE_SIZE
_MAC_BYTES = nacl.secret.SecretBox.MACBYTES
_RECOVERY_SECRET_BYTES = 32
_RECOVERY_CHECK_BYTES = 3
_DERIVE_PERSON = b"kiosk-x25519-v1"


@dataclass(frozen=True)
class KdfCost:
    """Argon2id cost: ``opslimit`` passes over ``memlimit`` bytes of memory."""

    opslimit: int
    memlimit: int


# About 0.7 s and 256 MiB per guess on the reference mini-PC (measured with `make bench`):
# a staff login waits under a second, while guessing even a 6-digit code offline takes
# days of one core per million tries and the memory cost blunts graphics cards.
DEFAULT_COST = KdfCost(opslimit=4, memlimit=256 * 1024 * 1024)
# The smallest cost libsodium accepts: for tests and throwaway keys only.
MIN_COST = KdfCost(
    opslimit=nacl.pwhash.argon2id.OPSLIMIT_MIN, memlimit=nacl.pwhash.argon2id.MEMLIMIT_MIN
)


class KeysError(Exception):
    """The key file is missing, unreadable, invalid, or does not match. Never holds secrets."""


class KeyFile(
    msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True, omit_defaults=True
):
    """What ``kiosk-keys.json`` holds: the public key in the clear, the private key only
    inside a SecretBox whose key is derived from the staff passcode with Argon2id."""

    version: int
    key_id: str
    created_at: str
    public_key: str
    kdf: str
    opslimit: int
    memlimit: int
    salt: str
    wrapped_private_key: str
    # Which version of kiosk.passcodes' rules the passcode met when it was set (0: none, as
    # for every file written before the rules; `kiosk doctor` then asks for a new passcode).
    passcode_rules: int = 0
    # Wrapped with the published development passcode (`make run`): never for patients.
    development: bool = False


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def key_id_of(public: PublicKey) -> str:
    """A short fingerprint that names a key pair in the database and in logs."""
    return hashlib.blake2b(bytes(public), digest_size=8).hexdigest()


class Sealer:
    """Seals with the clinic's public key: all the running kiosk ever needs to save."""

    def __init__(self, public: PublicKey) -> None:
        self._box = SealedBox(public)
        self.key_id = key_id_of(public)

    def seal(self, plaintext: bytes) -> bytes:
        """X25519 + XSalsa20-Poly1305 to the public key; only the private key opens it."""
        return bytes(self._box.encrypt(plaintext))


class Unlocked:
    """The clinic's private key, in memory for one staff session only."""

    def __init__(self, private: PrivateKey) -> None:
        self._private = private
        self._box = SealedBox(private)
        self.key_id = key_id_of(private.public_key)

    def open(self, sealed: bytes) -> bytes:
        """Open something sealed to this key pair. Raises KeysError if it was not."""
        try:
            return bytes(self._box.decrypt(sealed))
        except (nacl.exceptions.CryptoError, ValueError, TypeError):
            raise KeysError("data was not sealed with this kiosk's key") from None

    def sealer(self) -> Sealer:
        return Sealer(self._private.public_key)


def new_data_key() -> bytes:
    """A fresh random key for sealing requests (itself sealed to the public key)."""
    return nacl.utils.random(DATA_KEY_BYTES)


def encrypt_with(data_key: bytes, plaintext: bytes) -> bytes:
    """XSalsa20-Poly1305 with a random nonce (stored in front of the ciphertext)."""
    return bytes(nacl.secret.SecretBox(data_key).encrypt(plaintext))


def decrypt_with(data_key: bytes, blob: bytes) -> bytes:
    """Open ``blob`` made by :func:`encrypt_with`; KeysError if it was altered or is foreign."""
    return DataKeyOpener(data_key).open(blob)


class DataKeyOpener:
    """Opens what :func:`encrypt_with` sealed under one data key, as fast as Python allows.

    An export opens 100,000 values under a few hundred data keys. PyNaCl's SecretBox and
    even its binding function spend more time on checks and wrappers than libsodium on the
    cipher, so this calls libsodium through PyNaCl's own compiled binding: the same
    XSalsa20-Poly1305 with the nonce in front, the key checked once.
    """

    __slots__ = ("_key",)

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != DATA_KEY_BYTES:
            raise KeysError("a data key has the wrong length")
        self._key = bytes(data_key)

    def open(self, blob: bytes) -> bytes:
        """The plaintext of ``blob``; KeysError if it was altered or is foreign."""
        if not isinstance(blob, bytes):
            raise KeysError("a sealed value is damaged or belongs to another key")
        size = len(blob) - _NONCE_BYTES - _MAC_BYTES
        if size < 0:
            raise KeysError("a sealed value is damaged or belongs to another key")
        out = _ffi.new("unsigned char[]", size or 1)
        nonce, box = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        if _sodium.crypto_secretbox_open_easy(out, box, size + _MAC_BYTES, nonce, self._key):
            raise KeysError("a sealed value is damaged or belongs to another key")
        return _ffi.buffer(out, size)[:]


def ephemeral_keys() -> tuple[Sealer, Unlocked]:
    """A key pair that lives only in memory (screenshots, the self-test, tests)."""
    private = PrivateKey.generate()
    return Sealer(private.public_key), Unlocked(private)


# --- the recovery key -------------------------------------------------------------------


def _private_from_secret(secret: bytes) -> PrivateKey:
    # The key pair is derived from the recovery secret, so the recovery key alone brings
    # back the private key even if the key file itself is lost.
    seed = hashlib.blake2b(secret, digest_size=32, person=_DERIVE_PERSON).digest()
    return PrivateKey(seed)


def _recovery_text(secret: bytes) -> str:
    check = hashlib.blake2b(secret, digest_size=_RECOVERY_CHECK_BYTES).digest()
    text = base64.b32encode(secret + check).decode("ascii")  # 35 bytes: 56 characters
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_recovery_key(text: str) -> bytes:
    """Return the secret in a recovery key as printed (any case, spaces or dashes).

    Raises KeysError for a mistyped key (a 3-byte checksum catches typing errors).
    """
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    try:
        raw = base64.b32decode(cleaned)
    except (binascii.Error, ValueError):
        raise KeysError("that is not a recovery key (check the letters and digits)") from None
    secret, check = raw[:_RECOVERY_SECRET_BYTES], raw[_RECOVERY_SECRET_BYTES:]
    expected = hashlib.blake2b(secret, digest_size=_RECOVERY_CHECK_BYTES).digest()
    if len(raw) != _RECOVERY_SECRET_BYTES + _RECOVERY_CHECK_BYTES or not hmac.compare_digest(
        check, expected
    ):
        raise KeysError("the recovery key has a typing mistake (its checksum does not match)")
    return secret


# --- the key file ----------------------------------------------------------------------


def _wrap_key(passcode: str, salt: bytes, cost: KdfCost) -> bytes:
    return bytes(
        nacl.pwhash.argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE,
            passcode.encode("utf-8"),
            salt,
            opslimit=cost.opslimit,
            memlimit=cost.memlimit,
        )
    )


def _key_file_for(private: PrivateKey, passcode: str, cost: KdfCost, created_at: str) -> KeyFile:
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    wrapped = nacl.secret.SecretBox(_wrap_key(passcode, salt, cost)).encrypt(bytes(private))
    return KeyFile(
        version=KEY_FILE_VERSION,
        key_id=key_id_of(private.public_key),
        created_at=created_at,
        public_key=_b64(bytes(private.public_key)),
        kdf="argon2id13",
        opslimit=cost.opslimit,
        memlimit=cost.memlimit,
        salt=_b64(salt),
        wrapped_private_key=_b64(bytes(wrapped)),
        passcode_rules=passcodes.RULES_VERSION if passcodes.meets_rules(passcode) else 0,
        development=passcode == passcodes.DEVELOPMENT_PASSCODE,
    )


def _write(path: Path, key_file: KeyFile) -> None:
    """Write atomically (temporary file, fsync, rename), readable by this account only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = msgspec.json.format(msgspec.json.encode(key_file), indent=2) + b"\n"
    fd, tmp = tempfile.mkstemp(prefix=".kiosk-keys-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.name == "posix":
            os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_key_file(path: Path) -> KeyFile:
    """Read and check the key file. Raises KeysError naming the file and the problem."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KeysError(f"{path}: no key file (run `kiosk keys init`)") from None
    except OSError as exc:
        raise KeysError(f"{path}: cannot read the key file ({exc.strerror})") from None
    try:
        key_file = msgspec.json.decode(raw, type=KeyFile)
        public = PublicKey(_unb64(key_file.public_key))
        _unb64(key_file.salt)
        _unb64(key_file.wrapped_private_key)
    except (msgspec.DecodeError, msgspec.ValidationError, binascii.Error, ValueError) as exc:
        raise KeysError(f"{path}: the key file is damaged ({exc})") from None
    except nacl.exceptions.CryptoError:
        raise KeysError(f"{path}: the key file is damaged (bad public key)") from None
    if key_file.version != KEY_FILE_VERSION or key_file.kdf != "argon2id13":
        raise KeysError(f"{path}: unsupported key file version {key_file.version}")
    if key_file.key_id != key_id_of(public):
        raise KeysError(f"{path}: the key file is damaged (fingerprint does not match)")
    return key_file


def load_sealer(path: Path) -> Sealer:
    """Return the sealer for the public key in ``path``. Raises KeysError."""
    return Sealer(PublicKey(_unb64(read_key_file(path).public_key)))


def init_keys(path: Path, passcode: str, cost: KdfCost = DEFAULT_COST) -> str:
    """Create the key pair and the key file; return the one-time recovery key text.

    Refuses to replace an existing key file: data sealed to it would become unreadable.
    """
    if path.exists():
        raise KeysError(f"{path}: a key file already exists; nothing changed")
    secret = secrets.token_bytes(_RECOVERY_SECRET_BYTES)
    private = _private_from_secret(secret)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    try:
        _write(path, _key_file_for(private, passcode, cost, now))
    except OSError as exc:
        raise KeysError(f"{path}: cannot write the key file ({exc.strerror})") from None
    return _recovery_text(secret)


def unlock(path: Path, passcode: str) -> Unlocked | None:
    """Return the private key if ``passcode`` opens it, else None. Raises KeysError.

    A right and a wrong passcode cost the same: one Argon2id derivation and one
    authenticated decryption that either fails or does not.
    """
    key_file = read_key_file(path)
    cost = KdfCost(key_file.opslimit, key_file.memlimit)
    box = nacl.secret.SecretBox(_wrap_key(passcode, _unb64(key_file.salt), cost))
    try:
        raw = box.decrypt(_unb64(key_file.wrapped_private_key))
    except nacl.exceptions.CryptoError:
        return None
    private = PrivateKey(bytes(raw))
    if key_id_of(private.public_key) != key_file.key_id:
        raise KeysError(f"{path}: the key file is damaged (private and public key differ)")
    return Unlocked(private)


def change_passcode(
    path: Path, unlocked: Unlocked, new_passcode: str, cost: KdfCost | None = None
) -> None:
    """Re-wrap the private key under a new passcode (same key pair, same data)."""
    old = read_key_file(path)
    if old.key_id != unlocked.key_id:
        raise KeysError(f"{path}: the unlocked key does not belong to this key file")
    cost = cost or KdfCost(old.opslimit, old.memlimit)
    try:
        _write(path, _key_file_for(unlocked._private, new_passcode, cost, old.created_at))
    except OSError as exc:
        raise KeysError(f"{path}: cannot write the key file ({exc.strerror})") from None


def _matching_key_file(path: Path, private: PrivateKey) -> KeyFile:
    """The key file at ``path``, if ``private`` is its key pair's. Raises KeysError."""
    key_file = read_key_file(path)
    if key_file.key_id != key_id_of(private.public_key):
        raise KeysError(f"{path}: this recovery key belongs to another kiosk's key pair")
    return key_file


def check_recovery_key(path: Path, recovery_key: str) -> None:
    """Check that ``recovery_key`` opens the key pair of the key file at ``path``, changing
    nothing (IT lifting a staff lockout). Raises KeysError for a mistyped key, another
    kiosk's key, or a missing or damaged key file."""
    _matching_key_file(path, _private_from_secret(parse_recovery_key(recovery_key)))


def recover(
    path: Path, recovery_key: str, new_passcode: str, cost: KdfCost = DEFAULT_COST
) -> Unlocked:
    """Set a new passcode from the recovery key, re-creating a lost key file if need be.

    Refuses a recovery key that belongs to another key pair than the existing key file.
    """
    private = _private_from_secret(parse_recovery_key(recovery_key))
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if path.exists():
        created = _matching_key_file(path, private).created_at
    try:
        _write(path, _key_file_for(private, new_passcode, cost, created))
    except OSError as exc:
        raise KeysError(f"{path}: cannot write the key file ({exc.strerror})") from None
    return Unlocked(private)
