"""Background work (issue 20, item 2): jobs run off the GUI thread and report back on it;
retention waits for a busy database without holding up the screen."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.config import Settings
from kiosk.content import Content
from kiosk.store import AppointmentStore
from kiosk.ui.jobs import Failed, JobRunner, Task
from kiosk.ui.main_window import HOME, MainWindow

from testkit import save_patient


def test_a_job_runs_off_the_gui_thread_and_reports_back_on_it(qtbot: QtBot) -> None:
    runner = JobRunner()
    gui = threading.get_ident()
    ran_in: list[int] = []
    reported_in: list[tuple[int, object]] = []

    def work() -> str:
        ran_in.append(threading.get_ident())
        return "done"

    with qtbot.waitSignal(runner.idle, timeout=10_000):
        runner.submit(
            "test", work, lambda result: reported_in.append((threading.get_ident(), result))
        )
    assert ran_in and ran_in[0] != gui
    assert reported_in == [(gui, "done")]
    assert not runner.busy()


def test_a_failing_job_is_logged_by_its_kind_only(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception in a job never reaches Qt (which would end the kiosk); the log names the
    job and the error's type, never its text (it may quote what the job worked on)."""
    runner = JobRunner()
    done: list[object] = []

    def work() -> None:
        raise ValueError("Ayşe Yılmaz 05321234567")

    with caplog.at_level(logging.ERROR), qtbot.waitSignal(runner.idle, timeout=10_000):
        runner.submit("test", work, done.append)
    assert done == []
    assert "job_failed job=test error=ValueError" in caplog.text
    assert "Ayşe" not in caplog.text


def test_retention_waits_for_a_busy_database_off_the_gui_thread(
    qtbot: QtBot,
    tmp_path: Path,
    content: Content,
    make_store: Callable[..., AppointmentStore],
) -> None:
    """IT holds the database (a backup, a command): the kiosk starts, shows Home and stays
    usable while retention waits; when the lock goes, retention runs and the old request is
    gone. On the GUI thread the wait would freeze the screen, and then fail."""
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=100)
    save_patient(make_store(clock=lambda: old), "Eski Ziyaretçi", demo=True)  # (handled)
    store = make_store()  # the kiosk, started 100 days later
    other = sqlite3.connect(tmp_path / "kiosk.db")
    other.execute("BEGIN EXCLUSIVE")
    try:
        window = MainWindow(Settings(retention_days=30), content, ("en", "tr"), store)
        qtbot.addWidget(window)
        assert window.jobs.runner.busy()  # retention is waiting for the lock...
        window.navigate(HOME)
        window.set_text_step(1)  # ...while the screen answers
        assert window.text_step == 1
    finally:
        other.rollback()
        other.close()
    qtbot.waitUntil(lambda: not window.jobs.runner.busy(), timeout=20_000)
    assert store.count() == 0


def test_a_task_runs_one_at_a_time_and_reports_its_outcome(qtbot: QtBot) -> None:
    """A second start while the first runs does nothing; a failure comes back as its type;
    an outcome after ``forget`` (staff signed out) is told as None."""
    runner = JobRunner()
    task = Task(runner)
    gate = threading.Event()
    outcomes: list[object] = []
    task.finished.connect(outcomes.append)

    def slow() -> str:
        assert gate.wait(10)
        return "saved"

    assert task.start("test", slow)
    assert task.running and not task.start("test", lambda: "again")
    with qtbot.waitSignal(task.finished, timeout=10_000):
        gate.set()
    assert outcomes == ["saved"] and not task.running

    def broken() -> None:
        raise OSError("Ayşe Yılmaz")

    with qtbot.waitSignal(task.finished, timeout=10_000):
        task.start("test", broken)
    assert outcomes[-1] == Failed("OSError")

    gate.clear()
    task.start("test", slow)
    task.forget()
    with qtbot.waitSignal(task.finished, timeout=10_000):
        gate.set()
    assert outcomes[-1] is None


def test_a_task_can_run_here_for_an_in_memory_database(qtbot: QtBot) -> None:
    ran_in: list[int] = []
    task = Task(JobRunner())
    outcomes: list[object] = []
    task.finished.connect(outcomes.append)
    task.start("test", lambda: ran_in.append(threading.get_ident()) or "done", here=True)
    assert ran_in == [threading.get_ident()] and outcomes == ["done"]


def test_the_heartbeat_file_is_touched(qtbot: QtBot, tmp_path: Path, content: Content) -> None:
    heartbeat = tmp_path / "heartbeat"
    window = MainWindow(Settings(heartbeat_file=str(heartbeat)), content, ("en", "tr"))
    qtbot.addWidget(window)
    window.start_heartbeat()
    qtbot.waitUntil(heartbeat.exists, timeout=10_000)
    assert window.jobs.heartbeat_timer.isActive()
