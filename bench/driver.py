"""Drives the real kiosk window by tapping its controls, and times tap → painted.

A *tap* is a mouse press and release sent to the real control (QTest), the events a touch
screen produces; *painted* is when the screen now shown has received its paint event and the
event loop has finished that frame. Everything runs inside ``app.exec()``, so deferred
deletions, layout requests and timers happen exactly as in the kiosk.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import OFFSCREEN, write_config
from bench.refcounts import Singletons

os.environ.setdefault("QT_QPA_PLATFORM", OFFSCREEN)

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QScrollArea, QWidget

from bench import adapter
from kiosk.config import load_settings
from kiosk.validation import load_content

TIMEOUT_MS = 5000
PRESS_MS = 0  # the release comes once the press is handled (QTest processes events itself)
LEFT = Qt.MouseButton.LeftButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier


@dataclass
class Tap:
    """One tap: ``find`` returns the control (looked up when the tap happens).

    ``switch``: the tap is expected to show another screen (timed as a screen switch).
    ``watch``: returns the widget whose paint ends the tap (default: the screen shown).
    ``before``: run just before the tap, untimed (e.g. typing into a field).
    ``wait``: wait for a paint after the tap (False for taps that change nothing visible).
    """

    kind: str
    find: Callable[[], QWidget]
    switch: bool = True
    watch: Callable[[], QWidget] | None = None
    before: Callable[[], None] | None = None
    wait: bool = True


@dataclass
class Record:
    kind: str
    lang: str
    route: str
    ms: float
    at: float = 0.0  # time.perf_counter() when the frame was out


@dataclass
class Run:
    records: list[Record] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    taps: int = 0


SINGLETONS = Singletons()


def make_window(
    folder: Path, size: tuple[int, int], keys: Path | None = None, **settings: object
) -> tuple[object, object]:
    """Build the application and the kiosk's main window as ``kiosk run`` does (windowed),
    with a key pair made in ``folder`` unless ``keys`` names one.

    The reference counts of None, True and False are pinned first (see bench.refcounts):
    the run then always finishes, and SINGLETONS reports how fast they drain.
    """
    SINGLETONS.pin()
    from kiosk.ui.app import create_app
    from kiosk.ui.main_window import MainWindow

    keys = keys or adapter.make_keys(folder)
    # The driver taps as soon as a frame is out, faster than any person: the guard against
    # double taps (which would drop those taps) is off here.
    settings.setdefault("tap_guard_ms", 0)
    config = write_config(folder, keys_file=str(keys), **settings)
    loaded, _ = load_settings(config)
    content = load_content(loaded.content_path())
    languages = tuple(c for c in loaded.languages if c in content.languages)
    store = adapter.open_kiosk_store(loaded)
    app = create_app()
    window = MainWindow(loaded, content, languages, store, None, kiosk_mode=False)
    window.resize(*size)
    window.show()
    QCoreApplication.processEvents()
    # As `kiosk run` does once Home is painted; the benchmarks start when it is done.
    if hasattr(window, "finish_start_up"):
        window.finish_start_up()
        while getattr(window, "starting_up", lambda: False)():
            QCoreApplication.processEvents()
    return app, window


def _on_screen(widget: QWidget) -> bool:
    """Whether the middle of ``widget`` is inside the window and not scrolled out of view."""
    middle = QPoint(widget.width() // 2, widget.height() // 2)
    return widget.visibleRegion().contains(middle)


def _button(parent: QWidget, name: str, **props: str) -> QWidget:
    """The first visible control called ``name`` (with ``props``), scrolled into view."""
    found = [
        w
        for w in parent.findChildren(QAbstractButton, name)
        if w.isVisible() and all(w.property(k) == v for k, v in props.items())
    ]
    if not found:
        raise LookupError(f"no visible {name} {props} on {parent.objectName()}")
    for widget in found:
        if _on_screen(widget):
            return widget
    raise NeedsScroll(found[0])


class NeedsScroll(Exception):  # noqa: N818 - a request, not an error
    """The control exists but is scrolled out of view: scroll first (untimed), then tap."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget.objectName())
        self.widget = widget


class Driver(QObject):
    """Feeds taps from ``taps`` one at a time, waiting for each frame; then quits."""

    def __init__(
        self,
        app: QApplication,
        window: QWidget,
        taps: Iterator[Tap],
        on_done: Callable[[Run], None],
        timed: bool = True,
    ) -> None:
        """``timed=False`` (the soak): no waiting for each paint, only one turn of the event
        loop between taps (the screen is still painted; nothing is timed)."""
        super().__init__()
        self.timed = timed
        self.app = app
        self.window = window
        self.taps = taps
        self.on_done = on_done
        self.run = Run()
        self._tap: Tap | None = None
        self._target: QWidget | None = None
        self._before: QWidget | None = None
        self._before_press: QWidget | None = None
        self._armed = False
        self._t0 = 0.0
        self._guard = QTimer(self)
        self._guard.setSingleShot(True)
        self._guard.timeout.connect(self._timed_out)

    def start(self) -> None:
        QTimer.singleShot(0, self._next)

    def _next(self) -> None:
        try:
            tap = next(self.taps)
        except StopIteration:
            self.on_done(self.run)
            self.app.exit(0)
            return
        if tap.before is not None:
            tap.before()
        self._tap_now(tap)

    def _tap_now(self, tap: Tap, scrolled: bool = False) -> None:
        try:
            target = tap.find()
        except NeedsScroll as need:
            if scrolled:
                self.run.errors.append(f"{tap.kind}: cannot scroll {need} into view")
                QTimer.singleShot(0, self._next)
                return
            # A visitor scrolls to the control first: do that, let it paint, then tap.
            self._scroll_into_view(need.widget)
            QTimer.singleShot(50, lambda: self._tap_now(tap, scrolled=True))
            return
        except Exception as exc:  # noqa: BLE001 - a wrong screen is an error, not a hang
            self.run.errors.append(f"{tap.kind}: {type(exc).__name__}: {exc}")
            QTimer.singleShot(0, self._next)
            return
        if not scrolled and target.isVisible() and not _on_screen(target):
            # A visitor scrolls to the control first: do that, let it paint, then tap.
            self._scroll_into_view(target)
            QTimer.singleShot(50, lambda: self._tap_now(tap, scrolled=True))
            return
        # A finger goes down, then comes up: the press (and the pressed look it paints) is
        # not timed; the tap is timed from the release, where a button acts, to the new
        # screen painted. (Inside a scrolling page the press itself reaches the control only
        # at the release, once the page knows it is not being dragged.)
        self._tap = tap
        self._target = target
        self._before_press = self.window.stack.currentWidget()
        press(target)
        QTimer.singleShot(PRESS_MS, self._release)

    def _arm(self) -> None:
        self._before = self.window.stack.currentWidget()
        self._armed = True
        self.app.installEventFilter(self)
        self._t0 = time.perf_counter()

    def _release(self) -> None:
        tap = self._tap
        pressed_away = self.window.stack.currentWidget() is not self._before_press
        if not self.timed or (tap is not None and tap.switch and pressed_away):
            # Untimed, or a control that acts on the press (the staff gesture counts
            # presses; on a page that does not scroll the press is not held back until the
            # release): its screen was shown before the release, nothing to time from it.
            self._before = self.window.stack.currentWidget()
            release(self._target)
            self.run.taps += 1
            QTimer.singleShot(0, self._next)
            return
        self._arm()
        release(self._target)
        self._acted()

    def _acted(self) -> None:
        tap = self._tap
        assert tap is not None
        self.run.taps += 1
        if tap.switch and self.window.stack.currentWidget() is self._before:
            self.run.errors.append(f"{tap.kind}: the tap did not change the screen")
        if not tap.wait:
            self._disarm()
            QTimer.singleShot(0, self._next)
            return
        if self._armed:
            self._guard.start(TIMEOUT_MS)

    def _disarm(self) -> None:
        if self._armed:
            self._armed = False
            self.app.removeEventFilter(self)

    def _scroll_into_view(self, widget: QWidget) -> None:
        parent = widget.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            parent.ensureWidgetVisible(widget, 0, parent.viewport().height() // 3)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # Watches every event while armed (the new screen may paint before the release call
        # returns): done at the first paint of the screen the tap was meant to show.
        if self._armed and isinstance(event, QPaintEvent):
            tap = self._tap
            assert tap is not None
            goal = tap.watch() if tap.watch is not None else self.window.stack.currentWidget()
            if watched is goal and (not tap.switch or goal is not self._before):
                self._disarm()
                QTimer.singleShot(0, self._painted)
        return False

    def _painted(self) -> None:
        ms = (time.perf_counter() - self._t0) * 1000.0
        self._guard.stop()
        tap = self._tap
        assert tap is not None
        if tap.switch:
            w = self.window
            self.run.records.append(
                Record(tap.kind, w.language, w.route.key, ms, time.perf_counter())
            )
        QTimer.singleShot(0, self._next)

    def _timed_out(self) -> None:
        self._disarm()
        self.run.errors.append(f"{self._tap.kind if self._tap else '?'}: no paint in time")
        QTimer.singleShot(0, self._next)


def _at(widget: QWidget) -> tuple[object, QPoint]:
    """The window a tap on ``widget`` arrives at, and where (the middle of the widget)."""
    top = widget.window()
    return top.windowHandle(), widget.mapTo(top, QPoint(widget.width() // 2, widget.height() // 2))


def press(widget: QWidget) -> None:
    """A finger down in the middle of ``widget``. Sent to the window, as the system sends
    touches: Qt finds the widget under the finger (an overlay on top gets it first)."""
    window, point = _at(widget)
    QTest.mousePress(window, LEFT, NO_MODIFIER, point)


def release(widget: QWidget) -> None:
    """The finger up again."""
    window, point = _at(widget)
    QTest.mouseRelease(window, LEFT, NO_MODIFIER, point)


# --- the tours -----------------------------------------------------------------------------


def nav(window: QWidget, name: str) -> Callable[[], QWidget]:
    return lambda: window.bar.buttons[name]


def on_screen(window: QWidget, name: str, **props: str) -> Callable[[], QWidget]:
    return lambda: _button(window.current_screen(), name, **props)


def tour(window: QWidget, content: object, lang: str) -> Iterator[Tap]:
    """Every screen once in ``lang``, the way a visitor moves: Home, each section and its
    topics, a source from a topic and back, the table, FAQ, sources, about, help, the
    language picker, text size, the form's first page, and the staff pad."""
    if window.language != lang:
        yield Tap("language", lambda: window.current_screen().language_buttons[lang])
    lc = content.languages[lang]
    for section in lc.sections:
        yield Tap(
            f"home>{section.kind}",
            lambda s=section.id: window.current_screen().tiles[s],
        )
        if section.kind == "topics" and len(section.items) > 1:
            for topic_id in section.items:
                yield Tap("section>topic", lambda t=topic_id: window.current_screen().rows[t])
                yield Tap("topic>source", on_screen(window, "source-chip"))
                yield Tap("back", nav(window, "nav-back"))
                yield Tap("back", nav(window, "nav-back"))
        elif section.kind in ("topics", "table"):
            yield Tap("topic>source", on_screen(window, "source-chip"))
            yield Tap("back", nav(window, "nav-back"))
        yield Tap("home", nav(window, "nav-home"))
    yield Tap("help", nav(window, "nav-help"))
    yield Tap("language-screen", nav(window, "nav-language"))
    yield Tap("language-picked", lambda: window.current_screen().buttons[lang])
    yield Tap("home", nav(window, "nav-home"))
    for _ in range(3):  # Normal -> Large -> Largest -> Normal, on Home
        yield Tap("text-size", nav(window, "nav-text-size"))
    yield Tap("appointment", nav(window, "nav-appointment"))
    yield Tap("home", nav(window, "nav-home"))
    logo = lambda: window.current_screen().logo  # noqa: E731
    for _ in range(window._settings.staff_taps - 1):
        yield Tap("logo", logo, switch=False, wait=False)
    yield Tap("staff-login", logo)
    yield Tap("home", on_screen(window, "pad-cancel"))


def tours(
    window: QWidget, content: object, languages: tuple[str, ...], switches: int
) -> Iterator[Tap]:
    """Tours in each language in turn until ``switches`` screen switches have been made."""
    made = 0
    while True:
        for lang in languages:
            for tap in tour(window, content, lang):
                if tap.switch:
                    if made >= switches:
                        return
                    made += 1
                yield tap


def submission(window: QWidget, n: int) -> Iterator[Tap]:
    """One complete appointment request, typed and tapped through, then "I am done"."""
    form = lambda: window.current_screen()  # noqa: E731
    page = lambda: window.current_screen().pages.currentWidget()  # noqa: E731
    step = lambda kind, find, before=None: Tap(kind, find, False, page, before)  # noqa: E731

    def type_into(key: str, text: str) -> Callable[[], None]:
        return lambda: form().fields[key].setText(text)

    yield Tap("appointment", nav(window, "nav-appointment"))
    yield step("form-next", on_screen(window, "form-next"))  # notice -> name
    yield step("form-next", on_screen(window, "form-next"), type_into("name", f"Ayşe Yılmaz {n}"))
    yield step("form-next", on_screen(window, "form-next"), type_into("phone", "0532 123 45 67"))
    yield step("choice", on_screen(window, "language-choice", choice="tr"))
    yield step("choice", on_screen(window, "method-option", choice="phone"))
    yield step("choice", on_screen(window, "time-option", choice="morning"))
    yield step("form-next", on_screen(window, "form-next"))  # preferences -> consents
    yield step("consent", on_screen(window, "consent-option", consent="notice_read"))
    yield step("consent", on_screen(window, "consent-option", consent="contact"))
    yield step("form-next", on_screen(window, "form-next"))  # consents -> review
    yield step("submit", on_screen(window, "form-next"))  # review -> thanks (the save)
    yield Tap("done", nav(window, "nav-done"))
