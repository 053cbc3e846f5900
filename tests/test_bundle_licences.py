"""tools/bundle_licences.py, which kiosk.spec runs at build time: each bundled file is traced
to whoever licensed it, and a file it cannot trace stops the build (the bundle itself is
checked in tests/test_bundle.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "bundle_licences", ROOT / "tools" / "bundle_licences.py"
)
assert _spec and _spec.loader
licences = importlib.util.module_from_spec(_spec)
sys.modules["bundle_licences"] = licences  # its dataclasses look their module up there
_spec.loader.exec_module(licences)


def test_files_are_traced_to_their_distribution_the_interpreter_and_this_repository() -> None:
    import msgspec

    parts, own = licences.classify(
        [
            ("msgspec/__init__.py", msgspec.__file__),
            ("json/__init__.py", json.__file__),
            ("kiosk/paths.py", str(ROOT / "kiosk" / "paths.py")),
        ],
        ROOT,
    )
    assert own == ["kiosk/paths.py"]
    assert parts["msgspec"].bundled == {"msgspec/__init__.py"}
    assert [t.name for t in parts["msgspec"].texts] == ["LICENSE"]
    assert parts["Python"].version == sys.version.split()[0]
    assert "PYTHON SOFTWARE FOUNDATION" in parts["Python"].texts[0].read_text("utf-8")


def test_a_distribution_without_a_licence_file_gets_the_licence_it_is_used_under() -> None:
    """The PySide6 and shiboken6 wheels carry no licence text: the LGPL-3.0 and the GPL-3.0."""
    import shiboken6

    parts, _ = licences.classify([("shiboken6/__init__.py", shiboken6.__file__)], ROOT)
    texts = parts["shiboken6"].texts
    assert [t.name for t in texts] == ["LGPL-3.0.txt", "GPL-3.0.txt"]
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in texts[0].read_text("utf-8")


def test_a_file_of_unknown_origin_stops_the_build(tmp_path: Path) -> None:
    stray = tmp_path / "libmystery.so.1"
    stray.write_bytes(b"\x7fELF")
    with pytest.raises(licences.LicenceError, match="libmystery"):
        licences.classify([("libmystery.so.1", str(stray))], ROOT)
