"""Settings from TOML: search order, defaults, and errors that name the file and the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kiosk import paths
from kiosk.config import ConfigError, Settings, load_settings


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setattr(paths, "default_config_file", lambda: tmp_path / "absent" / "kiosk.toml")


def test_defaults_without_any_file() -> None:
    """With no file anywhere, the bundled defaults apply."""
    settings, source = load_settings()
    assert source is None
    assert settings == Settings()
    assert settings.content_path() == paths.bundled_content_dir()
    assert settings.database_path().name == "kiosk.db"


def test_explicit_file_wins_over_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--config beats $KIOSK_CONFIG, which beats the platform config dir."""
    env_file = tmp_path / "env.toml"
    env_file.write_text('clinic_name = "From env"\n', "utf-8")
    arg_file = tmp_path / "arg.toml"
    arg_file.write_text('clinic_name = "From argument"\n', "utf-8")
    monkeypatch.setenv("KIOSK_CONFIG", str(env_file))
    assert load_settings()[0].clinic_name == "From env"
    assert load_settings(arg_file)[0].clinic_name == "From argument"


def test_platform_config_dir_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --config or $KIOSK_CONFIG, the platform config file is read if present."""
    default = tmp_path / "kiosk.toml"
    default.write_text('kiosk_id = "hall-2"\n', "utf-8")
    monkeypatch.setattr(paths, "default_config_file", lambda: default)
    settings, source = load_settings()
    assert (settings.kiosk_id, source) == ("hall-2", default)


def test_db_override(tmp_path: Path) -> None:
    """--db overrides db_path from the file."""
    cfg = tmp_path / "k.toml"
    cfg.write_text('db_path = "/somewhere/else.db"\n', "utf-8")
    settings, _ = load_settings(cfg, db_path=str(tmp_path / "x.db"))
    assert settings.database_path() == tmp_path / "x.db"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("clinic_nmae = 'x'", "unknown key `clinic_nmae`"),
        (
            "clinic_name = 3",
            "key 'clinic_name': Expected a text or a table of texts by language, got `int`",
        ),
        (
            "appointment_url = 'http://clinic.example'",
            "key 'appointment_url': URL must start with https://",
        ),
        ("privacy_notice_url = 'not a url'", "key 'privacy_notice_url'"),
        ("languages = []", "key 'languages'"),
        ("languages = ['en']\ndefault_language = 'tr'", "key 'default_language'"),
        ("screen_dpi = -5", "key 'screen_dpi'"),
        (
            "retention_days = 60\nunexported_max_days = 45",
            "key 'unexported_max_days': 45 is shorter than retention_days (60)",
        ),
        ("clinic_name = ", "not valid TOML"),
        ("time_zone = 'Nowhere/Land'", "key 'time_zone'"),
        ("time_zone = 'Europe'", "key 'time_zone'"),
        ("time_zone = '../etc/passwd'", "key 'time_zone'"),
        ("time_zone = ''", "key 'time_zone'"),
        (
            "[fleet]\nhost = 'c'\nca_file = 'a'\ncert_file = 'b'",
            "key 'fleet': missing key `key_file`",
        ),
        (
            "[fleet]\nhost = 'c'\nport = 0\nca_file = 'a'\ncert_file = 'b'\nkey_file = 'k'",
            "key 'fleet.port'",
        ),
        ("[fleet]\nhots = 'c'", "unknown field `hots`"),
        (
            f"kiosk_id = '{'k' * 64}'\n[fleet]\nhost = 'c'\nca_file = 'a'\ncert_file = 'b'\n"
            "key_file = 'k'",
            "key 'kiosk_id': with [fleet], at most 63 characters",
        ),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, toml: str, expected: str) -> None:
    """Every config mistake is one clear sentence naming the file and the key."""
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(toml + "\n", "utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert str(cfg) in str(info.value)
    assert expected in str(info.value)


def test_missing_explicit_file(tmp_path: Path) -> None:
    """A named config file that does not exist is an error, not a silent default."""
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    """content_dir, db_path and clinic_logo given relatively live next to the config file."""
    folder = tmp_path / "etc"
    folder.mkdir()
    cfg = folder / "kiosk.toml"
    cfg.write_text('content_dir = "content"\ndb_path = "db/k.db"\nclinic_logo = "logo.png"\n')
    settings, _ = load_settings(cfg)
    assert settings.content_path() == folder / "content"
    assert settings.database_path() == folder / "db" / "k.db"
    assert settings.logo_path() == folder / "logo.png"


def test_central_delivery_is_off_unless_its_table_is_there(tmp_path: Path) -> None:
    settings, _ = load_settings(None)
    assert settings.fleet is None
    folder = tmp_path / "etc"
    folder.mkdir()
    cfg = folder / "kiosk.toml"
    cfg.write_text(
        'kiosk_id = "salon-2"\n[fleet]\nhost = "central.clinic.lan"\nca_file = "fleet/ca.crt"\n'
        'cert_file = "fleet/salon-2.crt"\nkey_file = "/secure/salon-2.key"\n'
    )
    settings, _ = load_settings(cfg)
    assert settings.fleet is not None
    assert (settings.fleet.port, settings.fleet.database) == (5432, "kiosks")
    assert settings.fleet.sync_seconds == 60
    assert settings.fleet.paths() == (
        folder / "fleet" / "ca.crt",
        folder / "fleet" / "salon-2.crt",
        Path("/secure/salon-2.key"),
    )


def test_time_zone_is_the_clinics(tmp_path: Path) -> None:
    """The clinic's zone is used as written, whatever the machine's own zone."""
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text('time_zone = "Europe/Berlin"\n', "utf-8")
    settings, _ = load_settings(cfg)
    winter = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC).astimezone(settings.zone())
    assert winter.utcoffset() == dt.timedelta(hours=1)
    assert Settings().zone().utcoffset(dt.datetime(2026, 7, 1)) == dt.timedelta(hours=3)


@pytest.mark.parametrize(
    ("toml", "limit"),
    [
        ("", 90),
        ("retention_days = 14", 90),
        ("unexported_max_days = 30", 30),
        ("retention_days = 120", 120),  # an older config with a long retention keeps loading
        ("retention_days = 30\nunexported_max_days = 30", 30),
    ],
)
def test_unexported_requests_have_their_own_limit(tmp_path: Path, toml: str, limit: int) -> None:
    """A request nobody exported is kept for unexported_max_days: 90 by default, never less
    than retention_days."""
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(toml + "\n", "utf-8")
    settings, _ = load_settings(cfg)
    assert settings.unexported_limit_days() == limit


def test_a_limit_shorter_than_retention_falls_back_in_the_running_kiosk(tmp_path: Path) -> None:
    """kiosk run never stops on it: the limit takes its default, retention_days stays."""
    from kiosk.config import load_settings_leniently

    cfg = tmp_path / "kiosk.toml"
    cfg.write_text("retention_days = 100\nunexported_max_days = 40\nidle_seconds = 60\n", "utf-8")
    settings, _, problems = load_settings_leniently(cfg)
    assert settings.retention_days == 100 and settings.idle_seconds == 60
    assert settings.unexported_limit_days() == 100
    assert len(problems) == 1 and "unexported_max_days" in problems[0]
