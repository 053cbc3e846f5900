"""Signed content updates in the running kiosk: a check on a timer, and one whenever a USB
stick with a repository appears, off the GUI thread; new content, loaded and checked,
handed to the window, which shows it between visits (docs/content-updates.md)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.ui.jobs import JobRunner

if TYPE_CHECKING:
    from kiosk.config import Managed, Settings
    from kiosk.content import Content
    from kiosk.updates.client import Checked

log = logging.getLogger(__name__)

# How often the kiosk looks for a stick that carries a repository (a directory listing of
# each mounted removable drive: cheap, and an inserted stick is taken within this).
STICK_POLL_MS = 15_000


@dataclass(frozen=True)
class _Outcome:
    """What a check's job hands back: the check (None: nowhere to check), the content in
    use when it changed (and from where it was loaded), the repository's expiry as
    trusted now, and the managed configuration the kiosk keeps (its record's bytes)."""

    checked: Checked | None
    content: Content | None
    loaded_from: Path | None
    expires: dt.datetime | None
    config: bytes | None = None


def _config_record(settings: Settings) -> bytes | None:
    """The record of the managed configuration the kiosk keeps (None: none)."""
    from kiosk.config import managed_record_path

    try:
        return managed_record_path(settings).read_bytes()
    except OSError:
        return None


def _check(settings: Settings, local: Settings, where: Path | None, shown: Path) -> _Outcome:
    """One check (from the stick at ``where``, the configured address, or none), with the
    configuration files that name the kiosk checked with its own file (``local``); then, if
    the release in use is no longer the content ``shown`` (this check's update, or one IT
    applied with `kiosk content update`), its content loaded for the window (a worker's
    job). Content the window could not show (without the kiosk's default language) is not
    handed over."""
    from filelock import FileLock, Timeout

    from kiosk import releases
    from kiosk.content import ContentError
    from kiosk.updates import client
    from kiosk.validation import load_content

    source = client.source_for(settings, where)
    checked = client.check_configured(settings, source, local) if source is not None else None
    state = settings.updates_state_path()
    expires = client.status(state, settings.releases_path()).expires
    config = _config_record(settings)
    in_use = settings.content_path()
    if in_use == shown:
        return _Outcome(checked, None, None, expires, config)
    try:
        content = load_content(in_use)
    except ContentError as exc:  # it passed when it came: a disk that fails now
        log.error("content_release_invalid problems=%d", len(exc.problems))
        try:
            with FileLock(state / ".check.lock", timeout=0):  # not under IT's switch
                if settings.content_path() == in_use:
                    releases.step_back(settings.releases_path())
        except (Timeout, OSError):
            pass  # the next check tries again
        return _Outcome(checked, None, None, expires, config)
    if settings.default_language not in content.languages:
        log.error("content_release_without_default_language release=%s", in_use.name)
        return _Outcome(checked, None, None, expires, config)
    return _Outcome(checked, content, in_use, expires, config)


def _status(settings: Settings) -> tuple[Checked | None, dt.datetime | None, bytes | None]:
    from kiosk.updates import client

    found = client.status(settings.updates_state_path(), settings.releases_path())
    return found.last, found.expires, _config_record(settings)


def _sticks(drives: Callable[[], list[Path]]) -> list[Path]:
    from kiosk.updates.client import stick_repositories

    return stick_repositories(drives())


class ContentUpdates(QObject):
    """The running kiosk's update checks, with ``[updates]`` in its config (otherwise it does
    nothing). One job at a time, on a thread of its own: a slow server never holds up the
    database's work or a frame.

    Signals:
        ready(Content): the release in use changed (an update, here or by IT's command)
            and its content is loaded: the window shows it once no one is using the kiosk.
        checked(Checked): the last check's outcome, after each check and at start (from
            the record the last run left): the staff screen and the heartbeat.
        restart_needed(): the managed configuration the kiosk keeps is no longer the one it
            started with (a check took new files, or IT's command did): settings are read
            at start, so the kiosk restarts, between visits.
    """

    ready = Signal(object)
    checked = Signal(object)
    restart_needed = Signal()

    def __init__(
        self,
        settings: Settings,
        drives: Callable[[], list[Path]],
        parent: QObject | None = None,
        *,
        local: Settings | None = None,
        managed: Managed | None = None,
    ) -> None:
        """``local``: the settings before the managed configuration (``managed``, as read at
        start); default ``settings``, and the record read by the first job."""
        super().__init__(parent)
        self._settings = settings
        self._local = local or settings
        self._drives = drives
        # The managed configuration's record the settings were built from; without it, as
        # read by the first job (off the GUI thread), unknown until then.
        self._config_at_start: bytes | None = managed.record if managed else None
        self._config_known = managed is not None
        self.runner = JobRunner(self)
        self.runner.idle.connect(self._next)
        self._stopped = False
        # Sticks: those checked already (until taken out), and those waiting for a check.
        self._sticks_done: set[Path] = set()
        self._sticks_waiting: list[Path] = []
        self._server_due = False
        self.last: Checked | None = None
        self.expires: dt.datetime | None = None  # the repository's signatures, as trusted
        self.shown = settings.content_path()  # the content the window shows
        self.timer = QTimer(self)
        self.stick_timer = QTimer(self)
        self.stick_timer.setInterval(STICK_POLL_MS)
        self.stick_timer.timeout.connect(self.look_for_sticks)
        if settings.updates is not None:
            self.timer.setInterval(settings.updates.check_minutes * 60_000)
        self.timer.timeout.connect(self.check)

    def start(self) -> None:
        """What the last run knew, then a check now and on the timer, and a watch for sticks
        (after start-up: the first visitor's screens come first)."""
        if self._settings.updates is None or self.timer.isActive() or self._stopped:
            return  # (started up again after new content: already running)
        self.runner.submit("update-status", partial(_status, self._settings), self._known)
        self.check()
        self.timer.start()
        self.look_for_sticks()
        self.stick_timer.start()

    def check(self, stick: Path | None = None) -> None:
        """Check the configured server (or ``stick``): now, or once the job under way is
        done."""
        if self._settings.updates is None or self._stopped:
            return
        if stick is None:
            self._server_due = True
        elif stick not in self._sticks_waiting:
            self._sticks_waiting.append(stick)
        self._next()

    def look_for_sticks(self) -> None:
        if self._settings.updates is None or self._stopped or self.runner.busy():
            return  # (polled again in a moment)
        self.runner.submit("update-sticks", partial(_sticks, self._drives), self._found)

    def _next(self) -> None:
        """Start the next check that waits, if nothing runs: a stick before the server."""
        if self._stopped or self.runner.busy():
            return
        if self._sticks_waiting:
            stick: Path | None = self._sticks_waiting.pop(0)
        elif self._server_due:
            stick = None
            self._server_due = False
        else:
            return
        self.runner.submit(
            "content-update",
            partial(_check, self._settings, self._local, stick, self.shown),
            partial(self._done, stick),
        )

    def _known(self, known: tuple[Checked | None, dt.datetime | None, bytes | None]) -> None:
        last, expires, record = known
        if not self._config_known:
            self._config_at_start, self._config_known = record, True
        if self.last is None:  # (a check may have come first)
            self.last, self.expires = last, expires
            if self.last is not None:
                self.checked.emit(self.last)

    def _found(self, sticks: list[Path]) -> None:
        present = set(sticks)
        self._sticks_done &= present  # a stick taken out and put back is checked again
        new = [s for s in sticks if s not in self._sticks_done and s not in self._sticks_waiting]
        if new:
            log.info("update_stick_found count=%d", len(new))
            for stick in new:
                self.check(stick)

    def _done(self, stick: Path | None, outcome: _Outcome) -> None:
        self.expires = outcome.expires
        checked = outcome.checked
        if checked is not None:
            self.last = checked
            if stick is not None and checked.outcome != "busy":
                self._sticks_done.add(stick)  # (busy: IT's check held the lock; again later)
        if self.last is not None:
            self.checked.emit(self.last)
        # A restart first: it shows new content too (none is swapped in just before it).
        if self._config_known and outcome.config != self._config_at_start:
            log.info("managed_config_changed: restarting between visits")
            self.restart_needed.emit()
        if outcome.content is not None and outcome.loaded_from is not None:
            self.shown = outcome.loaded_from
            self.ready.emit(outcome.content)

    def stop(self, wait_ms: int = 5_000) -> None:
        """No more checks; wait a moment for one under way (an update cut off is safe: its
        unpacking is removed at the next start, nothing switched)."""
        self._stopped = True
        self.timer.stop()
        self.stick_timer.stop()
        self.runner.clear()
        self.runner.wait(wait_ms)
