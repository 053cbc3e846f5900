"""Signed content updates in the running kiosk (kiosk/ui/updates.py and the window): a stick
with the clinic's repository is noticed, the update is verified, unpacked and checked off
the GUI thread, and the new content reaches the screen only between visits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from kiosk import crypto, paths
from kiosk.config import Settings, Updates
from kiosk.content import Content
from kiosk.ui import main_window
from kiosk.ui.main_window import MainWindow
from kiosk.ui.navigation import HOME, Route
from kiosk.ui.updates import ContentUpdates
from kiosk.updates import repository
from kiosk.validation import load_content

NEW_TITLE = "What lupus is, in short"


def _retitled(folder: Path, version: str) -> Path:
    """``folder`` with Home's first tile retitled and a new content version."""
    sections = folder / "en" / "sections.json"
    data = json.loads(sections.read_text("utf-8"))
    data["sections"][0]["title"] = NEW_TITLE
    sections.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    (folder / "manifest.json").write_text(json.dumps({**manifest, "content_version": version}))
    return folder


def _home_shows(window: MainWindow, text: str) -> bool:
    screen = window.current_screen()
    return window.route == HOME and any(
        label.text() == text for label in screen.findChildren(QLabel)
    )


@pytest.fixture
def new_content(content_dir: Path) -> Content:
    return load_content(_retitled(content_dir, "2026.12-new"))


def test_new_content_waits_for_the_visit_to_end(
    qtbot: QtBot, window: MainWindow, new_content: Content
) -> None:
    """A visitor reading a section keeps the content they are reading; once the visit is
    over, Home is drawn from the new content, and every screen after it."""
    window.navigate(Route("section", "about-lupus"))
    window._on_activity()  # the visitor is reading
    window.updates.ready.emit(new_content)
    labels = [lbl.text() for lbl in window.current_screen().findChildren(QLabel)]
    assert window.route == Route("section", "about-lupus")
    assert "What is lupus?" in labels and NEW_TITLE not in labels  # still the old content
    window.go_home()
    window._use_new_content()
    assert not _home_shows(window, NEW_TITLE)  # Home, touched just now: the visit goes on
    window.reset_visit()
    qtbot.waitUntil(lambda: _home_shows(window, NEW_TITLE))
    assert window.jobs.content_version == "2026.12-new"
    window.navigate(Route("section", "about-lupus"))
    labels = window.current_screen().findChildren(QLabel)
    assert any(label.text() == NEW_TITLE for label in labels)


def test_new_content_waits_for_quiet_on_home_and_for_staff(
    qtbot: QtBot, window: MainWindow, new_content: Content
) -> None:
    """Someone reading Home in the clinic's language (a touch moments ago), or staff signed
    in: the change waits, and comes once Home has been left alone."""
    window._swap_timer.setInterval(50)
    window._on_activity()  # a touch, just now
    window.updates.ready.emit(new_content)
    window._use_new_content()
    assert not _home_shows(window, NEW_TITLE)
    window._last_touch -= main_window.QUIET_BEFORE_SWAP_S  # as if the quiet time had passed
    window.visit.staff_unlocked = True  # staff at the kiosk: nothing changes under them
    window._use_new_content()
    assert not _home_shows(window, NEW_TITLE) and window._swap_timer.isActive()
    window.visit.staff_unlocked = False
    qtbot.waitUntil(lambda: _home_shows(window, NEW_TITLE))  # the retry, on its own
    assert not window._swap_timer.isActive()


def test_a_stick_with_the_repository_updates_the_running_kiosk(
    qtbot: QtBot, tmp_path: Path, content_dir: Path
) -> None:
    """A stick is noticed within a poll, the update checked on the updater's thread, and the
    new content handed over; the outcome is kept for the staff screen."""
    root_file = repository.init(
        tmp_path / "repo", tmp_path / "keys", ["root passphrase one"], "targets passphrase",
        repository.RootPlan(1, 1), crypto.MIN_COST,
    )  # fmt: skip
    repository.publish(
        tmp_path / "repo", tmp_path / "keys", repository.CONTENT_TARGET,
        repository.pack(_retitled(content_dir, "2026.12-stick")), lambda _p: "targets passphrase",
    )  # fmt: skip
    stick = tmp_path / "stick"
    shutil.copytree(tmp_path / "repo", stick / "kiosk-repo")
    settings = Settings(
        db_path=str(tmp_path / "data" / "kiosk.db"), updates=Updates(root=str(root_file))
    )
    inserted: list[Path] = []
    updates = ContentUpdates(settings, lambda: list(inserted))
    updates.start()  # no stick yet, no address: nothing to check
    qtbot.waitUntil(lambda: not updates.runner.busy())
    assert updates.last is None and settings.content_path() == paths.bundled_content_dir()
    inserted.append(stick)
    with qtbot.waitSignal(updates.ready, timeout=30_000) as arrived:
        updates.look_for_sticks()
    content = arrived.args[0]
    assert content.manifest.content_version == "2026.12-stick"
    assert updates.last is not None and updates.last.outcome == "updated"
    assert settings.content_path().name.startswith("2026.12-stick-")
    # The same stick, still in: not checked again; taken out and put back, it is.
    qtbot.waitUntil(lambda: not updates.runner.busy())
    with qtbot.assertNotEmitted(updates.checked, wait=200):
        updates.look_for_sticks()
        qtbot.waitUntil(lambda: not updates.runner.busy())
    inserted.clear()
    updates.look_for_sticks()
    qtbot.waitUntil(lambda: not updates.runner.busy())
    inserted.append(stick)
    with qtbot.waitSignal(updates.checked, timeout=30_000) as again:
        updates.look_for_sticks()
    assert again.args[0].outcome == "current"
    updates.stop()


def test_an_update_applied_by_it_reaches_the_running_kiosk(
    qtbot: QtBot, tmp_path: Path, content_dir: Path
) -> None:
    """`kiosk content update` run by IT on the kiosk switches the release; the running
    kiosk's next check notices the release in use changed and hands its content over."""
    from kiosk.updates import client

    root_file = repository.init(
        tmp_path / "repo", tmp_path / "keys", ["root passphrase one"], "targets passphrase",
        repository.RootPlan(1, 1), crypto.MIN_COST,
    )  # fmt: skip
    repository.publish(
        tmp_path / "repo", tmp_path / "keys", repository.CONTENT_TARGET,
        repository.pack(_retitled(content_dir, "2026.12-by-it")), lambda _p: "targets passphrase",
    )  # fmt: skip
    settings = Settings(
        db_path=str(tmp_path / "data" / "kiosk.db"), updates=Updates(root=str(root_file))
    )
    updates = ContentUpdates(settings, list)
    source = client.source_for(settings, tmp_path / "repo")
    assert source is not None
    assert client.check_configured(settings, source).outcome == "updated"
    with qtbot.waitSignal(updates.ready, timeout=30_000) as arrived:
        updates.check()
    assert arrived.args[0].manifest.content_version == "2026.12-by-it"
    updates.stop()


def test_each_check_goes_to_the_central_heartbeat(window: MainWindow) -> None:
    """The outcome of each check, and the repository's expiry as trusted, are what the
    next heartbeat tells the central server (kiosk/ui/jobs.py)."""
    import datetime as dt

    from kiosk.updates.client import Checked

    window.updates.expires = dt.datetime(2026, 12, 14, 9, 0, tzinfo=dt.UTC)
    window.updates.checked.emit(Checked("2026-12-07T09:00:00+00:00", "older", "an old stick"))
    assert window.jobs.update_status == ("older", window.updates.expires)


def test_new_content_waits_for_the_questions_on_screen(
    qtbot: QtBot, window: MainWindow, new_content: Content
) -> None:
    """ "Are you still there?" and "Keep going or erase?" hold the change back like a
    visitor does."""
    window._swap_timer.setInterval(50)
    window.show_idle_warning()
    window.updates.ready.emit(new_content)
    assert not _home_shows(window, NEW_TITLE)
    window.overlay.stop()
    window.leave.show()
    window._use_new_content()
    assert not _home_shows(window, NEW_TITLE)
    window.leave.hide()
    qtbot.waitUntil(lambda: _home_shows(window, NEW_TITLE))


def test_content_without_the_kiosks_language_is_never_shown(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, content_dir: Path
) -> None:
    """A release in use without the default language (put there by hand): the updater
    does not hand it over, and the window would not take it: the visit starts in that
    language."""
    from kiosk.ui.updates import _check

    shutil.rmtree(content_dir / "en")
    english_less = load_content(content_dir)
    assert "en" not in english_less.languages
    window.use_content(english_less)
    assert window.jobs.content_version == "2026.12" and _home_shows(window, "What is lupus?")
    releases_dir = tmp_path / "data" / "content-releases"
    (releases_dir / "releases").mkdir(parents=True)
    shutil.copytree(content_dir, releases_dir / "releases" / "turkish-0123456789ab")
    (releases_dir / "current").write_text("turkish-0123456789ab\n", "ascii")
    settings = Settings(
        db_path=str(tmp_path / "data" / "kiosk.db"),
        updates=Updates(root=str(tmp_path / "none.json")),
    )
    assert settings.default_language == "en"
    outcome = _check(settings, settings, None, paths.bundled_content_dir())
    assert outcome.content is None and outcome.checked is None


def test_a_kiosk_without_updates_checks_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    updates = ContentUpdates(Settings(db_path=str(tmp_path / "kiosk.db")), list)
    updates.start()
    assert not updates.timer.isActive() and not updates.stick_timer.isActive()
    assert not updates.runner.busy()


def test_a_stick_with_new_configuration_asks_for_a_restart(
    qtbot: QtBot, tmp_path: Path, content_dir: Path
) -> None:
    """A configuration file for this kiosk, checked with its own settings and taken: the
    kiosk asks to restart (settings are read at start); the same stick again asks nothing."""
    from kiosk.config import apply_managed

    root_file = repository.init(
        tmp_path / "repo", tmp_path / "keys", ["root passphrase one"], "targets passphrase",
        repository.RootPlan(1, 1), crypto.MIN_COST,
    )  # fmt: skip
    for name, data in [
        (repository.CONTENT_TARGET, repository.pack(content_dir)),
        ("config/kiosk-lobby-1.toml", b"idle_seconds = 240\n"),
    ]:
        repository.publish(
            tmp_path / "repo", tmp_path / "keys", name, data, lambda _p: "targets passphrase"
        )
    stick = tmp_path / "stick"
    shutil.copytree(tmp_path / "repo", stick / "kiosk-repo")
    local = Settings(
        kiosk_id="lobby-1",
        db_path=str(tmp_path / "data" / "kiosk.db"),
        updates=Updates(root=str(root_file)),
    )
    updates = ContentUpdates(local, lambda: [stick], local=local)
    restarts: list[bool] = []
    updates.restart_needed.connect(lambda: restarts.append(True))
    with qtbot.waitSignal(updates.restart_needed, timeout=30_000):
        updates.start()
    assert apply_managed(local)[0].idle_seconds == 240
    assert updates.last is not None and updates.last.outcome == "updated"
    # Started again on it (as kiosk.cli does): the same stick, taken out and put back, is
    # checked again and changes nothing.
    settings = apply_managed(local)[0]
    again = ContentUpdates(settings, lambda: [stick], local=local)
    again.restart_needed.connect(lambda: restarts.append(True))
    again.start()
    qtbot.waitUntil(
        lambda: again.last is not None and again.last.outcome == "current", timeout=30_000
    )
    qtbot.waitUntil(lambda: not again.runner.busy())
    assert restarts == [True]
    again.stop()
    updates.stop()


def test_the_kiosk_restarts_for_new_configuration_only_between_visits(
    qtbot: QtBot, window: MainWindow
) -> None:
    window._swap_timer.setInterval(50)
    window.navigate(Route("section", "about-lupus"))
    window._on_activity()  # a visitor is reading
    with qtbot.assertNotEmitted(window.restart_requested, wait=200):
        window.updates.restart_needed.emit()
    window.go_home()
    with qtbot.assertNotEmitted(window.restart_requested, wait=200):
        window._use_new_content()  # Home, touched just now
    with qtbot.waitSignal(window.restart_requested, timeout=5_000):
        window.reset_visit()  # the visit is over
    assert not window._swap_timer.isActive()
