"""After the first paint: what visitors will ask for is prepared while the kiosk waits, one
job per turn of the event loop, so a tap waits at most for the one being done."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.content import Content
from kiosk.memory import release_free_memory
from kiosk.ui.navigation import Route, content_routes
from kiosk.ui.screen_cache import CACHE_LIMIT, SPARE_SCREENS

Job = Callable[[], object]


def _compute_qr(link: str) -> None:
    """Compute and cache the QR code for ``link`` (the QR libraries load on first use)."""
    from kiosk.ui.widgets.qr_widget import module_image

    module_image(link)


def _prepare_form_checks() -> None:
    # The phone and e-mail checks may load their libraries on first use: now, not when a
    # visitor taps "Next". (Any valid number and address do.)
    from kiosk.appointment import normalise_email, normalise_phone

    normalise_phone("tr", "0532 000 00 00")
    normalise_email("visitor@example.org")


def start_up_jobs(
    content: Content,
    languages: Sequence[str],
    default: str,
    keep_built: Callable[[Route, str], None],
    keep_form_built: Job,
) -> list[Job]:
    """The start-up's jobs, in order. Every content screen is built and kept, in every
    language offered (the default first), so that even a first visit is only a paint:
    without a style sheet a kept screen costs ~0.1-0.5 MiB (kiosk/ui/look.py). The QR codes
    are computed one per job before the first Sources screen that shows them; the form's
    checks are loaded and the form built once the default language is ready."""
    order = [default] + [code for code in languages if code != default]
    source_links = [link for source in content.sources.values() if (link := source.link())]
    screens = [(code, route) for code in order for route in content_routes(content.languages[code])]
    # Room is left for other text sizes: kept screens stay within CACHE_LIMIT.
    screens = screens[: max(0, CACHE_LIMIT - SPARE_SCREENS)]
    build: list[Job] = [partial(keep_built, route, code) for code, route in screens]
    first_sources = next(
        (i for i, (_, route) in enumerate(screens) if route.name == "sources"), len(build)
    )
    others = next((i for i, (code, _) in enumerate(screens) if code != default), len(build))
    qr: list[Job] = [partial(_compute_qr, link) for link in source_links]
    if first_sources < others:
        jobs = build[:first_sources] + qr + build[first_sources:others]
    else:
        jobs = build[:others] + qr
    jobs += [_prepare_form_checks, keep_form_built, *build[others:]]
    jobs.append(release_free_memory)  # what start-up's imports and builds left behind
    return jobs


class IdleQueue(QObject):
    """Runs jobs one per turn of the event loop.

    Signals:
        finished(): the last job has run.
    """

    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[Job] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._next)

    def start(self, jobs: list[Job]) -> None:
        self._jobs = list(jobs)
        self._timer.start(0)

    def running(self) -> bool:
        return bool(self._jobs)

    def _next(self) -> None:
        if self._jobs:
            self._jobs.pop(0)()
        if self._jobs:
            self._timer.start(0)
        else:
            self.finished.emit()
