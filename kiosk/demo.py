"""Realistic fake appointment requests for screenshots, the staff screen and benchmarks (no Qt)."""

from __future__ import annotations

import datetime as dt
import random

from kiosk import intake, paths
from kiosk.appointment import CONSENTS, AppointmentRequest
from kiosk.intake import Stamp
from kiosk.languages import languages_in
from kiosk.store import AppointmentStore

# Invented people: several languages and scripts, the odd long or accented name.
# Phone numbers are from ranges reserved for drama/fiction or are plainly fake.
PEOPLE = (
    ("tr", "Ayşe Yılmaz", "+905550000001", None),
    ("tr", "İsmail Çelik", "+905550000002", "ismail.celik@example.com"),
    ("tr", "Gülşen Öztürk-Karadağ", None, "gulsen@example.org"),
    ("en", "Jane Example", "+447700900123", None),
    ("en", "Tom O'Reilly", None, "tom.oreilly@example.net"),
    ("de", "Jürgen Groß", "+4915550000003", "j.gross@example.de"),
    ("ar", "فاطمة الزهراء", "+966500000004", None),
    ("ar", "محمد عبد الله", None, "m.abdullah@example.com"),
    ("ru", "Анна Кузнецова", "+79000000005", None),
    ("az", "Leyla Məmmədova", "+994500000006", None),
)
METHODS_FOR = {True: ("phone", "sms"), False: ("email",)}
# Demo requests say so in every field a record keeps about its making.
DEMO_STAMP = Stamp(
    kiosk_id="demo",
    content_version="demo",
    notice_version="demo",
    consent_versions={c: "demo" for c in CONSENTS},
)


def demo_requests(count: int, seed: int = 7) -> list[AppointmentRequest]:
    """Return ``count`` invented requests (deterministic for a given seed)."""
    rng = random.Random(seed)
    # The screen language each request was made in: a language the kiosk has screens in.
    screens = languages_in(paths.bundled_content_dir()).screen
    out: list[AppointmentRequest] = []
    for i in range(count):
        lang, name, phone, email = PEOPLE[i % len(PEOPLE)]
        topic = rng.choice([None, "general", "standard-treatment", "cell-research"])
        consents = {c: c in ("notice_read", "contact") or rng.random() < 0.3 for c in CONSENTS}
        consents["health_topic"] = topic is not None
        out.append(
            AppointmentRequest(
                language=lang if lang in screens else rng.choice(screens),
                name=name,
                phone=phone,
                email=email,
                contact_language=lang,
                contact_method=rng.choice(METHODS_FOR[phone is not None]),
                time_window=rng.choice(("morning", "afternoon", "evening")),
                topic=topic,
                consents=consents,
            )
        )
    return out


class RealDataError(Exception):
    """The database holds real requests; demo data must not be mixed in."""


def fill_demo(
    store: AppointmentStore, count: int, force: bool = False, now: dt.datetime | None = None
) -> int:
    """Add ``count`` demo requests spread over the last weeks; return how many were added.

    Refuses (RealDataError) when real requests exist, unless ``force``.
    """
    real = store.count(real_only=True)
    if real and not force:
        raise RealDataError(f"the database holds {real} real request(s)")
    now = now or dt.datetime.now(dt.UTC)
    rng = random.Random(count)
    for i, request in enumerate(demo_requests(count)):
        when = now - dt.timedelta(hours=rng.randint(0, 24 * 28), minutes=i % 60)
        intake.save(request, DEMO_STAMP, store, is_demo=True, received_at=when)
    return count
