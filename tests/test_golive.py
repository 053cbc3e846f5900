"""The go-live gate, and what patients are shown while the clinic's details are missing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import msgspec
import pytest

from kiosk.cli import main
from kiosk.clinic import for_clinic
from kiosk.config import Settings, Study, load_settings
from kiosk.content import Content, LanguageContent
from kiosk.golive import is_example_url, is_placeholder, release_problems


@pytest.mark.parametrize(
    ("text", "placeholder"),
    [
        ("", True),
        ("  ", True),
        ("[Clinic legal name]", True),
        ("Anka Sağlık [adres girilecek]", True),
        ("TODO", True),
        ("to be filled in", True),
        ("Anka Sağlık Hizmetleri A.Ş.", False),
        ("Dr. Ayşe Yılmaz, rheumatology", False),
    ],
)
def test_placeholders_are_recognised(text: str, placeholder: bool) -> None:
    assert is_placeholder(text) is placeholder


@pytest.mark.parametrize(
    ("url", "example"),
    [
        ("https://example.org/privacy", True),
        ("https://www.example.com/x", True),
        ("https://clinic.test/form", True),
        ("https://kiosk.example/form", True),
        ("https://anka-klinik.com.tr/kvkk", False),
        ("https://examples.org/x", False),
    ],
)
def test_example_domains_are_recognised(url: str, example: bool) -> None:
    assert is_example_url(url) is example


def test_the_defaults_fail_the_gate_one_line_each(content: Content) -> None:
    """Out of the box every clinic detail and the physician's sign-off is missing."""
    lines = {f"{p.file} {p.path}" for p in release_problems(Settings(), content)}
    assert lines == {
        "ar/meta.json $.reviewed_by",
        "de/meta.json $.reviewed_by",
        "en/meta.json $.reviewed_by",
        "ru/meta.json $.reviewed_by",
        "tr/meta.json $.reviewed_by",
        "manifest.json $.reviewed_on",
        "config clinic_name",
        "config data_controller_name",
        "config data_controller_address",
        "config data_controller_email",
        "config privacy_notice_url",
        "config appointment_url",
        "config transfer_abroad",
        "config desk_retention_months",
    }


def test_a_filled_config_passes_the_release_check(
    filled_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["content", "check", "--release", "--config", str(filled_config)]) == 0
    out = capsys.readouterr().out
    assert "ready for patients" in out and "ERROR" not in out and "WARNING" not in out


def test_release_check_fails_on_each_placeholder(
    filled_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each default the clinic left in place fails --release with its own line; the plain
    check only warns."""
    text = filled_config.read_text("utf-8")
    text = text.replace("https://anka-klinik.com.tr/kvkk", "https://example.org/privacy")
    text = text.replace('data_controller_email = "kvkk@anka-klinik.com.tr"', "")
    filled_config.write_text(text + '\n[study]\nname = "[study name]"\n', "utf-8")
    assert main(["content", "check", "--release", "--config", str(filled_config)]) == 1
    out = capsys.readouterr().out
    assert "ERROR: config privacy_notice_url: still an example address" in out
    assert "ERROR: config data_controller_email:" in out
    assert "ERROR: config study.name: missing or a placeholder" in out
    assert "ERROR: config study.ethics_decision_date:" in out
    assert "not ready for patients" in out
    assert main(["content", "check", "--config", str(filled_config)]) == 0
    out = capsys.readouterr().out
    assert "WARNING: config privacy_notice_url" in out and "ERROR" not in out


def test_reviewer_placeholder_fails_the_release(
    filled_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meta = filled_config.parent / "content" / "tr" / "meta.json"
    data = json.loads(meta.read_text("utf-8"))
    data["reviewed_by"] = "[İçeriği gözden geçiren hekim]"
    meta.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert main(["content", "check", "--release", "--config", str(filled_config)]) == 1
    assert "ERROR: tr/meta.json $.reviewed_by: name the physician" in capsys.readouterr().out


def test_doctor_names_what_is_missing(filled_config: Path) -> None:
    from kiosk.doctor import check_go_live

    settings, _ = load_settings(filled_config)
    assert check_go_live(settings).ok
    broken = msgspec.structs.replace(settings, transfer_abroad=None)
    result = check_go_live(broken)
    assert not result.ok and "config transfer_abroad: say whether" in result.detail


# --- the information notice ---------------------------------------------------------------


def _notice(settings: Settings, content: Content, code: str) -> str:
    from kiosk.clinic import fill_notice, notice_values

    lang = content.languages[code]
    values = notice_values(settings, lang)
    return "\n".join(fill_notice(item.text, values) for item in lang.form.notice_items)


@pytest.mark.parametrize("code", ["en", "tr"])
def test_notice_never_shows_a_placeholder(content: Content, code: str) -> None:
    """With the defaults (and with an old bracketed config, a placeholder phone, an example
    e-mail) the notice says "ask at the desk" in whole sentences where a fact is missing."""
    parts = content.languages[code].form.notice_parts
    for settings in (
        Settings(),
        Settings(
            data_controller_name="[Clinic legal name]",
            data_controller_contact="[...]",
            data_controller_phone="[phone]",
            data_controller_email="kvkk@clinic.example.org",
        ),
    ):
        text = _notice(settings, content, code)
        assert not any(ch in text for ch in "[]{}"), text
        assert "example" not in text
        assert parts.controller_unknown in text and parts.apply_ask in text
        assert parts.abroad_ask in text and parts.kept_after_export_ask in text
        # The fallback is never dropped into a sentence about writing to an address.
        assert f"{parts.ask_desk} adresine" not in text and f"to {parts.ask_desk}" not in text


@pytest.mark.parametrize("code", ["en", "tr"])
def test_notice_states_the_clinics_facts(filled_config: Path, code: str) -> None:
    """Controller, address, phone, e-mail, KEP, retention on the kiosk and at the desk,
    transfer abroad, the Art. 11 rights and the 30-day answer are all on the screen."""
    from kiosk.validation import load_content

    settings, _ = load_settings(filled_config)
    settings = msgspec.structs.replace(
        settings,
        retention_days=45,
        unexported_max_days=75,
        desk_retention_months=7,
        data_controller_phone="+90 312 555",
    )
    content = load_content(settings.content_path())
    text = _notice(settings, content, code)
    for fact in (
        "Anka Sağlık Hizmetleri A.Ş.",
        "Atatürk Bulvarı 1, 06420 Çankaya, Ankara",
        "+90 312 555",
        "kvkk@anka-klinik.com.tr",
        "anka.saglik@hs01.kep.tr",
        " 75 ",  # at most: a request nobody exported stays until the hard limit
        " 7",
        content.languages[code].form.notice_parts.abroad_no,
    ):
        assert fact in text, fact
    assert "  " not in text and ".." not in text
    abroad = msgspec.structs.replace(
        settings,
        data_controller_kep="",
        transfer_abroad=True,
        transfer_abroad_details={
            "en": "to our e-mail host in the EU.",
            "tr": "AB'deki e-posta hizmetimize.",
        },
    )
    text = _notice(abroad, content, code)
    details = "to our e-mail host in the EU" if code == "en" else "AB'deki e-posta hizmetimize"
    assert "KEP" not in text and details in text and "  " not in text and ".." not in text


@pytest.mark.parametrize("code", ["en", "tr"])
def test_notice_quotes_the_longest_a_request_stays(content: Content, code: str) -> None:
    """The notice says "at most N days" with the hard limit for requests nobody exported
    (90 by default), not the shorter retention_days of exported ones: that would promise
    patients a deletion the kiosk does not make."""
    text = _notice(Settings(retention_days=21), content, code)
    assert " 90 " in text and " 21 " not in text


@pytest.mark.parametrize("code", ["en", "tr"])
def test_with_central_delivery_the_notice_says_the_kiosk_keeps_it_until_sent(
    content: Content, code: str
) -> None:
    """A kiosk that sends each request to the group's central server keeps it only until
    then (minutes, as a rule), and while the server cannot be reached for longer than N
    days: "at most N days" would not be true, the notice says what is."""
    from kiosk.config import Fleet

    fleet = Fleet(host="central", ca_file="ca", cert_file="c", key_file="k")
    parts = content.languages[code].form.notice_parts
    text = _notice(Settings(fleet=fleet), content, code)
    assert parts.kept_until_sent in text
    assert " 90 " not in text
    alone = _notice(Settings(), content, code)
    assert parts.kept_on_kiosk is not None and parts.kept_on_kiosk.format(days=90) in alone
    # The stamp on each request says which of the two wordings the patient read.
    from kiosk.intake import stamp_for

    form = content.languages[code].form
    assert stamp_for(content, code, Settings()).notice_version == form.notice_version
    stamped = stamp_for(content, code, Settings(fleet=fleet)).notice_version
    assert stamped == form.notice_version + "+fleet"


def test_a_notice_that_says_on_kiosk_needs_both_sentences(content_dir: Path) -> None:
    """{on_kiosk} stands for one of two sentences: content without them is an error, not a
    gap in the notice patients read."""
    import json

    from kiosk.validation import check_content

    path = content_dir / "en" / "appointment.json"
    data = json.loads(path.read_text("utf-8"))
    del data["notice_parts"]["kept_until_sent"]
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    _, found = check_content(content_dir)
    problems = [p for p in found if p.severity == "error"]
    assert [(p.file, p.path) for p in problems] == [
        ("en/appointment.json", "$.notice_parts.kept_until_sent")
    ]


def test_notice_retention_reads_right_for_one_month(content: Content) -> None:
    text = _notice(Settings(desk_retention_months=1), content, "en")
    assert "1 months" not in text and "1-month period" in text


def _iso(lang: LanguageContent, day: dt.date) -> str:
    return f"{lang.code}:{day.isoformat()}"


# --- the study pages ----------------------------------------------------------------------


def _study_ids(content: Content) -> set[str]:
    ids = set()
    for lang in content.languages.values():
        ids |= {s.id for s in lang.sections if s.requires}
        ids |= {t.id for t in lang.topics.values() if t.requires}
        ids |= {e.id for e in lang.faq if e.requires}
    return ids


def test_study_pages_are_hidden_without_an_approved_study(content: Content) -> None:
    """Without a [study] named in full nothing that needs one is shown, in any language."""
    assert _study_ids(content), "the bundled content has study pages"
    incomplete = Study(name="MSC study", ethics_committee="Anka EC")
    for settings in (Settings(), Settings(study=incomplete)):
        shown = for_clinic(content, settings, _iso)
        assert _study_ids(shown) == set()
        for lang in shown.languages.values():
            for section in lang.sections:
                if section.kind == "topics":
                    assert section.items and all(i in lang.topics for i in section.items)


def test_an_approved_study_is_shown_with_its_details(study_config: Path) -> None:
    from kiosk.validation import load_content

    settings, _ = load_settings(study_config)
    assert settings.approved_study() is not None
    content = load_content(settings.content_path())
    shown = for_clinic(content, settings, _iso)
    assert _study_ids(shown) == _study_ids(content)
    for code, lang in shown.languages.items():
        texts = json.dumps(
            msgspec.to_builtins([*lang.topics.values(), *lang.faq, *lang.sections]),
            ensure_ascii=False,
        )
        assert "{" not in texts.replace('{"', "").replace("{}", ""), "a placeholder was left"
        study = settings.study
        assert study is not None
        name = study.name[code] if isinstance(study.name, dict) else study.name
        assert name in texts
        assert f"{code}:2026-03-14" in texts  # the date, written by the language's formatter


def test_a_claim_in_the_clinic_name_fails_config_check_and_doctor(
    filled_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Config strings patients read are linted like the content, in every language."""
    from kiosk.doctor import run_checks

    text = filled_config.read_text("utf-8").replace(
        'tr = "Anka Romatoloji Kliniği"', 'tr = "En iyi lupus kliniği"'
    )
    filled_config.write_text(text, "utf-8")
    assert main(["config", "check", "--config", str(filled_config)]) == 1
    out = capsys.readouterr().out
    assert "ERROR: config clinic_name.tr: banned claim (superiority)" in out
    assert main(["content", "check", "--config", str(filled_config)]) == 1
    assert "ERROR: config clinic_name.tr" in capsys.readouterr().out
    first = run_checks(str(filled_config))[0]
    assert first.name == "config" and not first.ok and "clinic_name.tr" in first.detail


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"data_controller_email": "kvkk@clinic.example.org"}, "config data_controller_email"),
        ({"data_controller_email": "@"}, "config data_controller_email"),
        ({"data_controller_phone": "[phone]"}, "config data_controller_phone"),
        (
            {"data_controller_address": {"en": "1 Main St", "tr": "[adres]"}},
            "config data_controller_address",
        ),
        ({"data_controller_name": {"en": "Anka Ltd", "tr": "…"}}, "config data_controller_name"),
        (
            {"transfer_abroad": True, "transfer_abroad_details": "to the EU"},
            "config transfer_abroad_details",
        ),
        (
            {"study": Study(name="…", ethics_committee="...", ethics_decision_number="-")},
            "config study.name",
        ),
        (
            {"study": Study(name="S", ethics_committee="Example University Ethics Committee")},
            "config study.ethics_committee",
        ),
    ],
)
def test_gate_catches_stand_ins_the_clinic_might_leave(
    filled_config: Path, change: dict[str, object], line: str
) -> None:
    """Ellipses, example domains and names, a placeholder in one language only, a sentence
    given in one language for a two-language kiosk: each fails the gate by name."""
    from kiosk.validation import load_content

    settings, _ = load_settings(filled_config)
    content = load_content(settings.content_path())
    assert release_problems(settings, content) == []
    broken = msgspec.structs.replace(settings, **change)
    assert line in {f"{p.file} {p.path}" for p in release_problems(broken, content)}
    assert broken.approved_study() is None
