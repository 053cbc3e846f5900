"""Liveness signals for the service manager: systemd's sd_notify and a heartbeat file (no Qt).

A frozen kiosk is as bad as a crashed one, so these are sent from the UI's event loop:
if the loop hangs they stop, and systemd (WatchdogSec) or a scheduled task restarts the kiosk.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

log = logging.getLogger(__name__)


def sd_notify(state: str, environ: dict[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``READY=1`` or ``WATCHDOG=1``) to $NOTIFY_SOCKET; return if sent.

    A few lines instead of a dependency: the protocol is one datagram on a Unix socket.
    """
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET")
    if not address or not hasattr(socket, "AF_UNIX"):
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as exc:
        log.warning("sd_notify_failed error=%s", type(exc).__name__)
        return False
    return True


def watchdog_interval_ms(environ: dict[str, str] | None = None, default_ms: int = 10_000) -> int:
    """Return how often to send the heartbeat: half of systemd's WatchdogSec, at most 10 s."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", "0"))
    except ValueError:
        usec = 0
    return max(500, min(default_ms, usec // 2000)) if usec > 0 else default_ms


def touch_heartbeat(path: Path) -> None:
    """Write the current time into ``path`` (its modification time is what monitors read)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError as exc:
        log.warning("heartbeat_failed error=%s", type(exc).__name__)


def beat(path: Path) -> None:
    """One heartbeat: touch the file and tell systemd the loop is alive."""
    touch_heartbeat(path)
    sd_notify("WATCHDOG=1")
