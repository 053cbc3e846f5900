"""Decoding content files: valid sets load, and every kind of bad file says where and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.content import ContentError, FaqFile, TopicsFile, decode_content, decode_file


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def test_bundled_content_decodes(content_dir: Path) -> None:
    """The shipped content decodes into every language with its topics and UI strings."""
    content, problems = decode_content(content_dir)
    assert problems == []
    assert content is not None
    assert {"en", "tr"} <= set(content.languages)
    tr = content.languages["tr"]
    assert tr.meta.name == "Türkçe"
    assert tr.ui.bar_home == "Ana sayfa"
    assert set(tr.topics) == set(content.languages["en"].topics)


@pytest.mark.parametrize(
    ("change", "path_part", "message_part"),
    [
        (lambda d: d["topics"][0].update(colour="red"), "$.topics[0]", "unknown field `colour`"),
        (
            lambda d: d["topics"][0].update(title=42),
            "$.topics[0].title",
            "Expected `str`, got `int`",
        ),
        (
            lambda d: d["topics"][0].pop("summary"),
            "$.topics[0]",
            "missing required field `summary`",
        ),
        (lambda d: d["topics"][0].update(id="Not Kebab"), "$.topics[0].id", "matching regex"),
        (lambda d: d["topics"][0].update(title=""), "$.topics[0].title", "length >= 1"),
        (
            lambda d: d["topics"][3]["treatment"].update(status="miracle"),
            "$.topics[3].treatment.status",
            "Invalid enum value 'miracle'",
        ),
    ],
)
def test_invalid_topics_name_file_path_and_expectation(
    content_dir: Path,
    change,
    path_part: str,
    message_part: str,
) -> None:
    """Unknown keys, wrong types and missing fields are rejected with file and JSON path."""
    target = content_dir / "tr" / "topics.json"
    _edit(target, change)
    content, problems = decode_content(content_dir)
    assert content is None
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file == "tr/topics.json"
    assert problem.path == path_part
    assert message_part in problem.message
    assert "tr/topics.json" in str(problem) and path_part in str(problem)


def test_malformed_json_reports_line_and_column(tmp_path: Path) -> None:
    """A syntax error points at the line and column, not a byte offset."""
    bad = tmp_path / "faq.json"
    bad.write_text('{\n  "entries": [\n    {"id": "x",,}\n  ]\n}\n', "utf-8")
    with pytest.raises(ContentError) as info:
        decode_file(bad, FaqFile, "en/faq.json")
    text = str(info.value)
    assert "en/faq.json" in text and "not valid JSON" in text and "line 3" in text


def test_missing_file_is_named(content_dir: Path) -> None:
    """A language folder without one of its files is an error naming that file."""
    (content_dir / "en" / "faq.json").unlink()
    content, problems = decode_content(content_dir)
    assert content is None
    assert [(p.file, p.message) for p in problems] == [("en/faq.json", "file is missing")]


def test_duplicate_ids_are_reported(content_dir: Path) -> None:
    """Two topics with one id would make one unreachable: that is an error."""
    _edit(content_dir / "en" / "topics.json", lambda d: d["topics"].append(d["topics"][0]))
    content, problems = decode_content(content_dir)
    assert content is None
    assert any("duplicate id 'lupus-overview'" in p.message for p in problems)


def test_ui_strings_are_all_required(content_dir: Path) -> None:
    """A missing UI string is an error, so no screen can fall back to another language."""
    _edit(content_dir / "tr" / "ui.json", lambda d: d.pop("bar_help"))
    _content, problems = decode_content(content_dir)
    assert [(p.file, p.message) for p in problems] == [
        ("tr/ui.json", "Object missing required field `bar_help`")
    ]


def test_topics_model_allows_rtl_languages(content_dir: Path) -> None:
    """A right-to-left language is just another folder (Arabic's meta.json says rtl)."""
    content, problems = decode_content(content_dir)
    assert problems == [] and content is not None
    assert content.languages["ar"].rtl and not content.languages["en"].rtl
    assert isinstance(decode_file(content_dir / "ar" / "topics.json", TopicsFile), TopicsFile)
