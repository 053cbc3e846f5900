"""Work that must not hold up the screen: a job runner off the GUI thread, the kiosk's
periodic jobs that use it (retention, the heartbeat, central delivery; content updates will
join them), and the work a person starts and waits for (the staff screen's export)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from kiosk.config import Settings
from kiosk.watchdog import sd_notify, touch_heartbeat, watchdog_interval_ms

if TYPE_CHECKING:
    from kiosk.fleet.delivery import Courier, SyncReport
    from kiosk.store import AppointmentStore

log = logging.getLogger(__name__)

RETENTION_INTERVAL_MS = 6 * 60 * 60 * 1000
# The running kiosk's delivery rests this long between two batches of 200: its screen keeps
# its pace while a backlog drains (bench: fleet_switch_ratio), and 10,000 requests still go
# in about 15 s (`kiosk fleet sync`, which IT runs, does not rest).
DELIVERY_PAUSE_S = 0.25


class _Reply(QObject):
    """Carries one job's outcome from the worker thread back to the GUI thread (it lives in
    the GUI thread, so its signals arrive there, queued)."""

    succeeded = Signal(object)
    failed = Signal(str)


class _Task(QRunnable):
    def __init__(self, name: str, work: Callable[[], Any], reply: _Reply) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._name = name
        self._work = work
        self._reply = reply

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as exc:  # noqa: BLE001 - a failed job is reported, never raised into Qt
            # The type only: an exception's text may quote what the job was working on.
            log.error("job_failed job=%s error=%s", self._name, type(exc).__name__)
            self._reply.failed.emit(type(exc).__name__)
            return
        self._reply.succeeded.emit(result)


class JobRunner(QObject):
    """Runs jobs on one worker thread, one after another (never two on the database at
    once), and hands each result back on the GUI thread.

    Signals:
        idle(): the last job submitted has finished.
    """

    idle = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Its own pool, not Qt's global one: one thread, and waited for when it goes.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._replies: set[_Reply] = set()

    def submit(
        self,
        name: str,
        work: Callable[[], Any],
        done: Callable[[Any], None] | None = None,
        failed: Callable[[str], None] | None = None,
    ) -> None:
        """Run ``work()`` off the GUI thread; then ``done(result)`` on it, or, if it raised,
        ``failed(type name)`` (the failure is logged either way)."""
        reply = _Reply()
        self._replies.add(reply)  # kept until its outcome has arrived
        if done is not None:
            reply.succeeded.connect(done)
        if failed is not None:
            reply.failed.connect(failed)
        reply.succeeded.connect(partial(self._finished, reply))
        reply.failed.connect(partial(self._finished, reply))
        self._pool.start(_Task(name, work, reply))

    def busy(self) -> bool:
        """Whether a job is queued or running."""
        return bool(self._replies)

    def wait(self, msecs: int = -1) -> bool:
        """Block until every job has run (closing, tests); False if ``msecs`` ran out."""
        return self._pool.waitForDone(msecs)

    def clear(self) -> None:
        """Drop the jobs not started yet (closing): their outcome never comes."""
        self._pool.clear()

    def _finished(self, reply: _Reply, _outcome: object) -> None:
        self._replies.discard(reply)
        if not self._replies:
            self.idle.emit()


@dataclass(frozen=True)
class Failed:
    """A task's work raised: the exception's type only (its text may quote what the work
    was working on, a patient's request say)."""

    error: str


class Task(QObject):
    """Work a person starts and waits for (the staff screen's export), one at a time, on a
    runner. Its outcome outlives the screen that started it (a screen rebuilt for another
    text size, or turned, shows it still), and is dropped when the session that started it
    ends (``forget``: staff signed out): nobody else is told what it was.

    Signals:
        finished(object): the work's result, a Failed, or None when it was forgotten; the
            task is not running any more.
    """

    finished = Signal(object)

    def __init__(self, runner: JobRunner | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._session = 0
        self.running = False

    def start(self, name: str, work: Callable[[], Any], here: bool = False) -> bool:
        """Run ``work`` on the runner (on this thread with ``here``, or without a runner);
        False, and nothing done, while the last one is still running."""
        if self.running:
            return False
        self.running = True
        done = partial(self._done, self._session)
        if here or self._runner is None:
            try:
                result = work()
            except Exception as exc:  # noqa: BLE001 - reported as Failed, never raised into Qt
                log.error("job_failed job=%s error=%s", name, type(exc).__name__)
                result = Failed(type(exc).__name__)
            done(result)
            return True
        self._runner.submit(name, work, done, lambda error: done(Failed(error)))
        return True

    def forget(self) -> None:
        """The session that started the work ended: its outcome is told to no one."""
        self._session += 1

    def _done(self, session: int, outcome: object) -> None:
        self.running = False
        self.finished.emit(outcome if session == self._session else None)


def _retention(open_store: Callable[[], AppointmentStore], days: int, limit_days: int) -> None:
    from kiosk.store import StoreError

    try:
        store = open_store()
        try:
            store.apply_retention(days, limit_days)
        finally:
            store.close()
    except StoreError as exc:  # (a clock that cannot be trusted among them: nothing deleted)
        log.error("retention_failed error=%s", type(exc).__name__)


def _deliver(courier: Courier, open_store: Callable[[], AppointmentStore]) -> SyncReport | None:
    from kiosk.store import StoreError

    try:
        store = open_store()
    except StoreError:
        courier.local_failure()  # said by the heartbeat, and waited for like any failure
        return None
    try:
        return courier.sync(store)
    finally:
        store.close()


def _report(
    courier: Courier,
    open_store: Callable[[], AppointmentStore],
    app: str,
    content: str,
    update: tuple[str, dt.datetime | None] | None = None,
) -> float | None:
    from kiosk.store import StoreError

    try:
        store = open_store()
    except StoreError:
        courier.local_failure()
        return None
    try:
        return courier.heartbeat(store, app, content, update)
    finally:
        store.close()


class KioskJobs(QObject):
    """The kiosk's own periodic work, each on a timer of the GUI thread (a frozen screen
    stops them, which the watchdog must see) with the disk work done by the runner.

    - The heartbeat: WATCHDOG=1 to systemd from the GUI thread (the event loop is alive),
      the heartbeat file touched off it, on a thread of its own: never behind an export.
    - Retention: at start-up (once the store is there) and every six hours.
    - Central delivery (with ``[fleet]``): the outbox sent at start-up, after each request
      saved and every ``sync_seconds`` (or later, while a failure's backoff lasts), and the
      kiosk's health told every ``heartbeat_seconds``; on a thread of its own, so a slow
      network never holds up the database's other work.
    """

    def __init__(self, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.runner = JobRunner(self)  # the database's work, one job at a time
        self._beats = JobRunner(self)
        self._store: AppointmentStore | None = None
        self.heartbeat_timer = QTimer(self)
        self.heartbeat_timer.setInterval(watchdog_interval_ms())
        self.heartbeat_timer.timeout.connect(self.beat)
        self.retention_timer = QTimer(self)
        self.retention_timer.setInterval(RETENTION_INTERVAL_MS)
        self.retention_timer.timeout.connect(self.run_retention)
        # Central delivery: one Courier for the life of the kiosk (its backoff is memory).
        from kiosk.fleet.delivery import Courier, target_of

        target = target_of(settings)
        self.courier = Courier(target, pause_s=DELIVERY_PAUSE_S) if target is not None else None
        self.content_version = ""
        # The last content update check (kiosk/ui/updates.py): its outcome and until when the
        # repository is signed, told to the central server in each heartbeat.
        self.update_status: tuple[str, dt.datetime | None] | None = None
        self.delivery = JobRunner(self)
        self.delivery.idle.connect(self._delivery_idle)
        self._deliver_again = False
        self._reporting = False  # a heartbeat queued or under way: the next one waits for it
        self.sync_timer = QTimer(self)
        self.health_timer = QTimer(self)
        if settings.fleet is not None:
            self.sync_timer.setInterval(settings.fleet.sync_seconds * 1000)
            self.health_timer.setInterval(settings.fleet.heartbeat_seconds * 1000)
        self.sync_timer.timeout.connect(self.deliver)
        self.health_timer.timeout.connect(self.report_health)

    def attach_store(self, store: AppointmentStore | None) -> None:
        """Retention runs now and every six hours while there is a store."""
        self._store = store
        if store is None:
            self.retention_timer.stop()
            self.sync_timer.stop()
            self.health_timer.stop()
            return
        self.run_retention()
        self.retention_timer.start()
        if self.courier is not None:
            self.deliver()
            self.report_health()
            self.sync_timer.start()
            self.health_timer.start()

    def start_heartbeat(self) -> None:
        """Tell the service manager we are up, then keep beating from the event loop."""
        sd_notify("READY=1")
        self.beat()
        self.heartbeat_timer.start()

    def beat(self) -> None:
        sd_notify("WATCHDOG=1")
        self._beats.submit("heartbeat", partial(touch_heartbeat, self._settings.heartbeat_path()))

    def run_retention(self) -> None:
        """Delete requests older than the retention period, those nobody exported only at
        their hard limit, off the GUI thread on a connection of its own (an in-memory
        database, which only tests use, on the GUI thread)."""
        store = self._store
        if store is None:
            return
        days, limit = self._settings.retention_days, self._settings.unexported_limit_days()
        open_again = store.reopener()
        if open_again is not None:
            self.runner.submit("retention", partial(_retention, open_again, days, limit))
            return
        from kiosk.store import StoreError

        try:
            store.apply_retention(days, limit)
        except StoreError as exc:
            log.error("retention_failed error=%s", type(exc).__name__)

    def deliver(self) -> None:
        """Send what waits in the outbox, off the GUI thread (after a request is saved, and
        on the timer). One run at a time: asked while one runs, another follows it, so a
        request saved during a run does not wait for the timer."""
        store, courier = self._store, self.courier
        if store is None or courier is None or courier.halt.is_set():
            return
        if self.delivery.busy():
            self._deliver_again = True
            return
        if not courier.backoff.ready():
            return  # a failure's wait is not over: not even the database is opened for it
        open_again = store.reopener()
        if open_again is None:  # an in-memory database (tests): nothing to deliver from
            return
        self._deliver_again = False
        self.delivery.submit("fleet-sync", partial(_deliver, courier, open_again))

    def _delivery_idle(self) -> None:
        if self._deliver_again:
            self.deliver()

    def report_health(self) -> None:
        """Tell the central server how this kiosk is (versions, outbox, last error, clock)."""
        store, courier = self._store, self.courier
        if store is None or courier is None or courier.halt.is_set() or self._reporting:
            return  # (a server that does not answer must not pile heartbeats up)
        open_again = store.reopener()
        if open_again is None:
            return
        from kiosk import __version__

        self._reporting = True
        self.delivery.submit(
            "fleet-heartbeat",
            partial(
                _report,
                courier,
                open_again,
                __version__,
                self.content_version,
                self.update_status,
            ),
            self._reported,
            self._reported,
        )

    def _reported(self, _outcome: object) -> None:
        self._reporting = False

    def stop(self) -> None:
        """Stop the timers and wait for the jobs under way (the kiosk is closing): an
        export half written would leave a file whose requests were never marked. Within
        systemd's stop timeout (90 s)."""
        self.heartbeat_timer.stop()
        self.retention_timer.stop()
        self.sync_timer.stop()
        self.health_timer.stop()
        if self.courier is not None:
            self.courier.halt.set()  # a run under way stops after its batch
        self.delivery.clear()  # and what was queued behind it never starts
        if self.runner.busy():
            log.info("waiting_for_jobs")
        if not self.runner.wait(60_000):
            log.error("jobs_still_running")
        self._beats.wait(5_000)
        # A run in flight: its batch is committed or rolled back on the server either way,
        # and what it did not record here is sent again as duplicates next time.
        self.delivery.wait(15_000)
