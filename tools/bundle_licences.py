"""The licence texts and notices of everything in the bundle, written by kiosk.spec at build time.

The list is derived from what PyInstaller collected (every module, library and data file with
the path it came from), never kept by hand: each file is traced to the Python distribution
that installed it, to the Python interpreter, to this repository, or (on Linux) to the Debian
package that owns it. Anything that cannot be traced, or a distribution without a licence
text, stops the build: a bundle must not ship without the notices its parts require.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDORED = HERE / "licences"
# Distributions whose wheels carry no licence file: the texts of the licence we use them under.
# PySide6 and shiboken6 are "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only"; the kiosk uses
# them under the LGPL-3.0, which is the GPL-3.0 plus additional permissions (so both texts).
SUPPLIED = {
    "pyside6-essentials": ("LGPL-3.0.txt", "GPL-3.0.txt"),
    "shiboken6": ("LGPL-3.0.txt", "GPL-3.0.txt"),
}
LICENCE_NAME = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.IGNORECASE)
INVENTORY = "THIRD-PARTY-NOTICES.txt"


class LicenceError(RuntimeError):
    """A bundled part whose licence cannot be found: the build must stop."""


@dataclass
class Part:
    """One distribution (or the interpreter, or a system package) and what it brings."""

    name: str
    version: str
    licence: str
    texts: list[Path] = field(default_factory=list)
    bundled: set[str] = field(default_factory=set)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _licence_of(dist: importlib.metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression
    short = (meta.get("License") or "").strip().splitlines()
    if short and len(short[0]) <= 80:
        return short[0]
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or []]
    return "; ".join(c for c in classifiers if c and "License" in c) or "see the licence text"


def _texts_of(dist: importlib.metadata.Distribution) -> list[Path]:
    """The licence files in the distribution's metadata folder (License-File entries, or
    files named like a licence there)."""
    files = [f for f in dist.files or [] if ".dist-info" in f.parts[0]]
    wanted = set(dist.metadata.get_all("License-File") or [])
    found = [f for f in files if any(str(f).endswith("/" + name) for name in wanted)]
    if not found:
        found = [f for f in files if LICENCE_NAME.match(f.name)]
    return [Path(str(dist.locate_file(f))) for f in found]


def _index() -> dict[Path, importlib.metadata.Distribution]:
    """Every installed file of every distribution, by its real path."""
    owners: dict[Path, importlib.metadata.Distribution] = {}
    for dist in importlib.metadata.distributions():
        for entry in dist.files or []:
            owners.setdefault(Path(str(dist.locate_file(entry))).resolve(), dist)
    return owners


def _debian_package(path: Path) -> str | None:
    """The Debian package that installed ``path`` (dpkg knows /lib and /usr/lib paths)."""
    candidates = {str(path), str(path.resolve())}
    for name in list(candidates):
        if name.startswith("/usr/lib/"):
            candidates.add(name[len("/usr") :])
        elif name.startswith("/lib/"):
            candidates.add("/usr" + name)
    for name in sorted(candidates):
        result = subprocess.run(["dpkg", "-S", name], capture_output=True, text=True, check=False)
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0].strip()
    return None


def _python_licence() -> Path:
    """The interpreter's own licence (PSF), which also lists the libraries CPython bundles."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for candidate in (stdlib / "LICENSE.txt", Path(sys.base_prefix) / "LICENSE.txt"):
        if candidate.is_file():
            return candidate
    raise LicenceError(f"the Python licence is not in {stdlib} or {sys.base_prefix}")


def classify(
    entries: Iterable[tuple[str, str | None]], root: Path
) -> tuple[dict[str, Part], list[str]]:
    """Trace each bundled file (destination, source path) to the part it belongs to.

    Returns the parts by name and the destinations that belong to this repository.
    """
    owners = _index()
    # The interpreter's own files: its standard library and extension modules (not all of its
    # prefix: for a Debian python3 that is /usr, where the system libraries live too).
    python_roots = [
        Path(p).resolve()
        for p in {
            sysconfig.get_paths()["stdlib"],
            sysconfig.get_config_var("DESTSHARED") or sysconfig.get_paths()["stdlib"],
            *([sys.base_prefix] if sys.platform == "win32" else []),
        }
    ]
    parts: dict[str, Part] = {}
    own: list[str] = []
    unknown: list[str] = []
    dpkg = shutil.which("dpkg") is not None
    for dest, source in entries:
        if not source or source == "-":
            continue
        path = Path(source).resolve()
        dist = owners.get(path)
        if dist is not None and _canonical(dist.metadata["Name"]) != "clinic-kiosk":
            name = dist.metadata["Name"]
            part = parts.get(name)
            if part is None:
                texts = _texts_of(dist)
                if not texts:
                    supplied = SUPPLIED.get(_canonical(name))
                    if supplied is None:
                        raise LicenceError(f"{name} has no licence file in its metadata")
                    texts = [VENDORED / text for text in supplied]
                part = parts[name] = Part(name, dist.version, _licence_of(dist), texts)
            part.bundled.add(dest)
        elif path.is_relative_to(root) and "site-packages" not in path.parts:
            own.append(dest)
        elif any(path.is_relative_to(p) for p in python_roots) or path.name.startswith("libpython"):
            part = parts.setdefault(
                "Python",
                Part("Python", sys.version.split()[0], "PSF-2.0", [_python_licence()]),
            )
            part.bundled.add(dest)
        elif dpkg and (package := _debian_package(path)):
            copyright_file = Path("/usr/share/doc") / package.split(":")[0] / "copyright"
            if not copyright_file.is_file():
                raise LicenceError(f"{package} (for {dest}) has no {copyright_file}")
            part = parts.setdefault(
                f"debian:{package}",
                Part(package, _debian_version(package), "see copyright", [copyright_file]),
            )
            part.bundled.add(dest)
        else:
            unknown.append(f"{dest} (from {source})")
    if unknown:
        raise LicenceError("cannot tell whose licence covers: " + ", ".join(sorted(unknown)))
    return parts, own


def _debian_version(package: str) -> str:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "?"


def _qt_notice(parts: dict[str, Part], qt_version: str) -> str:
    pyside = next(p for p in parts.values() if _canonical(p.name) == "pyside6-essentials")
    bundled = set().union(*(p.bundled for p in parts.values() if _canonical(p.name) in SUPPLIED))
    # Where this build put the libraries (they differ between Linux and Windows).
    folders: dict[str, list[str]] = {}
    for dest in sorted(bundled):
        path = Path(dest)
        if re.search(r"\.(so|dll|dylib)\b", path.name) and not path.name.endswith(".py"):
            folders.setdefault(path.parent.as_posix(), []).append(path.name)
    where = "\n".join(
        f"  _internal/{folder}/  ({len(names)} files, e.g. {names[0]})"
        for folder, names in sorted(folders.items())
    )
    minor = ".".join(qt_version.split(".")[:2])
    major = qt_version.split(".")[0]
    icu = any("icu" in name for names in folders.values() for name in names)
    among = " (among them ICU, under the Unicode licence: the libicu files)" if icu else ""
    return f"""Qt {qt_version} and PySide6 {pyside.version}: GNU Lesser General Public License v3
=====================================================================

This program uses the Qt libraries (The Qt Company Ltd.) and PySide6 / shiboken6 (Qt for
Python) under the GNU Lesser General Public License version 3 (LGPL-3.0, in LGPL-3.0.txt),
which adds permissions to the GNU General Public License version 3 (GPL-3.0.txt).

Where they are. They are separate shared libraries and plugins, loaded when the program
starts; none is built into the program file. In this bundle:

{where}

Replacing them. You may replace these files with your own build of Qt {minor}.x or of
PySide6 {pyside.version} (for example one with a fix), or modify and rebuild them, and run
the program with them: copy the new files over the old ones, keeping their names. Nothing in
this program prevents that, and you may reverse-engineer the program as far as needed to
debug such a change (LGPL-3.0 section 4). The programming interface must stay compatible: a
Qt build of the same minor version ({minor}) and a PySide6 built against it.

Source code. The complete source of the Qt version used is at
  https://download.qt.io/official_releases/qt/{minor}/{qt_version}/
and of PySide6 / shiboken6 at
  https://download.qt.io/official_releases/QtForPython/
  https://code.qt.io/cgit/pyside/pyside-setup.git/ (tag v{pyside.version}).
Qt includes third-party code under its own licences{among}; Qt lists each with its
licence at
  https://doc.qt.io/qt-{major}/licenses-used-in-qt.html
"""


def write(
    dest: Path,
    entries: Iterable[tuple[str, str | None]],
    root: Path,
    qt_version: str,
    extra: Iterable[tuple[str, str, Path]] = (),
) -> dict[str, Part]:
    """Write ``dest`` (the bundle's LICENSES folder): one folder of texts per part, the Qt
    notice, and the inventory. ``extra`` names licences of this repository's own bundled
    files (fonts, icons): (name, licence, text)."""
    parts, _own = classify(entries, root)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    lines = [
        "Third-party software in this bundle, and where its licence text is.",
        "Generated when the bundle was built (tools/bundle_licences.py), from the files",
        "PyInstaller collected. Paths are relative to this folder.",
        "",
        "Qt and PySide6 are used under the LGPL-3.0: how to replace them and where their",
        "source is, see Qt-LGPL-NOTICE.txt.",
        "",
    ]
    for key in sorted(parts, key=str.lower):
        part = parts[key]
        folder = dest / ("system" if key.startswith("debian:") else "python") / part.name
        folder.mkdir(parents=True, exist_ok=True)
        copied = []
        for text in part.texts:
            target = folder / (text.name if text.name != "copyright" else "copyright.txt")
            shutil.copyfile(text, target)
            copied.append(target.relative_to(dest).as_posix())
        lines.append(f"{part.name} {part.version}")
        lines.append(f"  licence: {part.licence}")
        if key.startswith("debian:"):
            # A system library is known by its file name; list them, so each can be found.
            names = sorted({Path(d).name for d in part.bundled})
            lines.append(f"  bundled: {', '.join(names)}")
        else:
            lines.append(f"  files in the bundle: {len(part.bundled)}")
        lines.extend(f"  text: {c}" for c in copied)
        lines.append("")
    for name, licence, text in extra:
        folder = dest / "resources"
        folder.mkdir(exist_ok=True)
        shutil.copyfile(text, folder / text.name)
        lines.append(name)
        lines.append(f"  licence: {licence}")
        lines.append(f"  text: resources/{text.name}")
        lines.append("")
    for text in ("LGPL-3.0.txt", "GPL-3.0.txt"):
        shutil.copyfile(VENDORED / text, dest / text)
    (dest / "Qt-LGPL-NOTICE.txt").write_text(_qt_notice(parts, qt_version), encoding="utf-8")
    (dest / INVENTORY).write_text("\n".join(lines), encoding="utf-8")
    return parts
