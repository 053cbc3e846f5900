"""`kiosk desk account` and `kiosk desk retention` as an administrator runs them, with the
clinic's recovery key, against a real PostgreSQL; `kiosk desk` without its configuration."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pgserver import Central

from kiosk import crypto
from kiosk.cli import main
from kiosk.fleet.desk import DeskError, DeskSession

OWN = "730518264903"


@pytest.fixture
def recovery(tmp_path: Path) -> str:
    return crypto.init_keys(tmp_path / "keys.json", OWN, crypto.MIN_COST)


def _desk(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["desk", *args])


def test_an_administrator_adds_an_account_that_signs_in_with_its_one_time_passphrase(
    central: Central,
    recovery: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dsn = central.admin_dsn
    code = _desk(
        monkeypatch,
        "account", "add", "ayse", "--display-name", "Ayşe Y.", "--dsn", dsn, "--recovery-stdin",
        stdin=recovery + "\n",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    found = re.search(r"one-time passphrase\s+([\d ]+)\n", out)
    assert found is not None
    phrase = found.group(1).replace(" ", "")
    session = DeskSession.sign_in(central.desk_target(), "ayse", phrase)
    try:
        assert (session.account.display_name, session.account.must_change) == ("Ayşe Y.", True)
    finally:
        session.close()

    assert _desk(monkeypatch, "account", "list", "--dsn", dsn) == 0
    assert "ayse (Ayşe Y.): active, one-time passphrase not changed yet" in capsys.readouterr().out
    assert _desk(monkeypatch, "account", "disable", "ayse", "--dsn", dsn) == 0
    assert _desk(monkeypatch, "account", "list", "--dsn", dsn) == 0
    assert "ayse (Ayşe Y.): disabled" in capsys.readouterr().out
    with pytest.raises(DeskError) as refused:
        DeskSession.sign_in(central.desk_target(), "ayse", phrase)
    assert refused.value.kind == "disabled"

    # A reset gives a new one-time passphrase; the old one no longer opens anything.
    assert _desk(monkeypatch, "account", "enable", "ayse", "--dsn", dsn) == 0
    capsys.readouterr()
    assert (
        _desk(
            monkeypatch,
            "account",
            "reset",
            "ayse",
            "--dsn",
            dsn,
            "--recovery-stdin",
            stdin=recovery + "\n",
        )  # fmt: skip
        == 0
    )
    again = re.search(r"one-time passphrase\s+([\d ]+)\n", capsys.readouterr().out)
    assert again is not None and again.group(1).replace(" ", "") != phrase
    with pytest.raises(DeskError):
        DeskSession.sign_in(central.desk_target(), "ayse", phrase)


def test_a_mistyped_or_foreign_recovery_key_changes_nothing(
    central: Central,
    recovery: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dsn = central.admin_dsn
    mistyped = recovery[:-1] + ("A" if recovery[-1] != "A" else "B")
    args = ("account", "add", "cem", "--dsn", dsn, "--recovery-stdin")
    assert _desk(monkeypatch, *args, stdin=mistyped + "\n") == 1
    assert "typing mistake" in capsys.readouterr().err
    assert _desk(monkeypatch, *args, stdin=recovery + "\n") == 0
    # Another clinic's key: its accounts would open none of these requests.
    other = crypto.init_keys(tmp_path / "other.json", OWN, crypto.MIN_COST)
    args = ("account", "add", "deniz", "--dsn", dsn, "--recovery-stdin")
    assert _desk(monkeypatch, *args, stdin=other + "\n") == 1
    assert "another key pair" in capsys.readouterr().err
    names = central.query("SELECT account FROM fleet.staff_account ORDER BY account")
    assert names == [("cem",)]


def test_the_central_retention_is_shown_set_and_applied(
    central: Central, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = central.admin_dsn
    assert _desk(monkeypatch, "retention", "--dsn", dsn) == 0
    assert "30 days after a request reached the staff, 90 days" in capsys.readouterr().out
    assert (
        _desk(monkeypatch, "retention", "--dsn", dsn, "--days", "14", "--unexported-days", "60")
        == 0
    )
    capsys.readouterr()
    assert _desk(monkeypatch, "retention", "--dsn", dsn, "--apply") == 0
    assert "destroyed 0 request(s)" in capsys.readouterr().out
    assert central.query("SELECT name, value FROM fleet.setting ORDER BY name") == [
        ("retention_days", 14),
        ("unexported_max_days", 60),
    ]
    assert (
        _desk(monkeypatch, "retention", "--dsn", dsn, "--days", "60", "--unexported-days", "14")
        == 1
    )
    assert "at least as long" in capsys.readouterr().err
    events = [e for (e,) in central.query("SELECT event FROM fleet.audit ORDER BY id")]
    assert events == ["retention_set", "retention_checked"]


def test_the_console_without_its_configuration_says_where_to_write_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "desk.toml"
    assert _desk(monkeypatch, "--config", str(missing)) == 1
    assert "no desk configuration" in capsys.readouterr().err
    missing.write_text('time_zone = "Mars/Base"\n[server]\nhost = "db"\nca_file = "ca.crt"\n')
    assert _desk(monkeypatch, "--config", str(missing)) == 1
    assert "key 'time_zone': not a time zone name" in capsys.readouterr().err
