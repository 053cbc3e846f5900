"""``content check`` rules across files: ids, sources, URLs, images, review dates, claims."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from kiosk.content import Problem
from kiosk.validation import check_content, url_problem

TODAY = dt.date(2026, 12, 1)


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def _errors(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems if p.severity == "error"]


def test_bundled_content_is_clean(content_dir: Path) -> None:
    """The shipped content has no errors and no warnings today (the go-live gate, not the
    content rules, says it still needs the physician's sign-off)."""
    content, problems = check_content(content_dir, today=TODAY)
    assert problems == []
    assert content is not None


def _topic(data: dict, topic_id: str) -> dict:
    return next(t for t in data["topics"] if t["id"] == topic_id)


CASES = [
    pytest.param(
        "en/topics.json",
        lambda d: _topic(d, "sle").update(summary="Ask about the {study_name} study."),
        '{study_name} is filled in only on pages with "requires": "study"',
        id="study-detail-outside-a-study-page",
    ),
    pytest.param(
        "en/topics.json",
        lambda d: _topic(d, "sle").update(requires="study", summary="It costs {price}."),
        "unknown placeholder {price}",
        id="unknown-study-detail",
    ),
    pytest.param(
        "en/topics.json",
        lambda d: _topic(d, "sle").update(requires="study"),
        "topic 'sle' needs a study: list it only in a section",
        id="study-page-in-an-open-section",
    ),
    pytest.param(
        "tr/topics.json",
        lambda d: _topic(d, "msc").pop("warning_signs"),
        "a treatment page must say when to call 112",
        id="treatment-page-without-warning-signs",
    ),
    pytest.param(
        "en/topics.json",
        lambda d: _topic(d, "sle").update(
            warning_signs={"heading": "Call 112", "text": ["Chest pain: call 112."]}
        ),
        "$.topics[?id=sle].warning_signs.sources: a medical statement must cite",
        id="warning-signs-need-a-source",
    ),
    pytest.param(
        "tr/topics.json",
        lambda d: d["topics"].pop(),
        "tr/topics.json $: id 'msc' is missing here (present in ar, de, en, ru)",
        id="id-missing-in-a-language",
    ),
    pytest.param(
        "en/topics.json",
        lambda d: _topic(d, "sle")["blocks"][0].update(sources=["nobody-2020"]),
        "source id 'nobody-2020' is not in sources.json",
        id="unresolved-source",
    ),
    pytest.param(
        "en/topics.json",
        lambda d: _topic(d, "sle")["blocks"][0].update(sources=[]),
        "a medical statement must cite at least one source id",
        id="uncited-medical-block",
    ),
    pytest.param(
        "sources.json",
        lambda d: d["sources"][1].update(url="http://pmc.ncbi.nlm.nih.gov/x"),
        "URL must start with https://",
        id="non-https-url",
    ),
    pytest.param(
        "sources.json",
        lambda d: d["sources"][1].update(url="https://not a host/x"),
        "malformed URL",
        id="malformed-url",
    ),
    pytest.param(
        "en/topics.json",
        lambda d: _topic(d, "sle").update(image="images/organs.png"),
        "image not found: images/organs.png",
        id="missing-image",
    ),
    pytest.param(
        "en/topics.json",
        lambda d: _topic(d, "sle").update(image="../../etc/passwd"),
        "image not found",
        id="image-outside-content",
    ),
    pytest.param(
        "en/sections.json",
        lambda d: d["sections"][0].update(items=["no-such-topic"]),
        "unknown topic 'no-such-topic'",
        id="section-to-unknown-topic",
    ),
    pytest.param(
        "en/sections.json",
        lambda d: d["sections"][0].update(icon="no-such-icon"),
        "icon 'no-such-icon' not in resources/icons",
        id="missing-icon",
    ),
    pytest.param(
        "en/topics.json",
        lambda d: _topic(d, "msc").update(disclaimers=["nope"]),
        "unknown disclaimer 'nope'",
        id="unknown-disclaimer",
    ),
    pytest.param(
        "tr/tables.json",
        lambda d: d["tables"][0]["rows"][0]["cells"].pop("msc"),
        "empty cells: msc",
        id="empty-table-cell",
    ),
    pytest.param(
        "manifest.json",
        lambda d: d.update(reviewed_on="2026-11-22"),
        "set reviewed_on and next_review together",
        id="review-date-alone",
    ),
    pytest.param(
        "manifest.json",
        lambda d: d.update(reviewed_on="2026-11-22", next_review="2020-01-01"),
        "next review is before the last review",
        id="review-dates-reversed",
    ),
]


@pytest.mark.parametrize(("file", "change", "expected"), CASES)
def test_broken_tree_is_reported(content_dir: Path, file: str, change, expected: str) -> None:
    """Each kind of cross-file mistake yields an error naming it, and no usable content."""
    _edit(content_dir / file, change)
    content, problems = check_content(content_dir, today=TODAY)
    assert content is None
    errors = _errors(problems)
    assert any(expected in e for e in errors), errors


def test_overdue_review_is_a_warning_only(content_dir: Path) -> None:
    """Past next_review, the content still loads but the check warns."""
    _edit(
        content_dir / "manifest.json",
        lambda d: d.update(reviewed_on="2026-11-22", next_review="2027-05-22"),
    )
    content, problems = check_content(content_dir, today=dt.date(2031, 1, 1))
    assert content is not None
    assert [p.severity for p in problems] == ["warning"]
    assert "content review is overdue" in problems[0].message


@pytest.mark.parametrize(
    ("lang", "text", "category", "phrase"),
    [
        ("en", "This therapy can cure lupus.", "cure", "cure"),
        ("en", "Results are GUARANTEED.", "cure", "guarantee"),
        ("en", "It has no side effects at all", "safety", "no side effect"),
        ("en", "A miracle for many", "cure", "miracle"),
        ("en", "The definitive answer", "cure", "definitive"),
        ("en", "Works in 100% of people", "success_rate", "100%"),
        ("tr", "KESİN TEDAVİ sunuyoruz", "cure", "kesin tedavi"),
        ("tr", "Sonuçlar garantilidir", "cure", "garanti"),
        ("tr", "Tamamen yan etkisiz", "safety", "yan etkisiz"),
        ("tr", "Mucizevi bir yöntem", "cure", "mucize"),
        ("tr", "TAM İYİLEŞME mümkün", "cure", "tam iyileş"),
        ("tr", "Tek çözüm budur", "cure", "tek çözüm"),
        ("tr", "%100 başarı", "success_rate", "%100"),
    ],
)
def test_banned_claims_are_caught(
    content_dir: Path, lang: str, text: str, category: str, phrase: str
) -> None:
    """The claims lint matches case- and diacritic-insensitively, with Turkish İ/ı rules."""
    _edit(
        content_dir / lang / "faq.json",
        lambda d: d["entries"][0].update(answer=[text]),
    )
    content, problems = check_content(content_dir, today=TODAY)
    assert content is None
    errors = _errors(problems)
    claim = f"banned claim ({category}) '{phrase}'"
    assert any(claim in e and f"{lang}/faq.json" in e for e in errors), errors


def test_banned_claims_checked_in_ui_strings_too(content_dir: Path) -> None:
    """UI strings are patient-facing text as well."""
    _edit(content_dir / "en" / "ui.json", lambda d: d.update(home_welcome="A miracle awaits"))
    _content, problems = check_content(content_dir, today=TODAY)
    assert any("en/ui.json $.home_welcome" in e for e in _errors(problems))


def test_table_shapes_must_match_across_languages(content_dir: Path) -> None:
    """A row present in one language only would hide a comparison: error."""

    def add_row(d: dict) -> None:
        row = dict(d["tables"][0]["rows"][0], id="extra")
        d["tables"][0]["rows"].append(row)

    _edit(content_dir / "en" / "tables.json", add_row)
    _content, problems = check_content(content_dir, today=TODAY)
    assert any("columns or rows differ" in e for e in _errors(problems))


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://doi.org/10.1136/x", True),
        ("https://example.org", True),
        ("http://example.org", False),
        ("ftp://example.org", False),
        ("https://", False),
        ("https://localhost/x", False),
        ("example.org", False),
        ("https://exa mple.org", False),
    ],
)
def test_url_problem(url: str, ok: bool) -> None:
    """Only well-formed https links to a real host pass."""
    assert (url_problem(url) is None) is ok


@pytest.mark.parametrize(
    ("lang", "text", "category", "phrase"),
    [
        ("tr", "Mu\u00adcize bir yöntem", "cure", "mucize"),  # soft hyphen inside the word
        ("en", "It can c\u200bure you", "cure", "cure"),  # zero-width space
        ("tr", "%100lük başarı", "success_rate", "%100"),
        ("tr", "Yan etkileri yoktur", "safety", "yan etkileri yok"),
        ("en", "Our only hope", "cure", "only hope"),
    ],
)
def test_banned_claims_not_hidden_by_tricks(
    content_dir: Path, lang: str, text: str, category: str, phrase: str
) -> None:
    """Invisible characters and suffixes do not hide a banned claim."""
    _edit(content_dir / lang / "faq.json", lambda d: d["entries"][0].update(answer=[text]))
    _content, problems = check_content(content_dir, today=TODAY)
    claim = f"banned claim ({category}) '{phrase}'"
    assert any(claim in e for e in _errors(problems)), _errors(problems)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Adım {n} / {toplam}", "unknown placeholder {toplam}"),
        ("Step {n of {total}", "unbalanced"),
    ],
)
def test_placeholders_are_checked(content_dir: Path, text: str, expected: str) -> None:
    """A placeholder the kiosk does not fill would crash the screen: content check says so."""
    _edit(content_dir / "tr" / "appointment.json", lambda d: d.update(step_of=text))
    content, problems = check_content(content_dir, today=TODAY)
    assert content is None
    assert any("tr/appointment.json $.step_of" in e and expected in e for e in _errors(problems))


def test_odd_image_paths_do_not_crash(content_dir: Path) -> None:
    """A 300-character or NUL-containing image name is an error, not a traceback."""
    for name in ("x" * 300 + ".png", "bad\u0000name.png"):
        _edit(content_dir / "en" / "topics.json", lambda d, n=name: d["topics"][0].update(image=n))
        _content, problems = check_content(content_dir, today=TODAY)
        assert any("image not found" in e for e in _errors(problems))


def test_treatment_pages_must_keep_their_cautions(content_dir: Path) -> None:
    """An edit that drops "not an approved treatment" from a research page is refused."""
    _edit(
        content_dir / "tr" / "topics.json",
        lambda d: _topic(d, "msc").update(disclaimers=["general", "medicines", "emergency"]),
    )
    content, problems = check_content(content_dir, today=TODAY)
    assert content is None
    assert any(
        "tr/topics.json" in e and "missing: research-status, transplant-risk" in e
        for e in _errors(problems)
    )


def test_treatment_table_must_keep_its_cautions(content_dir: Path) -> None:
    """The comparison table of treatments carries every caution too."""
    _edit(content_dir / "en" / "tables.json", lambda d: d["tables"][0].update(disclaimers=[]))
    _content, problems = check_content(content_dir, today=TODAY)
    assert any("a table of treatments must show every caution" in e for e in _errors(problems))
