"""Hostile input, property-based (hypothesis): the content loader, the form validators, the
sealed store and the exports take anything without crashing and lose nothing."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiosk import crypto, paths
from kiosk.appointment import (
    CONSENTS,
    FieldError,
    FormData,
    clean_text,
    normalise_email,
    normalise_phone,
    validate_request,
    validate_step,
)
from kiosk.content import ContentError
from kiosk.export import COLUMNS, FORMULA_STARTS, dialable, neutralise, readable, write_export
from kiosk.store import AppointmentStore, StoredRequest, memory_database
from kiosk.validation import load_content

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Everything a hostile or unlucky visitor could type: any Unicode (bidi overrides, zero-width
# and control characters, astral emoji), quotes, and SQL or spreadsheet fragments.
NASTY = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
    st.sampled_from(
        [
            "Robert'); DROP TABLE requests;--",
            '" OR 1=1 --',
            '=HYPERLINK("http://x")',
            "+90 532 123 45 67",
            "@SUM(A1)",
            "-1+1",
            "\u202egnp.exe",
            "\u200b\u200d\ufeff",
            "a" * 5000,
            "Ağaç İğne Işıl Öz",
            "فاطمة الزهراء",
            "Zoë 😀\U0001f9ec Åström",
            "\x00\x01\x1b[31m",
            "_x0041_ literal",
        ]
    ),
    st.text(max_size=40).map(lambda s: s * 50),
)

CONTENT_FILES = [
    "manifest.json",
    "sources.json",
    "en/ui.json",
    "en/topics.json",
    "tr/faq.json",
    "tr/appointment.json",
    "en/staff.json",
    "tr/tables.json",
]

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def content_copy() -> Path:
    """One writable copy of the bundled content for the whole module (hypothesis reuses it;
    each example restores the file it broke)."""
    folder = Path(tempfile.mkdtemp(prefix="kiosk-prop-"))
    shutil.copytree(paths.bundled_content_dir(), folder / "content")
    yield folder / "content"
    shutil.rmtree(folder)


def _only_content_errors(root: Path, relative: str, data: bytes) -> None:
    target = root / relative
    original = target.read_bytes()
    try:
        target.write_bytes(data)
        try:
            load_content(root)
        except ContentError as exc:
            assert exc.problems and all(str(p) for p in exc.problems)
    finally:
        target.write_bytes(original)


@PROPERTY
@given(relative=st.sampled_from(CONTENT_FILES), data=st.binary(max_size=400))
def test_content_loader_takes_any_bytes(content_copy: Path, relative: str, data: bytes) -> None:
    """Any bytes in any content file: the content loads or ContentError says why; no other
    exception ever escapes."""
    _only_content_errors(content_copy, relative, data)


@PROPERTY
@given(relative=st.sampled_from(CONTENT_FILES), value=JSON_VALUES)
def test_content_loader_takes_any_json(content_copy: Path, relative: str, value: object) -> None:
    """Any JSON document in place of a content file: only ContentError comes out."""
    _only_content_errors(content_copy, relative, json.dumps(value).encode())


@PROPERTY
@given(
    relative=st.sampled_from(["en/topics.json", "tr/faq.json", "sources.json"]),
    path=st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=4),
    value=JSON_VALUES,
)
def test_content_loader_takes_any_edit(
    content_copy: Path, relative: str, path: list[int], value: object
) -> None:
    """A plausible clinic edit gone wrong: one value somewhere in a real file replaced by
    anything. Only ContentError comes out."""
    target = content_copy / relative
    doc = json.loads(target.read_text("utf-8"))
    node = doc
    for step in path[:-1]:
        children = list(node.values()) if isinstance(node, dict) else node
        if not isinstance(children, list) or not children:
            break
        node = children[step % len(children)]
    if isinstance(node, dict) and node:
        node[sorted(node)[path[-1] % len(node)]] = value
    elif isinstance(node, list) and node:
        node[path[-1] % len(node)] = value
    _only_content_errors(content_copy, relative, json.dumps(doc, ensure_ascii=False).encode())


@PROPERTY
@given(name=NASTY, phone=NASTY, email=NASTY, country=st.sampled_from(["tr", "de", "other", "xx"]))
def test_validators_accept_or_explain(name: str, phone: str, email: str, country: str) -> None:
    """Any input to any step gives a list of known problems, never an exception; what is
    accepted is clean (NFC, no control or bidi characters, within the limits)."""
    data = FormData(
        name=name,
        country=country,
        phone=phone,
        email=email,
        contact_language="tr",
        contact_method="sms" if phone.strip() else "email",
        time_window="morning",
        consents={"notice_read": True, "contact": True},
    )
    for step in ("name", "contact", "preferences", "consents"):
        for error in validate_step(step, data):
            assert isinstance(error, FieldError) and error.code
    result = validate_request(data, "tr")
    if isinstance(result, list):
        assert result  # rejected: with at least one message for the visitor
        return
    assert result.name == clean_text(name, len(result.name) + 1) and result.name
    assert all(ord(ch) >= 32 and ch not in "\u202e\u200b\ufeff" for ch in result.name)
    assert result.phone is None or result.phone == normalise_phone(country, phone)
    assert result.email is None or result.email == normalise_email(email)


KEYS = crypto.ephemeral_keys()


@PROPERTY
@given(name=NASTY, email_local=st.from_regex(r"[a-z0-9._%+-]{1,20}", fullmatch=True))
def test_store_keeps_any_accepted_text_exactly(name: str, email_local: str) -> None:
    """Whatever the validators accept is stored sealed and reads back exactly; what they
    refuse never reaches the store."""
    data = FormData(
        name=name,
        email=f"{email_local}@example.com",
        contact_language="en",
        contact_method="email",
        time_window="morning",
        consents={"notice_read": True, "contact": True},
    )
    request = validate_request(data, "en")
    if isinstance(request, list):
        return
    store = AppointmentStore(memory_database(), sealer=KEYS[0])
    store.unlock(KEYS[1].copy())
    reference = store.add_request(
        request, kiosk_id="k", content_version="v", consent_versions={}, notice_version="n"
    )
    saved = store.get(reference)
    assert saved is not None and saved.personal == request.personal()


def _stored(name: str, email: str, phone: str) -> StoredRequest:
    return StoredRequest(
        id=1,
        reference="ABC-DEF",
        created_at=dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC),
        kiosk_id="k",
        language="tr",
        personal={"name": name, "email": email, "phone": phone, "topic": name},
        consents={"items": {c: {"given": True} for c in CONSENTS}},
        content_version="v",
        status="new",
        exported_at=None,
        is_demo=False,
    )


@PROPERTY
@given(name=NASTY, email=NASTY, phone=NASTY)
@example(name="_x0041_ literal", email="=1+1", phone="\u202egnp.exe")
def test_exports_keep_any_stored_text_and_never_a_formula(
    name: str, email: str, phone: str
) -> None:
    """Any text as it is stored (after the form's cleaning) comes back intact from CSV and
    XLSX, and is never a formula: a CSV cell only ever gains the apostrophe that stops one
    (at its start, or after a semicolon or line break, where a semicolon spreadsheet starts
    a cell); an XLSX cell is typed text, exactly as stored. A phone number in E.164 is
    written dialable (CSV) or grouped (XLSX), its digits unchanged."""
    values = [clean_text(v, 5000) for v in (name, email, phone)]
    index = {key: i for i, (key, _title, _width) in enumerate(COLUMNS)}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = write_export([_stored(*values)], "csv", folder)
        with csv_path.open(encoding="utf-8-sig", newline="") as handle:
            row = list(csv.reader(handle))[1]
        book = openpyxl.load_workbook(write_export([_stored(*values)], "xlsx", folder))
        sheet = book.active
        xrow = list(sheet.iter_rows())[1]
        for key, value in zip(("name", "email", "phone"), values, strict=True):
            shown = dialable(value) if key == "phone" else value
            expected = re.sub(r"([;\r\n])([\s\"]*)(?=[=+\-@])", r"\1\2'", neutralise(shown))
            cell_text = row[index[key]]
            assert cell_text == expected
            assert not cell_text.startswith(FORMULA_STARTS)
            cell = xrow[index[key]]
            assert cell.data_type != "f"
            # OOXML escapes a literal "_xHHHH_" as "_x005F_xHHHH_"; Excel undoes it, openpyxl
            # does not, so the test does.
            typed = readable(value) if key == "phone" else value
            assert (cell.value or "").replace("_x005F_", "_") == typed
        book.close()


def test_nasty_text_is_stored_exactly_in_sqlite() -> None:
    """SQL fragments are data, never SQL: the table is still there and the text is exact."""
    text = "x'); DROP TABLE requests; --"
    data = FormData(
        name=text,
        email="a@example.com",
        contact_language="en",
        contact_method="email",
        time_window="morning",
        consents={"notice_read": True, "contact": True},
    )
    request = validate_request(data, "en")
    assert not isinstance(request, list)
    store = AppointmentStore(memory_database(), sealer=KEYS[0])
    store.unlock(KEYS[1].copy())
    ref = store.add_request(
        request, kiosk_id="k", content_version="v", consent_versions={}, notice_version="n"
    )
    saved = store.get(ref)
    assert saved is not None and saved.personal["name"] == text and store.count() == 1
