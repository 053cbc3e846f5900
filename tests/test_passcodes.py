"""The staff passcode's rules (issue 19, item 2): long enough for years of offline guessing,
no code a thief tries first, and development keys that can never pass for real ones."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk import crypto, passcodes
from kiosk.cli import main
from kiosk.config import load_settings
from kiosk.doctor import check_keys
from kiosk.store import AppointmentStore, open_database

from testkit import save_patient

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("48291370518", "use 12 to 16 digits (this has 11)"),
        ("48291370518627301", "use 12 to 16 digits (this has 17)"),
        ("4829 1370 5186", "digits only"),
        ("４８２９１３７０５１８６", "digits only"),
        ("111111111111", "repeats a short block"),
        ("121212121212", "repeats a short block"),
        ("123412341234", "repeats a short block"),
        ("246813246813", "repeats a short block"),
        ("012345678901", "counts up or down"),
        ("567890123456", "counts up or down"),
        ("987654321098", "counts up or down"),
        ("112211221121", "fewer than 4 different digits"),
        ("100000000001", "fewer than 4 different digits"),
        ("905321234567", "mobile phone number"),
        ("00905321234567", "mobile phone number"),
    ],
)
def test_new_passcodes_that_are_refused(code: str, reason: str) -> None:
    """Each rule refuses its kind of code and says which rule, in plain words."""
    problem = passcodes.problem(code)
    assert problem is not None and reason in problem
    with pytest.raises(passcodes.PasscodeError, match=re.escape(reason)):
        passcodes.check_new(code)


def test_the_development_passcode_is_refused_by_name() -> None:
    problem = passcodes.problem(passcodes.DEVELOPMENT_PASSCODE)
    assert problem == "this is the published development passcode"
    assert passcodes.problem("") == "no passcode was given"


@pytest.mark.parametrize("code", ["482913705186", "7391045820164", "3058172946015837"])
def test_random_looking_codes_are_accepted(code: str) -> None:
    assert passcodes.problem(code) is None
    passcodes.check_new(code)


def test_random_passcodes_meet_the_rules_and_differ() -> None:
    drawn = {passcodes.random_passcode() for _ in range(200)}
    assert len(drawn) == 200
    for code in drawn:
        assert len(code) == passcodes.RANDOM_DIGITS and passcodes.meets_rules(code)
    assert passcodes.grouped("482913705186") == "4829 1370 5186"


@given(st.text(max_size=40))
def test_any_text_gets_an_answer_never_a_crash(text: str) -> None:
    """Whatever is typed or piped in, the rules answer; what they accept is 12–16 digits."""
    if passcodes.problem(text) is None:
        assert text.isascii() and text.isdigit() and 12 <= len(text) <= 16


@given(
    st.lists(st.sampled_from("0123456789"), min_size=1, max_size=3, unique=True).flatmap(
        lambda digits: st.text(alphabet="".join(digits), min_size=12, max_size=16)
    )
)
def test_codes_of_three_digits_or_fewer_are_always_refused(code: str) -> None:
    assert passcodes.problem(code) is not None


def test_the_key_file_records_which_rules_its_passcode_met(tmp_path: Path) -> None:
    """A good code is recorded as meeting today's rules; an old short one as meeting none;
    the development code marks the file. Files without the fields (made before) read as 0."""
    good, short, dev = (tmp_path / n / "kiosk-keys.json" for n in ("good", "short", "dev"))
    crypto.init_keys(good, "482913705186", crypto.MIN_COST)
    crypto.init_keys(short, "482913", crypto.MIN_COST)
    crypto.init_keys(dev, passcodes.DEVELOPMENT_PASSCODE, crypto.MIN_COST)
    assert crypto.read_key_file(good).passcode_rules == passcodes.RULES_VERSION
    assert not crypto.read_key_file(good).development
    assert "development" not in json.loads(good.read_text())  # not written when false
    assert crypto.read_key_file(short).passcode_rules == 0
    assert crypto.read_key_file(dev).development
    old = json.loads(good.read_text())
    del old["passcode_rules"]
    short.write_text(json.dumps(old))
    assert crypto.read_key_file(short).passcode_rules == 0
    key = crypto.unlock(short, "482913705186")
    assert key is not None  # the old file still opens
    crypto.change_passcode(short, key, "739104582016")
    assert crypto.read_key_file(short).passcode_rules == passcodes.RULES_VERSION


def _doctor_keys(db: Path) -> str:
    settings, _source = load_settings(None, db_path=str(db))
    result = check_keys(settings)
    return ("OK " if result.ok else "FAIL ") + result.detail


def test_doctor_fails_for_development_keys_and_old_passcodes(tmp_path: Path) -> None:
    """IT learns from `kiosk doctor` that a kiosk still has the published code or a code
    set under the old 6-digit rule; a code set under today's rules passes."""
    for name, code in (("dev", passcodes.DEVELOPMENT_PASSCODE), ("old", "482913")):
        crypto.init_keys(tmp_path / name / "kiosk-keys.json", code)
    crypto.init_keys(tmp_path / "new" / "kiosk-keys.json", "482913705186")
    dev = _doctor_keys(tmp_path / "dev" / "k.db")
    assert dev.startswith("FAIL") and "--replace-development" in dev
    old = _doctor_keys(tmp_path / "old" / "k.db")
    assert old.startswith("FAIL") and "kiosk staff set-passcode" in old
    assert _doctor_keys(tmp_path / "new" / "k.db").startswith("OK")


def _stdin(monkeypatch: pytest.MonkeyPatch, *lines: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))


def test_development_keys_are_made_marked_and_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make run`'s keys: made without asking, marked; replacing them is refused while a
    real request is sealed to them, removes the demo requests that are, and gives a real
    key pair whose passcode the rules checked."""
    db = tmp_path / "k.db"
    keys = tmp_path / "kiosk-keys.json"
    assert main(["keys", "init", "--if-missing", "--development", "--db", str(db)]) == 0
    assert "DEVELOPMENT keys" in capsys.readouterr().out
    assert crypto.read_key_file(keys).development
    old_id = crypto.read_key_file(keys).key_id

    store = AppointmentStore(open_database(db), sealer=crypto.load_sealer(keys))
    save_patient(store, "Demo Kişi", demo=True)
    real = save_patient(store, "Gerçek Hasta")
    store.db.close()

    _stdin(monkeypatch, "482913705186")
    assert main(["keys", "init", "--passcode-stdin", "--db", str(db)]) == 1
    assert "--replace-development" in capsys.readouterr().err
    _stdin(monkeypatch, "482913705186")
    assert main(["keys", "init", "--replace-development", "--passcode-stdin", "--db", str(db)])
    assert "1 real request(s) are sealed to these keys" in capsys.readouterr().err
    assert crypto.read_key_file(keys).key_id == old_id  # nothing changed

    store = AppointmentStore(open_database(db))
    store.db.execute("delete from requests where reference = ?", [real])
    store.db.close()
    _stdin(monkeypatch, "482913705186")
    argv = ["keys", "init", "--replace-development", "--passcode-stdin", "--db", str(db)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "with 1 demo request(s)" in out and "RECOVERY KEY" in out
    new = crypto.read_key_file(keys)
    assert new.key_id != old_id and not new.development
    assert new.passcode_rules == passcodes.RULES_VERSION
    store = AppointmentStore(open_database(db))
    assert store.count() == 0
    events = [e["event"] for e in store.audit_log()]
    assert "development_keys_replaced" in events
    store.db.close()

    _stdin(monkeypatch, "739104582016")
    assert main(argv) == 1  # real keys are never replaced this way
    assert "holds real keys" in capsys.readouterr().err


def test_make_run_makes_development_keys_and_the_readme_names_their_passcode() -> None:
    """The published code lives in one place (kiosk.passcodes); `make run` asks for it by
    flag, and the README gives the same code."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    run = makefile[makefile.index("\nrun:") :].split("\n\n")[0]
    assert "keys init --if-missing --development" in run
    assert re.search(r"\b\d{6,}\b", run) is None  # no passcode typed into the recipe
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"**{passcodes.DEVELOPMENT_PASSCODE}**" in readme


def test_a_kiosk_on_development_keys_says_so_in_its_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from kiosk.cli import _open_store_for_run

    crypto.init_keys(tmp_path / "kiosk-keys.json", passcodes.DEVELOPMENT_PASSCODE)
    settings, _source = load_settings(None, db_path=str(tmp_path / "k.db"))
    with caplog.at_level("WARNING", logger="kiosk"):
        store = _open_store_for_run(settings)
    assert store is not None and store.can_save
    store.db.close()
    assert any(r.message.startswith("keys_development") for r in caplog.records)


def test_a_new_passcode_does_not_make_development_keys_real(tmp_path: Path) -> None:
    """The published code still opens every earlier copy of the key file (a backup, a freed
    disk block): changing the passcode keeps the mark, and `kiosk doctor` keeps failing."""
    keys = tmp_path / "kiosk-keys.json"
    crypto.init_keys(keys, passcodes.DEVELOPMENT_PASSCODE, crypto.MIN_COST)
    key = crypto.unlock(keys, passcodes.DEVELOPMENT_PASSCODE)
    assert key is not None
    crypto.change_passcode(keys, key, "482913705186")
    assert crypto.read_key_file(keys).development
    assert crypto.read_key_file(keys).passcode_rules == passcodes.RULES_VERSION


def test_development_keys_are_never_replaced_beside_a_running_kiosk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The kiosk would go on sealing to the old public key, and nobody could open those
    requests once its key file is gone: while it runs (its lock held), nothing changes. A
    new passcode that breaks the rules also leaves the old keys in place."""
    from kiosk.cli import _instance_lock

    db = tmp_path / "k.db"
    keys = tmp_path / "kiosk-keys.json"
    assert main(["keys", "init", "--development", "--db", str(db)]) == 0
    before = keys.read_bytes()
    argv = ["keys", "init", "--replace-development", "--passcode-stdin", "--db", str(db)]
    running = _instance_lock()
    assert running.tryLock(0)
    try:
        _stdin(monkeypatch, "482913705186")
        assert main(argv) == 1
        assert "the kiosk is running on this computer" in capsys.readouterr().err
    finally:
        running.unlock()
    _stdin(monkeypatch, "4829137051")
    assert main(argv) == 1
    assert "use 12 to 16 digits" in capsys.readouterr().err
    assert keys.read_bytes() == before


def test_a_passcode_typed_in_groups_is_the_same_passcode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The kiosk shows a chosen passcode as 4829 1370 5186; typed back that way it works."""
    db = tmp_path / "k.db"
    _stdin(monkeypatch, "4829 1370 5186")
    assert main(["keys", "init", "--passcode-stdin", "--db", str(db)]) == 0
    _stdin(monkeypatch, "4829-1370-5186")
    assert main(["requests", "list", "--passcode-stdin", "--db", str(db)]) == 0
    assert crypto.unlock(tmp_path / "kiosk-keys.json", "482913705186") is not None


def test_an_old_passcode_is_named_in_the_log_at_every_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from kiosk.cli import _open_store_for_run

    crypto.init_keys(tmp_path / "kiosk-keys.json", "482913", crypto.MIN_COST)
    settings, _source = load_settings(None, db_path=str(tmp_path / "k.db"))
    with caplog.at_level("WARNING", logger="kiosk"):
        store = _open_store_for_run(settings)
    assert store is not None
    store.db.close()
    assert any(r.message.startswith("passcode_too_weak") for r in caplog.records)
