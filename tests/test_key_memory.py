"""No key outlives its use (issue 19, item 4): the memory of a kiosk process, read from
outside after two visits and a staff session, holds none of the keys that could open what
is on its disk; only the next link of its data key chain, which opens nothing yet."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import nacl.pwhash
import pytest

from kiosk import crypto
from kiosk.store import open_database

CODE = "482913705186"
TESTS = Path(__file__).resolve().parent

# The kiosk's part, in a process of its own: two patients save, staff sign in with the
# passcode, read both requests and lock. Then it waits, as a kiosk between visits does.
KIOSK = """
import gc, sys
from pathlib import Path
from kiosk import crypto
from kiosk.store import AppointmentStore, open_database
from testkit import save_patient

db, keys, code = sys.argv[1:4]
store = AppointmentStore(open_database(Path(db)), sealer=crypto.load_sealer(Path(keys)))
save_patient(store, "Birinci Hasta")
save_patient(store, "İkinci Hasta")
key = crypto.unlock(Path(keys), code)
store.unlock(key)
assert [r.personal["name"] for r in store.list_requests()] == ["Birinci Hasta", "İkinci Hasta"]
# Still referenced (a screen, a signal's argument): locking must zero them, not only let go.
held = [key, *store._opened_keys.values()]
store.lock()
gc.collect()
print("ready", flush=True)
sys.stdin.readline()
"""


def _memory(pid: int) -> list[bytes]:
    """Every readable mapping of process ``pid``, as /proc/PID/mem gives it."""
    regions = []
    maps = Path(f"/proc/{pid}/maps").read_text()
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps.splitlines():
            match = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            assert match, line
            start, end, perms = int(match[1], 16), int(match[2], 16), match[3]
            if not perms.startswith("r") or line.endswith(("[vvar]", "[vsyscall]")):
                continue
            try:
                mem.seek(start)
                regions.append(mem.read(end - start))
            except OSError:
                continue  # a device mapping, or one that went away
    return regions


def _next(link: bytes) -> bytes:
    return hashlib.blake2b(b"", key=link, digest_size=32, person=b"kiosk-chain-v1").digest()


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_a_kiosk_between_visits_holds_no_key_that_opens_its_disk(tmp_path: Path) -> None:
    db, keys = tmp_path / "kiosk.db", tmp_path / "kiosk-keys.json"
    crypto.init_keys(keys, CODE, crypto.MIN_COST)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path])}
    kiosk = subprocess.Popen(
        [sys.executable, "-c", KIOSK, str(db), str(keys), CODE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert kiosk.stdout is not None and kiosk.stdout.readline() == b"ready\n"
        try:
            memory = _memory(kiosk.pid)
        except PermissionError:
            pytest.skip("this system does not let a process read its child's memory")
    finally:
        kiosk.communicate(b"\n", timeout=60)

    # What a thief with this memory and the disk would need, worked out from the outside.
    store = open_database(db)
    (sealed_key,) = store.execute("select sealed from data_keys").fetchone()
    steps = [row[0] for row in store.execute("select key_step from requests order by id")]
    store.close()
    assert steps == [0, 1]
    staff = crypto.unlock(keys, CODE)
    assert staff is not None
    first = staff.open(sealed_key)
    second = _next(first)
    unused = _next(second)
    private = crypto._ffi.buffer(staff._private.buf)[:]
    key_file = crypto.read_key_file(keys)
    wrapping = nacl.pwhash.argon2id.kdf(
        32,
        CODE.encode(),
        crypto._unb64(key_file.salt),
        opslimit=key_file.opslimit,
        memlimit=key_file.memlimit,
    )

    def found(secret: bytes) -> int:
        return sum(region.count(secret) for region in memory)

    # The scan sees keys where they are: the link for the next request is there (by design:
    # it must seal the next visitor's request, and opens nothing that exists yet).
    assert found(unused) == 1
    assert found(first) == 0, "the data key that sealed the first request is still in memory"
    assert found(second) == 0, "the link that sealed the second request is still in memory"
    assert found(private) == 0, "the private key outlived the staff session"
    assert found(wrapping) == 0, "the key derived from the passcode outlived the sign-in"


def _lent_copy(open_again: object) -> crypto.Unlocked:
    """The copy of the key a reopener carries to its worker thread."""
    cells = getattr(open_again, "__closure__", None) or ()
    return next(c.cell_contents for c in cells if isinstance(c.cell_contents, crypto.Unlocked))


def test_the_key_lent_to_a_worker_is_zeroed_on_every_path(tmp_path: Path) -> None:
    """The export's worker gets a copy of the staff key: zeroed when its store is locked,
    and when its store never opens; the staff session's own key is untouched."""
    from kiosk.store import AppointmentStore, StoreError

    sealer, staff_key = crypto.ephemeral_keys()
    sealed = sealer.seal(b"a data key")
    path = tmp_path / "kiosk.db"
    store = AppointmentStore(open_database(path), sealer=sealer)
    store.unlock(staff_key)

    open_again = store.reopener(unlocked=True)
    assert open_again is not None
    copy = _lent_copy(open_again)
    worker = open_again()
    assert worker.is_unlocked and copy.open(sealed) == b"a data key"
    worker.lock()
    worker.close()
    with pytest.raises(crypto.KeysError):
        copy.open(sealed)  # zeroed
    assert staff_key.open(sealed) == b"a data key"

    open_again = store.reopener(unlocked=True)
    assert open_again is not None
    copy = _lent_copy(open_again)
    path.rename(tmp_path / "moved.db")
    path.mkdir()  # the file is not there to open
    with pytest.raises(StoreError):
        open_again()
    with pytest.raises(crypto.KeysError):
        copy.open(sealed)
    assert staff_key.open(sealed) == b"a data key"
