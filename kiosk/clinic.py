"""This clinic's content: study pages only with an approved study, its details filled in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from string import Formatter
from typing import TYPE_CHECKING, TypeVar

import msgspec

from kiosk.bidi import isolated
from kiosk.content import Content, FaqEntry, LanguageContent, Section, Topic
from kiosk.golive import is_placeholder, is_real_email

if TYPE_CHECKING:
    from kiosk.config import Settings, Study

# The {names} texts of a study page may use, filled in from the config's [study] table.
STUDY_FIELDS = (
    "study_name",
    "ethics_committee",
    "ethics_decision_date",
    "ethics_decision_number",
    "permit_number",
    "cell_product",
    "cell_source",
)

DateText = Callable[[LanguageContent, dt.date], str]
T = TypeVar("T", Section, Topic, FaqEntry)


def placeholders(text: str) -> set[str]:
    """Return the {names} in ``text`` (ValueError on an unbalanced brace)."""
    return {name for _lit, name, _spec, _conv in Formatter().parse(text) if name}


def study_values(
    study: Study, lc: LanguageContent, fallback: str, date_text: DateText
) -> dict[str, str]:
    """The study's details as shown to someone reading ``lc``'s language."""
    from kiosk.config import local_text

    assert study.ethics_decision_date is not None
    values = {
        "study_name": local_text(study.name, lc.code, fallback),
        "ethics_committee": local_text(study.ethics_committee, lc.code, fallback),
        "ethics_decision_date": date_text(lc, study.ethics_decision_date),
        "ethics_decision_number": study.ethics_decision_number,
        "permit_number": study.permit_number,
        "cell_product": local_text(study.cell_product, lc.code, fallback),
        "cell_source": local_text(study.cell_source, lc.code, fallback),
    }
    if lc.rtl:
        # Latin names and numbers ("UC-MSC 1.0", "2026/45") keep their own order in Arabic.
        values = {key: isolated(value) for key, value in values.items()}
    return values


def _fill(item: T, values: dict[str, str]) -> T:
    def fill(value: object) -> object:
        if isinstance(value, str):
            return value.format_map(values) if "{" in value else value
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    return msgspec.convert(fill(msgspec.to_builtins(item)), type=type(item))


def shape_language(lc: LanguageContent, values: dict[str, str] | None) -> LanguageContent:
    """Drop what needs a study (``values`` None), or fill the study's details into it."""
    if values is None:
        topics = {k: t for k, t in lc.topics.items() if t.requires is None}
        sections = tuple(
            s
            for s in lc.sections
            if s.requires is None and (s.kind != "topics" or any(i in topics for i in s.items))
        )
        sections = tuple(
            msgspec.structs.replace(s, items=[i for i in s.items if i in topics])
            if s.kind == "topics"
            else s
            for s in sections
        )
        faq = tuple(e for e in lc.faq if e.requires is None)
    else:
        topics = {k: _fill(t, values) if t.requires else t for k, t in lc.topics.items()}
        sections = tuple(_fill(s, values) if s.requires else s for s in lc.sections)
        faq = tuple(_fill(e, values) if e.requires else e for e in lc.faq)
    return replace(lc, topics=topics, sections=sections, faq=faq)


def for_clinic(content: Content, settings: Settings, date_text: DateText) -> Content:
    """Return ``content`` as this clinic shows it (see the module docstring)."""
    study = settings.approved_study()
    languages = {
        code: shape_language(
            lc,
            None
            if study is None
            else study_values(study, lc, settings.default_language, date_text),
        )
        for code, lc in content.languages.items()
    }
    return replace(content, languages=languages)


def notice_values(settings: Settings, lc: LanguageContent) -> dict[str, str]:
    """The clinic's facts for the information notice in ``lc``'s language: a missing one
    becomes a neutral sentence ("ask at the reception desk"), never a placeholder."""
    from kiosk.config import local_text

    parts = lc.form.notice_parts
    fallback = settings.default_language

    def given(text: str, otherwise: str) -> str:
        return otherwise if is_placeholder(text) else text

    address = settings.controller_address(lc.code)
    email = settings.data_controller_email
    phone = settings.data_controller_phone
    kep = settings.data_controller_kep
    details = local_text(settings.transfer_abroad_details, lc.code, fallback).strip().rstrip(".")
    if settings.transfer_abroad is None or (settings.transfer_abroad and is_placeholder(details)):
        abroad = parts.abroad_ask
    elif settings.transfer_abroad:
        abroad = parts.abroad_yes.format(details=details)
    else:
        abroad = parts.abroad_no
    months = settings.desk_retention_months
    days = str(settings.unexported_limit_days())
    # With central delivery a request leaves the kiosk once the central server has it
    # (minutes, as a rule): "at most N days" would not be the whole truth, and while the
    # server cannot be reached it is kept until it can (kiosk.store.outbox).
    if settings.fleet is not None and parts.kept_until_sent:
        on_kiosk = parts.kept_until_sent
    else:
        on_kiosk = (parts.kept_on_kiosk or "").format(days=days)
    written = not is_placeholder(address) and is_real_email(email)
    return {
        "controller": given(
            local_text(settings.data_controller_name, lc.code, fallback), parts.controller_unknown
        ),
        "address": given(address, parts.ask_desk),
        "phone": "" if is_placeholder(phone) else parts.phone.format(phone=phone),
        "email": email if is_real_email(email) else parts.ask_desk,
        # A whole sentence either way: a fallback dropped into "Write to {address}" would
        # read "Write to please ask at the desk".
        "apply": parts.apply.format(address=address, email=email) if written else parts.apply_ask,
        "kep": parts.kep.format(kep=kep) if is_real_email(kep) else "",
        # "At most": a request nobody exported stays until the longer, hard limit.
        "days": str(settings.unexported_limit_days()),
        "on_kiosk": on_kiosk,
        "after_export": parts.kept_after_export_ask
        if months is None
        else parts.kept_after_export.format(months=months),
        "abroad": abroad,
    }


def fill_notice(text: str, values: dict[str, str]) -> str:
    """Fill a notice text; an empty part (no KEP address) leaves no double space behind."""
    return " ".join(text.format_map(values).split())
