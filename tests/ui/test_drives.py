"""Which mounted drives the Export page offers as USB sticks (the kernel's view, not the
folder they are mounted on)."""

from __future__ import annotations

from pathlib import Path

from kiosk.ui.drives import device_of, is_removable_block


def _disk(sysfs: Path, device_path: str, partition: str, removable: str) -> None:
    """A block device as /sys shows it: class/block/<partition> links into devices/."""
    disk = sysfs / "devices" / device_path
    (disk / partition).mkdir(parents=True)
    (disk / "removable").write_text(removable + "\n", "ascii")
    (disk / partition / "partition").write_text("1\n", "ascii")
    block = sysfs / "class" / "block"
    block.mkdir(parents=True, exist_ok=True)
    (block / partition).symlink_to(disk / partition)


def test_usb_and_removable_disks_only(tmp_path: Path) -> None:
    sysfs = tmp_path / "sys"
    _disk(sysfs, "pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/block/sdb", "sdb1", "0")
    _disk(sysfs, "pci0000:00/0000:00:17.0/ata1/host0/block/sda", "sda1", "0")
    _disk(sysfs, "platform/card-reader/block/sdc", "sdc1", "1")
    block = sysfs / "class" / "block"
    # A USB disk that does not call itself removable is still a stick for the desk.
    assert is_removable_block("/dev/sdb1", block)
    assert not is_removable_block("/dev/sda1", block)  # the kiosk's internal disk
    assert is_removable_block("/dev/sdc1", block)  # a memory card
    assert not is_removable_block("tmpfs", block)
    assert not is_removable_block("/dev/nothing", block)


def test_device_of_a_missing_folder(tmp_path: Path) -> None:
    assert device_of(tmp_path) is not None
    assert device_of(tmp_path / "gone") is None
