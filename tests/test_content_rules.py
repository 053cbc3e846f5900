"""Rules for the shipped patient content that a machine can check (issue: patient content)."""

from __future__ import annotations

import re

import pytest

from kiosk.content import Content

LANGS = ("en", "tr")
TREATMENT_DISCLAIMERS = {"general", "medicines", "research-status", "transplant-risk", "emergency"}


@pytest.mark.parametrize("lang", LANGS)
def test_every_topic_cites_sources(content: Content, lang: str) -> None:
    """Each topic's summary cites sources, and so does every medical block in it."""
    for topic in content.languages[lang].topics.values():
        assert topic.summary_sources, topic.id
        blocks = list(topic.blocks)
        if topic.treatment:
            t = topic.treatment
            blocks += [t.who, t.what_happens, t.evidence, t.risks, t.alternatives]
        medical = [b for b in blocks if not b.practical]
        assert medical, topic.id
        assert all(b.sources for b in medical), topic.id


@pytest.mark.parametrize("lang", LANGS)
def test_treatment_pages_carry_status_and_all_disclaimers(content: Content, lang: str) -> None:
    """Every treatment page has a status line and every disclaimer the issue lists."""
    lc = content.languages[lang]
    treatments = [t for t in lc.topics.values() if t.treatment is not None]
    assert {t.id for t in treatments} >= {"standard-treatment", "msc", "hsct", "exosomes", "car-t"}
    for topic in treatments:
        assert topic.treatment is not None and topic.treatment.status
        assert TREATMENT_DISCLAIMERS <= set(topic.disclaimers), topic.id
    statuses = {t.id: t.treatment.status for t in treatments if t.treatment}
    assert statuses["standard-treatment"] == "standard"
    assert statuses["msc"] == "research"
    assert statuses["hsct"] == "specialist"
    assert statuses["exosomes"] == "preclinical"
    assert statuses["car-t"] == "research"


@pytest.mark.parametrize("lang", LANGS)
def test_comparison_table_is_complete(content: Content, lang: str) -> None:
    """The comparison table has standard care and the three cell-based approaches, every cell
    filled."""
    table = content.languages[lang].tables["treatment-options"]
    assert [c.id for c in table.columns] == ["standard", "msc", "ahsct", "car-t"]
    assert len(table.rows) >= 7
    for row in table.rows:
        for column in table.columns:
            assert row.cells.get(column.id, "").strip(), (row.id, column.id)
    assert TREATMENT_DISCLAIMERS <= set(table.disclaimers)


def test_languages_have_identical_ids(content: Content) -> None:
    """English and Türkçe carry the same sections, topics, tables, questions and disclaimers."""
    en, tr = content.languages["en"], content.languages["tr"]
    assert [s.id for s in en.sections] == [s.id for s in tr.sections]
    assert list(en.topics) == list(tr.topics)
    assert list(en.tables) == list(tr.tables)
    assert [e.id for e in en.faq] == [e.id for e in tr.faq]
    assert list(en.disclaimers) == list(tr.disclaimers)


def test_transplant_is_called_autologous_never_allogeneic(content: Content) -> None:
    """The clinic's page mislabels autologous transplantation; our transplant page never does."""
    from kiosk.validation import _texts

    for lang in LANGS:
        hsct = content.languages[lang].topics["hsct"]
        text = " ".join(t for _p, t in _texts(hsct, "$"))
        word = "otolog" if lang == "tr" else "autologous"
        assert "AHSCT" in text and word in text.lower()
        assert "allogeneic" not in text.lower() and "allojenik" not in text.lower()


def test_home_disclaimers(content: Content) -> None:
    """Home shows the general, medicines and emergency (112) notes in every language."""
    for lang in LANGS:
        home = {d.id for d in content.languages[lang].disclaimers.values() if d.home}
        assert home == {"general", "medicines", "emergency"}
        assert "112" in content.languages[lang].disclaimers["emergency"].text


WARNING_PAGES = {
    "standard-treatment",
    "msc",
    "hsct",
    "exosomes",
    "car-t",
    "clinic-after",
    "nervous-system",
    "lupus-nephritis",
    "antiphospholipid",
}


@pytest.mark.parametrize("lang", LANGS)
def test_warning_signs_send_emergencies_to_112(content: Content, lang: str) -> None:
    """Every treatment page and every page where care can go wrong quickly says when to call
    112 at once, cites its sources, and never sends an emergency to the clinic."""
    lc = content.languages[lang]
    pages = WARNING_PAGES | {t.id for t in lc.topics.values() if t.treatment is not None}
    for topic_id in pages:
        block = lc.topics[topic_id].warning_signs
        assert block is not None and block.sources and not block.practical, topic_id
        lines = block.text + block.bullets
        assert any("112" in line for line in lines), topic_id
    urgent = next(e for e in lc.faq if e.id == "urgent-help")
    assert urgent.sources and not urgent.practical
    assert any("112" in line for line in urgent.answer)


STUDY_PLACEHOLDERS = re.compile(
    r"\{(study_name|ethics_committee|ethics_decision_date|ethics_decision_number"
    r"|permit_number|cell_product|cell_source)\}"
)


@pytest.mark.parametrize("lang", LANGS)
def test_study_placeholders_only_where_a_study_is_required(content: Content, lang: str) -> None:
    """The clinic's study details are filled in only on items shown with an approved study."""
    from kiosk.validation import _texts

    lc = content.languages[lang]
    items = [*lc.topics.values(), *lc.faq, *lc.sections]
    used = set()
    for item in items:
        text = " ".join(t for _p, t in _texts(item, "$"))
        if STUDY_PLACEHOLDERS.search(text):
            assert item.requires == "study", item.id
            used.add(item.id)
    assert {"clinic-before", "clinic-day", "how-long", "study-cells", "study-cost"} <= used
    clinic = lc.section("clinic")
    assert clinic.requires == "study"
    assert all(lc.topics[t].requires == "study" for t in clinic.items)
