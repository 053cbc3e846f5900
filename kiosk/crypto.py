"""Encryption at rest: the clinic's key pair, its passcode-wrapped private key, and sealing
patients' data so that only the staff passcode (or the recovery key) opens it (no Qt)."""

from __future__ import annotations

import base64
import binascii
import contextlib
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
_SEAL_BYTES = 48  # crypto_box_SEALBYTES: the ephemeral public key and the MAC
_CHAIN_PERSON = b"kiosk-chain-v1\0\0"  # BLAKE2b personalisation: exactly 16 bytes
# A chain lasts an hour of requests; a step beyond this is a damaged row, which must not
# make the staff screen hash for minutes to reach it.
MAX_CHAIN_STEPS = 1 << 20
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
# The most a key file may ask for: four times the memory and passes of the default. More
# would take the kiosk's memory, or minutes per sign-in.
MAX_COST = KdfCost(opslimit=16, memlimit=1024 * 1024 * 1024)
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


# --- keys in memory ----------------------------------------------------------------------


class Secret:
    """Key bytes that only this module touches: kept out of swap where the system allows
    (``mlock``), zeroed by :meth:`wipe` or when the last reference goes, and unusable once
    wiped (a wiped key would otherwise seal patients' data under a key of zeros).

    Python ``bytes`` cannot be wiped: a key held in one stays in freed memory until it
    happens to be reused. So keys live here, in a buffer passed straight to libsodium
    through PyNaCl's compiled binding, and are never copied into a Python object.
    """

    __slots__ = ("_buf", "live", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self.live = True
        self._buf = _ffi.new("unsigned char[]", size)
        # Best effort (a locked-memory limit may refuse). Never unlocked: small buffers share
        # pages, and unlocking one page would unlock the other keys on it too.
        _sodium.sodium_mlock(self._buf, size)

    @classmethod
    def random(cls, size: int = DATA_KEY_BYTES) -> Secret:
        secret = cls(size)
        _sodium.randombytes(secret._buf, size)
        return secret

    @property
    def buf(self) -> object:
        """The buffer, for libsodium. Raises KeysError once the key was wiped."""
        if not self.live:
            raise KeysError("a key was used after it was wiped")
        return self._buf

    def copy_into(self, other: Secret) -> None:
        if other.size != self.size:
            raise KeysError("keys of different sizes")
        _ffi.memmove(other.buf, self.buf, self.size)

    def zero(self) -> None:
        """Zero the bytes, keeping the buffer for the next key (a chain's scratch)."""
        _sodium.sodium_memzero(self._buf, self.size)

    def wipe(self) -> None:
        """Zero the bytes for good: any later use raises KeysError."""
        self.zero()
        self.live = False

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit the binding may be gone
            self.zero()


def _next_link(key: Secret, out: Secret) -> None:
    """``out`` = BLAKE2b-256 keyed with ``key``, personalised: the next key of a chain.
    One-way: the next key tells nothing about the one before."""
    if _sodium.crypto_generichash_blake2b_salt_personal(
        out.buf, DATA_KEY_BYTES, _ffi.NULL, 0, key.buf, DATA_KEY_BYTES, _ffi.NULL, _CHAIN_PERSON
    ):
        raise KeysError("could not derive a data key")


def _encrypt(key: Secret, plaintext: bytes) -> bytes:
    """XSalsa20-Poly1305 with a random nonce (stored in front of the ciphertext)."""
    nonce = nacl.utils.random(_NONCE_BYTES)
    out = _ffi.new("unsigned char[]", len(plaintext) + _MAC_BYTES)
    if _sodium.crypto_secretbox_easy(out, plaintext, len(plaintext), nonce, key.buf):
        raise KeysError("could not seal the data")
    return nonce + _ffi.buffer(out)[:]


def _encrypt_secret(key: Secret, secret: Secret) -> bytes:
    """:func:`_encrypt` of a secret, read where it lies."""
    nonce = nacl.utils.random(_NONCE_BYTES)
    out = _ffi.new("unsigned char[]", secret.size + _MAC_BYTES)
    if _sodium.crypto_secretbox_easy(out, secret.buf, secret.size, nonce, key.buf):
        raise KeysError("could not seal the key")
    return nonce + _ffi.buffer(out)[:]


class Sealer:
    """Seals with the clinic's public key: all the running kiosk ever needs to save."""

    def __init__(self, public: PublicKey) -> None:
        self._box = SealedBox(public)
        self._public = bytes(public)
        self.key_id = key_id_of(public)

    def seal(self, plaintext: bytes) -> bytes:
        """X25519 + XSalsa20-Poly1305 to the public key; only the private key opens it."""
        return bytes(self._box.encrypt(plaintext))

    def seal_secret(self, secret: Secret) -> bytes:
        """Like :meth:`seal`, reading the key where it lies (no copy of it is made)."""
        out = _ffi.new("unsigned char[]", secret.size + _SEAL_BYTES)
        if _sodium.crypto_box_seal(out, secret.buf, secret.size, self._public):
            raise KeysError("could not seal a data key")
        return _ffi.buffer(out)[:]


class WritingKey:
    """The data key the running kiosk seals requests with, used as a one-way chain.

    Each request is sealed under the next link (its step is stored beside it) and that link
    is wiped at once, so the key in memory between two visits opens none of the requests on
    disk: it can only make the next one. The first link is sealed to the public key and
    stored; staff, with the private key, follow the chain to any step. A new chain starts at
    every start of the kiosk and every hour.
    """

    def __init__(self, sealer: Sealer, started: float) -> None:
        self._key = Secret.random()
        self._spare = Secret(DATA_KEY_BYTES)
        self.step = 0
        self.started = started
        self.sealed = sealer.seal_secret(self._key)

    def encrypt(self, plaintext: bytes) -> tuple[int, bytes]:
        """Seal ``plaintext`` under the current link and move on; returns (step, blob)."""
        step = self.step
        blob = _encrypt(self._key, plaintext)
        _next_link(self._key, self._spare)
        self._key.zero()  # the link just used opens this request: gone before we return
        self._key, self._spare = self._spare, self._key
        self.step += 1
        return step, blob

    def wipe(self) -> None:
        self._key.wipe()
        self._spare.wipe()


class DataKeyOpener:
    """Opens what :class:`WritingKey` sealed under one data key, following its chain.

    An export opens 100,000 values under a few hundred data keys, in order, so each step is
    derived once from the one before. PyNaCl's SecretBox and even its binding function
    spend more time on checks and wrappers than libsodium on the cipher, so this calls
    libsodium through PyNaCl's own compiled binding: the same XSalsa20-Poly1305 with the
    nonce in front. Every 64th link is kept, so going back (the staff list, newest first)
    starts near the step wanted.
    """

    __slots__ = ("_at", "_key", "_marks", "_spare")
    _MARK_EVERY = 64

    def __init__(self, first: Secret) -> None:
        if first.size != DATA_KEY_BYTES:
            raise KeysError("a data key has the wrong length")
        self._marks = {0: first}
        self._key = Secret(DATA_KEY_BYTES)
        self._spare = Secret(DATA_KEY_BYTES)
        first.copy_into(self._key)
        self._at = 0

    def _go_to(self, step: int) -> None:
        if step < self._at:
            self._at = max(m for m in self._marks if m <= step)
            self._marks[self._at].copy_into(self._key)
        while self._at < step:
            _next_link(self._key, self._spare)
            self._key, self._spare = self._spare, self._key
            self._at += 1
            if self._at % self._MARK_EVERY == 0 and self._at not in self._marks:
                mark = Secret(DATA_KEY_BYTES)
                self._key.copy_into(mark)
                self._marks[self._at] = mark

    def open(self, blob: bytes, step: int = 0) -> bytes:
        """The plaintext of ``blob``, sealed at ``step`` of this chain; KeysError if it was
        altered or is foreign."""
        if not isinstance(blob, bytes) or not 0 <= step < MAX_CHAIN_STEPS:
            raise KeysError("a sealed value is damaged or belongs to another key")
        size = len(blob) - _NONCE_BYTES - _MAC_BYTES
        if size < 0:
            raise KeysError("a sealed value is damaged or belongs to another key")
        if step != self._at:
            self._go_to(step)
        out = _ffi.new("unsigned char[]", size or 1)
        nonce, box = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        if _sodium.crypto_secretbox_open_easy(out, box, size + _MAC_BYTES, nonce, self._key.buf):
            raise KeysError("a sealed value is damaged or belongs to another key")
        return _ffi.buffer(out, size)[:]

    def wipe(self) -> None:
        for secret in (*self._marks.values(), self._key, self._spare):
            secret.wipe()


class Unlocked:
    """The clinic's private key, in memory for one staff session only (wiped at its end)."""

    def __init__(self, private: Secret) -> None:
        self._private = private
        public = _ffi.new("unsigned char[]", PublicKey.SIZE)
        if _sodium.crypto_scalarmult_base(public, private.buf):
            raise KeysError("not a private key")
        self._public = _ffi.buffer(public)[:]
        self.key_id = key_id_of(PublicKey(self._public))

    def open(self, sealed: bytes) -> bytes:
        """Open something sealed to this key pair. Raises KeysError if it was not."""
        size = len(sealed) - _SEAL_BYTES
        out = _ffi.new("unsigned char[]", max(size, 1))
        if size < 0 or _sodium.crypto_box_seal_open(
            out, sealed, len(sealed), self._public, self._private.buf
        ):
            raise KeysError("data was not sealed with this kiosk's key")
        return _ffi.buffer(out, size)[:]

    def open_data_key(self, sealed: bytes) -> DataKeyOpener:
        """Open a sealed data key into memory this module wipes. Raises KeysError."""
        key = Secret(DATA_KEY_BYTES)
        if len(sealed) != DATA_KEY_BYTES + _SEAL_BYTES or _sodium.crypto_box_seal_open(
            key.buf, sealed, len(sealed), self._public, self._private.buf
        ):
            raise KeysError("data was not sealed with this kiosk's key")
        return DataKeyOpener(key)

    def sealer(self) -> Sealer:
        return Sealer(PublicKey(self._public))

    def copy(self) -> Unlocked:
        """A second holder of the same key, wiped on its own (one key for many stores)."""
        private = Secret(self._private.size)
        self._private.copy_into(private)
        return Unlocked(private)

    def wipe(self) -> None:
        """Forget the private key: zero it (the staff session ended)."""
        self._private.wipe()


def ephemeral_keys() -> tuple[Sealer, Unlocked]:
    """A key pair that lives only in memory (screenshots, the self-test, tests)."""
    unlocked = Unlocked(Secret.random(PrivateKey.SIZE))
    return unlocked.sealer(), unlocked


# --- the recovery key -------------------------------------------------------------------


def _private_from_secret(secret: bytes) -> Unlocked:
    # The key pair is derived from the recovery secret, so the recovery key alone brings
    # back the private key even if the key file itself is lost. (BLAKE2b-256 personalised,
    # as hashlib.blake2b(secret, digest_size=32, person=b"kiosk-x25519-v1") computes it.)
    private = Secret(PrivateKey.SIZE)
    if _sodium.crypto_generichash_blake2b_salt_personal(
        private.buf,
        PrivateKey.SIZE,
        secret,
        len(secret),
        _ffi.NULL,
        0,
        _ffi.NULL,
        _DERIVE_PERSON.ljust(16, b"\0"),
    ):
        raise KeysError("could not derive the key pair")
    return Unlocked(private)


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


def _wrap_key(passcode: str, salt: bytes, cost: KdfCost) -> Secret:
    """The key that wraps the private key: Argon2id of the passcode, into wiped memory."""
    key = Secret(nacl.secret.SecretBox.KEY_SIZE)
    password = passcode.encode("utf-8")
    if _sodium.crypto_pwhash(
        key.buf,
        key.size,
        password,
        len(password),
        salt,
        cost.opslimit,
        cost.memlimit,
        _sodium.crypto_pwhash_alg_argon2id13(),
    ):
        raise KeysError("the key derivation failed (out of memory?)")
    return key


def _unwrap(wrapping: Secret, blob: bytes) -> Secret | None:
    """The private key inside ``blob`` (XSalsa20-Poly1305 under ``wrapping``), or None if
    the wrapping key is not the one (a wrong passcode)."""
    private = Secret(PrivateKey.SIZE)
    nonce, box = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    if len(box) != PrivateKey.SIZE + _MAC_BYTES or _sodium.crypto_secretbox_open_easy(
        private.buf, box, len(box), nonce, wrapping.buf
    ):
        return None
    return private


def _key_file_for(
    private: Unlocked, passcode: str, cost: KdfCost, created_at: str, *, development: bool = False
) -> KeyFile:
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    wrapping = _wrap_key(passcode, salt, cost)
    try:
        wrapped = _encrypt_secret(wrapping, private._private)
    finally:
        wrapping.wipe()
    return KeyFile(
        version=KEY_FILE_VERSION,
        key_id=private.key_id,
        created_at=created_at,
        public_key=_b64(private._public),
        kdf="argon2id13",
        opslimit=cost.opslimit,
        memlimit=cost.memlimit,
        salt=_b64(salt),
        wrapped_private_key=_b64(wrapped),
        passcode_rules=passcodes.RULES_VERSION if passcodes.meets_rules(passcode) else 0,
        # Once development keys, always: a new passcode does not unpublish the old one, which
        # still opens any earlier copy of this file (a backup, a freed disk block).
        development=development or passcode == passcodes.DEVELOPMENT_PASSCODE,
    )


def _write(path: Path, key_file: KeyFile) -> None:
    write_private(path, msgspec.json.format(msgspec.json.encode(key_file), indent=2) + b"\n")


def write_private(path: Path, data: bytes) -> None:
    """Write a key's file atomically (temporary file, fsync, rename), readable by this
    account only (on POSIX; on Windows, by the rights of the folder it is in)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".key-", dir=path.parent)
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
    if not (
        MIN_COST.opslimit <= key_file.opslimit <= MAX_COST.opslimit
        and MIN_COST.memlimit <= key_file.memlimit <= MAX_COST.memlimit
    ):
        # A changed cost would make signing in fail, or take all memory or hours.
        raise KeysError(f"{path}: the key file is damaged (impossible Argon2id cost)")
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
    wrapping = _wrap_key(passcode, _unb64(key_file.salt), cost)
    try:
        private = _unwrap(wrapping, _unb64(key_file.wrapped_private_key))
    finally:
        wrapping.wipe()
    if private is None:
        return None
    unlocked = Unlocked(private)
    if unlocked.key_id != key_file.key_id:
        raise KeysError(f"{path}: the key file is damaged (private and public key differ)")
    return unlocked


def change_passcode(
    path: Path, unlocked: Unlocked, new_passcode: str, cost: KdfCost | None = None
) -> None:
    """Re-wrap the private key under a new passcode (same key pair, same data)."""
    old = read_key_file(path)
    if old.key_id != unlocked.key_id:
        raise KeysError(f"{path}: the unlocked key does not belong to this key file")
    cost = cost or KdfCost(old.opslimit, old.memlimit)
    try:
        key_file = _key_file_for(
            unlocked, new_passcode, cost, old.created_at, development=old.development
        )
        _write(path, key_file)
    except OSError as exc:
        raise KeysError(f"{path}: cannot write the key file ({exc.strerror})") from None


def _matching_key_file(path: Path, private: Unlocked) -> KeyFile:
    """The key file at ``path``, if ``private`` is its key pair's. Raises KeysError."""
    key_file = read_key_file(path)
    if key_file.key_id != private.key_id:
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
    return private


# --- desk accounts (the front-desk console, docs/staff.md) ---------------------------------

# A desk account's database password and the key wrapping its copy of the private key come
# from one Argon2id derivation of its passphrase: 64 bytes, split in two.
_DESK_DERIVED_BYTES = 64
_DESK_SALT_PERSON = b"kiosk-desk-salt1"  # BLAKE2b personalisation: exactly 16 bytes
DESK_PASSWORD_PREFIX = "kd1-"
# The cost of every desk account: fixed, because the desk derives the database password
# before it can read anything from the server (the cost included).
DESK_COST = DEFAULT_COST


def account_salt(account: str) -> bytes:
    """The Argon2id salt of a desk account. Derived from its name, never stored: the desk
    needs it before it has signed in. (A salt must be unique, not secret; the name is the
    account's, and the personalisation this program's.)"""
    return hashlib.blake2b(
        account.encode("utf-8"),
        digest_size=nacl.pwhash.argon2id.SALTBYTES,
        person=_DESK_SALT_PERSON,
    ).digest()


class DeskCredentials:
    """What a desk account's passphrase gives: the database password (sent, as SCRAM, to
    sign in; 256 bits that only Argon2id of the passphrase reaches, so the server's verifier
    is no shortcut to it) and the key that unwraps the account's copy of the private key."""

    __slots__ = ("password", "wrapping")

    def __init__(self, wrapping: Secret, password: str) -> None:
        self.wrapping = wrapping
        self.password = password

    def wipe(self) -> None:
        self.wrapping.wipe()


def desk_credentials(account: str, passphrase: str, cost: KdfCost = DESK_COST) -> DeskCredentials:
    """Argon2id of ``passphrase`` for ``account``: about DESK_COST's time and memory."""
    derived = Secret(_DESK_DERIVED_BYTES)
    password = passphrase.encode("utf-8")
    try:
        if _sodium.crypto_pwhash(
            derived.buf,
            derived.size,
            password,
            len(password),
            account_salt(account),
            cost.opslimit,
            cost.memlimit,
            _sodium.crypto_pwhash_alg_argon2id13(),
        ):
            raise KeysError("the key derivation failed (out of memory?)")
        wrapping = Secret(DATA_KEY_BYTES)
        _ffi.memmove(wrapping.buf, derived.buf, DATA_KEY_BYTES)
        auth = _ffi.buffer(derived.buf, _DESK_DERIVED_BYTES)[DATA_KEY_BYTES:]
    finally:
        derived.wipe()
    text = base64.urlsafe_b64encode(auth).decode("ascii").rstrip("=")
    return DeskCredentials(wrapping, DESK_PASSWORD_PREFIX + text)


def wrap_for_account(private: Unlocked, credentials: DeskCredentials) -> bytes:
    """The private key wrapped for a desk account (72 bytes: nonce, key, MAC)."""
    return _encrypt_secret(credentials.wrapping, private._private)


def open_account_key(credentials: DeskCredentials, wrapped: bytes, key_id: str) -> Unlocked:
    """The private key an account's ``wrapped`` copy holds. Raises KeysError if these
    credentials do not open it, or it is not the key pair ``key_id`` names."""
    private = _unwrap(credentials.wrapping, wrapped)
    if private is None:
        raise KeysError("this account's key does not open with that passphrase")
    unlocked = Unlocked(private)
    if unlocked.key_id != key_id:
        unlocked.wipe()
        raise KeysError("this account's key belongs to another key pair")
    return unlocked


def unlock_with_recovery_key(recovery_key: str) -> Unlocked:
    """The private key the recovery key derives (an administrator adding desk accounts).
    Raises KeysError for a mistyped key."""
    return _private_from_secret(parse_recovery_key(recovery_key))


# --- keys that sign content updates (kiosk.updates) -----------------------------------------

SIGN_SEED_BYTES = 32
_SIGN_SECRET_BYTES = 64
_SIGNATURE_BYTES = 64


class SigningKey:
    """An Ed25519 key that signs content updates (TUF metadata: kiosk.updates), held like
    the clinic's key: in memory this module wipes, used through libsodium (only an online
    key's seed is copied out, to be written to its file as it is)."""

    __slots__ = ("_secret", "_seed", "public")

    def __init__(self, seed: Secret) -> None:
        if seed.size != SIGN_SEED_BYTES:
            raise KeysError("a signing key has the wrong length")
        self._seed = Secret(SIGN_SEED_BYTES)
        seed.copy_into(self._seed)
        self._secret = Secret(_SIGN_SECRET_BYTES)
        public = _ffi.new("unsigned char[]", 32)
        if _sodium.crypto_sign_seed_keypair(public, self._secret.buf, self._seed.buf):
            raise KeysError("could not make a signing key")
        self.public: bytes = _ffi.buffer(public)[:]

    @classmethod
    def generate(cls) -> SigningKey:
        seed = Secret.random(SIGN_SEED_BYTES)
        try:
            return cls(seed)
        finally:
            seed.wipe()

    def sign(self, data: bytes) -> bytes:
        """The Ed25519 signature of ``data`` (64 bytes)."""
        # crypto_sign (PyNaCl's binding has no detached form): the signature, then the data.
        signed = _ffi.new("unsigned char[]", _SIGNATURE_BYTES + len(data))
        length = _ffi.new("unsigned long long *")
        if _sodium.crypto_sign(signed, length, data, len(data), self._secret.buf):
            raise KeysError("could not sign")
        return _ffi.buffer(signed, _SIGNATURE_BYTES)[:]

    def wipe(self) -> None:
        self._seed.wipe()
        self._secret.wipe()


class SealedSigningKey(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A signing key as its file keeps it: the seed wrapped by Argon2id of a passphrase
    (``kdf`` "argon2id13"), or as it is (``kdf`` "none": a key that signs unattended, kept
    on the repository's host by its file permissions alone)."""

    public_key: str
    kdf: str
    sealed_seed: str
    opslimit: int = 0
    memlimit: int = 0
    salt: str = ""


def seal_signing_key(
    key: SigningKey, passphrase: str | None, cost: KdfCost = DEFAULT_COST
) -> SealedSigningKey:
    """``key`` for its file: wrapped by ``passphrase``, or (None) as it is."""
    if passphrase is None:
        seed = _ffi.buffer(key._seed.buf, SIGN_SEED_BYTES)[:]
        return SealedSigningKey(_b64(key.public), "none", _b64(seed))
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    wrapping = _wrap_key(passphrase, salt, cost)
    try:
        sealed = _encrypt_secret(wrapping, key._seed)
    finally:
        wrapping.wipe()
    return SealedSigningKey(
        _b64(key.public), "argon2id13", _b64(sealed), cost.opslimit, cost.memlimit, _b64(salt)
    )


def open_signing_key(sealed: SealedSigningKey, passphrase: str | None) -> SigningKey:
    """The key ``sealed`` holds. Raises KeysError: a wrong passphrase, or a damaged file."""
    try:
        blob = _unb64(sealed.sealed_seed)
        public = _unb64(sealed.public_key)
        salt = _unb64(sealed.salt)
    except (binascii.Error, ValueError):
        raise KeysError("the signing key's file is damaged") from None
    if sealed.kdf == "none":
        if len(blob) != SIGN_SEED_BYTES:
            raise KeysError("the signing key's file is damaged")
        seed = Secret(SIGN_SEED_BYTES)
        _ffi.memmove(seed.buf, blob, SIGN_SEED_BYTES)
    elif sealed.kdf == "argon2id13":
        if passphrase is None:
            raise KeysError("this signing key needs its passphrase")
        if (
            not (
                MIN_COST.opslimit <= sealed.opslimit <= MAX_COST.opslimit
                and MIN_COST.memlimit <= sealed.memlimit <= MAX_COST.memlimit
            )
            or len(salt) != nacl.pwhash.argon2id.SALTBYTES
        ):
            raise KeysError("the signing key's file is damaged")
        wrapping = _wrap_key(passphrase, salt, KdfCost(sealed.opslimit, sealed.memlimit))
        try:
            opened = _unwrap(wrapping, blob)
        finally:
            wrapping.wipe()
        if opened is None:
            raise KeysError("that is not this signing key's passphrase")
        seed = opened
    else:
        raise KeysError(f"unsupported signing key file ({sealed.kdf})")
    try:
        key = SigningKey(seed)
    finally:
        seed.wipe()
    if not hmac.compare_digest(key.public, public):
        key.wipe()
        raise KeysError("the signing key's file is damaged (its public key does not match)")
    return key
