"""The kiosk's SQLite store: the only package that runs SQL (no Qt).

- :mod:`kiosk.store.db`: opening the file (PRAGMAs, private files, corruption set aside),
  the write transaction, the checks ``kiosk doctor`` runs.
- :mod:`kiosk.store.schema`: the migrations.
- :mod:`kiosk.store.requests`: :class:`AppointmentStore` and the row shapes it reads back.

Everything else asks the store (one method call each) and never sees a statement;
``tests/test_store_owns_sql.py`` keeps it that way.
"""

from __future__ import annotations

from kiosk.store.db import (
    PAGE_CACHE_KIB,
    StoreError,
    memory_database,
    open_database,
    set_aside_copies,
    write_transaction,
)
from kiosk.store.requests import (
    DATA_KEY_SECONDS,
    ID_CHUNK,
    LIST_ORDERS,
    REACHED_STAFF,
    REFERENCE_ALPHABET,
    SEALED_CONSENTS,
    STATUSES,
    UNEXPORTED_WARNING_DAYS,
    AppointmentStore,
    ClockError,
    ConsentGiven,
    ExportRow,
    MarketingConsents,
    PersonalFields,
    Purged,
    StoredRequest,
    UnexportedDue,
    new_reference,
)
from kiosk.store.schema import migrations

__all__ = [
    "DATA_KEY_SECONDS",
    "ID_CHUNK",
    "LIST_ORDERS",
    "PAGE_CACHE_KIB",
    "REACHED_STAFF",
    "REFERENCE_ALPHABET",
    "SEALED_CONSENTS",
    "STATUSES",
    "UNEXPORTED_WARNING_DAYS",
    "AppointmentStore",
    "ClockError",
    "ConsentGiven",
    "ExportRow",
    "MarketingConsents",
    "PersonalFields",
    "Purged",
    "StoreError",
    "StoredRequest",
    "UnexportedDue",
    "memory_database",
    "migrations",
    "new_reference",
    "open_database",
    "set_aside_copies",
    "write_transaction",
]
