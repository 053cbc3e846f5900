"""The ``kiosk`` command line: one program, subcommands, ``run`` by default."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk import __version__, paths
from kiosk.config import ConfigError, Settings, load_settings
from kiosk.content import Content, ContentError, json_schemas
from kiosk.validation import check_content, load_content

log = logging.getLogger("kiosk")

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
SCHEMA_DIR = "data/schema"


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT, e.g. 1920x1080: {text!r}"
        ) from None
    if not (200 <= w <= 8000 and 200 <= h <= 8000):
        raise argparse.ArgumentTypeError(f"size out of range: {text!r}")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        help="TOML config file (default: $KIOSK_CONFIG, then the "
        "platform config dir, then built-in defaults)",
    )
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", metavar="PATH", help="SQLite database file (overrides db_path)")

    parser = argparse.ArgumentParser(
        prog="kiosk", description="Patient-information kiosk for clinic waiting rooms."
    )
    parser.add_argument("--version", action="store_true", help="print versions and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", parents=[common, db], help="start the kiosk (the default)")
    run.add_argument("--windowed", action="store_true", help="a normal window, for development")

    content = sub.add_parser("content", help="work with the content files")
    csub = content.add_subparsers(dest="content_command", metavar="ACTION", required=True)
    check = csub.add_parser("check", parents=[common], help="validate a content folder")
    check.add_argument("dir", nargs="?", help="content folder (default: the configured one)")
    schema = csub.add_parser(
        "schema", parents=[common], help="write the JSON Schemas for content editors"
    )
    schema.add_argument("--out", metavar="DIR", default=None, help=f"folder (default {SCHEMA_DIR})")

    demo = sub.add_parser(
        "demo-data", parents=[common, db], help="fill the database with invented requests"
    )
    demo.add_argument("--count", type=int, default=40, metavar="N", help="how many (default 40)")
    demo.add_argument(
        "--force", action="store_true", help="add them even if real requests are present"
    )

    qr = sub.add_parser(
        "qr", parents=[common], help="write the appointment QR code for a poster (PNG or SVG)"
    )
    qr.add_argument("--out", metavar="FILE", required=True, help="FILE.png or FILE.svg")
    qr.add_argument("--lang", metavar="L", default=None, help="language (default: the default)")

    shots = sub.add_parser(
        "screenshots", parents=[common], help="render every screen to PNG files (offscreen)"
    )
    shots.add_argument("--out", metavar="DIR", required=True, help="folder for the PNG files")
    shots.add_argument("--lang", action="append", metavar="L", help="language (repeatable)")
    shots.add_argument(
        "--size", action="append", type=_size, metavar="WxH", help="window size (repeatable)"
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {"db_path": getattr(args, "db", None)}
    settings, _ = load_settings(args.config, **overrides)
    return settings


def _languages(settings: Settings, content: Content) -> tuple[str, ...]:
    """Return the configured languages that the content has, default first on error."""
    offered = tuple(code for code in settings.languages if code in content.languages)
    if settings.default_language not in offered:
        raise ConfigError(
            f"default_language '{settings.default_language}' has no content "
            f"(content has: {', '.join(sorted(content.languages))})"
        )
    return offered


def _content_for_run(settings: Settings) -> Content:
    """Load the configured content; fall back to the bundled set if it is broken."""
    try:
        return load_content(settings.content_path())
    except ContentError as exc:
        bundled = paths.bundled_content_dir()
        if settings.content_path().resolve() == bundled.resolve():
            raise
        log.error(
            "content_invalid dir=%s problems=%d; using bundled content",
            settings.content_path(),
            len(exc.problems),
        )
        for problem in exc.problems[:20]:
            log.error("content_problem %s", problem)
        return load_content(bundled)


def cmd_version() -> int:
    content_version = "unknown"
    try:
        manifest = json.loads((paths.bundled_content_dir() / "manifest.json").read_text("utf-8"))
        content_version = manifest.get("content_version", "unknown")
    except (OSError, ValueError):
        pass
    try:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        qt = f"Qt {qVersion()} (PySide6 {pyside_version})"
    except ImportError:  # pragma: no cover - PySide6 is a hard dependency
        qt = "Qt not available"
    print(f"kiosk {__version__}\ncontent {content_version}\n{qt}")
    return EXIT_OK


def cmd_content_check(args: argparse.Namespace) -> int:
    root = Path(args.dir) if args.dir else _settings(args).content_path()
    content, problems = check_content(root)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if errors:
        print(f"{root}: {errors} error(s), {warnings} warning(s)")
        return EXIT_FAIL
    assert content is not None
    langs = ", ".join(sorted(content.languages))
    print(f"{root}: content valid ({langs}; {warnings} warning(s))")
    return EXIT_OK


def cmd_content_schema(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else paths.resource_path(SCHEMA_DIR)
    out.mkdir(parents=True, exist_ok=True)
    for name, schema in json_schemas().items():
        target = out / name.replace(".json", ".schema.json")
        target.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(target)
    return EXIT_OK


def _require_display() -> None:
    from kiosk.ui.app import display_problem

    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    content = _content_for_run(settings)
    languages = _languages(settings, content)
    _require_display()
    from kiosk.storage import AppointmentStore, StoreError, open_database
    from kiosk.ui.app import create_app
    from kiosk.ui.main_window import MainWindow

    store = None
    try:
        db = open_database(settings.database_path())
        store = AppointmentStore(db)
        log.info("database_open")
    except StoreError as exc:
        # Information screens still work; the form offers the online-form QR code instead.
        log.error("database_unavailable %s", exc)
    app = create_app()
    window = MainWindow(settings, content, languages, store)
    if args.windowed or not settings.fullscreen:
        window.resize(1280, 800)
        window.show()
    else:
        window.showFullScreen()
    code = app.exec()
    if store is not None:
        store.db.close()
    return code


def cmd_screenshots(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    logging.getLogger().setLevel(logging.WARNING)  # one line per screen would drown the report
    settings = _settings(args)
    content = load_content(settings.content_path())
    languages = _languages(settings, content)
    chosen = tuple(args.lang) if args.lang else languages
    unknown = [code for code in chosen if code not in content.languages]
    if unknown:
        print(f"kiosk screenshots: unknown language(s): {', '.join(unknown)}", file=sys.stderr)
        return EXIT_USAGE
    _require_display()
    from kiosk.ui.app import create_app
    from kiosk.ui.screenshots import render_all

    create_app()
    sizes = args.size or [(1920, 1080), (1080, 1920)]
    written = render_all(settings, content, languages, Path(args.out), sizes, chosen)
    for path, screens in written:
        if screens > 1.0:
            print(f"{path.name}: page is {screens:.1f} screens long")
    print(f"{len(written)} screenshots in {args.out}")
    return EXIT_OK


def cmd_demo_data(args: argparse.Namespace) -> int:
    from kiosk.demo import RealDataError, fill_demo
    from kiosk.storage import AppointmentStore, StoreError, open_database

    if not 1 <= args.count <= 100_000:
        print("kiosk demo-data: --count must be between 1 and 100000", file=sys.stderr)
        return EXIT_USAGE
    settings = _settings(args)
    try:
        store = AppointmentStore(open_database(settings.database_path()))
        added = fill_demo(store, args.count, force=args.force)
    except RealDataError as exc:
        print(f"kiosk demo-data: refused: {exc}; use --force to add demo rows anyway")
        return EXIT_FAIL
    except StoreError as exc:
        print(f"kiosk demo-data: {exc}", file=sys.stderr)
        return EXIT_FAIL
    print(f"added {added} demo requests to {settings.database_path()}")
    return EXIT_OK


def cmd_qr(args: argparse.Namespace) -> int:
    from kiosk.qr import appointment_link, matrix_to_png, matrix_to_svg, qr_matrix

    settings = _settings(args)
    lang = args.lang or settings.default_language
    if lang not in settings.languages:
        print(f"kiosk qr: language {lang!r} is not one of {settings.languages}", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg"):
        print("kiosk qr: --out must end in .png or .svg", file=sys.stderr)
        return EXIT_USAGE
    link = appointment_link(settings.appointment_url, lang)
    matrix = qr_matrix(link)
    try:
        if suffix == ".png":
            out.write_bytes(matrix_to_png(matrix))
        else:
            out.write_text(matrix_to_svg(matrix), encoding="utf-8")
    except OSError as exc:
        print(f"kiosk qr: cannot write {out}: {exc.strerror}", file=sys.stderr)
        return EXIT_FAIL
    print(f"{out}: {link}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    commands = {"run", "content", "screenshots", "demo-data", "qr"}
    if not argv or (argv[0] not in commands and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "run")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        return cmd_version()
    try:
        if args.command == "content":
            if args.content_command == "check":
                return cmd_content_check(args)
            return cmd_content_schema(args)
        if args.command == "screenshots":
            return cmd_screenshots(args)
        if args.command == "demo-data":
            return cmd_demo_data(args)
        if args.command == "qr":
            return cmd_qr(args)
        return cmd_run(args)
    except ConfigError as exc:
        print(f"kiosk: config error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except ContentError as exc:
        print(f"kiosk: content error:\n{exc}", file=sys.stderr)
        return EXIT_FAIL
