"""Where an export can go: removable drives (USB sticks, memory cards) and the configured
folder, each with the filesystem it was on when it was offered."""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStorageInfo

# The kernel's view of block devices (Linux).
SYSFS = Path("/sys")
_DRIVE_REMOVABLE = 2  # GetDriveTypeW: a USB stick or a memory card


@dataclass(frozen=True)
class Destination:
    """A place to save an export: a USB stick or the configured folder.

    ``device`` is the filesystem (``st_dev``) the place was on when it was listed; the
    export checks it again at save time, so a stick pulled and its mount folder left
    behind is never mistaken for the stick. A ``read_only`` stick is shown, not offered.
    """

    kind: str  # "usb" or "folder"
    name: str
    path: Path
    device: int | None = None
    read_only: bool = False


def device_of(path: Path) -> int | None:
    """The filesystem ``path`` is on, or None if it cannot be read (gone, no access)."""
    try:
        return os.stat(path).st_dev
    except OSError:
        return None


def _node(device: int | None, name: str, sysfs: Path) -> Path | None:
    """The block device's folder in /sys: by its number (``st_dev``), or else by its name
    (``/dev/sdb1``; a FUSE filesystem such as NTFS has no number of its own)."""
    candidates = []
    if device is not None:
        candidates.append(sysfs / "dev" / "block" / f"{os.major(device)}:{os.minor(device)}")
    if name.startswith("/dev/"):
        candidates.append(sysfs / "class" / "block" / Path(name).name)
    for entry in candidates:
        try:
            return entry.resolve(strict=True)
        except OSError:
            continue
    return None


def disks_under(device: int | None, name: str = "", sysfs: Path = SYSFS) -> set[Path]:
    """The physical disks a filesystem lives on: a partition's disk is the folder above it
    in /sys; an encrypted or LVM volume (device mapper) is followed to its disks."""
    start = _node(device, name, sysfs)
    if start is None:
        return set()
    found: set[Path] = set()
    todo, seen = [start], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        try:
            below = [p.resolve(strict=True) for p in (node / "slaves").iterdir()]
        except OSError:
            below = []
        if below:
            todo.extend(below)
        else:
            found.add(node.parent if (node / "partition").exists() else node)
    return found


def is_removable_disk(disk: Path) -> bool:
    """Whether the kernel reaches a disk through USB, or marks it removable (a memory
    card): a USB disk that does not call itself removable is still a stick for the desk."""
    if "/usb" in disk.as_posix():
        return True
    try:
        return (disk / "removable").read_text("ascii").strip() == "1"
    except OSError:
        return False


def is_stick(disks: set[Path], own_disks: set[Path]) -> bool:
    """Whether a filesystem on ``disks`` is offered as a stick: every disk under it is
    removable, and none of them holds one of the kiosk's own folders."""
    return bool(disks) and all(is_removable_disk(d) for d in disks) and not disks & own_disks


def _is_removable_windows(root: str) -> bool:
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    return bool(kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)) == _DRIVE_REMOVABLE)


def removable_drives(own: Iterable[Path] = (), sysfs: Path = SYSFS) -> list[Destination]:
    """Mounted removable volumes (USB sticks, memory cards), never the system disk nor any
    disk holding one of the kiosk's ``own`` folders (a kiosk that boots from a USB disk must
    not offer its own second partition), each with the filesystem it is on now. A
    write-protected stick is listed as such, to be shown but not chosen."""
    system_root = QStorageInfo.root().rootPath()
    linux = not sys.platform.startswith("win")
    own_disks: set[Path] = set()
    if linux:
        for folder in own:
            own_disks |= disks_under(device_of(folder), sysfs=sysfs)
    found: list[Destination] = []
    for volume in QStorageInfo.mountedVolumes():
        root = volume.rootPath()
        if not (volume.isValid() and volume.isReady()) or root == system_root:
            continue
        device = device_of(Path(root))
        if device is None:
            continue
        if linux:
            disks = disks_under(
                device, bytes(volume.device().data()).decode(errors="replace"), sysfs
            )
            if not is_stick(disks, own_disks):
                continue
        elif not _is_removable_windows(root):
            continue
        name = volume.displayName() or Path(root).name or root
        found.append(Destination("usb", name, Path(root), device, volume.isReadOnly()))
    return found
