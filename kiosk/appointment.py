"""The appointment request: the visitor's in-memory form and its validation (no Qt)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, fields
from typing import Literal

from kiosk.languages import CODE_PATTERN

NAME_MAX = 100
NAME_MIN_LETTERS = 2  # "A" alone is a slip of the finger, not a name to call someone by
EMAIL_MAX = 254
PHONE_MAX = 32

STEPS = ("notice", "name", "contact", "preferences", "consents", "review")
REQUIRED_CONSENTS = ("notice_read", "contact")
OPTIONAL_CONSENTS = ("health_topic", "marketing_sms", "marketing_email", "marketing_call")
CONSENTS = REQUIRED_CONSENTS + OPTIONAL_CONSENTS
CONTACT_METHODS = ("phone", "sms", "email")
TIME_WINDOWS = ("morning", "afternoon", "evening")
TOPICS = ("general", "standard-treatment", "cell-research", "second-opinion")
# Countries offered first in the phone step: Türkiye, then where most patients come from.
PHONE_COUNTRIES = ("tr", "de", "gb", "nl", "fr", "ru", "ua", "az", "sa", "iq", "us")
OTHER_COUNTRY = "other"

ErrorCode = Literal[
    "name_required",
    "name_too_long",
    "name_no_letters",
    "name_too_short",
    "contact_required",
    "phone_invalid",
    "email_invalid",
    "method_required",
    "method_needs_phone",
    "method_needs_email",
    "time_required",
    "language_required",
    "consent_required",
]


@dataclass(frozen=True)
class FieldError:
    """A problem with one field, as a code the screen translates."""

    field: str
    code: ErrorCode


@dataclass
class FlowState:
    """Where the visitor is in the appointment form; kept beside the FormData (by the
    visit, not the screen), so a language change, which rebuilds the screen, keeps it."""

    step: str = "notice"
    reference: str = ""
    editing: bool = False  # changing an answer from the review: Next returns there

    def reset(self) -> None:
        self.step = "notice"
        self.reference = ""
        self.editing = False


@dataclass
class FormData:
    """What the visitor has entered so far. It lives only in memory and is wiped in place
    when the visit ends, so every holder of a reference sees it empty."""

    name: str = ""
    country: str = "tr"
    phone: str = ""
    email: str = ""
    contact_language: str = ""
    contact_method: str = ""
    time_window: str = ""
    topic: str = ""
    consents: dict[str, bool] = field(default_factory=dict)

    def wipe(self) -> None:
        """Forget everything the visitor typed or chose."""
        fresh = FormData()
        for f in fields(self):
            setattr(self, f.name, getattr(fresh, f.name))

    def is_empty(self) -> bool:
        return self == FormData()


@dataclass(frozen=True)
class AppointmentRequest:
    """A validated request, ready to store: phone in E.164, e-mail normalised."""

    language: str
    name: str
    phone: str | None
    email: str | None
    contact_language: str
    contact_method: str
    time_window: str
    topic: str | None
    consents: dict[str, bool]

    def personal(self) -> dict[str, str | None]:
        """The personal fields, kept together so they can be encrypted as one unit."""
        return {
            "name": self.name,
            "phone": self.phone,
            "email": self.email,
            "contact_language": self.contact_language,
            "contact_method": self.contact_method,
            "time_window": self.time_window,
            "topic": self.topic,
        }


def clean_text(text: str, limit: int) -> str:
    """NFC-normalise, drop control and format characters, collapse spaces, cut to ``limit``.

    Format characters include bidi overrides, which could make a name display differently
    from how it is stored.
    """
    text = unicodedata.normalize("NFC", text)
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kept.append(" " if ch in "\t\n\r" else "")
        else:
            kept.append(ch)
    return " ".join("".join(kept).split())[:limit]


def normalise_phone(country: str, number: str) -> str | None:
    """Return the number in E.164, or None if it is not a valid number for ``country``.

    With the "other" country (or a number starting with +) the number must carry its
    international prefix.
    """
    raw = clean_text(number, PHONE_MAX)
    if not raw:
        return None
    # Imported here, not at the top: ~30 ms that would otherwise delay the kiosk's first
    # paint (the main window loads it while idle after start-up, before any form opens).
    import phonenumbers

    region = None if country == OTHER_COUNTRY or raw.startswith("+") else country.upper()
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(address: str) -> str | None:
    """Return the normalised address, or None if its syntax is invalid (no DNS: offline)."""
    raw = clean_text(address, EMAIL_MAX)
    if not raw:
        return None
    from email_validator import EmailNotValidError, validate_email  # see normalise_phone

    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def validate_step(step: str, data: FormData) -> list[FieldError]:
    """Return the problems that keep the visitor from leaving ``step`` (empty when fine)."""
    errors: list[FieldError] = []
    if step == "name":
        name = clean_text(data.name, NAME_MAX + 1)
        if not name:
            errors.append(FieldError("name", "name_required"))
        elif len(name) > NAME_MAX:
            errors.append(FieldError("name", "name_too_long"))
        elif not any(unicodedata.category(ch).startswith("L") for ch in name):
            errors.append(FieldError("name", "name_no_letters"))
        elif sum(unicodedata.category(ch).startswith("L") for ch in name) < NAME_MIN_LETTERS:
            errors.append(FieldError("name", "name_too_short"))
    elif step == "contact":
        phone, email = data.phone.strip(), data.email.strip()
        if not phone and not email:
            errors.append(FieldError("phone", "contact_required"))
        if phone and normalise_phone(data.country, phone) is None:
            errors.append(FieldError("phone", "phone_invalid"))
        if email and normalise_email(email) is None:
            errors.append(FieldError("email", "email_invalid"))
    elif step == "preferences":
        # Any language code: the form offers the clinic's contact_languages (config, checked
        # against the languages named in data), and this stays free of that list.
        if not re.fullmatch(CODE_PATTERN, data.contact_language):
            errors.append(FieldError("contact_language", "language_required"))
        if data.contact_method not in CONTACT_METHODS:
            errors.append(FieldError("contact_method", "method_required"))
        elif data.contact_method in ("phone", "sms") and not data.phone.strip():
            errors.append(FieldError("contact_method", "method_needs_phone"))
        elif data.contact_method == "email" and not data.email.strip():
            errors.append(FieldError("contact_method", "method_needs_email"))
        if data.time_window not in TIME_WINDOWS:
            errors.append(FieldError("time_window", "time_required"))
    elif step == "consents":
        for consent in REQUIRED_CONSENTS:
            if not data.consents.get(consent):
                errors.append(FieldError(consent, "consent_required"))
    return errors


def validate_request(data: FormData, language: str) -> AppointmentRequest | list[FieldError]:
    """Validate every step; return the request or all the problems found."""
    errors = [e for step in STEPS for e in validate_step(step, data)]
    if errors:
        return errors
    keep_topic = bool(data.topic and data.consents.get("health_topic"))
    return AppointmentRequest(
        language=language,
        name=clean_text(data.name, NAME_MAX),
        phone=normalise_phone(data.country, data.phone) if data.phone.strip() else None,
        email=normalise_email(data.email) if data.email.strip() else None,
        contact_language=data.contact_language,
        contact_method=data.contact_method,
        time_window=data.time_window,
        # A topic can say something about health: it is kept only with that (optional)
        # consent, and the consent only with a topic. Without it the request goes as is.
        topic=(data.topic or None) if keep_topic else None,
        consents={
            c: keep_topic if c == "health_topic" else bool(data.consents.get(c)) for c in CONSENTS
        },
    )
