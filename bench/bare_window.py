"""The floor for start-up: a bare PySide6 window that shows, paints, and reports when.

It does what ``kiosk run --exit-after-first-paint`` does, minus the kiosk: a QApplication, a
1280x800 window with one label, and the same "first paint, then the frame done" moment.
Run as a script (not through ``bench``), so it imports nothing but PySide6.
"""

import json
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget


class FirstPaint(QObject):
    def __init__(self, widget: QWidget, app: QApplication) -> None:
        super().__init__(widget)
        self.app = app
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self.report)
        return False

    def report(self) -> None:
        with open("/proc/self/statm", encoding="ascii") as statm:
            import os

            rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        anon = None
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    anon = int(line.split()[1]) * 1024
        report = {"first_paint": time.monotonic(), "rss_bytes": rss, "rss_anon_bytes": anon}
        print(json.dumps(report), flush=True)
        self.app.exit(0)


def main() -> int:
    app = QApplication(sys.argv[:1])
    window = QWidget()
    layout = QVBoxLayout(window)
    layout.addWidget(QLabel("Lupus Information Point"))
    window.resize(1280, 800)
    FirstPaint(window, app)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
