"""Retention: requests that reached the staff go after retention_days, the others only at
their hard limit, announced a week before; the destruction log names the rule."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.doctor import check_retention
from kiosk.store import (
    REACHED_STAFF,
    STATUSES,
    AppointmentStore,
    ClockError,
    Purged,
    UnexportedDue,
)

from testkit import save_patient

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
NAME = "Zeynep Unexported-Kaya"
PHONE = "0532 765 43 21"


def _add(store: AppointmentStore) -> str:
    return save_patient(store, NAME, phone=PHONE, contact_method="sms", kiosk="k")


@pytest.fixture
def aged(make_store: Callable[..., AppointmentStore]) -> Callable[..., dict[str, str]]:
    """Save one request per (days old, status) pair, each at its own time; return their
    references by label."""

    def save(**requests: tuple[float, str]) -> dict[str, str]:
        refs = {}
        for label, (days, status) in sorted(requests.items(), key=lambda kv: -kv[1][0]):
            writer = make_store(clock=lambda days=days: NOW - dt.timedelta(days=days))
            refs[label] = _add(writer)
            if status != "new":
                stored = writer.get(refs[label])
                assert stored is not None
                writer.set_status([stored.id], status, "test")
        return refs

    return save


@pytest.fixture
def store(make_store: Callable[..., AppointmentStore]) -> AppointmentStore:
    """The kiosk started now (a later start than the saves)."""
    return make_store(clock=lambda: NOW)


def _left(store: AppointmentStore, refs: dict[str, str]) -> set[str]:
    return {label for label, ref in refs.items() if store.get(ref) is not None}


def test_reached_staff_means_exported_or_contacted() -> None:
    """The one definition of "reached the staff", for every status a request can have."""
    assert set(REACHED_STAFF) == {"exported", "contacted"} and set(REACHED_STAFF) < set(STATUSES)


def test_unexported_requests_outlive_retention(
    aged: Callable[..., dict[str, str]], store: AppointmentStore
) -> None:
    """At 30 days the exported and contacted requests go; the ones nobody exported stay,
    however far past 30 days, until their hard limit."""
    refs = aged(
        old_new=(45, "new"),
        old_exported=(45, "exported"),
        old_contacted=(31, "contacted"),
        recent_exported=(2, "exported"),
        recent_new=(2, "new"),
    )
    assert store.apply_retention(30, 90) == Purged(reached_staff=2, never_reached=0)
    assert _left(store, refs) == {"old_new", "recent_exported", "recent_new"}
    [entry] = store.destruction_log()
    assert entry["count"] == 2 and entry["reason"] == "retention 30 days, reached staff"


def test_unexported_requests_go_at_the_hard_limit(
    aged: Callable[..., dict[str, str]], store: AppointmentStore
) -> None:
    """A request nobody exported goes once it is older than the hard limit; the destruction
    log names that rule apart from the other."""
    refs = aged(
        past_limit=(91, "new"),
        near_limit=(80, "new"),
        exported=(40, "exported"),
    )
    assert store.apply_retention(30, 90) == Purged(reached_staff=1, never_reached=1)
    assert _left(store, refs) == {"near_limit"}
    reasons = {e["reason"]: e["count"] for e in store.destruction_log()}
    assert reasons == {
        "retention 30 days, reached staff": 1,
        "retention 90 days, never reached staff": 1,
    }
    assert NAME not in repr(store.audit_log()) + repr(store.destruction_log())


def test_a_wrong_clock_deletes_nothing_past_the_hard_limit_either(
    aged: Callable[..., dict[str, str]], make_store: Callable[..., AppointmentStore]
) -> None:
    """The clock checks hold for both rules: a clock years ahead deletes nothing."""
    refs = aged(past_limit=(91, "new"), exported=(40, "exported"))
    later = make_store(clock=lambda: NOW + dt.timedelta(days=365 * 3))
    with pytest.raises(ClockError):
        later.apply_retention(30, 90)
    assert _left(later, refs) == {"past_limit", "exported"}


def test_unexported_requests_are_announced_a_week_before(
    aged: Callable[..., dict[str, str]], store: AppointmentStore
) -> None:
    """Counted: the requests nobody exported that reach 90 days within 7 days, and when the
    first of them goes. Not counted: exported ones, and those further off."""
    aged(
        in_eight_days=(82, "new"),
        in_six_days=(84, "new"),
        in_five_days=(85, "new"),
        exported=(89, "exported"),
        contacted=(89.5, "contacted"),
    )
    due = store.unexported_due(90)
    assert due == UnexportedDue(count=2, first=NOW + dt.timedelta(days=5))
    assert store.unexported_due(90, within_days=9) == UnexportedDue(
        count=3, first=NOW + dt.timedelta(days=5)
    )
    assert store.unexported_due(100) is None


def test_nothing_is_announced_without_unexported_requests(
    aged: Callable[..., dict[str, str]], store: AppointmentStore
) -> None:
    aged(exported=(89, "exported"))
    assert store.unexported_due(90) is None


def test_each_retention_run_logs_the_warning_with_counts_only(
    aged: Callable[..., dict[str, str]],
    store: AppointmentStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every retention run warns in the log while requests nobody exported are within a week
    of their hard limit: counts and days only, nothing about the patients."""
    refs = aged(soon=(86, "new"), sooner=(88, "new"), exported=(20, "exported"))
    with caplog.at_level(logging.INFO, logger="kiosk.store"):
        store.apply_retention(30, 90)
        store.apply_retention(30, 90)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["unexported_requests_due count=2 first_in_days=2"] * 2
    logged = caplog.text
    for secret in (NAME, PHONE, *refs.values()):
        assert secret not in logged


def test_no_warning_when_nothing_is_due(
    aged: Callable[..., dict[str, str]],
    store: AppointmentStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    aged(fresh=(10, "new"))
    with caplog.at_level(logging.INFO, logger="kiosk.store"):
        store.apply_retention(30, 90)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_doctor_fails_while_unexported_requests_are_about_to_go(
    aged: Callable[..., dict[str, str]], store: AppointmentStore, tmp_path: Path
) -> None:
    """kiosk doctor fails (exit 1 makes IT act) with the count and the first deletion time,
    and passes again once the desk has exported them."""
    refs = aged(soon=(86, "new"), later=(30, "new"))
    settings = Settings(db_path=str(tmp_path / "kiosk.db"))
    result = check_retention(settings, now=NOW)
    assert not result.ok
    assert "1 request(s) were never exported" in result.detail
    assert "2026-11-26 15:00 +03:00" in result.detail and "export them now" in result.detail
    soon = store.get(refs["soon"])
    assert soon is not None
    store.set_status([soon.id], "exported", "test")
    assert check_retention(settings, now=NOW).ok
    assert NAME not in str(result) and refs["soon"] not in str(result)


def test_doctor_uses_the_configured_limit(
    aged: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    aged(soon=(86, "new"))
    settings = Settings(db_path=str(tmp_path / "kiosk.db"), unexported_max_days=120)
    result = check_retention(settings, now=NOW)
    assert result.ok and "never exported ones after 120" in result.detail


def test_demo_requests_are_not_patients_waiting(
    make_store: Callable[..., AppointmentStore], store: AppointmentStore
) -> None:
    """Demo requests (never exported: exports leave them out) neither set off the warning
    nor wait for the hard limit: they go after retention_days like handled requests."""
    from kiosk.demo import fill_demo

    old = make_store(clock=lambda: NOW - dt.timedelta(days=85))
    fill_demo(old, 3, now=NOW - dt.timedelta(days=85))
    assert store.unexported_due(90) is None
    assert store.count_older_than(30) == Purged(reached_staff=3, never_reached=0)
    store.purge_older_than(30, unexported_days=90)
    assert store.count() == 0
