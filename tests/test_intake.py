"""The request intake: validate, stamp with what the visitor was shown, save (no Qt)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk import intake
from kiosk.appointment import FieldError, FormData
from kiosk.config import Settings
from kiosk.content import Content
from kiosk.demo import DEMO_STAMP, fill_demo
from kiosk.store import AppointmentStore, StoreError, open_database


@pytest.fixture
def store(make_store: Callable[..., AppointmentStore]) -> AppointmentStore:
    return make_store()


def _form(**changes: object) -> FormData:
    form = FormData(
        name="Ayşe Yılmaz",
        phone="0532 123 45 67",
        contact_language="tr",
        contact_method="phone",
        time_window="morning",
        topic="general",
        consents={"notice_read": True, "contact": True, "health_topic": True},
    )
    for key, value in changes.items():
        setattr(form, key, value)
    return form


@pytest.mark.parametrize("language", ["tr", "en"])
def test_submit_stamps_the_texts_the_visitor_read(
    store: AppointmentStore, content: Content, settings: Settings, language: str
) -> None:
    """The record keeps this kiosk, the content set, and the notice and consent versions of
    the visitor's language."""
    reference = intake.submit(_form(), language, content=content, settings=settings, store=store)
    assert isinstance(reference, str)
    saved = store.get(reference)
    assert saved is not None
    form = content.languages[language].form
    assert saved.kiosk_id == settings.kiosk_id
    assert saved.content_version == content.manifest.content_version
    assert saved.language == language
    assert saved.consents["notice_version"] == form.notice_version
    versions = {c.id: c.version for c in form.consents}
    for cid, item in saved.consents["items"].items():
        assert item["version"] == versions[cid]
    assert saved.personal["name"] == "Ayşe Yılmaz"
    assert saved.personal["phone"] == "+905321234567"


def test_submit_returns_every_problem_and_saves_nothing(
    store: AppointmentStore, content: Content, settings: Settings
) -> None:
    """An invalid form comes back as its problems; the database is untouched."""
    result = intake.submit(
        _form(name="", consents={}), "tr", content=content, settings=settings, store=store
    )
    assert isinstance(result, list) and all(isinstance(e, FieldError) for e in result)
    assert {e.field for e in result} >= {"name", "notice_read", "contact"}
    assert store.count() == 0


def test_submit_without_a_key_raises_and_saves_nothing(
    tmp_path: Path, content: Content, settings: Settings
) -> None:
    """A store that cannot seal refuses the save (the screen then offers the online form)."""
    keyless = AppointmentStore(open_database(tmp_path / "keyless.db"))
    try:
        with pytest.raises(StoreError):
            intake.submit(_form(), "tr", content=content, settings=settings, store=keyless)
        assert keyless.count() == 0
    finally:
        keyless.close()


def test_demo_data_is_stamped_demo_and_backdated(store: AppointmentStore) -> None:
    """Demo requests go through the same save, with the demo stamp and past times."""
    now = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
    assert fill_demo(store, 5, now=now) == 5
    rows = store.list_requests()
    assert len(rows) == 5
    for row in rows:
        assert row.is_demo and row.kiosk_id == DEMO_STAMP.kiosk_id == "demo"
        assert row.content_version == "demo"
        assert row.consents["notice_version"] == "demo"
        assert now - dt.timedelta(days=29) < row.created_at <= now
