"""How the kiosk is installed: its licence field is one setuptools reads (issue 19, item 11)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.licenses import canonicalize_license_expression
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def test_licence_is_an_spdx_expression_and_setuptools_can_read_it() -> None:
    # PEP 639: a plain SPDX expression. The old table form stops building in 2027, and a
    # setuptools older than 77 rejects the string, so the build requirement must exclude those.
    licence = PROJECT["license"]
    assert isinstance(licence, str)
    assert canonicalize_license_expression(licence) == licence
    (setuptools,) = [
        Requirement(text)
        for text in PYPROJECT["build-system"]["requires"]
        if canonicalize_name(Requirement(text).name) == "setuptools"
    ]
    assert not setuptools.specifier.contains("77.0.2")
