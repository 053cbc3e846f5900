"""Rules for the shipped patient content that a machine can check (issue: patient content)."""

from __future__ import annotations

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
    assert {t.id for t in treatments} >= {"standard-treatment", "msc", "hsct", "exosomes"}
    for topic in treatments:
        assert topic.treatment is not None and topic.treatment.status
        assert TREATMENT_DISCLAIMERS <= set(topic.disclaimers), topic.id
    statuses = {t.id: t.treatment.status for t in treatments if t.treatment}
    assert statuses["standard-treatment"] == "standard"
    assert statuses["msc"] == "research"
    assert statuses["hsct"] == "specialist"
    assert statuses["exosomes"] == "preclinical"


@pytest.mark.parametrize("lang", LANGS)
def test_comparison_table_is_complete(content: Content, lang: str) -> None:
    """The comparison table has the three options and every cell filled."""
    table = content.languages[lang].tables["treatment-options"]
    assert [c.id for c in table.columns] == ["standard", "msc", "ahsct"]
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
