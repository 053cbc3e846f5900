"""The go-live gate: what must be real, not a placeholder or a default, before patients see it."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from kiosk.content import Content, Problem

if TYPE_CHECKING:
    from kiosk.config import Settings

# "[Clinic legal name]", "[İçeriği gözden geçiren hekim]": the clinic's own words still to come.
_BRACKETED = re.compile(r"\[[^\]]*\]")
_FILLERS = re.compile(
    r"(?i)\b(?:lorem ipsum|todo|tbd|xxx+|placeholder|to be filled in|example)\b|…|\.\.\."
)
# RFC 2606 / 6761 names that can never be a clinic's real site.
_EXAMPLE_HOSTS = re.compile(
    r"(?i)(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost)$"
)


def is_placeholder(text: str) -> bool:
    """Whether ``text`` is empty or still a placeholder the clinic has to replace."""
    stripped = text.strip()
    if not re.search(r"\w", stripped):  # empty, "-", "…": nothing a patient could use
        return True
    return bool(_BRACKETED.search(stripped) or _FILLERS.search(stripped))


def is_real_email(address: str) -> bool:
    """Whether ``address`` looks like a real mailbox (not a placeholder or example domain)."""
    local, at, domain = address.strip().rpartition("@")
    return bool(at and local and "." in domain) and not (
        is_placeholder(address) or is_example_url(f"https://{domain}")
    )


def is_example_url(url: str) -> bool:
    """Whether ``url`` points at an example or reserved domain rather than a real site."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return True
    return not host or bool(_EXAMPLE_HOSTS.search(host.rstrip(".")))


def shown_config_texts(settings: Settings) -> list[tuple[str, str]]:
    """(key, text) for every config string a patient can read on screen."""
    out: list[tuple[str, str]] = []

    def add(key: str, value: str | dict[str, str]) -> None:
        if isinstance(value, str):
            out.append((key, value))
        else:
            out.extend((f"{key}.{code}", text) for code, text in value.items())

    for key in (
        "clinic_name",
        "data_controller_name",
        "data_controller_address",
        "data_controller_contact",
        "transfer_abroad_details",
    ):
        add(key, getattr(settings, key))
    if settings.study is not None:
        for key in ("name", "ethics_committee", "cell_product", "cell_source"):
            add(f"study.{key}", getattr(settings.study, key))
    return [(key, text) for key, text in out if text]


def config_claims(settings: Settings) -> list[Problem]:
    """Banned claims (superiority, prices, cure, ...) in config strings shown on screen."""
    from kiosk.validation import check_config_strings

    return check_config_strings(dict(shown_config_texts(settings)))


def release_problems(settings: Settings, content: Content) -> list[Problem]:
    """Everything patient-facing that is still a placeholder or a default, one per line.

    ``kiosk content check`` reports these as warnings, ``--release`` and ``kiosk doctor`` as
    errors. The kiosk itself never shows them: it hides the block or says "ask at the desk".
    """
    from kiosk.config import DEFAULT_CLINIC_NAME, local_text  # config needs this module first

    out: list[Problem] = []

    def need(where: str, path: str, message: str) -> None:
        out.append(Problem(where, path, message))

    for code, lang in sorted(content.languages.items()):
        if is_placeholder(lang.meta.reviewed_by):
            need(
                f"{code}/meta.json",
                "$.reviewed_by",
                "name the physician who signed this language off (name, specialty, registration)",
            )
    if content.manifest.reviewed_on is None:
        need("manifest.json", "$.reviewed_on", "set the date of the physician's sign-off")

    config = "config"
    codes = settings.languages

    def each_language(key: str, value: str | dict[str, str], message: str) -> None:
        """One problem for a per-language text that is missing or a stand-in in any language."""
        if any(
            is_placeholder(local_text(value, code, settings.default_language)) for code in codes
        ):
            need(config, key, message)

    for code in codes:
        name = settings.clinic_name_in(code)
        if name == DEFAULT_CLINIC_NAME or is_placeholder(name):
            need(config, "clinic_name", f"give the clinic's own name ({code})")
            break
    each_language(
        "data_controller_name",
        settings.data_controller_name,
        "give the data controller's legal name",
    )
    if any(is_placeholder(settings.controller_address(code)) for code in codes):
        need(config, "data_controller_address", "give the controller's postal address")
    if not is_real_email(settings.data_controller_email):
        need(config, "data_controller_email", "give the e-mail address for KVKK applications")
    if settings.data_controller_phone and is_placeholder(settings.data_controller_phone):
        need(config, "data_controller_phone", "a placeholder: give the phone or leave it empty")
    if settings.data_controller_kep and not is_real_email(settings.data_controller_kep):
        need(config, "data_controller_kep", "not a KEP address: give it or leave it empty")
    for key in ("privacy_notice_url", "appointment_url"):
        url = getattr(settings, key)
        if is_example_url(url):
            need(config, key, f"still an example address: {url}")
    if settings.transfer_abroad is None:
        need(config, "transfer_abroad", "say whether patients' details leave Türkiye (true/false)")
    elif settings.transfer_abroad:
        each_language(
            "transfer_abroad_details",
            settings.transfer_abroad_details,
            "say where the details go abroad, and why, in every screen language",
        )
        if isinstance(settings.transfer_abroad_details, str) and len(codes) > 1:
            need(
                config,
                "transfer_abroad_details",
                "a sentence patients read: give it in every screen language",
            )
    if settings.desk_retention_months is None:
        need(config, "desk_retention_months", "say how long the desk keeps requests (months)")
    manifest = content.manifest
    if manifest.next_review is not None and manifest.next_review < dt.date.today():
        need("manifest.json", "$.next_review", "the content review is overdue")
    if settings.study is not None:
        for key in settings.study.missing(codes):
            need(config, f"study.{key}", "missing or a placeholder: the study pages stay hidden")
    return out
