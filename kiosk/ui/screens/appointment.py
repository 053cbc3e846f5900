"""Request an appointment: notice, name, contact, preferences, consents, review, thank you.

One step per screen with big Back and Next. What the visitor enters lives in a FormData
owned by the main window (so a language change keeps it) and is wiped when the visit ends.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from kiosk import intake
from kiosk.appointment import (
    EMAIL_MAX,
    NAME_MAX,
    OTHER_COUNTRY,
    PHONE_MAX,
    STEPS,
    FieldError,
    FlowState,
    FormData,
    validate_step,
)
from kiosk.bidi import RLM, isolated, left_to_right, rtl_paragraphs
from kiosk.clinic import fill_notice, notice_values
from kiosk.golive import is_example_url
from kiosk.keyboards import EMAIL_LAYOUT, PHONE_LAYOUT, name_layouts
from kiosk.languages import languages_of
from kiosk.qr import appointment_link, short_display, with_params
from kiosk.store import AppointmentStore, StoreError
from kiosk.ui.context import ScreenContext
from kiosk.ui.screens.base import Screen
from kiosk.ui.theme import LIGHT
from kiosk.ui.widgets.grid import TileGrid
from kiosk.ui.widgets.keyboard import OnScreenKeyboard
from kiosk.ui.widgets.qr_widget import QrWidget
from kiosk.ui.widgets.scroll_page import ScrollPage
from kiosk.ui.widgets.text import breakable, label
from kiosk.ui.widgets.tile import Tile

__all__ = ["AppointmentScreen", "FlowState"]

log = logging.getLogger(__name__)
# Fields whose text is written left to right whatever the language.
LATIN_FIELDS = ("phone", "email")


class _Step:
    """One step of the form: a sheet with its own column of content in the form's single
    scrolling page. Only the current step's sheet is shown; hidden sheets take no room.

    (One page for all steps, not one each: every scrolling page made registers a
    finger-scroller gesture that PySide6 keeps for good; the form takes one page from the
    main window's PagePool, which hands it on to the next visitor's form.)
    """

    def __init__(self, scroll: ScrollPage, gap: int) -> None:
        self._scroll = scroll
        self.widget = QWidget()
        self.widget.setObjectName("form-step")
        self.body = QVBoxLayout(self.widget)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(gap)
        self.widget.hide()
        scroll.body.addWidget(self.widget)

    def finish(self) -> None:
        """Push the step's content to the top once every widget is added."""
        self.body.addStretch(1)

    def scroll_to(self, widget: QWidget, margin: int | None = None) -> None:
        self._scroll.scroll_to(widget, margin)


def _private(edit: QLineEdit, limit: int) -> QLineEdit:
    """Make a field safe for personal data: no prediction, no menu, no drag, bounded."""
    edit.setInputMethodHints(
        Qt.InputMethodHint.ImhSensitiveData
        | Qt.InputMethodHint.ImhNoPredictiveText
        | Qt.InputMethodHint.ImhNoAutoUppercase
    )
    edit.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
    edit.setDragEnabled(False)
    edit.setMaxLength(limit)
    return edit


class AppointmentScreen(Screen):
    """The appointment request flow.

    Signals:
        submitted(str): the request was committed; its reference code.
        cancelled(): Back on the first step: the visitor left the form.
        step_shown(str): another step is on screen (its name).
    """

    submitted = Signal(str)
    step_shown = Signal(str)
    cancelled = Signal()

    def __init__(
        self,
        ctx: ScreenContext,
        form: FormData,
        flow: FlowState,
        store: AppointmentStore | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("appointment-screen")
        self._ctx = ctx
        self._s = ctx.lang.form
        self.form = form
        self.flow = flow
        self._store = store
        m = ctx.metrics
        if (store is None or not store.can_save) and flow.step not in ("thanks",):
            # No database or no encryption key: offer the online form straight away.
            flow.step = "failed"

        self.pages = QStackedWidget()
        self.pages.setObjectName("form-pages")
        # The step scrolls; on a short window the keyboard keeps its size and the step
        # shrinks, rather than the whole window growing past the screen.
        self.pages.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self._page_of: dict[str, _Step] = {}
        self.fields: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        self.groups: dict[str, QButtonGroup] = {}
        self.consent_buttons: dict[str, Tile] = {}
        self.edit_buttons: dict[str, QPushButton] = {}

        self.keyboard = OnScreenKeyboard(self._s, m.key_size)
        self.keyboard.done.connect(self._on_next)
        self.keyboard.typed.connect(self._show_field)
        self.back_button = QPushButton(self._s.back)
        self.back_button.setObjectName("form-back")
        self.next_button = QPushButton(self._s.next)
        self.next_button.setObjectName("form-next")
        self.message = label("", "form-message")
        for button in (self.back_button, self.next_button):
            button.setMinimumSize(max(m.button_height, m.target * 2), m.button_height)
        self.back_button.clicked.connect(self._on_back)
        self.next_button.clicked.connect(self._on_next)
        nav = QHBoxLayout()
        nav.setContentsMargins(m.margin, 8, m.margin, 8)
        nav.setSpacing(m.gap)
        nav.addWidget(self.back_button)
        nav.addWidget(self.message, 1)
        nav.addWidget(self.next_button)
        self.nav = QWidget()
        self.nav.setObjectName("form-nav")
        self.nav.setLayout(nav)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.pages, 1)
        outer.addWidget(self.nav)
        outer.addWidget(self.keyboard)

        self._scroll = ctx.pages.page(m)
        self.pages.addWidget(self._scroll)
        for step in (*STEPS, "thanks", "failed"):
            page = _Step(self._scroll, m.gap)
            self._page_of[step] = page
            getattr(self, f"_build_{step}")(page)
            page.finish()
        self._scroll.finish()
        self._shown: _Step | None = None
        self.show_step(flow.step)

    # --- page builders --------------------------------------------------------------------

    def _header(self, page: _Step, step: str, title: str) -> None:
        n, total = STEPS.index(step) + 1, len(STEPS)
        row = QHBoxLayout()
        row.addWidget(label(self._s.step_of.format(n=n, total=total), "step-of"), 0)
        marks = " ".join("●" if i < n else "○" for i in range(total))
        # (no letter in it to set its direction: in Arabic the steps fill from the right)
        dots = QLabel(RLM + marks if self._ctx.lang.rtl else marks)
        dots.setObjectName("step-dots")
        row.addWidget(dots, 1)
        page.body.addLayout(row)
        page.body.addWidget(label(title, "screen-title"))

    def _error_label(self, key: str) -> QLabel:
        err = label("", "field-error")
        err.setVisible(False)
        self.errors[key] = err
        return err

    def _field(self, page: _Step, key: str, caption: str, limit: int, value: str) -> QLineEdit:
        page.body.addWidget(label(caption, "field-label"))
        edit = _private(QLineEdit(value), limit)
        edit.setObjectName(f"field-{key}")
        if key in LATIN_FIELDS:
            # A phone number or an e-mail address reads left to right in every language
            # (in an Arabic form, "+90 532..." would otherwise show its "+" at the far end).
            edit.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        edit.setMinimumHeight(self._ctx.metrics.button_height)
        edit.textChanged.connect(lambda text, k=key: self._typed(k, text))
        edit.installEventFilter(self)
        self.fields[key] = edit
        page.body.addWidget(edit)
        page.body.addWidget(self._error_label(key))
        return edit

    def _choices(
        self, page: _Step, key: str, caption: str, options: list[tuple[str, str]], name: str
    ) -> None:
        page.body.addWidget(label(caption, "field-label"))
        group = QButtonGroup(self)
        group.setExclusive(True)
        buttons: list[QWidget] = []
        current = getattr(self.form, key)
        for value, text in options:
            button = QPushButton(text)
            button.setObjectName(name)
            button.setCheckable(True)
            button.setProperty("choice", value)
            button.setChecked(value == current)
            button.toggled.connect(lambda _on, b=button: self._mark(b))
            self._mark(button)
            button.clicked.connect(lambda _=False, k=key, v=value: self._choose(k, v))
            group.addButton(button)
            buttons.append(button)
        self.groups[key] = group
        # Columns as wide as the longest choice needs: a choice's words are never cut.
        font = QFont("Noto Sans")
        font.setPixelSize(self._ctx.metrics.body)
        font.setBold(True)  # a chosen option is bold, so measure it bold
        widest = max(QFontMetrics(font).horizontalAdvance(text) for _v, text in options)
        min_width = max(round(300 * self._ctx.metrics.scale), widest + 120)
        page.body.addWidget(TileGrid(buttons, min_width, 4, 12))
        page.body.addWidget(self._error_label(key))

    def _mark(self, button: QPushButton) -> None:
        icon = "circle-check" if button.isChecked() else "circle"
        color = LIGHT.on_primary if button.isChecked() else LIGHT.muted
        button.setIcon(self._ctx.icons.icon(icon, color, 32))

    def _typed(self, key: str, text: str) -> None:
        setattr(self.form, key, text)
        self._recheck()

    def _choose(self, key: str, value: str) -> None:
        setattr(self.form, key, value)
        if key == "country":
            self._update_phone_hint()
        self._recheck()

    def _build_notice(self, page: _Step) -> None:
        s, settings = self._s, self._ctx.settings
        self._header(page, "notice", s.notice_title)
        values = notice_values(settings, self._ctx.lang)
        if self._ctx.lang.rtl:
            # An address, an e-mail or a phone number keeps its own order in Arabic text.
            values = {key: isolated(value) for key, value in values.items()}
        for item in s.notice_items:
            page.body.addWidget(label(item.heading, "block-heading"))
            page.body.addWidget(label(fill_notice(item.text, values), "body-text"))
        codes = QHBoxLayout()
        codes.setSpacing(self._ctx.metrics.gap * 2)
        notice_url = with_params(settings.privacy_notice_url, lang=self._ctx.lang.code)
        online = appointment_link(settings.appointment_url, self._ctx.lang.code)
        for name, caption, url in (
            ("notice-qr", s.notice_full, notice_url),
            ("online-form-qr", s.notice_phone, online),
        ):
            if is_example_url(url):
                # Not set up yet (the go-live gate says so): a code would take a patient's
                # phone to an example site. The printed notice is at the desk.
                if name == "notice-qr":
                    page.body.addWidget(label(s.notice_full_desk, "body-text"))
                continue
            box = QVBoxLayout()
            box.addWidget(label(caption, "body-text"))
            code = QrWidget(url, self._ctx.metrics.qr_side)
            code.setObjectName(name)
            box.addWidget(code, 0, Qt.AlignmentFlag.AlignLeading)
            box.addWidget(label(breakable(short_display(url)), "qr-url"))
            box.addStretch(1)
            codes.addLayout(box, 1)
        page.body.addLayout(codes)

    def _build_name(self, page: _Step) -> None:
        self._header(page, "name", self._s.name_title)
        page.body.addWidget(label(self._s.name_hint, "secondary-text"))
        self._field(page, "name", self._s.name_label, NAME_MAX, self.form.name)

    def _build_contact(self, page: _Step) -> None:
        s = self._s
        self._header(page, "contact", s.contact_title)
        page.body.addWidget(label(s.contact_intro, "secondary-text"))
        self._choices(
            page,
            "country",
            s.country_label,
            [(c.id, c.label) for c in s.countries],
            "country-option",
        )
        self._field(page, "phone", s.phone_label, PHONE_MAX, self.form.phone)
        self.phone_hint = label(s.phone_hint_other, "secondary-text")
        page.body.addWidget(self.phone_hint)
        self._field(page, "email", s.email_label, EMAIL_MAX, self.form.email)
        self._update_phone_hint()

    def _update_phone_hint(self) -> None:
        if hasattr(self, "phone_hint"):
            self.phone_hint.setVisible(self.form.country == OTHER_COUNTRY)

    def _build_preferences(self, page: _Step) -> None:
        s = self._s
        self._header(page, "preferences", s.preferences_title)
        names = languages_of(self._ctx.content)
        self._choices(
            page,
            "contact_language",
            s.contact_language_label,
            [(code, names.name(code)) for code in self._ctx.settings.contact_languages],
            "language-choice",
        )
        self._choices(
            page,
            "contact_method",
            s.contact_method_label,
            [(c.id, c.label) for c in s.contact_methods],
            "method-option",
        )
        self._choices(
            page,
            "time_window",
            s.time_label,
            [(c.id, c.label) for c in s.time_windows],
            "time-option",
        )
        topics = [("", s.topic_none), *((c.id, c.label) for c in s.topics)]
        self._choices(page, "topic", s.topic_label, topics, "topic-option")

    def _build_consents(self, page: _Step) -> None:
        s = self._s
        self._header(page, "consents", s.consents_title)
        page.body.addWidget(label(s.consents_intro, "body-text"))
        m = self._ctx.metrics
        for consent in s.consents:
            # The purpose text itself starts with "Needed" or "Optional".
            button = Tile(consent.label, consent.purpose, None, m.button_height, True)
            button.setObjectName("consent-option")
            button.setCheckable(True)
            button.setProperty("consent", consent.id)
            button.setChecked(bool(self.form.consents.get(consent.id)))
            button.toggled.connect(lambda on, c=consent.id: self._consent(c, on))
            self.consent_buttons[consent.id] = button
            self._show_tick(consent.id)
            page.body.addWidget(button)
            page.body.addWidget(self._error_label(consent.id))

    def _consent(self, consent_id: str, on: bool) -> None:
        self.form.consents[consent_id] = on
        self._show_tick(consent_id)
        self._recheck()

    def _show_tick(self, consent_id: str) -> None:
        button = self.consent_buttons[consent_id]
        # A tick and an empty circle, not colour alone, show what is agreed.
        icon = "square-check" if button.isChecked() else "square"
        button.set_icon(self._ctx.icons.pixmap(icon, LIGHT.primary, 48))

    def _build_review(self, page: _Step) -> None:
        s = self._s
        self._header(page, "review", s.review_title)
        page.body.addWidget(label(s.review_intro, "secondary-text"))
        self.review_box = QVBoxLayout()
        self.review_box.setSpacing(self._ctx.metrics.gap)
        page.body.addLayout(self.review_box)

    def _fill_review(self) -> None:
        self._clear_review()
        s, f = self._s, self.form
        label_of = {c.id: c.label for c in (*s.contact_methods, *s.time_windows, *s.topics)}
        # The topic is sent only with its consent (kiosk.appointment.validate_request).
        topic = label_of.get(f.topic, "") if f.consents.get("health_topic") else ""
        # The topic's consent counts only with a topic (kiosk.appointment.validate_request).
        given = [
            c.label
            for c in s.consents
            if f.consents.get(c.id) and (c.id != "health_topic" or f.topic)
        ]
        country = next((c.label for c in s.countries if c.id == f.country), "")
        phone, email = f.phone.strip(), f.email
        if self._ctx.lang.rtl:  # (read left to right inside the Arabic card)
            phone, email = left_to_right(phone), left_to_right(email)
        groups = (
            ("name", [(s.name_label, f.name)]),
            (
                "contact",
                [
                    (s.phone_label, f"{country} {phone}".strip() if phone else ""),
                    (s.email_label, email),
                ],
            ),
            (
                "preferences",
                [
                    (s.contact_language_label, self._language_name(f.contact_language)),
                    (s.contact_method_label, label_of.get(f.contact_method, "")),
                    (s.time_label, label_of.get(f.time_window, "")),
                    (s.topic_label, topic),
                ],
            ),
            ("consents", [(s.consents_title, "\n".join(given))]),
        )
        self.edit_buttons = {}
        for step, rows in groups:
            card = QFrame()
            card.setObjectName("card")
            box = QHBoxLayout(card)
            box.setContentsMargins(24, 16, 24, 16)
            texts = QVBoxLayout()
            for key, value in rows:
                texts.addWidget(label(key, "about-key"))
                shown = value or s.review_not_given
                rtl = self._ctx.lang.rtl
                texts.addWidget(label(rtl_paragraphs(shown) if rtl else shown, "body-text"))
            box.addLayout(texts, 1)
            edit = QPushButton(s.edit)
            edit.setObjectName("review-edit")
            edit.setProperty("step", step)
            edit.setMinimumSize(self._ctx.metrics.target * 2, self._ctx.metrics.button_height)
            edit.clicked.connect(lambda _=False, st=step: self._edit(st))
            box.addWidget(edit, 0, Qt.AlignmentFlag.AlignTop)
            self.edit_buttons[step] = edit
            self.review_box.addWidget(card)

    def _build_thanks(self, page: _Step) -> None:
        s = self._s
        page.body.addWidget(label(s.thanks_title, "screen-title"))
        page.body.addWidget(label(s.thanks_body, "body-text"))
        page.body.addWidget(label(s.thanks_reference, "field-label"))
        self.reference_label = label("", "reference-code")
        page.body.addWidget(self.reference_label)
        # No countdown: the code stays until the visitor taps "I am done" (or leaves the
        # kiosk alone until the idle warning has run out), time to find a pen or a phone.
        page.body.addWidget(label(s.thanks_home, "body-text"))

    def _build_failed(self, page: _Step) -> None:
        s, ctx = self._s, self._ctx
        page.body.addWidget(label(s.failed_title, "screen-title"))
        page.body.addWidget(label(s.failed_body, "body-text"))
        link = appointment_link(ctx.settings.appointment_url, ctx.lang.code)
        self.fallback_code: QrWidget | None = None
        if not is_example_url(link):
            page.body.addWidget(label(ctx.lang.ui.appointment_scan, "block-heading"))
            self.fallback_code = QrWidget(link, ctx.metrics.qr_side)
            self.fallback_code.setObjectName("fallback-qr")
            page.body.addWidget(self.fallback_code, 0, Qt.AlignmentFlag.AlignLeading)
            page.body.addWidget(label(breakable(short_display(link)), "qr-url"))
        page.body.addWidget(label(s.failed_desk, "body-text"))

    def _forget_input(self, rebuild_keyboard: bool = True) -> None:
        """Wipe the form data, the fields, the review cards and the keyboard state."""
        self.form.wipe()
        for edit in self.findChildren(QLineEdit):
            # setText, not clear(): clearing is a step the field could undo, so the text
            # would stay in its undo history. setText empties the history too.
            edit.setText("")
        self._clear_review()
        self.keyboard.reset(rebuild=rebuild_keyboard)

    def _clear_review(self) -> None:
        while self.review_box.count():
            item = self.review_box.takeAt(0)
            card = item.widget() if item is not None else None
            if card is not None:
                for lab in card.findChildren(QLabel):
                    lab.clear()  # no copy of the name waits for deferred deletion
                card.hide()
                card.deleteLater()

    def form_visit_ended(self) -> None:
        self.clear_widgets()  # do not leave typed text in a widget awaiting deletion

    def clear_widgets(self) -> None:
        """Empty every field and the keyboard's state (the visit is over)."""
        self._forget_input(rebuild_keyboard=False)  # the screen is about to be deleted
        self.reference_label.clear()

    def reset(self) -> None:
        """Ready a kept form for the next visitor: the visit's data gone from every widget
        (fields, undo history, review, reference, keyboard) and the first step shown."""
        self.put_away()
        self.keyboard.reset()
        self.show_step("notice")

    def put_away(self) -> None:
        """Empty every widget while the form is not on screen, the form data left as it is
        (another form, or a detour, holds the visit; ``sync`` shows it again)."""
        self._show_data(FormData())
        self._clear_review()
        self._clear_errors()
        self.reference_label.clear()
        self.keyboard.drop_target()  # (it holds nothing typed; reset() starts it afresh)

    def sync(self) -> None:
        """Show what the form data and the flow hold now: a kept form shown again, after a
        detour or after the visitor filled some of it in another language."""
        self._show_data(self.form)
        if (self._store is None or not self._store.can_save) and self.flow.step != "thanks":
            self.flow.step = "failed"
        self.show_step(self.flow.step)

    def _show_data(self, data: FormData) -> None:
        """Set the fields, choices and consents to show ``data``; quietly, so that showing
        records nothing in the form data. (setText also empties each field's undo history.)"""
        for key, edit in self.fields.items():
            edit.blockSignals(True)
            edit.setText(getattr(data, key))
            edit.blockSignals(False)
        for key, group in self.groups.items():
            current = getattr(data, key)
            group.setExclusive(False)  # an exclusive group cannot be left with none chosen
            for button in group.buttons():
                button.setChecked(button.property("choice") == current)
            group.setExclusive(True)
        for consent_id, button in self.consent_buttons.items():
            button.blockSignals(True)
            button.setChecked(bool(data.consents.get(consent_id)))
            button.blockSignals(False)
            self._show_tick(consent_id)
        self.phone_hint.setVisible(data.country == OTHER_COUNTRY)

    # --- flow ---------------------------------------------------------------------------------

    @property
    def store(self) -> AppointmentStore | None:
        return self._store

    @property
    def step(self) -> str:
        return self.flow.step

    def show_step(self, step: str) -> None:
        """Show ``step`` (one of STEPS, "thanks" or "failed")."""
        self.flow.step = step
        self._clear_errors()
        if step == "review":
            self.flow.editing = False
            self._fill_review()
        elif step == "consents":
            # The topic's consent matters only when a topic was chosen.
            self.consent_buttons["health_topic"].setVisible(bool(self.form.topic))
        page = self._page_of[step]
        if page is not self._shown:
            focused = self.focusWidget()
            if isinstance(focused, QLineEdit):
                # Let go of the field first: a focused widget that is hidden hands the focus
                # to the next one (the bar's Home), which would then wear the focus ring.
                focused.clearFocus()
            if self._shown is not None:
                self._shown.widget.hide()
            page.widget.show()
            self._shown = page
            self.step_shown.emit(step)
        self._scroll.verticalScrollBar().setValue(0)
        in_flow = step in STEPS
        self.nav.setVisible(in_flow)
        self.next_button.setText(self._s.submit if step == "review" else self._s.next)
        if step == "name":
            self._focus(self.fields["name"])
        else:
            # The contact step opens at its title, with the country choice in view and no
            # keyboard yet: both would not fit above it. Tapping the phone or e-mail field
            # brings the keyboard up with that field in view (eventFilter).
            # The keys are rebuilt now, hidden, for a field of this step: kept as the name
            # step's, the page settled its length a frame late and a field scrolled to just
            # then stayed partly hidden (tests/x11/test_form.py, a whole request).
            self.keyboard.set_target(None, (EMAIL_LAYOUT,))
            self.keyboard.hide()
            self._scroll.allow_more_sign(True)
        if step == "thanks":
            code = self.flow.reference
            self.reference_label.setText(rtl_paragraphs(code) if self._ctx.lang.rtl else code)

    def resume_typing(self) -> None:
        """Give the field the keyboard types into the focus back (after an overlay or a
        detour took it), so the caret and the focus ring show where letters go."""
        target = self.keyboard.target
        if target is not None and self.keyboard.isVisible() and target.isVisible():
            target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _type_into(self, edit: QLineEdit) -> None:
        """Point the keyboard at ``edit``, with its layouts (and capitals for the name)."""
        self.keyboard.show()
        self._scroll.allow_more_sign(False)  # (it would sit on the field typed into)
        self.keyboard.set_target(edit, self._layouts_for(edit), edit is self.fields["name"])

    def _layouts_for(self, edit: QLineEdit) -> tuple[str, ...]:
        if edit is self.fields.get("phone"):
            return (PHONE_LAYOUT,)
        if edit is self.fields.get("email"):
            return (EMAIL_LAYOUT,)
        lang = self._ctx.lang
        return name_layouts(lang.code, lang.meta.keyboards)

    def _language_name(self, code: str) -> str:
        """A contact language in its own name ("" when none is chosen)."""
        return languages_of(self._ctx.content).name(code) if code else ""

    def _focus(self, edit: QLineEdit) -> None:
        edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self._type_into(edit)
        QTimer.singleShot(0, lambda: self._show_field(edit))

    def _show_field(self, edit: QLineEdit) -> None:
        """Bring the field being typed into into view above the keyboard, with its caption
        above it, scrolling as little as that needs (the step's title stays in view when
        it can). Called as the field is chosen and after every key: a visitor who dragged
        the page to read something sees each letter land."""
        if not isValid(edit) or not edit.isVisible():
            return  # (queued for a step, or a screen, the visitor has left since)
        caption = self._ctx.metrics.body * 2 + self._ctx.metrics.gap
        self._scroll.scroll_to(edit, caption)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QLineEdit):
            self._type_into(watched)
            QTimer.singleShot(0, lambda: self._show_field(watched))
        return super().eventFilter(watched, event)

    def _clear_errors(self) -> None:
        for err in self.errors.values():
            err.setVisible(False)
        self.message.setText("")

    def _recheck(self) -> None:
        """Take back each message shown whose problem the visitor has just fixed. Nothing
        new is said until Next (a half-typed number is not scolded as wrong)."""
        shown = [key for key, err in self.errors.items() if err.isVisibleTo(self)]
        if not shown or self.flow.step not in STEPS:
            return
        problems = {p.field for p in validate_step(self.flow.step, self.form)}
        for key in shown:
            if key not in problems:
                self.errors[key].setVisible(False)
        if not any(err.isVisibleTo(self) for err in self.errors.values()):
            self.message.setText("")

    def _show_errors(self, problems: list[FieldError]) -> None:
        self._clear_errors()
        for problem in problems:
            err = self.errors.get(problem.field)
            if err is not None:
                err.setText("⚠ " + getattr(self._s.errors, problem.code))
                err.setVisible(True)
        self.message.setText("⚠ " + self._s.missing)
        first = self.errors.get(problems[0].field)
        if first is not None:
            page = self._page_of[self.flow.step]
            QTimer.singleShot(0, lambda: page.scroll_to(first))

    def _edit(self, step: str) -> None:
        """ "Change" on the review: that step, then straight back to the review."""
        self.flow.editing = True
        self.show_step(step)

    def go_back(self) -> bool:
        """Step back inside the form (to the review while changing an answer from there);
        return False on the first step (the caller leaves)."""
        if self.flow.step not in STEPS or STEPS.index(self.flow.step) == 0:
            return False
        if self.flow.editing:
            self.show_step("review")
        else:
            self.show_step(STEPS[STEPS.index(self.flow.step) - 1])
        return True

    def _on_back(self) -> None:
        if not self.go_back():
            self.cancelled.emit()

    def _on_next(self) -> None:
        step = self.flow.step
        if step not in STEPS:
            return
        problems = validate_step(step, self.form)
        if problems:
            self._show_errors(problems)
            return
        if step == "review":
            self._submit()
        elif self.flow.editing:
            # Back to the review, unless the change left a later answer wrong (a call
            # chosen, then the phone number removed): that step first.
            later = STEPS[STEPS.index(step) + 1 : STEPS.index("review")]
            wrong = next((s for s in later if validate_step(s, self.form)), None)
            if wrong is not None:
                self.show_step(wrong)
                self._show_errors(validate_step(wrong, self.form))
            elif (
                step == "preferences"
                and self.form.topic
                and not self.form.consents.get("health_topic")
            ):
                self.show_step("consents")  # a topic now: its (optional) consent is asked
            else:
                self.show_step("review")
        else:
            self.show_step(STEPS[STEPS.index(step) + 1])

    def _submit(self) -> None:
        ctx = self._ctx
        if self._store is None or not self._store.can_save:
            self.show_step("failed")  # never reached: such a form opens on "failed"
            return
        try:
            reference = intake.submit(
                self.form,
                ctx.lang.code,
                content=ctx.content,
                settings=ctx.settings,
                store=self._store,
            )
        except StoreError:
            # Logged by the store without personal data; the visitor gets another way in,
            # and nothing they typed stays on the kiosk.
            self._forget_input()
            self.show_step("failed")
            return
        if isinstance(reference, list):
            first = next(s for s in STEPS if validate_step(s, self.form))
            self.show_step(first)
            self._show_errors(validate_step(first, self.form))
            return
        # Saved: the typed details are no longer needed on this screen.
        self._forget_input()
        self.flow.reference = reference
        self.show_step("thanks")
        self.submitted.emit(reference)
