"""Typed model of the kiosk's content files and their strict JSON decoding (no Qt)."""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta, Struct

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Id = Annotated[
    str, Meta(pattern=ID_PATTERN, description="Stable kebab-case id, the same in every language.")
]
Text = Annotated[str, Meta(min_length=1, description="Text shown to patients.")]
Paragraphs = Annotated[list[Text], Meta(min_length=1)]
IconName = Annotated[
    str,
    Meta(pattern=ID_PATTERN, description="Name of an SVG icon in resources/icons, without .svg."),
]

# The order matters: it is how status lines are shown, from established to experimental.
Status = Literal["standard", "specialist", "research", "preclinical"]
SectionKind = Literal["topics", "table", "faq", "sources", "about"]
# What a section, topic or FAQ entry needs from the clinic's settings to be shown at all:
# "study" = an approved study named in the config (kiosk.study). Without it, it is hidden.
Requires = Literal["study"]


class _Model(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Base for every content struct: unknown keys are errors, values are immutable."""


# --- language-neutral files --------------------------------------------------------------


class Manifest(_Model, frozen=True):
    """``manifest.json``: the version and review dates of the whole content set."""

    content_version: Annotated[str, Meta(min_length=1)]
    # Empty until a named physician has signed the content off: no review is ever claimed
    # before it happened (the About screen shows a date only with a reviewer beside it).
    reviewed_on: dt.date | None = None
    next_review: dt.date | None = None


class Source(_Model, frozen=True):
    """One reference that medical statements cite by id."""

    id: Id
    title: Text
    authors: Text
    journal: Text
    year: Annotated[int, Meta(ge=1900, le=2100)]
    doi: str | None = None
    pmid: Annotated[str, Meta(pattern=r"^[0-9]+$")] | None = None
    url: str | None = None

    def link(self) -> str | None:
        """Return the best https link to the source, or None."""
        if self.url:
            return self.url
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        return None


class SourcesFile(_Model, frozen=True):
    """``sources.json``: the bibliography shared by every language."""

    sources: list[Source]


# --- per-language files ------------------------------------------------------------------


class LanguageMeta(_Model, frozen=True):
    """``<lang>/meta.json``: how the language is named and written, its keyboards, and who
    reviewed this translation."""

    name: Annotated[Text, Meta(description="The language in its own name and script, e.g. Türkçe.")]
    reviewed_by: Annotated[
        str,
        Meta(description="Physician who signed this language off: name, specialty, registration."),
    ] = ""
    direction: Literal["ltr", "rtl"] = "ltr"
    keyboards: Annotated[
        list[Annotated[str, Meta(pattern=ID_PATTERN)]],
        Meta(
            description="Keyboard layouts the name field offers (files in resources/keyboards, "
            "without .json), the first shown first; the layout key switches between them. "
            "Empty: the layout named like the language's folder."
        ),
    ] = []
    locale: Annotated[
        str,
        Meta(
            description="The locale dates are written in (Qt's CLDR data), when not the "
            "folder's code: ar_001, Modern Standard Arabic, writes 7 ديسمبر 2026 with the digits "
            "the texts use, where ar (Egypt's) writes ٧ ديسمبر ٢٠٢٦.",
            pattern=r"^([a-z]{2,3}(_([A-Z]{2}|[0-9]{3}))?)?$",
        ),
    ] = ""
    hyphenation: Annotated[
        str,
        Meta(
            description="A hyphenation dictionary (pyphen's name, e.g. de_DE): long words break "
            "at their syllables, with a hyphen, where a line must break. For languages of long "
            "compound words (German, Russian); empty: words are never broken.",
            pattern=r"^([a-z]{2,3}(_[A-Z]{2})?)?$",
        ),
    ] = ""


class UiStrings(_Model, frozen=True):
    """``<lang>/ui.json``: every fixed string shown, so no screen falls back to English."""

    bar_home: Text
    bar_back: Text
    bar_language: Text
    bar_text_size: Text
    bar_help: Text
    bar_appointment: Text
    bar_done: Text
    text_sizes: Annotated[list[Text], Meta(min_length=3, max_length=3)]
    home_welcome: Text
    default_clinic_name: Annotated[
        Text, Meta(description="The name on Home until the clinic's config gives its own.")
    ]
    home_language: Text
    appointment_tile_title: Text
    appointment_tile_subtitle: Text
    section_choose: Text
    sources_label: Text
    source_chip: Annotated[
        Text, Meta(description="Accessible name of a source chip; {n} is its number.")
    ]
    heading_who: Text
    heading_who_studied: Annotated[
        Text, Meta(description="Replaces heading_who on research and preclinical pages.")
    ]
    heading_what_happens: Text
    heading_evidence: Text
    heading_risks: Text
    heading_alternatives: Text
    heading_ask_doctor: Text
    status_standard: Text
    status_specialist: Text
    status_research: Text
    status_preclinical: Text
    please_note: Text
    table_pick: Text
    sources_intro: Text
    sources_scan: Text
    sources_no_link: Text
    about_title: Text
    about_reviewed_by: Text
    about_reviewed_on: Text
    about_next_review: Text
    about_content_version: Text
    date_format: Annotated[
        Text,
        Meta(description="How dates are written, as a Qt date pattern: d MMMM yyyy, dd.MM.yyyy."),
    ]
    about_app_version: Text
    idle_title: Text
    idle_body: Annotated[Text, Meta(description="{seconds} counts down to the reset.")]
    idle_continue: Text
    leave_title: Annotated[Text, Meta(description="Asked before a started form is erased.")]
    leave_body: Text
    leave_keep: Text
    leave_discard: Text
    attract_hint: Text
    help_title: Text
    help_body: Paragraphs
    language_title: Text
    appointment_scan: Text


class Section(_Model, frozen=True):
    """A tile on Home and the screen behind it."""

    id: Id
    title: Text
    subtitle: Text
    icon: IconName
    kind: SectionKind
    items: list[Id] = []
    requires: Requires | None = None


class SectionsFile(_Model, frozen=True):
    """``<lang>/sections.json``: the Home tiles, in order."""

    sections: list[Section]


class Block(_Model, frozen=True):
    """A short run of text under an optional sub-title.

    Every block is a medical statement and must cite sources, unless ``practical`` marks
    it as clinic logistics (opening hours, what to bring).
    """

    heading: Text | None = None
    text: list[Text] = []
    bullets: list[Text] = []
    sources: list[Id] = []
    practical: bool = False


class Treatment(_Model, frozen=True):
    """The fixed template every treatment page follows, so that none is favoured."""

    status: Status
    who: Block
    what_happens: Block
    evidence: Block
    risks: Block
    alternatives: Block
    ask_doctor: Block


class Topic(_Model, frozen=True):
    """An information page: summary, then short blocks, or a treatment template."""

    id: Id
    title: Text
    subtitle: Text
    summary: Text
    summary_sources: list[Id] = []
    icon: IconName | None = None
    image: Annotated[str, Meta(description="Image path relative to the content folder.")] | None = (
        None
    )
    image_reviewed: Annotated[
        bool, Meta(description="A reviewer checked the image for claims (before/after, reviews).")
    ] = False
    blocks: list[Block] = []
    treatment: Treatment | None = None
    # When to call 112 at once and when to call the doctor the same day: shown first, in a
    # box of its own, on every treatment page and wherever care can go wrong quickly.
    warning_signs: Block | None = None
    disclaimers: list[Id] = []
    requires: Requires | None = None


class TopicsFile(_Model, frozen=True):
    """``<lang>/topics.json``."""

    topics: list[Topic]


class TableColumn(_Model, frozen=True):
    """One option (or attribute) column of a table."""

    id: Id
    title: Text
    status: Status | None = None


class TableRow(_Model, frozen=True):
    """One row: a label and one short text per column id."""

    id: Id
    label: Text
    cells: dict[Id, Text]


class Table(_Model, frozen=True):
    """A comparison table; ``cards`` says what one card holds in portrait."""

    id: Id
    title: Text
    intro: Text
    columns: Annotated[list[TableColumn], Meta(min_length=1)]
    rows: Annotated[list[TableRow], Meta(min_length=1)]
    sources: list[Id] = []
    cards: Literal["column", "row"] = "column"
    disclaimers: list[Id] = []


class TablesFile(_Model, frozen=True):
    """``<lang>/tables.json``."""

    tables: list[Table]


class FaqEntry(_Model, frozen=True):
    """One question and its answer."""

    id: Id
    question: Text
    answer: Paragraphs
    sources: list[Id] = []
    practical: bool = False
    requires: Requires | None = None


class FaqFile(_Model, frozen=True):
    """``<lang>/faq.json``."""

    entries: list[FaqEntry]


class Disclaimer(_Model, frozen=True):
    """A caution shown on Home (``home``), on pages that list it, and on About."""

    id: Id
    text: Text
    home: bool = False


class DisclaimersFile(_Model, frozen=True):
    """``<lang>/disclaimers.json``."""

    disclaimers: list[Disclaimer]


class Choice(_Model, frozen=True):
    """One option of a fixed list, with the words shown for it."""

    id: Id
    label: Text


class NoticeItem(_Model, frozen=True):
    """One layer of the short information notice (KVKK Art. 10: who, why, how and on what
    grounds, who receives it, how long, rights, how to apply).

    ``{controller}``, ``{address}``, ``{phone}``, ``{email}``, ``{apply}``, ``{kep}``,
    ``{on_kiosk}`` (how long a request stays on this kiosk), ``{days}``, ``{after_export}``
    and ``{abroad}`` are filled in from the config (kiosk.clinic.notice_values).
    """

    heading: Text
    text: Text


class NoticeParts(_Model, frozen=True):
    """Sentences the notice is put together from, by what the clinic's config says; none of
    them ever shows a placeholder to a patient."""

    controller_unknown: Annotated[
        Text, Meta(description="For {controller} while the config does not name it.")
    ]
    ask_desk: Annotated[Text, Meta(description="For {address} or {email} not yet given.")]
    phone: Annotated[Text, Meta(description="{phone}: the clinic's phone; left out without one.")]
    apply: Annotated[
        Text, Meta(description="How to apply in writing: {address} and {email} are filled in.")
    ]
    apply_ask: Annotated[Text, Meta(description="Instead of apply while either is missing.")]
    kep: Annotated[Text, Meta(description="{kep} is the KEP address; left out without one.")]
    kept_after_export: Annotated[
        Text, Meta(description="{months}: how long the desk keeps a request after export.")
    ]
    kept_after_export_ask: Text
    abroad_no: Text
    abroad_yes: Annotated[Text, Meta(description="{details}: where and on what basis.")]
    abroad_ask: Text
    # {on_kiosk}: on a kiosk on its own, and on one that sends each request to the group's
    # central server (and keeps it only until then). Content written before they existed
    # says {days} in its own words instead.
    kept_on_kiosk: (
        Annotated[Text, Meta(description="{days}: the most days a request stays on the kiosk.")]
        | None
    ) = None
    kept_until_sent: (
        Annotated[
            Text,
            Meta(description="With central delivery: kept on the kiosk only until it is sent."),
        ]
        | None
    ) = None


class ConsentText(_Model, frozen=True):
    """One consent checkbox: its words, its purpose, and the version stored with the answer."""

    id: Literal[
        "notice_read",
        "contact",
        "health_topic",
        "marketing_sms",
        "marketing_email",
        "marketing_call",
    ]
    version: Annotated[str, Meta(min_length=1)]
    label: Text
    purpose: Text


class FormErrors(_Model, frozen=True):
    """Messages shown next to a field, one per validation problem."""

    name_required: Text
    name_too_long: Text
    name_no_letters: Text
    name_too_short: Text
    contact_required: Text
    phone_invalid: Text
    email_invalid: Text
    method_required: Text
    method_needs_phone: Text
    method_needs_email: Text
    time_required: Text
    language_required: Text
    consent_required: Text


class AppointmentStrings(_Model, frozen=True):
    """``<lang>/appointment.json``: the request form's words, notice and versioned consents."""

    notice_version: Annotated[str, Meta(min_length=1)]
    step_of: Annotated[Text, Meta(description="{n} and {total} are the step numbers.")]
    next: Text
    back: Text
    submit: Text
    edit: Text
    missing: Annotated[Text, Meta(description="Shown when Next is tapped with something missing.")]
    notice_title: Text
    notice_items: Annotated[list[NoticeItem], Meta(min_length=1)]
    notice_parts: NoticeParts
    notice_full: Text
    notice_full_desk: Annotated[
        Text, Meta(description="Instead of notice_full while no real notice URL is set.")
    ]
    notice_phone: Text
    name_title: Text
    name_label: Text
    name_hint: Text
    contact_title: Text
    contact_intro: Text
    country_label: Text
    countries: Annotated[list[Choice], Meta(min_length=1)]
    phone_label: Text
    phone_hint_other: Text
    email_label: Text
    preferences_title: Text
    contact_language_label: Text
    contact_method_label: Text
    contact_methods: Annotated[list[Choice], Meta(min_length=1)]
    time_label: Text
    time_windows: Annotated[list[Choice], Meta(min_length=1)]
    topic_label: Text
    topic_none: Text
    topics: Annotated[list[Choice], Meta(min_length=1)]
    consents_title: Text
    consents_intro: Text
    consents: Annotated[list[ConsentText], Meta(min_length=6, max_length=6)]
    review_title: Text
    review_intro: Text
    review_not_given: Text
    thanks_title: Text
    thanks_body: Text
    thanks_reference: Text
    thanks_home: Annotated[
        Text, Meta(description="Under the reference code: the visitor ends the visit when ready.")
    ]
    failed_title: Text
    failed_body: Text
    failed_desk: Text
    keyboard_space: Text
    keyboard_letters: Text
    keyboard_done: Text
    errors: FormErrors


class StaffStrings(_Model, frozen=True):
    """``<lang>/staff.json``: the front-desk screens (passcode pad, requests, export, log)."""

    not_configured: Text
    pad_title: Text
    pad_open: Text
    pad_cancel: Text
    pad_clear: Text
    wrong: Text
    tries_left: Annotated[
        Text,
        Meta(
            description="Shown after wrong: {tries} is how many more wrong passcodes lock the pad."
        ),
    ]
    locked: Annotated[
        Text,
        Meta(
            description="{time} is the wait as minutes:seconds, counting down each second "
            "({seconds}: the same in seconds)."
        ),
    ]
    lock_over: Annotated[Text, Meta(description="Shown when the lock has run out.")]
    title: Text
    tab_requests: Text
    tab_export: Text
    tab_log: Text
    tab_figures: Text
    lock: Text
    exit_kiosk: Text
    exit_confirm: Text
    status_new: Text
    status_exported: Text
    status_contacted: Text
    status_all: Text
    period_all: Text
    period_week: Text
    period_month: Text
    counts: Annotated[Text, Meta(description="{new}, {exported}, {contacted} are counts.")]
    col_reference: Text
    col_received: Text
    col_name: Text
    col_contact: Text
    col_language: Text
    col_time: Text
    col_status: Text
    demo_reference: Annotated[
        Text,
        Meta(
            description="{reference} is a request's code; shown for demo requests (made by "
            "kiosk demo-data) so they are never taken for a patient's."
        ),
    ]
    open: Text
    mark_contacted: Text
    delete: Text
    delete_confirm: Text
    yes_delete: Text
    no_keep: Text
    select_first: Text
    request_unreadable: Annotated[
        Text, Meta(description="A request in the list could not be read from the database.")
    ]
    export_format: Text
    export_which: Text
    export_where: Text
    which_since: Text
    since_label: Annotated[Text, Meta(description="{date} is the first day exported.")]
    day_earlier: Text
    day_later: Text
    no_drive: Text
    folder: Annotated[Text, Meta(description="{path} is the configured export folder.")]
    drive: Annotated[Text, Meta(description="{name} is the USB stick's name.")]
    drive_read_only: Annotated[
        Text, Meta(description="{name}: a write-protected stick, shown but not offered.")
    ]
    export_button: Annotated[Text, Meta(description="{count} requests.")]
    export_done: Annotated[Text, Meta(description="{count} and {file}.")]
    export_failed: Text
    nothing_to_export: Text
    remove_exported: Annotated[Text, Meta(description="{count} requests.")]
    removed: Annotated[Text, Meta(description="{count} requests.")]
    remove_confirm: Annotated[
        Text, Meta(description="{count} requests, {file} the export they stay in.")
    ]
    yes_remove: Text
    no_keep_them: Text
    remove_failed: Text
    folder_unavailable: Annotated[Text, Meta(description="{path} is the configured folder.")]
    include_demo: Annotated[Text, Meta(description="{count} demo requests.")]
    choose_destination: Text
    saving: Annotated[Text, Meta(description="Shown while the file is written and checked.")]
    export_gone: Text
    export_own_disk: Text
    export_full: Text
    export_read_only: Text
    export_unverified: Text
    log_title: Text
    figures_week: Text
    figures_language: Text
    figures_topic: Text
    content_warning: Annotated[Text, Meta(description="{problem} names the content problem.")]
    update_warning: Annotated[
        Text,
        Meta(
            description="The last signed content update was refused; {reason} is its code for IT."
        ),
    ]
    checking: Annotated[Text, Meta(description="Shown while the passcode is being checked.")]
    database_set_aside: Annotated[
        Text, Meta(description="{file} is the damaged database file that was moved aside.")
    ]
    clock_warning: Text
    no_keys_warning: Text
    unexported_warning: Annotated[
        Text,
        Meta(
            description="{count} requests were never exported; {date} is the day the kiosk "
            "deletes the first of them."
        ),
    ]
    # With central delivery ([fleet]); content written before it has none, and says nothing.
    fleet_note: (
        Annotated[
            Text,
            Meta(
                description="Requests leave the kiosk once the central system has them; "
                "{pending} are waiting to be sent."
            ),
        ]
        | None
    ) = None
    fleet_quarantined: (
        Annotated[
            Text, Meta(description="{count} requests the central system refused: export them.")
        ]
        | None
    ) = None


class DeskStrings(_Model, frozen=True):
    """``<lang>/desk.json``: the front-desk console on the reception PC (`kiosk desk`). Optional
    in a language folder: the console then uses the first language (by code) that has one."""

    window_title: Text
    sign_in_title: Text
    account_label: Text
    passphrase_label: Text
    sign_in: Text
    sign_in_missing: Text
    signing_in: Text
    denied: Text
    disabled: Text
    refused: Text
    unreachable: Text
    failed: Text
    signed_out_idle: Annotated[
        Text,
        Meta(description="{minutes}: the minutes without use after which staff are signed out."),
    ]
    change_title: Text
    change_hint: Annotated[
        Text,
        Meta(description="{low} and {high}: the fewest and most digits a passphrase may have."),
    ]
    new_passphrase_label: Text
    repeat_passphrase_label: Text
    change_save: Text
    weak_empty: Text
    weak_digits: Text
    weak_published: Text
    weak_length: Text
    weak_block: Text
    weak_run: Text
    weak_distinct: Text
    weak_mobile: Text
    change_differ: Text
    change_done: Text
    sign_out: Text
    tab_requests: Text
    tab_kiosks: Text
    find_placeholder: Text
    site_label: Text
    kiosk_label: Text
    status_label: Text
    from_label: Text
    to_label: Text
    topic_label: Text
    all_topics: Text
    topic_found: Annotated[
        Text,
        Meta(description="{topic}: the topic; {count}: requests of it found; {checked}: read."),
    ]
    topic_searching: Text
    topic_limit: Annotated[Text, Meta(description="{count}: the most a topic list shows.")]
    any_date: Text
    all_sites: Text
    all_kiosks: Text
    status_all: Text
    status_new: Text
    status_exported: Text
    status_contacted: Text
    clear_filters: Text
    refresh: Text
    loading: Text
    count: Annotated[Text, Meta(description="{count}: how many requests the list holds.")]
    news: Annotated[
        Text, Meta(description="{count}: how many requests arrived since the list was loaded.")
    ]
    cannot_sort: Text
    col_reference: Text
    col_received: Text
    col_site: Text
    col_kiosk: Text
    col_name: Text
    col_phone: Text
    col_topic: Text
    col_contact_language: Text
    col_status: Text
    col_changed_by: Text
    unreadable: Text
    unreadable_detail: Text
    select_request: Text
    email_label: Text
    contact_method_label: Text
    time_window_label: Text
    marketing_label: Text
    marketing_none: Text
    marketing_sms: Text
    marketing_email: Text
    marketing_call: Text
    changed_line: Annotated[
        Text, Meta(description="{who}: the account; {when}: the clinic's time.")
    ]
    note_label: Text
    note_placeholder: Text
    note_too_long: Text
    mark_contacted: Text
    mark_new: Text
    save_note: Text
    marked_contacted: Text
    saved: Text
    undo: Text
    undone: Text
    undo_too_late: Text
    conflict: Annotated[
        Text, Meta(description="{who} changed the request at {when}; {status} is its status now.")
    ]
    gone: Text
    not_saved: Text
    delete: Text
    delete_confirm: Annotated[Text, Meta(description="{reference}: the request's reference code.")]
    delete_yes: Text
    delete_no: Text
    deleted: Text
    not_found: Text
    found: Annotated[
        Text, Meta(description="{code}: the reference code; {count}: how many requests have it.")
    ]
    found_several: Annotated[
        Text, Meta(description="{count}: how many requests have the code typed.")
    ]
    export: Text
    export_choose: Text
    exporting: Text
    export_done: Annotated[
        Text, Meta(description="{count}: how many requests; {file}: the file written.")
    ]
    export_unreadable: Annotated[Text, Meta(description="{count}: how many could not be opened.")]
    export_empty: Text
    export_gone: Text
    export_full: Text
    export_read_only: Text
    export_unverified: Text
    export_failed: Text
    server_ok: Annotated[Text, Meta(description="{host}: the central server's name.")]
    server_lost: Annotated[Text, Meta(description="{seconds}: how often the desk tries again.")]
    health_status: Text
    health_last_seen: Text
    health_app: Text
    health_content: Text
    health_waiting: Text
    health_oldest: Text
    health_ok: Text
    health_late: Text
    health_silent: Text
    health_clock: Text
    health_backlog: Text
    health_never: Text
    health_update: Annotated[
        Text,
        Meta(description="A kiosk's last content update was refused, or its signatures run out."),
    ]
    health_never_seen: Text
    health_seen: Annotated[
        Text,
        Meta(description="{minutes}: minutes since the last heartbeat; {time}: its clinic time."),
    ]
    health_hours: Annotated[Text, Meta(description="{hours}: hours.")]
    health_minutes: Annotated[Text, Meta(description="{minutes}: minutes.")]
    health_none: Text
    health_all_ok: Annotated[Text, Meta(description="{count}: how many kiosks.")]
    health_attention: Annotated[
        Text, Meta(description="{count}: how many kiosks; {attention}: how many need a look.")
    ]


# --- loading -------------------------------------------------------------------------------

LANGUAGE_FILES: dict[str, type[_Model]] = {
    "meta.json": LanguageMeta,
    "ui.json": UiStrings,
    "sections.json": SectionsFile,
    "topics.json": TopicsFile,
    "tables.json": TablesFile,
    "faq.json": FaqFile,
    "disclaimers.json": DisclaimersFile,
    "appointment.json": AppointmentStrings,
    "staff.json": StaffStrings,
}
# Files a language folder may leave out (another language's is used): the console on the
# reception PC is for staff, and a patients' language need not translate it.
OPTIONAL_LANGUAGE_FILES: dict[str, type[_Model]] = {
    "desk.json": DeskStrings,
}
SHARED_FILES: dict[str, type[_Model]] = {
    "manifest.json": Manifest,
    "sources.json": SourcesFile,
}

M = TypeVar("M", bound=_Model)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content: where, what, and how bad."""

    file: str
    path: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file} {self.path}".strip()
        return f"{self.severity.upper()}: {where}: {self.message}"


class ContentError(Exception):
    """The content could not be loaded; ``problems`` says why, file by file."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class LanguageContent:
    """Everything one language shows."""

    code: str
    meta: LanguageMeta
    ui: UiStrings
    sections: tuple[Section, ...]
    topics: dict[str, Topic]
    tables: dict[str, Table]
    faq: tuple[FaqEntry, ...]
    disclaimers: dict[str, Disclaimer]
    form: AppointmentStrings
    staff: StaffStrings

    @property
    def rtl(self) -> bool:
        """Whether the layout is mirrored for this language."""
        return self.meta.direction == "rtl"

    def section(self, section_id: str) -> Section:
        """Return the section with ``section_id`` (KeyError if absent)."""
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)


@dataclass(frozen=True)
class Content:
    """A whole content set: shared files plus one LanguageContent per language folder."""

    root: Path
    manifest: Manifest
    sources: dict[str, Source]
    languages: dict[str, LanguageContent] = field(default_factory=dict)

    @property
    def source_order(self) -> list[str]:
        """Source ids in bibliography order; chips number sources by this order."""
        return list(self.sources)


def _json_path(message: str) -> tuple[str, str]:
    """Split msgspec's "... - at `$.a[0].b`" into (message, path)."""
    marker = " - at `"
    if marker in message and message.endswith("`"):
        text, _, path = message.rpartition(marker)
        return text, path[:-1]
    return message, "$"


def _line_col(raw: bytes, message: str) -> str:
    """Turn msgspec's "(byte N)" into "line L, column C" so editors can find it."""
    import re

    match = re.search(r"\(byte (\d+)\)", message)
    if not match:
        return message
    offset = int(match.group(1))
    before = raw[:offset]
    line = before.count(b"\n") + 1
    col = offset - (before.rfind(b"\n") + 1) + 1
    return message.replace(match.group(0), f"(line {line}, column {col})")


# No content or config file is anywhere near this; a bigger one is a mistake (a copied
# video, a log), and reading it whole would cost the kiosk its memory.
MAX_TEXT_FILE = 4 * 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"


def text_problem(raw: bytes) -> str | None:
    """Why ``raw`` is not usable UTF-8 text (None when it is), naming line and column.

    Editors on Windows save Turkish as Windows-1254 or as UTF-16 unless told otherwise:
    the message says what to do about it.
    """
    if len(raw) > MAX_TEXT_FILE:
        return f"file is too large (more than {MAX_TEXT_FILE // 1024} KiB)"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return (
            f"not UTF-8 text at line {line}, column {col} (byte 0x{raw[exc.start]:02X}); "
            "save the file as UTF-8"
        )
    return None


def read_text_file(path: Path) -> bytes:
    """Read a UTF-8 text file for decoding: a leading byte-order mark is dropped (Notepad
    writes one). Raises OSError, or ValueError saying why the bytes are not usable text."""
    with path.open("rb") as handle:
        raw = handle.read(MAX_TEXT_FILE + 1)  # never more than that into memory
    raw = raw.removeprefix(UTF8_BOM)
    if problem := text_problem(raw):
        raise ValueError(problem)
    return raw


S = TypeVar("S", bound=Struct)


def decode_file(path: Path, model: type[S], display: str | None = None) -> S:
    """Decode one JSON file into ``model``; raise ContentError naming file and JSON path."""
    name = display or str(path)
    try:
        raw = read_text_file(path)
    except FileNotFoundError:
        raise ContentError([Problem(name, "", "file is missing")]) from None
    except OSError as exc:
        raise ContentError([Problem(name, "", f"cannot read file ({exc.strerror})")]) from None
    except ValueError as exc:
        raise ContentError([Problem(name, "", str(exc))]) from None
    try:
        return msgspec.json.decode(raw, type=model)
    except msgspec.ValidationError as exc:
        text, where = _json_path(str(exc))
        raise ContentError([Problem(name, where, text)]) from None
    except msgspec.DecodeError as exc:
        raise ContentError(
            [Problem(name, "", f"not valid JSON: {_line_col(raw, str(exc))}")]
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. nesting too deep for the decoder
        raise ContentError([Problem(name, "", f"cannot decode: {exc}")]) from None


def language_folders(root: Path) -> list[str]:
    """Return the language codes present under ``root`` (folders holding a meta.json)."""
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "meta.json").is_file())


def _index(items: list[M], file: str, path: str, problems: list[Problem]) -> dict[str, M]:
    """Index items by id, reporting duplicates."""
    out: dict[str, M] = {}
    for i, item in enumerate(items):
        item_id = getattr(item, "id")  # noqa: B009 - every indexed model has an id
        if item_id in out:
            problems.append(Problem(file, f"{path}[{i}].id", f"duplicate id '{item_id}'"))
        out[item_id] = item
    return out


def decode_content(root: Path) -> tuple[Content | None, list[Problem]]:
    """Decode every file under ``root``; return the content (None if any file failed) and problems.

    Only decoding happens here; cross-file rules live in ``kiosk.validation``.
    """
    problems: list[Problem] = []
    root = Path(root)
    if not root.is_dir():
        return None, [Problem(str(root), "", "content folder does not exist")]

    def rel(p: Path) -> str:
        return p.relative_to(root).as_posix()

    shared: dict[str, _Model] = {}
    for name, model in SHARED_FILES.items():
        try:
            shared[name] = decode_file(root / name, model, rel(root / name))
        except ContentError as exc:
            problems.extend(exc.problems)

    codes = language_folders(root)
    if not codes:
        problems.append(Problem(".", "", "no language folders (each needs a meta.json)"))
    langs: dict[str, LanguageContent] = {}
    for code in codes:
        files: dict[str, _Model] = {}
        for name, model in LANGUAGE_FILES.items():
            path = root / code / name
            try:
                files[name] = decode_file(path, model, rel(path))
            except ContentError as exc:
                problems.extend(exc.problems)
        for name, model in OPTIONAL_LANGUAGE_FILES.items():
            path = root / code / name
            if path.exists():
                try:
                    decode_file(path, model, rel(path))
                except ContentError as exc:
                    problems.extend(exc.problems)
        if len(files) != len(LANGUAGE_FILES):
            continue
        d = f"{code}/"
        topics_file = files["topics.json"]
        tables_file = files["tables.json"]
        faq_file = files["faq.json"]
        disc_file = files["disclaimers.json"]
        sections_file = files["sections.json"]
        assert isinstance(topics_file, TopicsFile) and isinstance(tables_file, TablesFile)
        assert isinstance(faq_file, FaqFile) and isinstance(disc_file, DisclaimersFile)
        assert isinstance(sections_file, SectionsFile)
        meta, ui, form = files["meta.json"], files["ui.json"], files["appointment.json"]
        assert isinstance(meta, LanguageMeta) and isinstance(ui, UiStrings)
        assert isinstance(form, AppointmentStrings)
        staff = files["staff.json"]
        assert isinstance(staff, StaffStrings)
        _index(list(faq_file.entries), d + "faq.json", "$.entries", problems)
        _index(list(sections_file.sections), d + "sections.json", "$.sections", problems)
        langs[code] = LanguageContent(
            code=code,
            meta=meta,
            ui=ui,
            sections=tuple(sections_file.sections),
            topics=_index(list(topics_file.topics), d + "topics.json", "$.topics", problems),
            tables=_index(list(tables_file.tables), d + "tables.json", "$.tables", problems),
            faq=tuple(faq_file.entries),
            disclaimers=_index(
                list(disc_file.disclaimers), d + "disclaimers.json", "$.disclaimers", problems
            ),
            form=form,
            staff=staff,
        )

    manifest = shared.get("manifest.json")
    sources_file = shared.get("sources.json")
    if problems or not isinstance(manifest, Manifest) or not isinstance(sources_file, SourcesFile):
        return None, problems
    sources = _index(list(sources_file.sources), "sources.json", "$.sources", problems)
    if problems:
        return None, problems
    return Content(root=root, manifest=manifest, sources=sources, languages=langs), problems


def _clean_descriptions(node: Any) -> Any:
    """Docstrings as every Python writes them: 3.13 strips their indentation itself, 3.11
    and 3.12 keep it; cleaned, the committed schemas are the same on all three."""
    if isinstance(node, dict):
        return {
            key: inspect.cleandoc(value)
            if key == "description" and isinstance(value, str)
            else _clean_descriptions(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_clean_descriptions(item) for item in node]
    return node


def json_schemas() -> dict[str, dict[str, object]]:
    """Return a JSON Schema per content file name, generated from the models above."""
    out: dict[str, dict[str, object]] = {}
    for name, model in {**SHARED_FILES, **LANGUAGE_FILES, **OPTIONAL_LANGUAGE_FILES}.items():
        schema = _clean_descriptions(msgspec.json.schema(model))
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = f"Kiosk content file {name}"
        out[name] = schema
    return out


def load_desk_strings(root: Path, lang: str) -> tuple[DeskStrings, str]:
    """The console's strings in ``lang`` from the content folder ``root`` (where that language
    has no desk.json, the first language by code that has one), and the language they are
    in. Raises ContentError."""
    others = sorted(p.parent.name for p in root.glob("*/desk.json"))
    for code in dict.fromkeys((lang, *others)):
        path = root / code / "desk.json"
        if path.exists():
            return decode_file(path, DeskStrings, f"{code}/desk.json"), code
    raise ContentError([Problem(f"{lang}/desk.json", "", "no language has a desk.json")])
