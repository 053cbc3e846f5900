"""Validation of the appointment form: names, phones, e-mails, preferences and consents."""

from __future__ import annotations

import pytest

from kiosk.appointment import (
    NAME_MAX,
    AppointmentRequest,
    FormData,
    clean_text,
    normalise_email,
    normalise_phone,
    validate_request,
    validate_step,
)


def complete(**changes: object) -> FormData:
    """A form filled in correctly, with optional changes."""
    data = FormData(
        name="Ayşe Yılmaz",
        country="tr",
        phone="0532 123 45 67",
        contact_language="tr",
        contact_method="phone",
        time_window="morning",
        consents={"notice_read": True, "contact": True},
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


@pytest.mark.parametrize(
    ("country", "number", "e164"),
    [
        ("tr", "0532 123 45 67", "+905321234567"),
        ("tr", "+90 212 555 12 34", "+902125551234"),
        ("de", "030 1234567", "+49301234567"),
        ("de", "0151 23456789", "+4915123456789"),
        ("gb", "07911 123456", "+447911123456"),
        ("gb", "020 7946 0018", "+442079460018"),
        ("sa", "050 123 4567", "+966501234567"),
        ("ru", "8 (912) 345-67-89", "+79123456789"),
        ("us", "(201) 555-0123", "+12015550123"),
        ("az", "050 123 45 67", "+994501234567"),
        ("other", "+31 6 12345678", "+31612345678"),
    ],
)
def test_valid_phone_numbers_become_e164(country: str, number: str, e164: str) -> None:
    """Numbers valid for their country are stored in E.164."""
    assert normalise_phone(country, number) == e164


@pytest.mark.parametrize(
    ("country", "number"),
    [
        ("tr", "123"),
        ("tr", "0532 123 45"),  # too short
        ("de", "0000 0000"),
        ("gb", "07700"),
        ("sa", "12345678901234567"),
        ("ru", "+7 000"),
        ("us", "555-0123"),  # no area code
        ("az", "012"),
        ("other", "0532 123 45 67"),  # "other" needs +country code
        ("tr", "'; DROP TABLE requests; --"),
        ("tr", "☎☎☎"),
        ("tr", ""),
    ],
)
def test_invalid_phone_numbers_are_refused(country: str, number: str) -> None:
    """Wrong, short, foreign-without-prefix or garbage numbers give None, never an exception."""
    assert normalise_phone(country, number) is None


@pytest.mark.parametrize(
    ("address", "normalised"),
    [
        ("ayse@example.com", "ayse@example.com"),
        ("Ayse.Yilmaz@EXAMPLE.com", "Ayse.Yilmaz@example.com"),
        ("gülşen@örnek.com.tr", "gülşen@örnek.com.tr"),
        ("  tom+kiosk@example.org ", "tom+kiosk@example.org"),
    ],
)
def test_valid_emails(address: str, normalised: str) -> None:
    """Syntax-valid addresses are normalised (domain lower-cased); no DNS is asked."""
    assert normalise_email(address) == normalised


@pytest.mark.parametrize(
    "address", ["ayse", "ayse@", "@example.com", "a@b", "ayse@@example.com", "a b@example.com", ""]
)
def test_invalid_emails(address: str) -> None:
    """Malformed addresses are refused."""
    assert normalise_email(address) is None


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Ayşe   Yılmaz ", "Ayşe Yılmaz"),
        ("Ayse\u0301", "Aysé"),  # combining accent composed (NFC)
        ("Evil\u202eeman", "Evileman"),  # bidi override removed
        ("Tab\tand\nnewline", "Tab and newline"),
        ("nul\x00byte", "nulbyte"),
        ("فاطمة الزهراء", "فاطمة الزهراء"),
        ("Zoë 😀", "Zoë 😀"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    """Text is NFC-normalised, control and format characters dropped, spaces collapsed."""
    assert clean_text(raw, NAME_MAX) == clean


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "name_required"),
        ("   ", "name_required"),
        ("\u200b\u202e", "name_required"),
        ("x" * 10_000, "name_too_long"),
        ("12345", "name_no_letters"),
        ("😀😀", "name_no_letters"),
    ],
)
def test_name_problems(name: str, code: str) -> None:
    """Empty, overlong or letterless names get a clear code."""
    assert [e.code for e in validate_step("name", complete(name=name))] == [code]


@pytest.mark.parametrize(
    "name",
    ["Robert'); DROP TABLE requests;--", 'Anne "Annie" Smith', "O'Brien", "فاطمة", "x" * 100],
)
def test_odd_but_valid_names(name: str) -> None:
    """Quotes, SQL-looking text, Arabic and exactly 100 characters are fine."""
    assert validate_step("name", complete(name=name)) == []


def test_contact_needs_phone_or_email() -> None:
    """At least one way to be reached; each given one must be valid."""
    assert [e.code for e in validate_step("contact", complete(phone=""))] == ["contact_required"]
    assert validate_step("contact", complete(phone="", email="a@example.com")) == []
    codes = [e.code for e in validate_step("contact", complete(phone="1", email="nope"))]
    assert codes == ["phone_invalid", "email_invalid"]


def test_method_must_match_contact() -> None:
    """A call or SMS needs a phone; an e-mail needs an address."""
    only_email = complete(phone="", email="a@example.com")
    assert [e.code for e in validate_step("preferences", only_email)] == ["method_needs_phone"]
    assert [e.code for e in validate_step("preferences", complete(contact_method="email"))] == [
        "method_needs_email"
    ]
    assert [e.code for e in validate_step("preferences", complete(time_window=""))] == [
        "time_required"
    ]


def test_required_consents() -> None:
    """Both required consents must be ticked; optional ones are not needed."""
    problems = validate_step("consents", complete(consents={}))
    assert [(e.field, e.code) for e in problems] == [
        ("notice_read", "consent_required"),
        ("contact", "consent_required"),
    ]


def test_topic_is_health_data_kept_only_with_its_consent() -> None:
    """A chosen topic never blocks the request (its consent is optional, as the screen
    says): without the consent the request goes without the topic, and a consent with no
    topic records nothing."""
    data = complete(topic="cell-research")
    assert validate_step("consents", data) == []
    without = validate_request(data, "en")
    assert isinstance(without, AppointmentRequest)
    assert without.topic is None and without.consents["health_topic"] is False
    data.consents["health_topic"] = True
    kept = validate_request(data, "en")
    assert isinstance(kept, AppointmentRequest)
    assert kept.topic == "cell-research" and kept.consents["health_topic"] is True
    no_topic = complete(topic="")
    no_topic.consents["health_topic"] = True
    alone = validate_request(no_topic, "en")
    assert isinstance(alone, AppointmentRequest)
    assert alone.topic is None and alone.consents["health_topic"] is False


def test_a_one_letter_name_is_refused() -> None:
    """ "A" is a slip, not a name; two letters ("Al", "Su") are a name."""
    assert [e.code for e in validate_step("name", complete(name="A"))] == ["name_too_short"]
    assert [e.code for e in validate_step("name", complete(name=" Ş. "))] == ["name_too_short"]
    assert validate_step("name", complete(name="Su")) == []


def test_request_without_optional_consents() -> None:
    """The request works with no optional consent; the stored form is normalised."""
    result = validate_request(complete(), "tr")
    assert isinstance(result, AppointmentRequest)
    assert result.phone == "+905321234567" and result.email is None
    assert result.consents == {
        "notice_read": True,
        "contact": True,
        "health_topic": False,
        "marketing_sms": False,
        "marketing_email": False,
        "marketing_call": False,
    }


def test_wipe_empties_in_place() -> None:
    """Wiping forgets everything, and every holder of the object sees it empty."""
    data = complete(topic="general")
    alias = data
    data.wipe()
    assert alias.is_empty() and alias.name == "" and alias.consents == {}
