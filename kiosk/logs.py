"""Logging set-up: size-capped rotating files, one event per line, no personal data (no Qt)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_FILE = "kiosk.log"
MAX_BYTES = 1_000_000
BACKUPS = 4
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class OneLineFormatter(logging.Formatter):
    """Keeps each record on one line, tracebacks included, so logs grep and rotate cleanly."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", " | ")


def setup_logging(
    log_dir: Path | None, level: int = logging.INFO, file_name: str = LOG_FILE
) -> Path | None:
    """Send log records to stderr and, if ``log_dir`` is usable, to rotating files there.

    Returns the log file path, or None when only stderr is used. Calling it again replaces
    the kiosk's handlers rather than adding more.
    """
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "kiosk", False):
            root.removeHandler(handler)
            handler.close()
    formatter = OneLineFormatter(FORMAT)
    console = logging.StreamHandler()
    console.setFormatter(formatter)
    console.kiosk = True  # type: ignore[attr-defined]
    root.addHandler(console)
    if log_dir is None:
        return None
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / file_name
        files = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError as exc:
        logging.getLogger(__name__).warning("log_dir_unusable error=%s", type(exc).__name__)
        return None
    files.setFormatter(formatter)
    files.kiosk = True  # type: ignore[attr-defined]
    root.addHandler(files)
    return path
