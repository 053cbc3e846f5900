"""Helpers shared by the tests: a patient's request as the form makes it, a real mounted
filesystem standing in for a USB stick, a clock moved by hand."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.appointment import AppointmentRequest, FormData, validate_request
from kiosk.store import AppointmentStore


def patient_request(name: str = "Ayşe Yılmaz", **form: object) -> AppointmentRequest:
    """A request as the form makes it: a Turkish mobile number, contact by phone, the
    notice and contact consents; ``form`` changes any field."""
    fields: dict[str, Any] = {
        "name": name,
        "phone": "0532 123 45 67",
        "contact_language": "tr",
        "contact_method": "phone",
        "time_window": "morning",
        "consents": {"notice_read": True, "contact": True},
        **form,
    }
    request = validate_request(FormData(**fields), "tr")
    assert not isinstance(request, list), request
    return request


def save_patient(
    store: AppointmentStore,
    name: str = "Ayşe Yılmaz",
    *,
    demo: bool = False,
    kiosk: str = "salon-1",
    **form: object,
) -> str:
    """Save :func:`patient_request` (``demo`` marks it made up) and return its reference."""
    return store.add_request(
        patient_request(name, **form),
        kiosk_id=kiosk,
        content_version="v",
        consent_versions={},
        notice_version="n",
        is_demo=demo,
    )


@contextlib.contextmanager
def stand_in_stick(folder: Path, size: str = "4m") -> Iterator[Path]:
    """A real mounted filesystem (tmpfs) at ``folder``, standing in for a USB stick and
    unmounted after; the test is skipped where this machine cannot mount (not root, or not
    allowed)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("mounting a stand-in stick needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
    )
    if done.returncode != 0:
        pytest.skip(f"this machine cannot mount: {done.stderr.decode(errors='replace')}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def count_opened(store: AppointmentStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the requests ``store`` opens from now on: its decrypt path is counted
    (and still runs), nothing is mocked."""
    opened: list[int] = []
    real = store._personal

    def counting(row: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        opened.append(row["id"])
        return real(row)

    monkeypatch.setattr(store, "_personal", counting)
    return opened


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: dt.datetime | None = None) -> None:
        self.now = now or dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)
