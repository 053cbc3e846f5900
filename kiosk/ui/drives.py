"""Where an export can go: removable drives (USB sticks) and the configured folder."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStorageInfo

# Mount points under which Linux desktops and udisks put removable media.
REMOVABLE_ROOTS = ("/media/", "/run/media/", "/mnt/")


@dataclass(frozen=True)
class Destination:
    """A place to save an export: a USB stick or the configured folder."""

    kind: str  # "usb" or "folder"
    name: str
    path: Path


def removable_drives() -> list[Destination]:
    """Return mounted, writable volumes that are not the system disk (USB sticks)."""
    system_root = QStorageInfo.root().rootPath()
    system_drive = os.environ.get("SystemDrive", "C:").upper()
    found: list[Destination] = []
    for volume in QStorageInfo.mountedVolumes():
        root = volume.rootPath()
        if not (volume.isValid() and volume.isReady()) or volume.isReadOnly():
            continue
        if root == system_root:
            continue
        if sys.platform.startswith("win"):
            if root.upper().startswith(system_drive):
                continue
        elif not root.startswith(REMOVABLE_ROOTS):
            continue
        name = volume.displayName() or Path(root).name or root
        found.append(Destination("usb", name, Path(root)))
    return found
