"""The layering rules hold for modules not written yet: every module below the UI is in the
"core knows no Qt" contract, and the widget-free UI modules import no widgets."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import kiosk

PACKAGE = Path(kiosk.__file__).parent
PYPROJECT = PACKAGE.parent / "pyproject.toml"
WIDGET_FREE = ("navigation.py", "visit.py", "jobs.py")


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _named(name: str) -> dict[str, object]:
    return next(c for c in _contracts() if c["name"] == name)


def _imports(path: Path, *, type_checking: bool = True) -> set[str]:
    """Every module ``path`` imports, anywhere in it (``from a import b`` gives a and
    a.b); without ``type_checking``, leaving out what only `if TYPE_CHECKING:` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    if not type_checking:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                skipped.update(id(inner) for inner in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_every_module_below_the_ui_is_kept_free_of_qt() -> None:
    """A new module in the services, core or platform layer is named in "The core knows no
    Qt" (the layers contract gives each module its layer; this one keeps Qt out of them)."""
    layers = _named("Layers: entry, UI, services, core, platform")["layers"]
    assert isinstance(layers, list)
    below_ui = {
        f"kiosk.{m.strip()}" for layer in layers[layers.index("ui") + 1 :] for m in layer.split(":")
    }
    no_qt = _named("The core knows no Qt")["source_modules"]
    assert isinstance(no_qt, list)
    assert below_ui - set(no_qt) == set()
    on_disk = {
        f"kiosk.{p.stem if p.is_file() else p.name}"
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.name != "__init__.py"
    }
    assert set(no_qt) <= on_disk  # (no stale names either)


def test_navigation_the_visit_and_the_jobs_hold_no_widgets() -> None:
    for name in WIDGET_FREE:
        imported = _imports(PACKAGE / "ui" / name)
        assert not {m for m in imported if m.startswith("PySide6.QtWidgets")}, name


def test_the_window_reaches_screens_through_their_hooks() -> None:
    """No `sys.modules` checks: the window calls the Screen base class's hooks, builds
    through the registry, and names screen classes only for type checking."""
    path = PACKAGE / "ui" / "main_window.py"
    assert "sys.modules" not in path.read_text(encoding="utf-8")
    imported = _imports(path, type_checking=False)
    modules = {m for m in imported if m.startswith("kiosk.ui.screens.") and m.count(".") == 3}
    assert modules == {"kiosk.ui.screens.base", "kiosk.ui.screens.registry"}
