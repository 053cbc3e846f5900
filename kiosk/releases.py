"""Content releases on a kiosk (signed updates, kiosk.updates): each verified bundle unpacked
into a folder of its own, and a pointer naming the one in use, replaced in one rename, the
one before it kept (no Qt).

The pointers are small files (``current``, ``previous``) rather than symbolic links: the
same rename swaps them atomically on Linux and Windows, where making a link needs rights a
kiosk's account does not have. A power cut at any moment leaves the old pointer or the new
one, never neither: a half-unpacked bundle is only ever a ``.incoming-*`` folder, removed by
:func:`collect`.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

RELEASES = "releases"
CURRENT = "current"
PREVIOUS = "previous"
_INCOMING = ".incoming-"
# A release's folder: its content version, then the start of its bundle's SHA-256.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}-[0-9a-f]{12}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ReleaseError(Exception):
    """A bundle could not be unpacked or is not valid content: the text says why."""


def release_name(content_version: str, sha256: str) -> str:
    """A release's folder name: ``2026.12-3fa9c1d2e4b5`` (readable in a listing, unique by
    its bundle)."""
    version = _UNSAFE.sub("_", content_version).strip("._-")[:80] or "content"
    return f"{version}-{sha256[:12]}"


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a folder to flush it; its renames are journaled
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            # Read-write: Windows flushes only a handle that may write.
            fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    for path in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        _fsync_dir(path)
    _fsync_dir(folder)


def unpack(root: Path, bundle: Path, sha256: str, validate: Callable[[Path], str]) -> Path:
    """Unpack ``bundle`` (verified: its SHA-256 is ``sha256``) into a release folder of
    its own under ``root`` and check it with ``validate`` (which returns its content
    version, or raises ReleaseError) before it is named; nothing in use changes. Returns the folder;
    the same bundle a second time is the same folder. Raises ReleaseError."""
    if not hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later have it
        raise ReleaseError("this Python cannot unpack a bundle safely (3.11.4 or later can)")
    releases = root / RELEASES
    releases.mkdir(parents=True, exist_ok=True)
    for known in releases.iterdir():
        if _NAME.fullmatch(known.name) and known.name.endswith("-" + sha256[:12]):
            try:
                validate(known)  # unpacked before; damaged since, it is unpacked again
            except ReleaseError:
                shutil.rmtree(known, ignore_errors=True)
                break
            return known
    incoming = Path(tempfile.mkdtemp(prefix=_INCOMING, dir=releases))
    try:
        try:
            with tarfile.open(bundle, mode="r:gz") as tar:
                # "data": no absolute paths, no "..", no links out, no devices, sane modes.
                tar.extractall(incoming, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ReleaseError(f"the bundle does not unpack ({exc})") from None
        version = validate(incoming)  # raises ReleaseError: the update is refused
        _fsync_tree(incoming)
        final = releases / release_name(version, sha256)
        if final.exists():  # a damaged copy whose removal failed before (a locked file)
            shutil.rmtree(final, ignore_errors=True)
            if final.exists():
                raise ReleaseError(f"{final} is in the way and cannot be removed")
        os.rename(incoming, final)
        _fsync_dir(releases)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise
    return final


def _read_pointer(root: Path, name: str) -> Path | None:
    try:
        text = (root / name).read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not _NAME.fullmatch(text):
        return None  # damaged, or not ours: never a path to follow
    folder = root / RELEASES / text
    return folder if folder.is_dir() else None


def _write_pointer(root: Path, name: str, release: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}-", dir=root)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(release.name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, root / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(root)


def current(root: Path) -> Path | None:
    """The release in use, or None (none yet: the kiosk uses the content it shipped with)."""
    return _read_pointer(root, CURRENT)


def previous(root: Path) -> Path | None:
    """The release used before the current one, kept to return to."""
    return _read_pointer(root, PREVIOUS)


def switch(root: Path, release: Path) -> None:
    """Make ``release`` (a folder :func:`unpack` returned) the one in use, keeping the one
    it replaces as the previous."""
    if release.parent != root / RELEASES or not _NAME.fullmatch(release.name):
        raise ReleaseError(f"{release}: not a release of {root}")
    now = current(root)
    if now == release:
        return
    if now is not None:
        _write_pointer(root, PREVIOUS, now)
    _write_pointer(root, CURRENT, release)
    log.info("content_release_switched release=%s", release.name)


def step_back(root: Path) -> Path | None:
    """Return to the previous release (the current one failed where it runs); the failed
    one is forgotten. Returns the release now in use, or None: the shipped content."""
    back = previous(root)
    failed = current(root)
    if back is None:
        for name in (CURRENT, PREVIOUS):
            (root / name).unlink(missing_ok=True)
        _fsync_dir(root)
    else:
        _write_pointer(root, CURRENT, back)
        (root / PREVIOUS).unlink(missing_ok=True)
        _fsync_dir(root)
    log.warning(
        "content_release_stepped_back failed=%s now=%s",
        failed.name if failed else "-",
        back.name if back else "shipped",
    )
    return back


def collect(root: Path) -> list[str]:
    """Remove what no pointer names: unpacking left behind by a power cut, and releases
    older than the previous one. Returns the names removed."""
    releases = root / RELEASES
    if not releases.is_dir():
        return []
    keep = {p.name for p in (current(root), previous(root)) if p is not None}
    removed = []
    for folder in releases.iterdir():
        if folder.name in keep:
            continue
        if folder.name.startswith(_INCOMING) or _NAME.fullmatch(folder.name):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def check_content(folder: Path, languages: Sequence[str] = ()) -> str:
    """Check an unpacked content folder as the kiosk checks its content at start-up, and
    that it has each of ``languages`` (the kiosk's default: content without it would not
    start); its content version. Raises ReleaseError with the first problems."""
    from kiosk.content import ContentError
    from kiosk.validation import load_content

    try:
        content = load_content(folder)
    except ContentError as exc:
        shown = "; ".join(str(p) for p in exc.problems[:3])
        more = f" (and {len(exc.problems) - 3} more)" if len(exc.problems) > 3 else ""
        raise ReleaseError(shown + more) from None
    missing = [code for code in languages if code not in content.languages]
    if missing:
        raise ReleaseError(f"the content has no {', '.join(missing)}, this kiosk's language")
    return content.manifest.content_version
