"""Where an export can go: removable drives (USB sticks, memory cards) and the configured
folder, each with the filesystem it was on when it was offered."""

from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStorageInfo

# Where Linux puts the kernel's view of each block device.
SYSFS_BLOCK = Path("/sys/class/block")
_DRIVE_REMOVABLE = 2  # GetDriveTypeW: a USB stick or a memory card


@dataclass(frozen=True)
class Destination:
    """A place to save an export: a USB stick or the configured folder.

    ``device`` is the filesystem (``st_dev``) the place was on when it was listed; the
    export checks it again at save time, so a stick pulled and its mount folder left
    behind is never mistaken for the stick.
    """

    kind: str  # "usb" or "folder"
    name: str
    path: Path
    device: int | None = None


def device_of(path: Path) -> int | None:
    """The filesystem ``path`` is on, or None if it cannot be read (gone, no access)."""
    try:
        return os.stat(path).st_dev
    except OSError:
        return None


def is_removable_block(device: str, sysfs: Path = SYSFS_BLOCK) -> bool:
    """Whether a Linux block device (``/dev/sdb1``) is a USB stick or a memory card: the
    kernel reaches it through USB, or marks it (or the disk it is part of) removable.
    Anything else (an internal disk, tmpfs, a network share) is not offered as a stick."""
    if not device.startswith("/dev/"):
        return False
    entry = sysfs / Path(device).name
    try:
        real = entry.resolve(strict=True)
    except OSError:
        return False
    if "/usb" in real.as_posix():
        return True
    for folder in (real, real.parent):  # a partition's disk is its parent
        try:
            if (folder / "removable").read_text("ascii").strip() == "1":
                return True
        except OSError:
            continue
    return False


def _is_removable_windows(root: str) -> bool:
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    return bool(kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)) == _DRIVE_REMOVABLE)


def removable_drives() -> list[Destination]:
    """Return mounted, writable removable volumes (USB sticks, memory cards), never the
    system disk, each with the filesystem it is on now."""
    system_root = QStorageInfo.root().rootPath()
    found: list[Destination] = []
    for volume in QStorageInfo.mountedVolumes():
        root = volume.rootPath()
        if not (volume.isValid() and volume.isReady()) or volume.isReadOnly():
            continue
        if root == system_root:
            continue
        if sys.platform.startswith("win"):
            if not _is_removable_windows(root):
                continue
        elif not is_removable_block(volume.device().data().decode(errors="replace")):
            continue
        device = device_of(Path(root))
        if device is None:
            continue
        name = volume.displayName() or Path(root).name or root
        found.append(Destination("usb", name, Path(root), device))
    return found
