"""Taking a request in: validate what the visitor entered, stamp the legal record with what
they were shown, and save it (no Qt).

The stamp is the record's legal metadata: which kiosk took the request, the content set it
ran, and the versions of the notice and of each consent text in the visitor's language. It
is decided here, once, for every way a request comes in: the form screen and the self-test
call :func:`submit`; demo data and the benchmarks save their invented requests through
:func:`save` with a stamp of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.appointment import AppointmentRequest, FieldError, FormData, validate_request

if TYPE_CHECKING:  # the store (sqlite-utils) loads when the form first saves, not at start
    from kiosk.config import Settings
    from kiosk.content import Content
    from kiosk.store import AppointmentStore


@dataclass(frozen=True)
class Stamp:
    """What a saved request records about where it was made and under which texts."""

    kiosk_id: str
    content_version: str
    notice_version: str
    # Consent id -> the version of the words the visitor agreed to (absent: "").
    consent_versions: Mapping[str, str]


def stamp_for(content: Content, language: str, settings: Settings) -> Stamp:
    """The stamp of a request made on this kiosk in ``language``: the versions come from
    that language's form texts, the words the visitor read (KeyError for a language the
    content does not have)."""
    form = content.languages[language].form
    return Stamp(
        kiosk_id=settings.kiosk_id,
        content_version=content.manifest.content_version,
        # The notice's words on how long a request stays differ with central delivery.
        notice_version=form.notice_version + ("+fleet" if settings.fleet is not None else ""),
        consent_versions={c.id: c.version for c in form.consents},
    )


def save(
    request: AppointmentRequest,
    stamp: Stamp,
    store: AppointmentStore,
    *,
    is_demo: bool = False,
    received_at: dt.datetime | None = None,
) -> str:
    """Save a validated ``request`` with ``stamp`` and return its reference code once the
    commit has returned (``received_at``: now, unless demo data backdates it). Raises
    StoreError; then nothing of the request was saved."""
    return store.add_request(
        request,
        kiosk_id=stamp.kiosk_id,
        content_version=stamp.content_version,
        consent_versions=dict(stamp.consent_versions),
        notice_version=stamp.notice_version,
        is_demo=is_demo,
        received_at=received_at,
    )


def submit(
    form: FormData,
    language: str,
    *,
    content: Content,
    settings: Settings,
    store: AppointmentStore,
) -> str | list[FieldError]:
    """Validate ``form`` (entered in ``language``), stamp it and save it: the reference code,
    or every problem found (then nothing is saved). Raises StoreError when the save fails.

    The save runs on the caller's thread and returns after the commit.
    """
    request = validate_request(form, language)
    if isinstance(request, list):
        return request
    return save(request, stamp_for(content, language, settings), store)
