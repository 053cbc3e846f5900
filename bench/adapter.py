"""Every call the benchmarks make into the request store and the export, in one place.

The store and export APIs are about to change (encryption at rest: the store will take a
sealer / public key, exports an unlocked private key). When they do, only this module needs
updating; the benchmark pieces call nothing else from kiosk.store or kiosk.export.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from kiosk import intake
from kiosk.appointment import CONSENTS, AppointmentRequest
from kiosk.intake import Stamp

# What a benchmark's request records about its making (kiosk.intake.Stamp).
STAMP = Stamp(
    kiosk_id="bench",
    content_version="bench",
    notice_version="bench-1",
    consent_versions={c: "bench-1" for c in CONSENTS},
)

PEOPLE = (
    ("tr", "Ayşe Yılmaz", "+905550000001", None),
    ("tr", "İsmail Çelik", "+905550000002", "ismail.celik@example.com"),
    ("en", "Jane Example", "+447700900123", None),
    ("de", "Jürgen Groß", "+4915550000003", "j.gross@example.de"),
    ("ar", "فاطمة الزهراء", "+966500000004", None),
    ("ru", "Анна Кузнецова", None, "anna@example.org"),
)


def sample_request(i: int) -> AppointmentRequest:
    """An invented request (deterministic for ``i``), made directly: the UK number
    below is from the drama range, which the form's phone check refuses, and the export
    figures are measured on these rows."""
    lang, name, phone, email = PEOPLE[i % len(PEOPLE)]
    consents = {c: c in ("notice_read", "contact") or (i + len(c)) % 3 == 0 for c in CONSENTS}
    consents["health_topic"] = True
    return AppointmentRequest(
        language="tr" if lang == "tr" else "en",
        name=f"{name} {i}",
        phone=phone,
        email=email,
        contact_language=lang,
        contact_method="phone" if phone else "email",
        time_window=("morning", "afternoon", "evening")[i % 3],
        topic=("general", "standard-treatment", "cell-research")[i % 3],
        consents=consents,
    )


PASSCODE = "2468101214"


def make_keys(folder: Path) -> Path:
    """A key pair for the benchmark (the cheapest Argon2id cost: set-up, not a figure)."""
    from kiosk import crypto

    keys = folder / "kiosk-keys.json"
    if not keys.exists():
        folder.mkdir(parents=True, exist_ok=True)
        crypto.init_keys(keys, PASSCODE, crypto.MIN_COST)
    return keys


def open_store(db_path: Path, keys: Path) -> Any:
    """Open the request store as ``kiosk run`` does: WAL, FULL sync, the public key."""
    from kiosk import crypto
    from kiosk.store import AppointmentStore, open_database

    return AppointmentStore(open_database(db_path), sealer=crypto.load_sealer(keys))


def open_store_delivering(db_path: Path, keys: Path) -> Any:
    """The store of a kiosk with central delivery on ([fleet])."""
    from kiosk import crypto
    from kiosk.store import AppointmentStore, open_database

    return AppointmentStore(open_database(db_path), sealer=crypto.load_sealer(keys), deliver=True)


def open_kiosk_store(settings: Any) -> Any:
    """The store exactly as ``kiosk run`` opens it from its settings."""
    from kiosk.cli import open_store as kiosk_open_store

    return kiosk_open_store(settings)


def unlock(store: Any, keys: Path) -> None:
    """Open the private key with the staff passcode, as the staff screen does."""
    from kiosk import crypto

    store.unlock(crypto.unlock(keys, PASSCODE))


def close_store(store: Any) -> None:
    store.close()


def save(store: Any, request: AppointmentRequest) -> str:
    """The durable save a submission makes (one committed transaction); returns the code."""
    return intake.save(request, STAMP, store)


def fill(db_path: Path, keys: Path, count: int, *, deliver: bool = False) -> None:
    """Create a database at ``db_path`` holding ``count`` sealed requests, quickly (one
    transaction, no fsync: this is set-up, not a measurement). One request every 17 s, from
    one store whose clocks follow them, so its data key changes every hour as a running
    kiosk's does (about 470 keys for 100,000 requests). With ``deliver``, each also waits in
    the outbox for the central server, as on a kiosk whose server was away."""
    from kiosk import crypto
    from kiosk.store import AppointmentStore, open_database

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    now = [start]
    store = AppointmentStore(
        open_database(db_path),
        clock=lambda: now[0],
        sealer=crypto.load_sealer(keys),
        monotonic=lambda: (now[0] - start).total_seconds(),
        deliver=deliver,
    )
    with store.bulk_load():
        for i in range(count):
            now[0] = start + dt.timedelta(seconds=17 * i)
            save(store, sample_request(i))
    store.close()


def count(store: Any) -> int:
    return int(store.count())


def export(store: Any, fmt: str, folder: Path) -> tuple[Path, int]:
    """Export every request to ``folder`` as the staff screen does (decrypted, written
    atomically); the rows are not marked, so repeated runs export the same set."""
    from kiosk.export import export_requests

    path, ids = export_requests(
        store, fmt, folder, status="all", mark_exported=False, destination="bench"
    )
    return path, len(ids)


def staff_unlock(folder: Path) -> dict[str, float]:
    """Time one staff sign-in's key unwrapping at the kiosk's real Argon2id cost."""
    import time

    from kiosk import crypto

    keys = folder / "real-cost-keys.json"
    crypto.init_keys(keys, PASSCODE)
    t0 = time.perf_counter()
    key = crypto.unlock(keys, PASSCODE)
    seconds = time.perf_counter() - t0
    assert key is not None
    # A wrong passcode must cost what a right one does (nothing to learn from the time).
    t0 = time.perf_counter()
    assert crypto.unlock(keys, "1357913579") is None
    wrong = time.perf_counter() - t0
    return {"seconds": seconds, "wrong_seconds": wrong, "wrong_over_right": wrong / seconds}
