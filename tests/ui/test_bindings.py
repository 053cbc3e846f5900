"""The Qt bindings keep CPython's reference counts: a kiosk makes millions of these calls."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


class _Emitter(QObject):
    tapped = Signal()


@pytest.mark.skipif(
    sys.version_info >= (3, 12),
    reason="from Python 3.12 None and True are immortal (PEP 683): their counts are no longer "
    "kept exactly, and no drain can free them",
)
def test_void_calls_and_emits_do_not_drain_none_true_false(qtbot: QtBot) -> None:
    """PySide6 6.12.0 on Python 3.11 returned None from void methods and True from
    Signal.emit without a reference: each call lowered the count by one until CPython
    aborted the kiosk (about 10,000 taps). This fails on such a build long before that."""
    label = QLabel("x")
    qtbot.addWidget(label)
    emitter = _Emitter()
    received: list[int] = []
    emitter.tapped.connect(lambda: received.append(1))
    before = {name: sys.getrefcount(obj) for name, obj in (("None", None), ("True", True))}
    for _ in range(200):
        label.update()
        label.setText("y")
        emitter.tapped.emit()
    after = {name: sys.getrefcount(obj) for name, obj in (("None", None), ("True", True))}
    assert len(received) == 200
    # Other threads and the collector may move the counts a little; a drain moves them by
    # hundreds (one per call).
    assert abs(after["None"] - before["None"]) < 50
    assert abs(after["True"] - before["True"]) < 50
