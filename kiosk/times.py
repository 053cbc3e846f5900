"""Times as staff read them: in the clinic's time zone, with its offset (no Qt)."""

from __future__ import annotations

import datetime as dt


def offset_text(when: dt.datetime) -> str:
    """``+03:00`` for an aware time (``+00:00`` for UTC)."""
    offset = when.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def clinic_time(when: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """``when`` (aware; a naive time is taken as UTC, as the store writes) in ``zone``."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(zone)


def clinic_time_text(when: dt.datetime, zone: dt.tzinfo) -> str:
    """``2026-12-06 14:05 +03:00``: minutes, and the offset so the time cannot be misread."""
    local = clinic_time(when, zone)
    return f"{local:%Y-%m-%d %H:%M} {offset_text(local)}"


def clinic_today(zone: dt.tzinfo, now: dt.datetime | None = None) -> dt.date:
    """Today's date at the clinic (not in UTC: between midnight and 03:00 in Istanbul, UTC
    is still on yesterday)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(zone).date()


def day_start(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The moment the clinic's ``day`` began, in UTC: requests "since" a day are those
    received from then on."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)
