"""Start-up's remembered content check: skipped only for exactly the content that passed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kiosk import validation
from kiosk.content import ContentError
from kiosk.validation import load_content_remembered


def _no_rules(self: object) -> list[object]:
    raise AssertionError("the cross-file rules ran again")


def test_content_that_passed_is_only_decoded(
    content_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first load checks everything and records it; the next one only decodes."""
    record = tmp_path / "data" / "content-checked"
    first = load_content_remembered(content_dir, record)
    assert record.is_file()
    monkeypatch.setattr(validation._Checker, "run", _no_rules)
    again = load_content_remembered(content_dir, record)
    assert again.manifest == first.manifest and sorted(again.languages) == [
        "ar",
        "de",
        "en",
        "ru",
        "tr",
    ]


def test_any_change_means_a_full_check(content_dir: Path, tmp_path: Path) -> None:
    """An edit after the record (here a banned claim) is caught: the rules run again."""
    record = tmp_path / "content-checked"
    load_content_remembered(content_dir, record)
    faq = content_dir / "en" / "faq.json"
    data = json.loads(faq.read_text("utf-8"))
    data["entries"][0]["answer"] = ["This is a guaranteed cure."]
    faq.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    stat = faq.stat()
    os.utime(faq, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    with pytest.raises(ContentError, match="banned claim"):
        load_content_remembered(content_dir, record)


def test_a_record_that_cannot_be_written_only_costs_time(content_dir: Path, tmp_path: Path) -> None:
    """A read-only or missing place for the record never stops the kiosk."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", "utf-8")
    content = load_content_remembered(content_dir, blocker / "content-checked")
    assert sorted(content.languages) == ["ar", "de", "en", "ru", "tr"]
