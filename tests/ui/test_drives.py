"""Which mounted drives the Export page offers as USB sticks: the kernel's view of the
disks under them (a fake /sys here), not the folder they are mounted on."""

from __future__ import annotations

import os
from pathlib import Path

from kiosk.ui.drives import device_of, disks_under, is_removable_disk, is_stick


def _part(
    sysfs: Path, disk_path: str, partition: str, number: tuple[int, int], removable: str
) -> Path:
    """A partition as /sys shows it: dev/block/MAJ:MIN and class/block/<name> link into
    devices/, where the disk folder holds ``removable`` and the partition a ``partition``."""
    disk = sysfs / "devices" / disk_path
    (disk / partition).mkdir(parents=True)
    (disk / "removable").write_text(removable + "\n", "ascii")
    (disk / partition / "partition").write_text("1\n", "ascii")
    for link in (
        sysfs / "dev" / "block" / f"{number[0]}:{number[1]}",
        sysfs / "class" / "block" / partition,
    ):
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(disk / partition)
    return disk


def test_usb_and_removable_disks_only(tmp_path: Path) -> None:
    sysfs = tmp_path / "sys"
    usb = _part(sysfs, "pci0/usb2/2-1/2-1:1.0/host6/block/sdb", "sdb1", (8, 17), "0")
    internal = _part(sysfs, "pci0/ata1/host0/block/sda", "sda1", (8, 1), "0")
    card = _part(sysfs, "platform/reader/block/sdc", "sdc1", (8, 33), "1")
    assert disks_under(os.makedev(8, 17), sysfs=sysfs) == {usb.resolve()}
    # A USB disk that does not call itself removable is still a stick for the desk.
    assert is_stick({usb.resolve()}, set())
    assert not is_removable_disk(internal)
    assert is_stick(disks_under(os.makedev(8, 33), sysfs=sysfs), set())
    assert card.resolve() in disks_under(os.makedev(8, 33), sysfs=sysfs)
    # By name when the number says nothing (a FUSE filesystem such as NTFS).
    assert disks_under(os.makedev(0, 55), "/dev/sdb1", sysfs) == {usb.resolve()}
    assert disks_under(os.makedev(0, 56), "tmpfs", sysfs) == set()
    assert not is_stick(set(), set())


def test_a_second_partition_of_the_kiosks_own_usb_disk_is_not_a_stick(tmp_path: Path) -> None:
    """A kiosk that boots from a USB disk: its other partition is on the same disk as the
    kiosk's folders, so it is never offered (patients' data would stay on the kiosk)."""
    sysfs = tmp_path / "sys"
    boot = _part(sysfs, "pci0/usb1/1-1/host2/block/sdd", "sdd1", (8, 49), "0")
    (boot / "sdd2").mkdir()
    (boot / "sdd2" / "partition").write_text("2\n", "ascii")
    (sysfs / "dev" / "block" / "8:50").symlink_to(boot / "sdd2")
    own = disks_under(os.makedev(8, 49), sysfs=sysfs)
    assert not is_stick(disks_under(os.makedev(8, 50), sysfs=sysfs), own)


def test_an_encrypted_stick_is_followed_to_its_disk(tmp_path: Path) -> None:
    """LUKS (device mapper): the mapped device's slaves lead to the stick."""
    sysfs = tmp_path / "sys"
    usb = _part(sysfs, "pci0/usb2/2-2/host7/block/sde", "sde1", (8, 65), "0")
    mapped = sysfs / "devices" / "virtual" / "block" / "dm-0"
    (mapped / "slaves").mkdir(parents=True)
    (mapped / "slaves" / "sde1").symlink_to(usb / "sde1")
    (sysfs / "dev" / "block" / "253:0").symlink_to(mapped)
    assert disks_under(os.makedev(253, 0), sysfs=sysfs) == {usb.resolve()}
    assert is_stick(disks_under(os.makedev(253, 0), sysfs=sysfs), set())


def test_device_of_a_missing_folder(tmp_path: Path) -> None:
    assert device_of(tmp_path) is not None
    assert device_of(tmp_path / "gone") is None
