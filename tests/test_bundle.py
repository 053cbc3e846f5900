"""The PyInstaller bundle (``make dist``): what it holds, its size, and its self-test.

Runs only with KIOSK_TEST_DIST=1, after the bundle was built (``make dist-test``; CI does it).
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pgserver import Central

from kiosk import paths

pytestmark = pytest.mark.skipif(
    os.environ.get("KIOSK_TEST_DIST") != "1", reason="set KIOSK_TEST_DIST=1 after make dist"
)

BUNDLE = paths.bundle_root() / "dist" / "kiosk"
INTERNAL = BUNDLE / "_internal"
MAX_BYTES = 150 * 1024 * 1024


@pytest.fixture(autouse=True)
def _bundle_built() -> None:
    """Every check below needs the bundle itself: a missing one is a failure, not a pass."""
    assert (BUNDLE / "kiosk").is_file() or (BUNDLE / "kiosk.exe").is_file(), "run make dist"
    assert INTERNAL.is_dir()


NEVER = (
    "WebEngine",
    "Qt6Quick",
    "Qt6Qml",
    "Qt6Pdf",
    "Qt63D",
    "Qt6Multimedia",
    "WaylandCompositor",
    "libqeglfs",
    "/qml/",
    "QtQuick",
    "QtQml",
    "QtPdf",
)


def test_bundle_has_what_the_kiosk_reads() -> None:
    """Content, schemas, fonts, style, icons and keyboard layouts, at source-relative paths."""
    for relative in (
        "data/content/manifest.json",
        "data/content/tr/topics.json",
        "data/banned-claims.json",
        "data/schema/topics.schema.json",
        "resources/fonts/NotoSans-Regular.ttf",
        "resources/fonts/NotoSansArabicUI-Regular.ttf",
        "resources/style.qss",
        "resources/icons/house.svg",
        "resources/keyboards/tr.json",
        "resources/keyboards/phone.json",
        # The clinic's time zone without a system zone database (Windows, minimal images).
        "tzdata/zoneinfo/Europe/Istanbul",
    ):
        assert (INTERNAL / relative).is_file(), relative


def test_bundle_leaves_out_unused_qt() -> None:
    """No WebEngine, Quick/QML, PDF, 3D, multimedia, Wayland compositor or eglfs parts."""
    found = [
        str(p.relative_to(BUNDLE)) for p in BUNDLE.rglob("*") if any(n in str(p) for n in NEVER)
    ]
    assert found == []


def test_bundle_leaves_out_readline_and_pillow() -> None:
    """No GNU readline (GPL; the kiosk needs no line editing) and no Pillow (unused, and
    bundled only where the build machine happened to have it)."""
    found = [
        str(p.relative_to(BUNDLE))
        for p in BUNDLE.rglob("*")
        if "readline" in p.name.lower() or p.name == "PIL" or p.name.startswith("pillow")
    ]
    assert found == []


def test_bundle_size() -> None:
    """At most 150 MB unpacked (symlinks counted once)."""
    total = sum(p.stat().st_size for p in BUNDLE.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"bundle size: {total / 1024 / 1024:.1f} MiB")
    assert total <= MAX_BYTES


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [str(BUNDLE / "kiosk"), *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_frozen_version() -> None:
    """kiosk --version works from the bundle."""
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("kiosk ") and "Qt 6." in result.stdout


def test_frozen_self_test(tmp_path: Path) -> None:
    """The frozen self-test paints every screen, saves and exports a request, decodes the QR."""
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'log_dir = "{(tmp_path / "logs").as_posix()}"\n', "utf-8")
    result = _run("doctor", "--self-test", "--config", str(cfg))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout
    for step in ("config", "content", "screens", "database", "export", "qr code"):
        assert f"OK    {step}" in result.stdout


def test_frozen_kiosk_takes_a_signed_update_without_pyca_cryptography(tmp_path: Path) -> None:
    """The bundle verifies TUF's Ed25519 signatures without pyca/cryptography (left out:
    12 MB), unpacks, checks and switches to the update; IT's side signs through libsodium."""
    import shutil

    from kiosk import crypto
    from kiosk.updates import repository

    assert not (BUNDLE / "_internal" / "cryptography").exists()
    root_file = repository.init(
        tmp_path / "repo", tmp_path / "keys", ["root one passphrase"], "targets passphrase",
        repository.RootPlan(1, 1), crypto.MIN_COST,
    )  # fmt: skip
    content = tmp_path / "content"
    shutil.copytree(paths.bundled_content_dir(), content)
    manifest = json.loads((content / "manifest.json").read_text("utf-8"))
    (content / "manifest.json").write_text(
        json.dumps({**manifest, "content_version": "frozen-update"}), "utf-8"
    )
    repository.publish(
        tmp_path / "repo", tmp_path / "keys", repository.CONTENT_TARGET,
        repository.pack(content), lambda _p: "targets passphrase",
    )  # fmt: skip
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(
        f'db_path = "{(tmp_path / "data" / "kiosk.db").as_posix()}"\n'
        f'log_dir = "{(tmp_path / "logs").as_posix()}"\n'
        f'[updates]\nroot = "{root_file.as_posix()}"\n',
        "utf-8",
    )
    result = _run("content", "update", "--config", str(cfg), "--from", str(tmp_path / "repo"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "updated: switched to frozen-update-" in result.stdout
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", KIOSK_CONFIG=str(cfg))
    version = subprocess.run(
        [str(BUNDLE / "kiosk"), "--version"], capture_output=True, text=True, env=env, timeout=300
    )
    assert "content frozen-update\n" in version.stdout, version.stdout + version.stderr


def test_frozen_desk_adds_an_account_and_shows_its_window(central: Central, tmp_path: Path) -> None:
    """The reception PC's console from the bundle: an administrator adds an account (psycopg
    and libpq frozen in, on a real PostgreSQL), and `kiosk desk` paints its window."""
    from kiosk import crypto

    recovery = crypto.init_keys(tmp_path / "keys.json", "730518264903", crypto.MIN_COST)
    added = subprocess.run(
        [str(BUNDLE / "kiosk"), "desk", "account", "add", "ayse", "--dsn", central.admin_dsn,
         "--recovery-stdin"],
        input=recovery + "\n", capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    assert "one-time passphrase" in added.stdout
    assert central.query("SELECT account FROM fleet.staff_account") == [("ayse",)]
    config = tmp_path / "desk.toml"
    config.write_text(
        f'log_dir = "{(tmp_path / "logs").as_posix()}"\n[server]\nhost = "127.0.0.1"\n'
        f'port = {central.server.port}\ndatabase = "{central.dbname}"\n'
        f'ca_file = "{central.server.ca_file.as_posix()}"\n',
        "utf-8",
    )
    result = _run("desk", "--config", str(config), "--exit-after-first-paint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "desk painted" in result.stdout


def test_bundle_runs_on_the_linux_the_docs_name() -> None:
    """The newest glibc symbol version any program or library in the bundle asks for is no
    newer than the minimum docs/deploy.md states (the bundle runs on the glibc it was built
    with or newer: a build on a newer system must change the docs)."""
    import re

    if not sys.platform.startswith("linux"):
        pytest.skip("glibc is Linux's")
    stated = re.search(
        r"needs \*\*glibc (\d+)\.(\d+) or later",
        (Path(__file__).parent.parent / "docs" / "deploy.md").read_text("utf-8"),
    )
    assert stated, "docs/deploy.md no longer states the glibc the bundle needs"
    newest, where = (0, 0), ""
    for path in BUNDLE.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        with path.open("rb") as handle:
            if handle.read(4) != b"\x7fELF":
                continue
        for found in re.finditer(rb"GLIBC_(\d+)\.(\d+)", path.read_bytes()):
            version = (int(found[1]), int(found[2]))
            if version > newest:
                newest, where = version, str(path.relative_to(BUNDLE))
    assert newest <= (int(stated[1]), int(stated[2])), (newest, where)


def test_bundle_shows_its_window_on_wayland_under_cage(tmp_path: Path) -> None:
    """docs/deploy.md's cage recipe: the bundle paints Home on a Wayland display through Qt's
    Wayland plugin (cage on its headless back end, no GPU; QT_QPA_PLATFORM=wayland, so Qt does
    not fall back to X11)."""
    import json
    import shutil

    if not sys.platform.startswith("linux"):
        pytest.skip("cage is a Linux compositor")
    if shutil.which("cage") is None or shutil.which("Xwayland") is None:
        pytest.skip(
            "cage and Xwayland are not installed (KIOSK_TEST_DIST=1 make test installs them)"
        )
    bundle, prefix, place, tmp_path = _cage_place(tmp_path)
    (tmp_path / "kiosk.toml").write_text(
        f'db_path = "{tmp_path / "kiosk.db"}"\nlog_dir = "{tmp_path / "logs"}"\n', "utf-8"
    )
    env = _cage_env(tmp_path, place)
    try:
        result = subprocess.run(
            [
                *prefix,
                "cage",
                "--",
                str(bundle / "kiosk"),
                "run",
                "--exit-after-first-paint",
                "--config",
                str(tmp_path / "kiosk.toml"),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
        )
    finally:
        if place is not None:
            shutil.rmtree(place, ignore_errors=True)
    output = result.stdout + result.stderr
    # cage exits 0 whatever its client did: the kiosk's own report is the evidence.
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert reports and reports[-1]["first_paint"] > 0, output[-3000:]
    assert "qt.qpa" not in output, output[-3000:]


LICENSES = BUNDLE / "LICENSES"


def _bundled_top_level_names() -> set[str]:
    """The top-level module and package names in the bundle, read from the bundle itself:
    the modules in its archive (PYZ) and the folders and extension modules in _internal."""
    from PyInstaller.archive.readers import CArchiveReader, ZlibArchiveReader

    program = BUNDLE / ("kiosk.exe" if sys.platform == "win32" else "kiosk")
    outer = CArchiveReader(str(program))
    pyz = ZlibArchiveReader(
        str(program), start_offset=outer._start_offset + outer.toc["PYZ.pyz"][0]
    )
    names = {name.split(".")[0] for name in pyz.toc}
    for entry in INTERNAL.iterdir():
        if entry.name.endswith(".dist-info"):
            continue
        names.add(entry.name.split(".")[0])
    return names


def _runtime_closure() -> set[str]:
    """The distributions a plain install of the kiosk pulls in (no test or build extras)."""
    import importlib.metadata as md

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    # (distribution, an extra it was asked for with: psycopg[binary] brings psycopg-binary)
    todo: list[tuple[str, str]] = [("clinic-kiosk", "")]
    seen: set[tuple[str, str]] = set()
    while todo:
        name, extra = todo.pop()
        name = canonicalize_name(name)
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        for text in md.requires(name) or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": extra}):
                todo.extend((req.name, wanted) for wanted in ("", *sorted(req.extras)))
    return {name for name, _ in seen}


def test_bundle_carries_the_licence_of_every_distribution_in_it() -> None:
    """Each Python distribution whose code is in the bundle (found from the bundle's own
    contents) is in the notices with its licence text; and each is one a plain install of
    the kiosk pulls in, so what the build machine happens to have installed stays out."""
    import importlib.metadata as md

    from packaging.utils import canonicalize_name

    owners = md.packages_distributions()
    inventory = (LICENSES / "THIRD-PARTY-NOTICES.txt").read_text("utf-8")
    not_distributions = {"kiosk", "data", "resources", "base_library", "python3", "PYZ"}
    dists, unknown = set(), set()
    for name in _bundled_top_level_names():
        if name in not_distributions:  # this program's own code and files
            continue
        if name in owners:
            dists.update(owners[name])
        elif not (
            name in sys.stdlib_module_names
            or name in not_distributions
            # lib*: shared libraries (the next test); pyimod*, _pyi*: PyInstaller's own;
            # _sysconfigdata*: the interpreter's build settings, generated with it.
            or name.startswith(("lib", "pyimod", "_pyi", "pyi_", "_sysconfigdata"))
        ):
            unknown.add(name)
    assert unknown == set(), "bundled modules of no known distribution"
    # The program file is PyInstaller's boot loader.
    dists.add("pyinstaller")
    closure = _runtime_closure() | {"pyinstaller"}
    for dist in sorted(dists):
        version = md.version(dist)
        name = md.metadata(dist)["Name"]
        assert canonicalize_name(name) in closure, f"{name} is not a runtime dependency"
        assert f"\n{name} {version}\n" in inventory, name
        texts = list((LICENSES / "python" / name).iterdir())
        assert texts and all(t.stat().st_size > 200 for t in texts), name


def test_bundle_carries_the_licence_of_every_shared_library() -> None:
    """Each shared library the bundle takes from the build machine (not from a Python
    wheel) is named in the notices with the copyright file of its package."""
    if not sys.platform.startswith("linux"):
        pytest.skip("system libraries are copied from the build machine on Linux")
    inventory = (LICENSES / "THIRD-PARTY-NOTICES.txt").read_text("utf-8")
    listed = {
        name.strip()
        for line in inventory.splitlines()
        if line.startswith("  bundled: ")
        for name in line.removeprefix("  bundled: ").split(",")
    }
    libraries = [
        p.name
        for p in INTERNAL.iterdir()
        if ".so" in p.name and p.name.startswith("lib") and not p.is_symlink()
    ]
    assert libraries
    missing = [n for n in libraries if n not in listed and not n.startswith("libpython")]
    assert missing == []
    for folder in (LICENSES / "system").iterdir():
        assert (folder / "copyright.txt").stat().st_size > 100, folder.name


def test_bundle_carries_the_qt_python_font_and_icon_licences() -> None:
    """The LGPL-3.0 with the GPL-3.0 it builds on, the notice of how to replace Qt and
    PySide6 and where their source is, the Python licence, and the fonts' and icons'."""
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in (LICENSES / "LGPL-3.0.txt").read_text("utf-8")
    assert "GNU GENERAL PUBLIC LICENSE" in (LICENSES / "GPL-3.0.txt").read_text("utf-8")
    notice = (LICENSES / "Qt-LGPL-NOTICE.txt").read_text("utf-8")
    for needed in ("Replacing them", "download.qt.io", "pyside-setup", "PySide6/Qt/lib"):
        assert needed in notice, needed
    python = (LICENSES / "python" / "Python" / "LICENSE.txt").read_text("utf-8")
    assert "PYTHON SOFTWARE FOUNDATION LICENSE" in python
    assert "SIL Open Font License" in (LICENSES / "resources" / "OFL.txt").read_text("utf-8")
    assert "ISC License" in (LICENSES / "resources" / "LICENSE-lucide.txt").read_text("utf-8")


def test_frozen_kiosk_under_cage_starts_again_on_new_settings(tmp_path: Path) -> None:
    """The bundle under cage (docs/deploy.md's recipe) takes a settings file for itself
    from an HTTPS repository, then starts again in the same process (exec): cage keeps
    running (it ends when its client's process does) and the new start paints on Wayland
    with the file's keys."""
    import functools
    import shutil
    import ssl
    import threading
    import time

    import trustme

    from kiosk import crypto
    from kiosk.updates import repository

    if not sys.platform.startswith("linux"):
        pytest.skip("cage is a Linux compositor")
    if shutil.which("cage") is None or shutil.which("Xwayland") is None:
        pytest.skip(
            "cage and Xwayland are not installed (KIOSK_TEST_DIST=1 make test installs them)"
        )
    bundle, prefix, place, tmp_path = _cage_place(tmp_path)
    repo = tmp_path / "repo"
    root_file = repository.init(
        repo, tmp_path / "keys", ["root one passphrase"], "targets passphrase",
        repository.RootPlan(1, 1), crypto.MIN_COST,
    )  # fmt: skip
    for name, data in [
        (repository.CONTENT_TARGET, repository.pack(paths.bundled_content_dir())),
        ("config/kiosk-cage-1.toml", b"idle_seconds = 240\n"),
    ]:
        repository.publish(repo, tmp_path / "keys", name, data, lambda _p: "targets passphrase")
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0),
        functools.partial(_QuietFiles, directory=str(repo)),
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    logs = tmp_path / "logs"
    (tmp_path / "kiosk.toml").write_text(
        f'kiosk_id = "cage-1"\ndb_path = "{tmp_path / "kiosk.db"}"\nlog_dir = "{logs}"\n'
        f'[updates]\nurl = "https://127.0.0.1:{server.server_address[1]}/"\n'
        f'ca_file = "{ca_file}"\nroot = "{root_file}"\n',
        "utf-8",
    )
    env = _cage_env(tmp_path, place)

    def log() -> str:
        return "".join(p.read_text("utf-8") for p in sorted(logs.glob("*.log*")))

    cage = subprocess.Popen(
        [*prefix, "cage", "--", str(bundle / "kiosk"), "run", "--config",
         str(tmp_path / "kiosk.toml")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while "config_managed keys=idle_seconds" not in log():
            assert cage.poll() is None, log()[-3000:]  # cage (and its kiosk) still there
            assert time.monotonic() < deadline, log()[-3000:]
            time.sleep(0.5)
        # The new start paints Home on Wayland: its database opens after the first frame.
        while "database_open" not in log().split("kiosk_start_again")[-1]:
            assert cage.poll() is None, log()[-3000:]
            assert time.monotonic() < deadline, log()[-3000:]
            time.sleep(0.5)
        assert log().count("kiosk_restart reason=managed_config") == 1
    finally:
        cage.terminate()
        cage.wait(timeout=60)
        server.shutdown()
        server.server_close()
        if place is not None:
            shutil.rmtree(place, ignore_errors=True)


def _cage_place(tmp_path: Path) -> tuple[Path, list[str], Path | None, Path]:
    """Where to run the bundle under cage: (bundle, command prefix, a copy's folder to
    remove afterwards or None, the run's folder). cage refuses to run as root: as root the
    run is as nobody, on a copy nobody else can read."""
    import shutil
    import tempfile

    if os.geteuid() != 0:
        return BUNDLE, [], None, tmp_path
    place = Path(tempfile.mkdtemp(prefix="kiosk-cage-"))
    shutil.copytree(BUNDLE, place / "kiosk", symlinks=True)
    (place / "run").mkdir()
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    return place / "kiosk", prefix, place, place / "run"


def _cage_env(run: Path, place: Path | None) -> dict[str, str]:
    """cage's environment on its headless back end (no GPU), the kiosk on Wayland; the
    copy (``place``) given to nobody, once the run's files are written into it."""
    runtime = run / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    if place is not None:
        for path in [place, *place.rglob("*")]:
            os.chown(path, 65534, 65534, follow_symlinks=False)
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(run),
        "XDG_DATA_HOME": str(run / "data"),
        "XDG_STATE_HOME": str(run / "state"),
        "XDG_RUNTIME_DIR": str(runtime),
        "WLR_BACKENDS": "headless",
        "WLR_RENDERER": "pixman",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "QT_QPA_PLATFORM": "wayland",
    }


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass
