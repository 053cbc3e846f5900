"""Signed content updates in the running kiosk: a check on a timer, and one whenever a USB
stick with a repository appears, off the GUI thread; new content, loaded and checked,
handed to the window, which shows it between visits (docs/content-updates.md)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.ui.jobs import JobRunner

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.content import Content
    from kiosk.updates.client import Checked

log = logging.getLogger(__name__)

# How often the kiosk looks for a stick that carries a repository (a directory listing of
# each mounted removable drive: cheap, and an inserted stick is taken within this).
STICK_POLL_MS = 15_000


def _check(
    settings: Settings, where: Path | None, shown: Path
) -> tuple[Checked | None, Content | None, dt.datetime | None]:
    """One check (from the stick at ``where``, the configured address, or none: None);
    when the release in use is no longer the content ``shown`` (this check's update, or one
    IT applied with `kiosk content update`), the new content loaded for the window; and
    until when the repository is signed, as trusted now (a worker's job)."""
    from kiosk import releases
    from kiosk.content import ContentError
    from kiosk.updates import client
    from kiosk.validation import load_content

    source = client.source_for(settings, where)
    checked = client.check_configured(settings, source) if source is not None else None
    expires = client.status(settings.updates_state_path(), settings.releases_path()).expires
    in_use = settings.content_path()
    if in_use == shown:
        return checked, None, expires
    try:
        return checked, load_content(in_use), expires
    except ContentError as exc:  # checked when it came: a disk that fails now
        log.error("content_release_invalid problems=%d", len(exc.problems))
        releases.step_back(settings.releases_path())
        return checked, None, expires


def _sticks(drives: Callable[[], list[Path]]) -> list[Path]:
    from kiosk.updates.client import stick_repositories

    return stick_repositories(drives())


class ContentUpdates(QObject):
    """The running kiosk's update checks, with ``[updates]`` in its config (otherwise it does
    nothing). One check at a time, on a thread of its own: a slow server never holds up
    the database's work or a frame.

    Signals:
        ready(Content): the release in use changed (an update, here or by IT's command)
            and its content is loaded: the window shows it once no one is using the kiosk.
        checked(Checked): the outcome of each check (the staff screen, the log).
    """

    ready = Signal(object)
    checked = Signal(object)

    def __init__(
        self,
        settings: Settings,
        drives: Callable[[], list[Path]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._drives = drives
        self.runner = JobRunner(self)
        self.runner.idle.connect(self._idle)
        self._sticks_seen: set[Path] = set()
        self._pending_stick: Path | None = None
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
        """Check now, then on the timer, and watch for sticks (after start-up: the first
        visitor's screens come first)."""
        if self._settings.updates is None or self.timer.isActive():
            return  # (started up again after new content: already running)
        self.check()
        self.timer.start()
        self.look_for_sticks()
        self.stick_timer.start()

    def check(self, stick: Path | None = None) -> None:
        """Check the configured server (or ``stick``) unless a check is under way."""
        if self._settings.updates is None:
            return
        if self.runner.busy():
            if stick is not None:
                self._pending_stick = stick  # checked once the job under way is done
            return
        self.runner.submit(
            "content-update", partial(_check, self._settings, stick, self.shown), self._done
        )

    def _idle(self) -> None:
        stick, self._pending_stick = self._pending_stick, None
        if stick is not None:
            self.check(stick)

    def look_for_sticks(self) -> None:
        if self._settings.updates is None or self.runner.busy():
            return
        self.runner.submit("update-sticks", partial(_sticks, self._drives), self._found)

    def _found(self, sticks: list[Path]) -> None:
        new = [stick for stick in sticks if stick not in self._sticks_seen]
        self._sticks_seen = set(sticks)  # a stick taken out and put back is new again
        if new:
            log.info("update_stick_found")
            self.check(new[0])

    def _done(self, outcome: tuple[Checked | None, Content | None, dt.datetime | None]) -> None:
        checked, content, self.expires = outcome
        if checked is not None:
            self.last = checked
            self.checked.emit(checked)
        if content is not None:
            self.shown = self._settings.content_path()
            self.ready.emit(content)

    def stop(self) -> None:
        self.timer.stop()
        self.stick_timer.stop()
        self.runner.clear()
        self.runner.wait(30_000)
