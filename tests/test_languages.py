"""Languages are data: no code names one, and a new one is a content folder plus a
keyboard layout file (issue 20, item 4; README.md "Adding a language")."""

from __future__ import annotations

import ast
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import keyboards, paths
from kiosk.appointment import FormData, validate_step
from kiosk.config import ConfigError, Settings, load_settings
from kiosk.content import language_folders
from kiosk.keyboards import FIELD_LAYOUTS, layout_ids, load_layout, name_layouts
from kiosk.languages import languages_in, languages_of, load_languages_file
from kiosk.validation import check_content, load_content

ROOT = Path(__file__).resolve().parent.parent

# The few places where a string in code equals a language code for another reason, by the
# name of the assignment, call, keyword or function it sits in. Anything else that names a
# language belongs in data/content/<code>/meta.json, data/languages.json or
# resources/keyboards/. Every entry must still be needed (see the test below).
ALLOWED: dict[tuple[str, str], str] = {
    ("kiosk/appointment.py", "PHONE_COUNTRIES"): "country codes (tr = Türkiye), not languages",
    ("kiosk/appointment.py", "country"): "the phone step's default country, Türkiye",
    ("kiosk/ui/start_up.py", "normalise_phone"): "warms up the phone checks for a country",
    ("kiosk/ui/screenshots.py", "DEMO_FORMS"): "made-up visitors for screenshots, any language",
    ("kiosk/demo.py", "PEOPLE"): "invented people with the language they want to be called in",
    ("kiosk/selftest.py", "_write_and_read"): "the self-test's one fixed sample request",
    ("kiosk/textnorm.py", "_TURKIC"): "Unicode's Turkic case rules (SpecialCasing.txt)",
    ("kiosk/textnorm.py", "_NON_LATIN_SCRIPT"): "languages not written in Latin (ISO 15924)",
}


def _language_words() -> dict[str, str]:
    """Every language code and name the data gives, with where it comes from."""
    words: dict[str, str] = {}
    content = ROOT / "data" / "content"
    for code in language_folders(content):
        meta = json.loads((content / code / "meta.json").read_text("utf-8"))
        words[code] = f"data/content/{code}/"
        words[meta["name"]] = f"data/content/{code}/meta.json"
    data = load_languages_file(ROOT / "data" / "languages.json")
    for code in [*data.screen_order, *data.contact, *data.other]:
        words.setdefault(code, "data/languages.json")
    for code, other in data.other.items():
        words.setdefault(other.name, f"data/languages.json other.{code}")
    for layout in (ROOT / "resources" / "keyboards").glob("*.json"):
        if layout.stem not in FIELD_LAYOUTS:
            words.setdefault(layout.stem, f"resources/keyboards/{layout.name}")
    return words


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _names_around(node: ast.AST, parents: dict[int, ast.AST]) -> set[str]:
    """The names of the assignments, calls, keywords and functions ``node`` sits in."""
    names: set[str] = set()
    while (node := parents.get(id(node))) is not None:  # type: ignore[assignment]
        if isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.keyword) and node.arg:
            names.add(node.arg)
        elif isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


def _literals(folder: Path, base: Path = ROOT) -> Iterator[tuple[str, int, str, set[str]]]:
    """(file, line, text, names around) for every string literal in code, docstrings aside."""
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        parents = {
            id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
        }
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) not in skip:
                    names = _names_around(node, parents)
                    yield path.relative_to(base).as_posix(), node.lineno, node.value, names


def _findings() -> tuple[list[str], set[tuple[str, str]]]:
    words = _language_words()
    found, used = [], set()
    for file, line, text, names in _literals(ROOT / "kiosk"):
        if text not in words:
            continue
        allowed = [(file, name) for name in names if (file, name) in ALLOWED]
        if allowed:
            used.update(allowed)
        else:
            found.append(f"{file}:{line}: {text!r} (a language, from {words[text]})")
    return found, used


def test_no_code_names_a_language() -> None:
    """No string in kiosk/ is a language code or a language's name from the data (content
    folders, data/languages.json, keyboard layouts), outside the documented ALLOWED places:
    what a language is, is said by its files."""
    found, _used = _findings()
    assert found == [], "\n".join(found)


def test_the_guard_knows_the_languages_and_its_exceptions_are_needed() -> None:
    """The guard sees every shipped language (codes and names), and no ALLOWED entry is
    stale, so the list cannot grow into a hiding place."""
    words = _language_words()
    assert {"tr", "en", "Türkçe", "English", "ar", "العربية", "Русский", "Deutsch"} <= set(words)
    _found, used = _findings()
    assert set(ALLOWED) - used == set()


def test_the_guard_catches_a_language_in_code(tmp_path: Path) -> None:
    """A list of languages written in code is found, a docstring that mentions one is not."""
    code = tmp_path / "kiosk" / "sample.py"
    code.parent.mkdir()
    code.write_text('"""Shown in Türkçe."""\nNAMES = {"tr": "Türkçe"}\nLAYOUTS = ("en", "tr")\n')
    words = _language_words()
    found = _literals(tmp_path / "kiosk", tmp_path)
    hits = sorted((line, text) for _file, line, text, _names in found if text in words)
    assert hits == [(2, "Türkçe"), (2, "tr"), (3, "en"), (3, "tr")]


def test_shipped_language_data_agrees() -> None:
    """data/languages.json: every default is a named language, the first screen language
    has content, and no entry contradicts a content folder's meta.json."""
    content = load_content(paths.bundled_content_dir())
    data = load_languages_file()
    known = languages_of(content, data)
    assert all(code in known.known for code in data.contact)
    assert known.screen[0] == data.screen_order[0] and known.screen[0] in content.languages
    for code, other in data.other.items():
        if code in content.languages:
            assert other.name == content.languages[code].meta.name


def test_the_five_languages_come_from_the_data() -> None:
    """The defaults and keyboards come out of the data: English first, then Turkish, Arabic,
    Russian and German (data/languages.json); contact in tr en ar ru de; each language's
    name field types with its own keys and English (Turkish with English's)."""
    settings = Settings()
    assert settings.languages == ["en", "tr", "ar", "ru", "de"]
    assert settings.default_language == "en"
    assert settings.contact_languages == ["tr", "en", "ar", "ru", "de"]
    content = load_content(paths.bundled_content_dir())
    layouts = {c: name_layouts(c, lc.meta.keyboards) for c, lc in content.languages.items()}
    assert layouts == {
        "tr": ("tr", "en"),
        "en": ("en", "tr"),
        "ar": ("ar", "en"),
        "ru": ("ru", "en"),
        "de": ("de", "en"),
    }
    names = languages_of(content)
    assert [names.name(c) for c in ("tr", "en", "ar", "ru", "de", "fa", "az", "fr")] == [
        "Türkçe",
        "English",
        "العربية",
        "Русский",
        "Deutsch",
        "فارسی",
        "Azərbaycanca",
        "Français",
    ]
    assert set(layout_ids()) == {"tr", "en", "ar", "ru", "de", "phone", "email"}


def test_a_new_language_is_only_files(new_language: Path) -> None:
    """With a content folder and a keyboard file added, and no code changed: the content
    loads and passes every rule, the kiosk offers it by default (after the ordered ones), it is a
    contact language by its own name that the config accepts, and its name field types with
    its own keys."""
    content_root = paths.bundled_content_dir()
    assert content_root == new_language / "data" / "content"
    content, problems = check_content(content_root)
    assert content is not None and [p for p in problems if p.severity == "error"] == []
    assert content.languages["xx"].rtl

    settings = Settings()
    assert settings.languages == ["en", "tr", "ar", "ru", "de", "xx"]
    assert settings.default_language == "en"
    names = languages_of(content)
    assert names.name("xx") == "Xish" and names.known["xx"].direction == "rtl"

    assert "xx" in layout_ids() and load_layout("xx").rows[0][0] == "ẋ"
    lc = content.languages["xx"]
    assert name_layouts("xx", lc.meta.keyboards) == ("xx",)
    assert name_layouts("xx", ["xx", "en"]) == ("xx", "en")

    config = new_language / "kiosk.toml"
    config.write_text('languages = ["xx", "en"]\ndefault_language = "xx"\n', "utf-8")
    config.write_text(config.read_text() + 'contact_languages = ["xx", "tr"]\n', "utf-8")
    loaded, _ = load_settings(config)
    assert loaded.languages == ["xx", "en"] and loaded.contact_languages == ["xx", "tr"]
    data = FormData(contact_language="xx", contact_method="email", email="a@example.com")
    assert [e.code for e in validate_step("preferences", data)] == ["time_required"]


def test_a_language_nobody_named_is_refused(new_language: Path) -> None:
    """The config's contact languages must be named somewhere in the data."""
    config = new_language / "kiosk.toml"
    config.write_text('contact_languages = ["xx", "yy"]\n', "utf-8")
    with pytest.raises(ConfigError, match=r"contact_languages.*\['yy'\]"):
        load_settings(config)


def test_a_configured_content_folder_names_its_languages(tmp_path: Path) -> None:
    """A clinic's own content folder counts, not the bundled one: its languages are the
    defaults, and its folders name contact languages."""
    root = tmp_path / "content"
    shutil.copytree(paths.bundled_content_dir(), root)
    shutil.rmtree(root / "en")
    shutil.copytree(root / "tr", root / "qq")
    meta = json.loads((root / "qq" / "meta.json").read_text("utf-8"))
    meta.update(name="Qqish", keyboards=["tr"])
    (root / "qq" / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    config = tmp_path / "kiosk.toml"
    config.write_text(f'content_dir = "{root.as_posix()}"\n', "utf-8")
    settings, _ = load_settings(config)
    assert settings.languages == ["tr", "ar", "ru", "de", "qq"]
    assert settings.default_language == "tr"
    assert languages_in(root).name("qq") == "Qqish"
    config.write_text(config.read_text() + 'contact_languages = ["qq", "fa"]\n', "utf-8")
    assert load_settings(config)[0].contact_languages == ["qq", "fa"]


def test_a_missing_keyboard_is_a_content_error(content_dir: Path) -> None:
    """A keyboard named in meta.json must be a layout file, and not the phone's or e-mail's."""
    meta_file = content_dir / "tr" / "meta.json"
    meta = json.loads(meta_file.read_text("utf-8"))
    meta["keyboards"] = ["tr", "zz", keyboards.PHONE_LAYOUT]
    meta_file.write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    _content, problems = check_content(content_dir)
    assert [(p.file, p.path, p.severity) for p in problems if "keyboards" in p.path] == [
        ("tr/meta.json", "$.keyboards[1]", "error"),
        ("tr/meta.json", "$.keyboards[2]", "error"),
    ]
