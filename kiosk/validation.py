"""Cross-file content rules behind ``kiosk content check`` and start-up (no Qt)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from string import Formatter
from urllib.parse import urlsplit

import msgspec

from kiosk import __version__, claims, keyboards, paths, textnorm
from kiosk import content as content_module
from kiosk import languages as languages_module
from kiosk.appointment import (
    CONSENTS,
    CONTACT_METHODS,
    OTHER_COUNTRY,
    PHONE_COUNTRIES,
    TIME_WINDOWS,
    TOPICS,
)
from kiosk.claims import (
    BANNED_CLAIMS_FILE,
    BannedClaims,
    claim_message,
    lint_texts,
    load_banned_claims,
    matcher,
)
from kiosk.clinic import STUDY_FIELDS, placeholders
from kiosk.content import (
    Block,
    Content,
    ContentError,
    LanguageContent,
    Problem,
    Topic,
    UiStrings,
    decode_content,
)
from kiosk.languages import LANGUAGES_FILE, check_languages, load_languages_file

# Every treatment page (and the comparison of treatments) must carry these cautions, so an
# edit can never show a research therapy without "not an approved lupus treatment".
TREATMENT_DISCLAIMERS = ("general", "medicines", "research-status", "transplant-risk", "emergency")

# (file, LanguageContent attribute, field, the {names} the kiosk fills in)
PLACEHOLDERS: tuple[tuple[str, str, str, frozenset[str]], ...] = (
    ("ui.json", "ui", "source_chip", frozenset({"n"})),
    ("ui.json", "ui", "idle_body", frozenset({"seconds"})),
    ("appointment.json", "form", "step_of", frozenset({"n", "total"})),
    (
        "appointment.json",
        "form",
        "notice_items",
        frozenset(
            {
                "controller",
                "address",
                "phone",
                "email",
                "apply",
                "kep",
                "on_kiosk",
                "days",
                "after_export",
                "abroad",
            }
        ),
    ),
    ("appointment.json", "form.notice_parts", "controller_unknown", frozenset()),
    ("appointment.json", "form.notice_parts", "ask_desk", frozenset()),
    ("appointment.json", "form.notice_parts", "phone", frozenset({"phone"})),
    ("appointment.json", "form.notice_parts", "apply", frozenset({"address", "email"})),
    ("appointment.json", "form.notice_parts", "apply_ask", frozenset()),
    ("appointment.json", "form.notice_parts", "kep", frozenset({"kep"})),
    ("appointment.json", "form.notice_parts", "kept_after_export", frozenset({"months"})),
    ("appointment.json", "form.notice_parts", "kept_after_export_ask", frozenset()),
    ("appointment.json", "form.notice_parts", "kept_on_kiosk", frozenset({"days"})),
    ("appointment.json", "form.notice_parts", "kept_until_sent", frozenset()),
    ("appointment.json", "form.notice_parts", "abroad_no", frozenset()),
    ("appointment.json", "form.notice_parts", "abroad_yes", frozenset({"details"})),
    ("appointment.json", "form.notice_parts", "abroad_ask", frozenset()),
    ("staff.json", "staff", "locked", frozenset({"seconds", "time"})),
    ("staff.json", "staff", "tries_left", frozenset({"tries"})),
    ("staff.json", "staff", "counts", frozenset({"new", "exported", "contacted"})),
    ("staff.json", "staff", "folder", frozenset({"path"})),
    ("staff.json", "staff", "drive", frozenset({"name"})),
    ("staff.json", "staff", "export_button", frozenset({"count"})),
    ("staff.json", "staff", "export_done", frozenset({"count", "file"})),
    ("staff.json", "staff", "removed", frozenset({"count"})),
    ("staff.json", "staff", "content_warning", frozenset({"problem"})),
    ("staff.json", "staff", "since_label", frozenset({"date"})),
    ("staff.json", "staff", "database_set_aside", frozenset({"file"})),
    ("staff.json", "staff", "unexported_warning", frozenset({"count", "date"})),
    ("staff.json", "staff", "fleet_note", frozenset({"pending"})),
    ("staff.json", "staff", "fleet_quarantined", frozenset({"count"})),
)


def url_problem(url: str) -> str | None:
    """Return why ``url`` is not an acceptable https link, or None when it is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "malformed URL"
    if parts.scheme != "https":
        return "URL must start with https://"
    host = parts.hostname or ""
    if not host or "." not in host or any(c.isspace() for c in url):
        return "malformed URL (no valid host)"
    return None


# Fields that hold ids, references, file names or versions, never text a patient reads:
# the claims lint skips them (an FAQ entry may be called "testimonial").
NOT_TEXT_FIELDS = frozenset(
    {
        "id",
        "items",
        "sources",
        "summary_sources",
        "disclaimers",
        "icon",
        "image",
        "version",
        "notice_version",
        "status",
        "kind",
        "direction",
        "cards",
        "doi",
        "pmid",
        "url",
    }
)


def _texts(value: object, path: str) -> Iterator[tuple[str, str]]:
    """Yield (json_path, text) for every patient-facing string inside a decoded struct, list
    or dict: fields named in NOT_TEXT_FIELDS and dict keys (table column ids) are skipped."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            if name not in NOT_TEXT_FIELDS:
                yield from _texts(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _texts(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{path}.{key}")


def check_config_strings(
    strings: Mapping[str, str], banned: BannedClaims | None = None
) -> list[Problem]:
    """Lint config strings shown on screen (``{"clinic_name": "..."}``) for banned claims:
    one error Problem per claim, for file "config" and the key as its path."""
    return lint_texts(strings.items(), banned, file="config")


def _blocks(topic: Topic) -> Iterator[tuple[str, Block]]:
    if topic.warning_signs is not None:
        yield f"$.topics[?id={topic.id}].warning_signs", topic.warning_signs
    for i, block in enumerate(topic.blocks):
        yield f"$.topics[?id={topic.id}].blocks[{i}]", block
    if topic.treatment:
        for name in topic.treatment.__struct_fields__:
            part = getattr(topic.treatment, name)
            if isinstance(part, Block):
                yield f"$.topics[?id={topic.id}].treatment.{name}", part


class _Checker:
    def __init__(self, content: Content, banned: BannedClaims, today: dt.date) -> None:
        self.c = content
        self.banned = banned
        self.today = today
        self.problems: list[Problem] = []

    def error(self, file: str, path: str, message: str) -> None:
        self.problems.append(Problem(file, path, message))

    def warn(self, file: str, path: str, message: str) -> None:
        self.problems.append(Problem(file, path, message, "warning"))

    def run(self) -> list[Problem]:
        self.check_manifest()
        self.check_sources()
        self.check_same_ids()
        self.check_language_names()
        for lang in self.c.languages.values():
            self.check_language(lang)
            self.check_keyboards(lang)
            self.check_hyphenation(lang)
        return self.problems

    def check_language_names(self) -> None:
        try:
            data = load_languages_file()
        except ContentError as exc:
            self.problems.extend(exc.problems)
            return
        self.problems.extend(check_languages(self.c, data))

    def check_hyphenation(self, lc: LanguageContent) -> None:
        """A named hyphenation dictionary this kiosk has (one it lacks: words unbroken)."""
        from kiosk import hyphens

        name = lc.meta.hyphenation
        if name and not hyphens.known(name):
            self.warn(
                f"{lc.code}/meta.json",
                "$.hyphenation",
                f"no hyphenation dictionary '{name}' in this kiosk: long words are not broken",
            )

    def check_keyboards(self, lc: LanguageContent) -> None:
        """The name field's layouts: files in resources/keyboards, none for phone or e-mail."""
        there = keyboards.layout_ids()
        for i, layout in enumerate(lc.meta.keyboards):
            if layout in keyboards.FIELD_LAYOUTS:
                self.error(
                    f"{lc.code}/meta.json",
                    f"$.keyboards[{i}]",
                    f"'{layout}' is the {layout} field's layout, not one for names",
                )
            elif layout not in there:
                self.error(
                    f"{lc.code}/meta.json",
                    f"$.keyboards[{i}]",
                    f"no keyboard layout '{layout}' in {keyboards.KEYBOARDS_DIR}",
                )
        if not lc.meta.keyboards and lc.code not in there:
            self.warn(
                f"{lc.code}/meta.json",
                "$.keyboards",
                f"no {keyboards.KEYBOARDS_DIR}/{lc.code}.json and no keyboards named: the "
                "name field offers every language's layout",
            )

    def check_manifest(self) -> None:
        m = self.c.manifest
        if m.reviewed_on is None or m.next_review is None:
            # Not signed off yet: the go-live gate (kiosk.golive) reports that.
            if m.reviewed_on is not None or m.next_review is not None:
                self.error(
                    "manifest.json",
                    "$",
                    "set reviewed_on and next_review together, after the physician's sign-off",
                )
            return
        if m.reviewed_on > self.today:
            self.error("manifest.json", "$.reviewed_on", "the review date is in the future")
        if m.next_review < m.reviewed_on:
            self.error("manifest.json", "$.next_review", "next review is before the last review")
        elif m.next_review < self.today:
            self.warn(
                "manifest.json",
                "$.next_review",
                f"content review is overdue (next review was {m.next_review.isoformat()})",
            )

    def check_sources(self) -> None:
        for i, src in enumerate(self.c.sources.values()):
            where = f"$.sources[{i}]"
            if src.url is not None and (why := url_problem(src.url)):
                self.error("sources.json", f"{where}.url", f"{why}: {src.url!r}")
            if src.doi is not None and not src.doi.startswith("10."):
                self.error("sources.json", f"{where}.doi", f"a DOI starts with '10.': {src.doi!r}")
            if src.link() is None:
                self.error("sources.json", where, f"source '{src.id}' needs a doi, pmid or url")

    def check_same_ids(self) -> None:
        langs = self.c.languages
        if len(langs) < 2:
            return
        kinds = {
            "sections.json": lambda lc: [s.id for s in lc.sections],
            "topics.json": lambda lc: list(lc.topics),
            "tables.json": lambda lc: list(lc.tables),
            "faq.json": lambda lc: [e.id for e in lc.faq],
            "disclaimers.json": lambda lc: list(lc.disclaimers),
        }
        for file, ids_of in kinds.items():
            union: set[str] = set()
            for lc in langs.values():
                union.update(ids_of(lc))
            for code, lc in langs.items():
                missing = sorted(union - set(ids_of(lc)))
                for item_id in missing:
                    others = [c for c, o in langs.items() if item_id in ids_of(o)]
                    self.error(
                        f"{code}/{file}",
                        "$",
                        f"id '{item_id}' is missing here (present in {', '.join(others)})",
                    )
        # Rows and columns of tables must match too, or a cell would silently vanish.
        for table_id in set.intersection(*(set(lc.tables) for lc in langs.values())):
            shapes = {
                code: (
                    [c.id for c in lc.tables[table_id].columns],
                    [r.id for r in lc.tables[table_id].rows],
                )
                for code, lc in langs.items()
            }
            first_code, first = next(iter(shapes.items()))
            for code, shape in shapes.items():
                if shape != first:
                    self.error(
                        f"{code}/tables.json",
                        f"$.tables[?id={table_id}]",
                        f"columns or rows differ from {first_code}/tables.json",
                    )

    def cite(self, file: str, path: str, ids: list[str], medical: bool) -> None:
        for i, source_id in enumerate(ids):
            if source_id not in self.c.sources:
                self.error(file, f"{path}[{i}]", f"source id '{source_id}' is not in sources.json")
        if medical and not ids:
            self.error(file, path, "a medical statement must cite at least one source id")

    def check_language(self, lc: LanguageContent) -> None:
        code = lc.code
        f_topics, f_tables = f"{code}/topics.json", f"{code}/tables.json"
        f_sections, f_faq = f"{code}/sections.json", f"{code}/faq.json"
        icons = paths.resource_path("resources/icons")

        for i, sec in enumerate(lc.sections):
            where = f"$.sections[{i}]"
            if not (icons / f"{sec.icon}.svg").is_file():
                self.error(f_sections, f"{where}.icon", f"icon '{sec.icon}' not in resources/icons")
            if sec.kind == "topics":
                if not sec.items:
                    self.error(f_sections, f"{where}.items", "a topics section needs topic ids")
                for j, item in enumerate(sec.items):
                    if item not in lc.topics:
                        self.error(f_sections, f"{where}.items[{j}]", f"unknown topic '{item}'")
            elif sec.kind == "table":
                if len(sec.items) != 1 or sec.items[0] not in lc.tables:
                    self.error(f_sections, f"{where}.items", "a table section names one table id")
            elif sec.items:
                self.error(f_sections, f"{where}.items", f"a {sec.kind} section takes no items")

        for topic in lc.topics.values():
            base = f"$.topics[?id={topic.id}]"
            self.cite(f_topics, f"{base}.summary_sources", topic.summary_sources, True)
            for path, block in _blocks(topic):
                if not block.text and not block.bullets:
                    self.error(f_topics, path, "block has neither text nor bullets")
                self.cite(f_topics, f"{path}.sources", block.sources, not block.practical)
            if topic.image is not None:
                try:
                    img = (self.c.root / topic.image).resolve()
                    found = self.c.root.resolve() in img.parents and img.is_file()
                except (OSError, ValueError):
                    found = False  # a name too long, or with a NUL: not a usable file
                if not found:
                    self.error(f_topics, f"{base}.image", f"image not found: {topic.image}")
            if topic.icon is not None and not (icons / f"{topic.icon}.svg").is_file():
                self.error(f_topics, f"{base}.icon", f"icon '{topic.icon}' not in resources/icons")
            self.check_disclaimer_refs(lc, f_topics, f"{base}.disclaimers", topic.disclaimers)
            if topic.treatment is not None and topic.warning_signs is None:
                self.error(
                    f_topics,
                    f"{base}.warning_signs",
                    "a treatment page must say when to call 112 and when to call the same day",
                )
            if topic.treatment is not None:
                missing = [d for d in TREATMENT_DISCLAIMERS if d not in topic.disclaimers]
                if missing:
                    self.error(
                        f_topics,
                        f"{base}.disclaimers",
                        f"a treatment page must show every caution; missing: {', '.join(missing)}",
                    )
            if not topic.blocks and topic.treatment is None:
                self.error(f_topics, base, "a topic needs blocks or a treatment template")

        for table in lc.tables.values():
            base = f"$.tables[?id={table.id}]"
            if any(c.status is not None for c in table.columns):
                missing = [d for d in TREATMENT_DISCLAIMERS if d not in table.disclaimers]
                if missing:
                    self.error(
                        f_tables,
                        f"{base}.disclaimers",
                        f"a table of treatments must show every caution; missing: "
                        f"{', '.join(missing)}",
                    )
            ids = [c.id for c in table.columns] + [r.id for r in table.rows]
            if len(set(ids)) != len(ids):
                self.error(f_tables, base, "a column or row id is used twice")
            col_ids = [c.id for c in table.columns]
            for r in table.rows:
                missing = [c for c in col_ids if c not in r.cells]
                extra = [c for c in r.cells if c not in col_ids]
                if missing:
                    self.error(
                        f_tables, f"{base}.rows[?id={r.id}]", f"empty cells: {', '.join(missing)}"
                    )
                if extra:
                    self.error(
                        f_tables, f"{base}.rows[?id={r.id}]", f"unknown columns: {', '.join(extra)}"
                    )
            self.cite(f_tables, f"{base}.sources", table.sources, True)
            self.check_disclaimer_refs(lc, f_tables, f"{base}.disclaimers", table.disclaimers)

        for i, entry in enumerate(lc.faq):
            self.cite(f_faq, f"$.entries[{i}].sources", entry.sources, not entry.practical)

        self.check_form(lc)
        self.check_placeholders(lc)
        self.check_study_items(lc)
        self.check_banned(lc)

    def check_placeholders(self, lc: LanguageContent) -> None:
        """Texts filled in by the kiosk must use exactly the {names} it supplies."""
        for file, struct, field, allowed in PLACEHOLDERS:
            owner: object = lc
            for part in struct.split("."):
                owner = getattr(owner, part)
            value = getattr(owner, field)
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                text = getattr(item, "text", item)
                if text is None:
                    continue  # an optional part left out (check_form says if it is needed)
                prefix = struct.partition(".")[2]
                where = f"{prefix}.{field}" if prefix else field
                path = f"$.{where}" + (f"[{i}].text" if isinstance(value, list) else "")
                try:
                    names = {
                        n for _lit, n, _spec, _conv in Formatter().parse(text) if n is not None
                    }
                except ValueError:
                    self.error(f"{lc.code}/{file}", path, "unbalanced { or } in the text")
                    continue
                if not names <= allowed:
                    unknown = ", ".join(sorted(names - allowed))
                    self.error(
                        f"{lc.code}/{file}",
                        path,
                        f"unknown placeholder {{{unknown}}}; allowed: "
                        + (", ".join("{" + a + "}" for a in sorted(allowed)) or "none"),
                    )

    def check_study_items(self, lc: LanguageContent) -> None:
        """Study details ({study_name} …) are filled in only on pages that need the study;
        anywhere else they would reach a patient as braces."""
        code = lc.code
        allowed = frozenset(STUDY_FIELDS)
        items: list[tuple[str, str, object, bool]] = [
            (f"{code}/sections.json", f"$.sections[?id={s.id}]", s, s.requires is not None)
            for s in lc.sections
        ]
        items += [
            (f"{code}/topics.json", f"$.topics[?id={t.id}]", t, t.requires is not None)
            for t in lc.topics.values()
        ]
        items += [
            (f"{code}/faq.json", f"$.entries[?id={e.id}]", e, e.requires is not None)
            for e in lc.faq
        ]
        for file, base, item, needs_study in items:
            for path, text in _texts(item, base):
                try:
                    names = placeholders(text)
                except ValueError:
                    self.error(file, path, "unbalanced { or } in the text")
                    continue
                if names and not needs_study:
                    self.error(
                        file,
                        path,
                        f"{{{', '.join(sorted(names))}}} is filled in only on pages with "
                        '"requires": "study"',
                    )
                elif names - allowed:
                    self.error(
                        file,
                        path,
                        f"unknown placeholder {{{', '.join(sorted(names - allowed))}}}; allowed: "
                        + ", ".join("{" + a + "}" for a in STUDY_FIELDS),
                    )
        for section in lc.sections:
            if section.requires is None and section.kind == "topics":
                for i, item_id in enumerate(section.items):
                    topic = lc.topics.get(item_id)
                    if topic is not None and topic.requires is not None:
                        self.error(
                            f"{code}/sections.json",
                            f"$.sections[?id={section.id}].items[{i}]",
                            f"topic '{item_id}' needs a study: list it only in a section "
                            'with "requires": "study"',
                        )

    def check_form(self, lc: LanguageContent) -> None:
        """The form's fixed lists must be exactly the ones the validation knows."""
        file = f"{lc.code}/appointment.json"
        expected = {
            "countries": {*PHONE_COUNTRIES, OTHER_COUNTRY},
            "contact_methods": set(CONTACT_METHODS),
            "time_windows": set(TIME_WINDOWS),
            "topics": set(TOPICS),
            "consents": set(CONSENTS),
        }
        for name, ids in expected.items():
            got = [item.id for item in getattr(lc.form, name)]
            if set(got) != ids or len(got) != len(ids):
                self.error(file, f"$.{name}", f"ids must be exactly: {', '.join(sorted(ids))}")
        # {on_kiosk} is one of two sentences (a kiosk on its own, one that delivers): a notice
        # that says it needs both, or patients would read nothing where it stands.
        parts = lc.form.notice_parts
        if any("{on_kiosk}" in item.text for item in lc.form.notice_items):
            for key in ("kept_on_kiosk", "kept_until_sent"):
                if getattr(parts, key) is None:
                    self.error(file, f"$.notice_parts.{key}", "needed by {on_kiosk} in the notice")

    def check_disclaimer_refs(
        self, lc: LanguageContent, file: str, path: str, ids: list[str]
    ) -> None:
        for i, did in enumerate(ids):
            if did not in lc.disclaimers:
                self.error(file, f"{path}[{i}]", f"unknown disclaimer '{did}'")

    def check_banned(self, lc: LanguageContent) -> None:
        """Every language's claims, in every patient-facing text of this language's files."""
        files: list[tuple[str, object, str]] = [
            ("meta.json", lc.meta, "$"),
            ("ui.json", lc.ui, "$"),
            ("sections.json", list(lc.sections), "$.sections"),
            ("topics.json", list(lc.topics.values()), "$.topics"),
            ("tables.json", list(lc.tables.values()), "$.tables"),
            ("faq.json", list(lc.faq), "$.entries"),
            ("disclaimers.json", list(lc.disclaimers.values()), "$.disclaimers"),
            ("appointment.json", lc.form, "$"),
            ("staff.json", lc.staff, "$"),
        ]
        items = [
            ((f"{lc.code}/{name}", path), text)
            for name, value, root in files
            for path, text in _texts(value, root)
        ]
        if lc.code == min(self.c.languages):
            # The bibliography is shown on screen too: checked once, with the first language.
            sources = _texts(list(self.c.sources.values()), "$.sources")
            items += [(("sources.json", path), text) for path, text in sources]
        for (file, path), text, claim in matcher(self.banned).scan(items, lc.code):
            self.error(file, path, claim_message(claim, text))
        for topic in lc.topics.values():
            if topic.image is not None and not topic.image_reviewed:
                self.error(
                    f"{lc.code}/topics.json",
                    f"$.topics[?id={topic.id}].image",
                    "an image must be reviewed for claims (before/after photos, testimonials): "
                    "set image_reviewed",
                )


def check_content(
    root: Path, today: dt.date | None = None, banned: BannedClaims | None = None
) -> tuple[Content | None, list[Problem]]:
    """Decode and check a content folder; return the content (None if unusable) and problems."""
    content, problems = decode_content(root)
    if content is None:
        return None, problems
    checker = _Checker(content, banned or load_banned_claims(), today or dt.date.today())
    problems = checker.run()
    errors = [p for p in problems if p.severity == "error"]
    return (None if errors else content), problems


def load_content(root: Path, today: dt.date | None = None) -> Content:
    """Return checked content from ``root``; raise ContentError if it has any error."""
    content, problems = check_content(root, today)
    if content is None:
        raise ContentError([p for p in problems if p.severity == "error"])
    return content


def content_fingerprint(root: Path) -> str:
    """A digest of everything the content rules read: every file under ``root`` (name, size,
    modification time), the banned-claims list, the languages and keyboard layout files,
    the icon names, and this code."""
    digest = hashlib.sha256(f"kiosk {__version__}\n".encode())
    rule_files = [
        Path(__file__),
        Path(content_module.__file__),
        Path(textnorm.__file__),
        Path(claims.__file__),
        Path(keyboards.__file__),
        Path(languages_module.__file__),
    ]
    banned = paths.resource_path(BANNED_CLAIMS_FILE)
    data = [banned, paths.resource_path(LANGUAGES_FILE)]
    layouts = sorted(keyboards.keyboards_dir().glob("*.json"))
    for path in [*rule_files, *data, *layouts, *sorted(p for p in root.rglob("*") if p.is_file())]:
        try:
            st = path.stat()
        except OSError:
            digest.update(f"{path}|missing\n".encode())
            continue
        digest.update(f"{path}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    icons = paths.resource_path("resources/icons")
    names = sorted(p.name for p in icons.iterdir()) if icons.is_dir() else []
    digest.update("|".join(names).encode())
    return digest.hexdigest()


def load_content_remembered(root: Path, record: Path | None) -> Content:
    """Like :func:`load_content`, but when ``record`` says that exactly this content (and
    this code) passed every rule before, only decode it: the files are still decoded and
    their structure checked, the cross-file rules are not run again. Start-up uses this; a
    changed, added or removed file, a new banned-claims list or a new kiosk version means a
    full check. Raises ContentError."""
    if record is None:
        return load_content(root)
    fingerprint = content_fingerprint(root)
    try:
        known = record.read_text("ascii").strip() == fingerprint
    except (OSError, UnicodeDecodeError):
        known = False
    if known:
        content, _problems = decode_content(root)
        if content is not None:
            return content
    content = load_content(root)
    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        partial = record.with_name(record.name + ".tmp")
        partial.write_text(fingerprint + "\n", "ascii")
        partial.replace(record)
    except OSError:
        pass  # only a speed-up: the next start checks everything again
    return content


def ui_fields() -> tuple[str, ...]:
    """Return the names of all UI strings (used by tests that look for untranslated text)."""
    return UiStrings.__struct_fields__
