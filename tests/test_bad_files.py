"""Content and config files as editors on clinic PCs really break them: wrong encodings,
a byte-order mark, bytes cut or changed inside a string. Never a traceback, never a kiosk
that stops: a clear problem, the bundled content or the default settings."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import paths
from kiosk.config import ConfigError, Settings, load_settings, load_settings_leniently
from kiosk.content import ContentError, decode_content
from kiosk.validation import load_content

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REAL_FILES = ["tr/faq.json", "tr/topics.json", "en/ui.json", "tr/appointment.json", "sources.json"]
ENCODINGS = ["cp1254", "iso-8859-9", "utf-16", "utf-16-le", "utf-8-sig", "latin-1"]
CONFIG = (
    'clinic_name = { en = "Anka Clinic", tr = "Anka Romatoloji Kliniği" }\n'
    'data_controller_address = "Atatürk Bulvarı 1, Çankaya, Ankara"\n'
    "idle_seconds = 90\n"
)


@pytest.fixture(scope="module")
def content_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad-files") / "content"
    shutil.copytree(paths.bundled_content_dir(), root)
    return root


@contextlib.contextmanager
def _replaced(target: Path, data: bytes) -> Iterator[None]:
    """``target`` holds ``data`` inside the block, its own bytes again after it."""
    original = target.read_bytes()
    target.write_bytes(data)
    try:
        yield
    finally:
        target.write_bytes(original)


def _damaged(original: bytes, how: str, where: float, byte: int) -> bytes:
    """``original`` re-encoded or damaged at a point past its first bytes."""
    if how in ENCODINGS:
        text = original.decode("utf-8")
        return text.encode(how, errors="replace")
    at = max(1, min(len(original) - 1, int(where * len(original))))
    if how == "cut":
        return original[:at]
    if how == "byte":
        return original[:at] + bytes([byte]) + original[at + 1 :]
    return original[:at] + bytes([byte]) + original[at:]  # "insert"


@PROPERTY
@given(
    relative=st.sampled_from(REAL_FILES),
    how=st.sampled_from([*ENCODINGS, "cut", "byte", "insert"]),
    where=st.floats(min_value=0.05, max_value=0.95),
    byte=st.integers(min_value=0x80, max_value=0xFF),
)
def test_a_damaged_content_file_is_a_problem_never_a_crash(
    content_copy: Path, relative: str, how: str, where: float, byte: int
) -> None:
    """Past the first byte (inside a string, where Turkish letters are): the content loads
    (a BOM, latin-1 without Turkish letters) or ContentError names the file and why."""
    target = content_copy / relative
    with _replaced(target, _damaged(target.read_bytes(), how, where, byte)):
        try:
            load_content(content_copy)
        except ContentError as exc:
            assert exc.problems and all(p.file and p.message for p in exc.problems)


def test_windows_1254_names_line_and_column(content_copy: Path) -> None:
    """The usual mistake, Turkish saved as "ANSI", says where and what to do."""
    target = content_copy / "tr" / "faq.json"
    with _replaced(target, target.read_text("utf-8").encode("cp1254")):
        content, problems = decode_content(content_copy)
    assert content is None
    (problem,) = problems
    assert problem.file == "tr/faq.json"
    assert problem.message.startswith("not UTF-8 text at line ")
    assert "save the file as UTF-8" in problem.message


def test_a_byte_order_mark_is_accepted(content_copy: Path) -> None:
    """Notepad writes UTF-8 with a BOM: that is still UTF-8."""
    target = content_copy / "tr" / "faq.json"
    with _replaced(target, b"\xef\xbb\xbf" + target.read_bytes()):
        assert load_content(content_copy).languages["tr"].faq


def test_an_oversized_file_is_refused_unread(content_copy: Path) -> None:
    target = content_copy / "en" / "faq.json"
    with _replaced(target, b" " * (5 * 1024 * 1024) + target.read_bytes()):
        with pytest.raises(ContentError, match="too large"):
            load_content(content_copy)


@PROPERTY
@given(
    how=st.sampled_from([*ENCODINGS, "cut", "byte", "insert"]),
    where=st.floats(min_value=0.05, max_value=0.95),
    byte=st.integers(min_value=0x80, max_value=0xFF),
)
def test_a_damaged_config_never_stops_the_kiosk(
    tmp_path_factory: pytest.TempPathFactory, how: str, where: float, byte: int
) -> None:
    """load_settings raises only ConfigError; the lenient loader kiosk run uses always
    returns settings, with a line saying what was wrong."""
    path = tmp_path_factory.mktemp("cfg") / "kiosk.toml"
    path.write_bytes(_damaged(CONFIG.encode("utf-8"), how, where, byte))
    try:
        load_settings(path)
        strict_ok = True
    except ConfigError:
        strict_ok = False
    settings, source, problems = load_settings_leniently(path)
    assert isinstance(settings, Settings) and source == path
    assert bool(problems) is not strict_ok


def test_a_bad_key_takes_its_default_and_the_rest_stays(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        CONFIG + 'appointment_url = "http://x"\nidle_form_seconds = 5\nfullscreen = "yes"\n',
        "utf-8",
    )
    settings, _source, problems = load_settings_leniently(path)
    assert settings.clinic_name_in("tr") == "Anka Romatoloji Kliniği"
    assert settings.appointment_url == Settings().appointment_url
    assert settings.idle_form_seconds == Settings().idle_form_seconds
    assert settings.fullscreen is True
    assert len(problems) == 3 and all(str(path) in p for p in problems)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="runs the real kiosk offscreen")
@pytest.mark.parametrize("broken", ["content", "config"])
def test_kiosk_run_starts_on_windows_1254_files(tmp_path: Path, broken: str) -> None:
    """The review's reproduction: `kiosk run` with tr/faq.json, or the config itself, saved
    as Windows-1254 paints its first screen (bundled content, default settings) and logs
    one clear line why, instead of a traceback at every start."""
    content = tmp_path / "content"
    shutil.copytree(paths.bundled_content_dir(), content)
    config = tmp_path / "kiosk.toml"
    text = (
        f'content_dir = "content"\ndb_path = "kiosk.db"\nlog_dir = "{tmp_path / "logs"}"\n'
        'clinic_name = "Anka Romatoloji Kliniği"\n'
    )
    if broken == "content":
        faq = content / "tr" / "faq.json"
        faq.write_bytes(faq.read_text("utf-8").encode("cp1254"))
        config.write_text(text, "utf-8")
    else:
        config.write_bytes(text.encode("cp1254"))
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    env.pop("KIOSK_CONFIG", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "run",
            "--windowed",
            "--exit-after-first-paint",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    logs = "".join(p.read_text("utf-8") for p in tmp_path.rglob("kiosk.log"))
    expected = "content_invalid" if broken == "content" else "config_invalid"
    assert expected in logs and "not UTF-8 text at line" in logs
    # An unreadable config does not say where the database is: no store is opened (no
    # request could land in another database under another key).
    assert ("config_unreadable" in logs) is (broken == "config")
    assert ("database_open" in logs) is (broken == "content")


@pytest.mark.parametrize("default", ["", 'default_language = "de"\n'])
def test_a_default_language_outside_the_list_keeps_everything_else(
    tmp_path: Path, default: str
) -> None:
    """A mistake between two keys (the default language not among the languages) starts the
    kiosk in the first listed language, and keeps the database, the key file and the
    clinic's name: nothing may start saving into another database under another key."""
    path = tmp_path / "kiosk.toml"
    path.write_text(
        'languages = ["tr", "ar"]\n' + default + 'db_path = "data/kiosk.db"\n'
        'keys_file = "data/keys.json"\nclinic_name = "Anka Romatoloji Kliniği"\n',
        "utf-8",
    )
    settings, _source, problems = load_settings_leniently(path)
    assert settings.default_language == "tr" and settings.languages == ["tr", "ar"]
    assert settings.database_path() == tmp_path / "data" / "kiosk.db"
    assert settings.keys_path() == tmp_path / "data" / "keys.json"
    assert settings.clinic_name_in("tr") == "Anka Romatoloji Kliniği"
    assert problems and "default_language" in problems[0]


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_a_content_folder_that_loops_falls_back(tmp_path: Path) -> None:
    """content_dir naming a symbolic-link loop: the bundled content, and a warning for the
    staff screen, not a traceback at every start."""
    from kiosk.cli import _content_for_run

    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    content, warning = _content_for_run(Settings(content_dir=str(tmp_path / "a")))
    assert content.root == paths.bundled_content_dir() and warning
