"""The ``kiosk`` command line: exit codes and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main


def test_content_check_ok(content_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A valid tree exits 0 and says so."""
    assert main(["content", "check", str(content_dir)]) == 0
    out = capsys.readouterr().out
    # Valid; the clinic's details still to fill in are warnings (errors with --release).
    assert "content valid (ar, de, en, ru, tr; " in out and "ERROR" not in out
    assert "WARNING: config data_controller_name: give the data controller's legal name" in out


def test_content_check_broken(content_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A broken tree exits 1 with a readable list of problems."""
    faq = content_dir / "tr" / "faq.json"
    data = json.loads(faq.read_text("utf-8"))
    data["entries"][0]["answer"] = ["Kesin tedavi garantisi veriyoruz."]
    data["entries"][1]["sources"] = ["unknown-source"]
    faq.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert main(["content", "check", str(content_dir)]) == 1
    out = capsys.readouterr().out
    assert "ERROR: tr/faq.json $.entries[0].answer[0]: banned claim (cure) 'kesin tedavi'" in out
    assert "source id 'unknown-source' is not in sources.json" in out
    assert "error(s)" in out


def test_content_check_uses_config(tmp_path: Path, content_dir: Path) -> None:
    """Without a folder argument, the configured content_dir is checked."""
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'content_dir = "{content_dir.as_posix()}"\n', "utf-8")
    (content_dir / "manifest.json").write_text("{}", "utf-8")
    assert main(["content", "check", "--config", str(cfg)]) == 1


def test_config_error_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad config is exit 1 with one line naming file and key."""
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text("colour = 'purple'\n", "utf-8")
    assert main(["content", "check", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "config error" in err and "colour" in err and str(cfg) in err


def test_usage_error_is_exit_2() -> None:
    """Unknown options are usage errors (argparse's exit 2)."""
    with pytest.raises(SystemExit) as info:
        main(["screenshots", "--size", "huge", "--out", "x"])
    assert info.value.code == 2


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the app, content and Qt versions."""
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("kiosk ") and "content " in out and "Qt 6." in out


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 display check is Linux-only")
def test_run_without_display_exits_2(tmp_path: Path) -> None:
    """No display: exit status 2 and one clear sentence, never Qt's abort."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "xcb"
    result = _run(["run", "--windowed", "--db", str(tmp_path / "k.db")], env)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("No display found")
    assert "QT_QPA_PLATFORM=offscreen" in lines[-1]
    assert "Aborted" not in result.stderr and "core dumped" not in result.stderr


def test_default_subcommand_is_run(tmp_path: Path) -> None:
    """`kiosk` alone means `kiosk run` (checked through the same no-display exit)."""
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["QT_QPA_PLATFORM"] = "xcb"
    env["KIOSK_CONFIG"] = str(tmp_path / "kiosk.toml")
    (tmp_path / "kiosk.toml").write_text(f'db_path = "{(tmp_path / "k.db").as_posix()}"\n')
    result = _run([], env)
    assert result.returncode == 2, result.stderr


def test_broken_configured_content_falls_back_to_bundled(
    content_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Invalid edited content never blanks the kiosk: it runs on the bundled set and logs why."""
    from kiosk import paths
    from kiosk.cli import _content_for_run
    from kiosk.config import Settings

    (content_dir / "en" / "topics.json").write_text('{"topics": 3}', "utf-8")
    with caplog.at_level("ERROR"):
        content, warning = _content_for_run(Settings(content_dir=str(content_dir)))
    assert content.root == paths.bundled_content_dir()
    assert warning is not None and "en/topics.json" in warning
    assert any("content_invalid" in r.getMessage() for r in caplog.records)
    assert any("en/topics.json" in r.getMessage() for r in caplog.records)


def _keys(db: Path, code: str = "482913") -> Path:
    """A key file next to ``db`` as `kiosk keys init` makes it (cheap Argon2id: tests)."""
    from kiosk import crypto

    path = db.parent / "kiosk-keys.json"
    crypto.init_keys(path, code, crypto.MIN_COST)
    return path


def _stdin(monkeypatch: pytest.MonkeyPatch, *lines: str) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))


def test_demo_data_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """demo-data fills a new database; a bad count is a usage error; without keys it
    cannot save and says what to do."""
    db = tmp_path / "k.db"
    assert main(["demo-data", "--count", "7", "--db", str(db)]) == 1
    assert "kiosk keys init" in capsys.readouterr().err
    _keys(db)
    assert main(["demo-data", "--count", "7", "--db", str(db)]) == 0
    assert "added 7 demo requests" in capsys.readouterr().out
    assert main(["demo-data", "--count", "0", "--db", str(db)]) == 2


def test_demo_data_refuses_real_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a real request present, demo-data refuses (exit 1) unless --force."""
    from kiosk import crypto
    from kiosk.appointment import FormData, validate_request
    from kiosk.store import AppointmentStore, open_database

    db = tmp_path / "k.db"
    store = AppointmentStore(open_database(db), sealer=crypto.load_sealer(_keys(db)))
    request = validate_request(
        FormData(
            name="Real Person",
            email="real@example.com",
            contact_language="en",
            contact_method="email",
            time_window="morning",
            consents={"notice_read": True, "contact": True},
        ),
        "en",
    )
    assert not isinstance(request, list)
    store.add_request(
        request, kiosk_id="k", content_version="v", consent_versions={}, notice_version="n"
    )
    store.db.close()
    assert main(["demo-data", "--count", "3", "--db", str(db)]) == 1
    assert "refused" in capsys.readouterr().out
    assert main(["demo-data", "--count", "3", "--db", str(db), "--force"]) == 0


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_qr_command(tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    """kiosk qr writes the poster code with lang and source=kiosk only."""
    out = tmp_path / f"poster{suffix}"
    assert main(["qr", "--out", str(out), "--lang", "tr"]) == 0
    assert out.stat().st_size > 100
    assert "lang=tr&source=kiosk" in capsys.readouterr().out


def test_qr_command_usage_errors(tmp_path: Path) -> None:
    """Unknown format or language: exit 2."""
    assert main(["qr", "--out", str(tmp_path / "x.gif")]) == 2
    assert main(["qr", "--out", str(tmp_path / "x.png"), "--lang", "xx"]) == 2


def test_keys_init_set_passcode_and_recover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """keys init (scripted) prints a recovery key once; it refuses to run twice; set-passcode
    needs the current code; recover sets a new one from the recovery key, even after the
    key file is lost, and the requests saved before still open."""
    import re

    db = tmp_path / "k.db"
    _stdin(monkeypatch, "12ab")
    assert main(["keys", "init", "--passcode-stdin", "--db", str(db)]) == 1
    assert "digits only" in capsys.readouterr().err
    _stdin(monkeypatch, "4829137051")  # ten digits: a stolen disk would fall in a year
    assert main(["keys", "init", "--passcode-stdin", "--db", str(db)]) == 1
    assert "use 12 to 16 digits (this has 10)" in capsys.readouterr().err
    assert not (tmp_path / "kiosk-keys.json").exists()
    _stdin(monkeypatch, "482913705186")
    assert main(["keys", "init", "--passcode-stdin", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    recovery = re.search(r"((?:[A-Z2-7]{4}-){13}[A-Z2-7]{4})", out)
    assert recovery and "RECOVERY KEY" in out
    assert "482913705186" not in out
    _stdin(monkeypatch, "739104582016")
    assert main(["keys", "init", "--passcode-stdin", "--db", str(db)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["keys", "init", "--if-missing", "--passcode-stdin", "--db", str(db)]) == 0
    assert main(["demo-data", "--count", "3", "--db", str(db)]) == 0

    _stdin(monkeypatch, "000000", "551234567890")
    assert main(["staff", "set-passcode", "--passcode-stdin", "--db", str(db)]) == 1
    _stdin(monkeypatch, "482913705186", "123123123123")
    assert main(["staff", "set-passcode", "--passcode-stdin", "--db", str(db)]) == 1
    assert "repeats a short block" in capsys.readouterr().err
    _stdin(monkeypatch, "482913705186", "551234567890")
    assert main(["staff", "set-passcode", "--passcode-stdin", "--db", str(db)]) == 0
    capsys.readouterr()
    _stdin(monkeypatch, "482913705186")
    assert main(["requests", "list", "--passcode-stdin", "--db", str(db)]) == 1
    assert "wrong passcode" in capsys.readouterr().err

    typo = recovery.group(1).replace(
        recovery.group(1)[5], "A" if recovery.group(1)[5] != "A" else "B", 1
    )
    _stdin(monkeypatch, typo, "777888999777")
    assert main(["keys", "recover", "--passcode-stdin", "--db", str(db)]) == 1
    assert "typing mistake" in capsys.readouterr().err
    (tmp_path / "kiosk-keys.json").unlink()  # lost with a broken disk, say
    _stdin(monkeypatch, recovery.group(1).lower(), "777888999777")
    assert main(["keys", "recover", "--passcode-stdin", "--db", str(db)]) == 1
    assert "fewer than 4 different digits" in capsys.readouterr().err
    _stdin(monkeypatch, recovery.group(1).lower(), "776188399025")
    assert main(["keys", "recover", "--passcode-stdin", "--db", str(db)]) == 0
    capsys.readouterr()
    _stdin(monkeypatch, "776188399025")
    assert main(["requests", "list", "--passcode-stdin", "--db", str(db)]) == 0
    assert "3 request(s)" in capsys.readouterr().out


def test_keys_unlock_lifts_the_lockout_with_the_recovery_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A locked-out desk: IT's recovery key lifts the lock at once and the same passcode
    works again (the key file is untouched); a wrong recovery key lifts nothing and says so.
    Both are audited."""
    from kiosk import crypto
    from kiosk.store import AppointmentStore, open_database

    db = tmp_path / "k.db"
    keys = tmp_path / "kiosk-keys.json"
    recovery = crypto.init_keys(keys, "482913", crypto.MIN_COST)
    other = crypto.init_keys(tmp_path / "elsewhere" / "kiosk-keys.json", "482913", crypto.MIN_COST)
    before = keys.read_bytes()
    listing = ["requests", "list", "--passcode-stdin", "--db", str(db)]
    for guess in range(5):
        _stdin(monkeypatch, f"{300000 + guess}")
        assert main(listing) == 1
    capsys.readouterr()
    unlock = ["keys", "unlock", "--passcode-stdin", "--db", str(db)]

    _stdin(monkeypatch, other)
    assert main(unlock) == 1
    assert "another kiosk's key pair; the lockout stays" in capsys.readouterr().err
    _stdin(monkeypatch, "482913")
    assert main(listing) == 1
    assert "too many wrong passcodes" in capsys.readouterr().err

    _stdin(monkeypatch, recovery)
    assert main(unlock) == 0
    out = capsys.readouterr().out
    assert out.startswith("staff lockout cleared, wrong attempts forgotten (it had ")
    assert out.endswith("; the passcode is unchanged\n") and recovery not in out
    assert keys.read_bytes() == before
    _stdin(monkeypatch, "482913")
    assert main(listing) == 0
    store = AppointmentStore(open_database(db))
    events = [e["event"] for e in store.audit_log()]
    store.db.close()
    assert "lockout_clear_refused" in events and "lockout_cleared_by_recovery" in events
    assert recovery not in repr(events)


def test_set_passcode_asks_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Interactively the new code is asked twice without echo; a mismatch changes nothing."""
    db = tmp_path / "k.db"
    _keys(db)
    answers = iter(["482913", "482913705186", "482913705187"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt="": next(answers))
    assert main(["staff", "set-passcode", "--db", str(db)]) == 1
    assert "differ" in capsys.readouterr().err
    _stdin(monkeypatch, "482913")
    assert main(["requests", "list", "--passcode-stdin", "--db", str(db)]) == 0


def test_enter_at_the_prompt_chooses_a_random_passcode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Staff who press Enter get 12 random digits, shown once in groups of four, that
    meet the rules and open the keys from then on."""
    import re

    db = tmp_path / "k.db"
    _keys(db)
    prompts: list[str] = []
    answers = iter(["482913", ""])

    def getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", getpass)
    assert main(["staff", "set-passcode", "--db", str(db)]) == 0
    assert "Enter" in prompts[1] and len(prompts) == 2  # nothing to type twice
    shown = re.search(r"passcode is:\s+(\d{4} \d{4} \d{4})\n", capsys.readouterr().out)
    assert shown
    code = shown.group(1).replace(" ", "")
    _stdin(monkeypatch, code)
    assert main(["requests", "list", "--passcode-stdin", "--db", str(db)]) == 0
    _stdin(monkeypatch, "482913")
    assert main(["requests", "list", "--passcode-stdin", "--db", str(db)]) == 1


def test_requests_list_export_and_purge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The IT commands: list (table), export (file, marks rows), purge (count); exit codes.
    Listing and exporting ask the staff passcode."""
    db = str(tmp_path / "k.db")
    _keys(Path(db))
    assert main(["demo-data", "--count", "5", "--db", db]) == 0
    capsys.readouterr()
    _stdin(monkeypatch, "482913")
    assert main(["requests", "list", "--passcode-stdin", "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("reference") and "5 request(s)" in out
    assert "received (Europe/Istanbul)" in out and "+03:00" in out  # the clinic's time
    folder = tmp_path / "usb"
    folder.mkdir()
    export = ["export", "--format", "csv", "--out", str(folder), "--passcode-stdin", "--db", db]
    _stdin(monkeypatch, "000000")
    assert main([*export, "--mark-exported"]) == 1
    assert list(folder.iterdir()) == []
    _stdin(monkeypatch, "482913")
    assert main([*export, "--mark-exported"]) == 0  # demo requests stay out unless asked
    assert "no file written" in capsys.readouterr().out and list(folder.iterdir()) == []
    _stdin(monkeypatch, "482913")
    assert main([*export, "--mark-exported", "--include-demo"]) == 0
    assert len(list(folder.glob("kiosk-requests-kiosk-1-*.csv"))) == 1
    capsys.readouterr()
    _stdin(monkeypatch, "482913")
    assert main(["requests", "list", "--status", "exported", "--passcode-stdin", "--db", db]) == 0
    assert "5 request(s)" in capsys.readouterr().out
    _stdin(monkeypatch, "482913")
    bad = ["export", "--format", "xlsx", "--out", str(tmp_path / "no" / "x.xlsx")]
    assert main([*bad, "--passcode-stdin", "--db", db]) == 1
    _stdin(monkeypatch, "482913")
    assert main(["requests", "purge", "--older-than", "0", "--passcode-stdin", "--db", db]) == 0
    assert "deleted 5 request(s)" in capsys.readouterr().out


def _statuses(db: Path) -> list[str]:
    from kiosk.store import AppointmentStore, open_database

    store = AppointmentStore(open_database(db))
    try:
        return sorted(r.status for r in store.list_requests())
    finally:
        store.db.close()


def test_purge_asks_the_passcode_and_keeps_unexported_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """purge deletes only with the staff passcode, and by default only the requests that
    reached the staff; the ones nobody exported go only with --include-unexported, and the
    line says how many of them went. Each rule is in the destruction log."""
    from kiosk.store import AppointmentStore, open_database

    db = tmp_path / "k.db"
    _keys(db)
    assert main(["demo-data", "--count", "5", "--db", str(db)]) == 0
    store = AppointmentStore(open_database(db))
    store.db.execute("UPDATE requests SET is_demo = 0")  # as patients' requests
    store.db.conn.commit()
    ids = [r.id for r in store.list_requests()]
    store.set_status(ids[:1], "exported", "test")
    store.set_status(ids[1:2], "contacted", "test")
    store.db.close()
    capsys.readouterr()
    purge = ["requests", "purge", "--older-than", "0", "--passcode-stdin", "--db", str(db)]

    _stdin(monkeypatch, "000000")
    assert main(purge) == 1
    assert "wrong passcode" in capsys.readouterr().err
    assert len(_statuses(db)) == 5

    _stdin(monkeypatch, "482913")
    assert main(purge) == 0
    assert capsys.readouterr().out == (
        "deleted 2 request(s) older than 0 days; kept 3 never exported "
        "(--include-unexported deletes them too)\n"
    )
    assert _statuses(db) == ["new", "new", "new"]

    _stdin(monkeypatch, "482913")
    assert main([*purge, "--include-unexported"]) == 0
    assert capsys.readouterr().out == (
        "deleted 3 request(s) older than 0 days, 3 of them never exported\n"
    )
    assert _statuses(db) == []
    store = AppointmentStore(open_database(db))
    reasons = {e["reason"]: e["count"] for e in store.destruction_log()}
    events = [e["event"] for e in store.audit_log()]
    store.db.close()
    assert reasons == {"purge 0 days, reached staff": 2, "purge 0 days, never reached staff": 3}
    assert events.count("staff_login") == 3 and events.count("retention_checked") == 2


def test_purge_dry_run_counts_without_the_passcode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--dry-run says what would go, deletes nothing and asks nothing (it shows counts only)."""
    from kiosk.store import AppointmentStore, open_database

    def no_prompt(_prompt: str = "") -> str:
        raise AssertionError("a dry run asked for the passcode")

    monkeypatch.setattr("getpass.getpass", no_prompt)
    db = tmp_path / "k.db"
    _keys(db)
    assert main(["demo-data", "--count", "4", "--db", str(db)]) == 0
    store = AppointmentStore(open_database(db))
    store.db.execute("UPDATE requests SET is_demo = 0")  # as patients' requests
    store.db.conn.commit()
    store.set_status([store.list_requests()[0].id], "exported", "test")
    store.db.close()
    capsys.readouterr()
    dry = ["requests", "purge", "--older-than", "0", "--dry-run", "--db", str(db)]
    assert main(dry) == 0
    assert capsys.readouterr().out == (
        "dry run: would delete 1 request(s) older than 0 days; would keep 3 never exported "
        "(--include-unexported deletes them too); nothing deleted\n"
    )
    assert main([*dry, "--include-unexported"]) == 0
    assert "would delete 4 request(s) older than 0 days, 3 of them never exported" in (
        capsys.readouterr().out
    )
    assert len(_statuses(db)) == 4


def test_purge_meets_the_lockout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guessing through purge counts towards the same lockout: locked, even the right
    passcode deletes nothing."""
    db = tmp_path / "k.db"
    _keys(db)
    assert main(["demo-data", "--count", "2", "--db", str(db)]) == 0
    purge = ["requests", "purge", "--older-than", "0", "--include-unexported"]
    for guess in range(5):
        _stdin(monkeypatch, f"{200000 + guess}")
        assert main([*purge, "--passcode-stdin", "--db", str(db)]) == 1
    capsys.readouterr()
    _stdin(monkeypatch, "482913")
    assert main([*purge, "--passcode-stdin", "--db", str(db)]) == 1
    assert "too many wrong passcodes" in capsys.readouterr().err
    assert len(_statuses(db)) == 2


def test_cli_brute_force_hits_the_lockout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guessing through the command line counts like the pad: after five wrong codes even
    the right one is refused until the lock runs out."""
    db = str(tmp_path / "k.db")
    _keys(Path(db))
    for guess in range(5):
        _stdin(monkeypatch, f"{100000 + guess}")
        assert main(["requests", "list", "--passcode-stdin", "--db", db]) == 1
    assert "try again in" in capsys.readouterr().err
    _stdin(monkeypatch, "482913")
    assert main(["requests", "list", "--passcode-stdin", "--db", db]) == 1
    assert "too many wrong passcodes" in capsys.readouterr().err


def test_first_start_after_keys_init_seals_plain_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database written by a kiosk without keys (personal data in the clear) is sealed
    by keys init in one go: afterwards no name is left anywhere in the files."""
    import json as _json

    from kiosk.store import open_database

    db = tmp_path / "k.db"
    plain = open_database(db)
    for i, name in enumerate(["Eski Kayıt Birinci", "Old Record Second"]):
        plain.table("requests").insert(
            {
                "reference": f"AAA-BB{i}",
                "created_at": "2026-11-20T09:00:00+00:00",
                "kiosk_id": "k",
                "language": "tr",
                "personal": _json.dumps(
                    {"name": name, "phone": "+905321234567"}, ensure_ascii=False
                ),
                "consents": "{}",
                "content_version": "v",
                "status": "new",
                "is_demo": 0,
            }
        )
    plain.close()
    assert "Eski Kayıt".encode() in b"".join(p.read_bytes() for p in tmp_path.glob("k.db*"))
    _stdin(monkeypatch, "482913705186")
    assert main(["keys", "init", "--passcode-stdin", "--db", str(db)]) == 0
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("k.db*"))
    assert "Eski Kayıt".encode() not in raw and b"Old Record" not in raw
    assert b"+905321234567" not in raw
    capsys.readouterr()
    _stdin(monkeypatch, "482913705186")
    assert main(["requests", "list", "--passcode-stdin", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Eski Kayıt Birinci" in out and "2 request(s)" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "--format", "pdf", "--out", "x"],
        ["export", "--format", "csv", "--out", "x", "--since", "yesterday"],
        ["requests", "purge"],
        ["staff"],
    ],
)
def test_it_commands_usage_errors(argv: list[str]) -> None:
    """Wrong arguments are usage errors: exit 2."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "--help"],
        ["requests", "list", "--help"],
        ["staff", "set-passcode", "--help"],
        ["keys", "init", "--help"],
        ["keys", "recover", "--help"],
        ["keys", "unlock", "--help"],
        ["requests", "purge", "--help"],
    ],
)
def test_help_on_each_command(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """--help works on every command and exits 0."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0 and "usage:" in capsys.readouterr().out
