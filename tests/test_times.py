"""Times for staff: the clinic's zone and its offset, whatever the machine's zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from kiosk.times import clinic_time_text, offset_text

ISTANBUL = zoneinfo.ZoneInfo("Europe/Istanbul")


def test_clinic_time_text_shows_the_offset() -> None:
    stored = dt.datetime(2026, 12, 5, 23, 22, tzinfo=dt.UTC)
    assert clinic_time_text(stored, ISTANBUL) == "2026-12-06 02:22 +03:00"
    assert clinic_time_text(stored, zoneinfo.ZoneInfo("UTC")) == "2026-12-05 23:22 +00:00"


def test_daylight_saving_and_negative_offsets() -> None:
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    summer = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)
    assert clinic_time_text(summer, berlin) == "2026-07-01 12:00 +02:00"
    newfoundland = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC).astimezone(
        zoneinfo.ZoneInfo("America/St_Johns")
    )
    assert offset_text(newfoundland) == "-02:30"


def test_a_naive_time_is_utc() -> None:
    assert clinic_time_text(dt.datetime(2026, 1, 1, 0, 0), ISTANBUL) == "2026-01-01 03:00 +03:00"


def test_the_clinics_day() -> None:
    """Between midnight and 03:00 in Istanbul, UTC is still on the day before."""
    from kiosk.times import clinic_today, day_start

    just_after_midnight = dt.datetime(2026, 12, 9, 22, 30, tzinfo=dt.UTC)  # 01:30 there
    assert clinic_today(ISTANBUL, just_after_midnight) == dt.date(2026, 12, 10)
    assert day_start(dt.date(2026, 12, 10), ISTANBUL) == dt.datetime(
        2026, 12, 9, 21, 0, tzinfo=dt.UTC
    )
