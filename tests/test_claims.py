"""The banned-claims lint (issue 17): categories, every language in every file, look-alike
letters, spaced-out letters, ids, sources, config strings and images."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.claims import BannedClaims, load_banned_claims, matcher
from kiosk.content import Problem
from kiosk.textnorm import fold, fold_variants
from kiosk.validation import check_config_strings, check_content

TODAY = dt.date(2026, 12, 1)
BANNED = load_banned_claims()
FIND = matcher(BANNED)


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def _languages(content_dir: Path) -> list[str]:
    """Every language folder, in the order the checks report them."""
    return sorted(p.parent.name for p in content_dir.glob("*/meta.json"))


def _errors(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems if p.severity == "error"]


def _categories(text: str, lang: str) -> set[str]:
    return {c.category for c in FIND.find(text, lang)}


# Marketing a clinic might add, two per category and language (none of it is in the list
# verbatim as a whole sentence: the phrases and patterns must find it).
CLAIMS = [
    ("superiority", "en", "Türkiye's best lupus clinic, with world-class doctors."),
    ("superiority", "en", "Our therapy works better than standard medicines."),
    ("superiority", "tr", "Türkiye'nin en iyi lupus kliniği."),
    ("superiority", "tr", "Alanında lider, dünyanın önde gelen merkezi."),
    ("superiority", "tr", "En iyi lupus kliniği burada."),  # kliniği: k softens to ğ
    ("prices", "en", "A full course costs only €2,500."),
    ("prices", "en", "Pay in 12 monthly installments; free consultation this month."),
    ("prices", "tr", "Tedavi ücreti 85.000 TL, kredi kartına 12 taksit."),
    ("prices", "tr", "Bu aya özel ücretsiz muayene ve indirim kampanyası."),
    ("prices", "tr", "Uygun ücret seçenekleriyle tedavi."),
    ("testimonials", "en", "Read the testimonials of our happy patients."),
    ("testimonials", "en", "Watch Ayşe's patient story: her success story begins here."),
    ("testimonials", "tr", "Hasta yorumları: hastalarımız ne diyor?"),
    ("testimonials", "tr", "Elif Hanım'ın başarı hikayesi."),
    ("approval", "en", "Our stem cells are FDA-approved."),
    ("approval", "en", "A licensed treatment, approved by the Ministry of Health."),
    ("approval", "tr", "TİTCK onaylı kök hücre tedavisi."),
    ("approval", "tr", "Sağlık Bakanlığı onaylı, bilimsel olarak kanıtlanmış yöntem."),
    ("success_rate", "en", "A 95% success rate in lupus nephritis."),
    ("success_rate", "en", "Ninety percent of our patients reach remission."),
    ("success_rate", "tr", "%90 başarı ile tedavi ediyoruz."),
    ("success_rate", "tr", "Yüzde doksan hastada başarı sağlandı."),
    ("cure", "en", "Lupus can be cured: live drug-free."),
    ("cure", "en", "This infusion heals the immune system for good."),
    ("cure", "tr", "Lupusta kesin tedavi artık mümkün."),
    ("cure", "tr", "İlaçsız bir yaşam için ilaçlardan kurtulun."),
    ("safety", "en", "The infusion is completely safe."),
    ("safety", "en", "A risk-free procedure with no side effects."),
    ("safety", "tr", "Tamamen güvenli bir uygulama."),
    ("safety", "tr", "Yan etkisi olmayan, risksiz bir tedavi."),
    ("before_after", "en", "See our before & after gallery."),
    ("before_after", "en", "Before/after photos of real patients."),
    ("before_after", "tr", "Tedavi öncesi ve sonrası fotoğraflar."),
    ("before_after", "tr", "Öncesi/sonrası görüntüler."),
]


# The same for the languages added later, one per category and language: found by the
# matcher (the file-level checks below run for English and Turkish, and once per language).
MORE_CLAIMS = [
    ("superiority", "de", "Die beste Lupus-Klinik der Türkei."),
    ("prices", "de", "Die Behandlung kostet nur 2.500 €."),
    ("testimonials", "de", "Lesen Sie die Erfahrungen unserer Patienten."),
    ("approval", "de", "Vom Gesundheitsministerium zugelassene Stammzelltherapie."),
    ("success_rate", "de", "Eine Erfolgsquote von 95 % bei Lupusnephritis."),
    ("cure", "de", "Lupus ist jetzt dauerhaft heilbar."),
    ("safety", "de", "Eine Behandlung ganz ohne Nebenwirkungen."),
    ("before_after", "de", "Vorher-Nachher-Bilder unserer Patienten."),
    ("superiority", "ru", "Лучшая клиника по лечению волчанки в Турции."),
    ("prices", "ru", "Курс лечения стоит 150 000 руб."),
    ("testimonials", "ru", "Читайте отзывы наших пациентов."),
    ("approval", "ru", "Метод одобрен Министерством здравоохранения."),
    ("success_rate", "ru", "Эффективность лечения — 95 %."),
    ("cure", "ru", "Волчанку можно вылечить навсегда."),
    ("safety", "ru", "Абсолютно безопасная процедура без побочных эффектов."),
    ("before_after", "ru", "Фото до и после лечения."),
    ("superiority", "ar", "أفضل عيادة لعلاج الذئبة في تركيا."),
    ("prices", "ar", "تكلفة العلاج 2500 دولار فقط."),
    ("testimonials", "ar", "اقرأ آراء مرضانا وتجاربهم."),
    ("approval", "ar", "علاج معتمد من وزارة الصحة."),
    ("success_rate", "ar", "نسبة نجاح 95% في علاج الذئبة."),
    ("cure", "ar", "الشفاء التام من الذئبة أصبح ممكنًا."),
    ("safety", "ar", "علاج آمن تمامًا وبدون آثار جانبية."),
    ("before_after", "ar", "صور قبل وبعد العلاج."),
]


def test_every_category_has_examples_in_every_language() -> None:
    """The tables above cover each category of the data file in every language the
    content has, and the data file has phrases for each of them."""
    from kiosk import paths

    languages = {p.parent.name for p in paths.bundled_content_dir().glob("*/meta.json")}
    assert languages == {"en", "tr", "de", "ru", "ar"}
    covered = {(cat, lang) for cat, lang, _text in CLAIMS + MORE_CLAIMS}
    assert covered == {(cat, lang) for cat in BANNED.categories for lang in languages}
    raw = json.loads(paths.resource_path("data/banned-claims.json").read_text("utf-8"))
    for name, category in raw["categories"].items():
        assert set(category["phrases"]) == languages, name


@pytest.mark.parametrize(("category", "lang", "text"), MORE_CLAIMS)
def test_claims_in_the_added_languages_are_found(category: str, lang: str, text: str) -> None:
    assert category in _categories(text, lang)


@pytest.mark.parametrize("lang", ["de", "ru", "ar"])
def test_a_claim_in_an_added_languages_file_is_an_error(content_dir: Path, lang: str) -> None:
    text = next(t for cat, code, t in MORE_CLAIMS if code == lang and cat == "cure")
    _edit(content_dir / lang / "faq.json", lambda d: d["entries"][2].update(answer=[text]))
    content, problems = check_content(content_dir, today=TODAY)
    assert content is None
    prefix = f"ERROR: {lang}/faq.json $.entries[2].answer[0]: banned claim (cure) '"
    assert any(e.startswith(prefix) for e in _errors(problems)), _errors(problems)


@pytest.mark.parametrize(("category", "lang", "text"), CLAIMS)
@pytest.mark.parametrize("file_lang", ["en", "tr"])
def test_claims_caught_in_either_language_file(
    content_dir: Path, category: str, lang: str, text: str, file_lang: str
) -> None:
    """Each claim is an error in its own language's file and in the other one's (a Turkish
    claim in the English FAQ is still caught), naming the file, path and category."""
    _edit(content_dir / file_lang / "faq.json", lambda d: d["entries"][2].update(answer=[text]))
    content, problems = check_content(content_dir, today=TODAY)
    assert content is None
    prefix = f"ERROR: {file_lang}/faq.json $.entries[2].answer[0]: banned claim ({category}) '"
    assert any(e.startswith(prefix) and e.endswith(f": {text!r}") for e in _errors(problems)), (
        _errors(problems)
    )


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        # Honest statements from or like the real content: negations, counts, safety words.
        ("en", "Research only: not an approved lupus treatment"),
        ("en", "They are not approved for lupus in Türkiye, the EU or the US."),
        ("en", "This product is not FDA-approved."),
        ("en", "No treatment is known to make lupus go away for good."),
        ("en", "In the blinded trial, 9 of 12 improved; 22 of 81 in another study."),
        ("en", "After 5 years, about 3 in 10 (29 in 100) were alive with calm lupus."),
        ("en", "About 5 percent of people get a rash."),
        ("en", "The baby can be born with permanent heart block."),
        ("en", "Ask the clinic for all costs in writing before you agree to anything."),
        ("en", "You should not be charged for study treatment."),
        ("en", "The clinic must answer within 30 days, normally free of charge."),
        ("en", "Best time to reach you"),
        ("en", "Tests find it early, when treatment can protect the kidneys best."),
        ("en", "A stem-cell transplant is not completely safe."),
        ("tr", "Yalnızca araştırma: onaylı bir lupus tedavisi değildir"),
        ("tr", "Bu ürün FDA onaylı değildir."),
        ("tr", "Bebek kalıcı kalp bloğu ile doğabilir."),
        ("tr", "Klinik 30 gün içinde, kural olarak ücretsiz yanıt vermek zorundadır."),
        ("tr", "Hiçbir şeyi kabul etmeden önce klinikten tüm masrafları yazılı isteyin."),
        ("tr", "Onaylı bir araştırmada sizden ücret alınmamalıdır."),
        ("tr", "Kendinizi daha iyi hissetseniz bile ilaçlarınızı bırakmayın."),
        ("tr", "12 kişiden 9'unda düzelme görüldü."),
        ("ru", "Волчанка — хроническое заболевание, лечение подбирает врач."),
        ("ru", "Не прекращайте лечение без врача."),
    ],
)
def test_honest_statements_pass(lang: str, text: str) -> None:
    """Negated claims, counts without a success percentage and safety words are not claims."""
    assert FIND.find(text, lang) == [], text


@pytest.mark.parametrize(
    ("lang", "text", "category"),
    [
        ("en", "A permanent cure for lupus", "cure"),
        ("en", "A permanent solution", "cure"),
        ("tr", "Kalıcı çözüm", "cure"),
        ("en", "FDA approved, not experimental", "approval"),
        ("en", "Approved by the FDA", "approval"),
        ("tr", "FDA onaylı tedavi", "approval"),
    ],
)
def test_allow_list_and_negations_stay_narrow(lang: str, text: str, category: str) -> None:
    """The safety allow-list frees "permanent heart block" only, and a negation only the
    claim it stands next to."""
    assert category in _categories(text, lang)


@pytest.mark.parametrize(
    ("lang", "text", "category"),
    [
        ("en", "It can \u0441ur\u0435 lupus", "cure"),  # Cyrillic с and е inside "cure"
        ("en", "It can cur\u0435 lupus", "cure"),
        ("tr", "G\u0430r\u0430nti", "cure"),  # Cyrillic а in a Turkish word
        ("en", "\uff43\uff55\uff52\uff45 guaranteed", "cure"),  # fullwidth
        ("en", "\U0001d41c\U0001d42e\U0001d42b\U0001d41e", "cure"),  # mathematical bold
        ("en", "\u0412\u0415\u0405\u0422 CLINIC IN TURKEY", "superiority"),  # all-Cyrillic BEST
        ("en", "FDA appr\u03bfved", "approval"),  # Greek omicron in "approved"
        ("en", "c u r e", "cure"),
        ("en", "c.u.r.e.", "cure"),
        ("tr", "g-a-r-a-n-t-i-l-i sonuç", "cure"),
        ("en", "r i s k - f r e e", "safety"),
        ("en", "b e s t clinic", "superiority"),
        ("tr", "Y\u00fczde 100 ba\u015far\u0131", "success_rate"),
        ("en", "It can c\u00adure you", "cure"),  # soft hyphen
        ("ru", "Полное изл\u0435ч\u0435ни\u0435 волчанки", "cure"),  # genuine Russian claim
        ("ru", "Полное изл\u0065ч\u0065ни\u0065 волчанки", "cure"),  # Latin e slipped into it
    ],
)
def test_disguised_claims_are_caught(lang: str, text: str, category: str) -> None:
    """Look-alike letters of other scripts, compatibility forms, invisible characters and
    spaced-out letters do not hide a claim."""
    assert category in _categories(text, lang), fold_variants(text, lang)


def test_genuine_russian_is_not_folded_to_latin() -> None:
    """A Russian sentence keeps its Cyrillic letters, so English phrases can never match it
    by accident; a mixed-script word is read in its majority script."""
    sentence = "Волчанка — хроническое заболевание, лечение подбирает врач."
    assert fold(sentence, "ru") == sentence.lower()
    assert fold("Сосе тор", "ru") == "сосе тор"
    assert fold("сurе", "ru") == "cure"  # c, e Cyrillic: a Latin word in disguise
    assert fold("лечeние", "ru") == "лечение"  # a Latin e in a Russian word


def test_spaced_letters_do_not_glue_normal_text() -> None:
    """Only runs of three or more one-letter tokens are joined; normal text stays."""
    # Only the hyphen inside "check-ups" is dropped in a second reading; no digits glued.
    assert fold_variants("Check-ups at 1, 3, 6 and 12 months; type 1 or 2.", "en") == [
        "check-ups at 1, 3, 6 and 12 months; type 1 or 2.",
        "checkups at 1, 3, 6 and 12 months; type 1 or 2.",
    ]
    assert fold_variants("c u r e", "en")[1] == "cure"
    assert fold_variants("b e s t  c l i n i c", "en")[1] == "best  clinic"
    assert fold_variants("N o  s i d e", "en")[1] == "no  side"  # a pair joins beside a run


# Latin letters and look-alikes of other scripts that stand for them (from the fold table).
LOOKALIKES = {
    "a": "а\u03b1",
    "c": "с\u03f2",
    "e": "е",
    "i": "і\u03b9",
    "o": "о\u03bf",
    "p": "р\u03c1",
    "s": "ѕ",
    "x": "х",
    "y": "у",
}
PHRASES = [
    ("cure", "cure"),
    ("cure", "miracle"),
    ("cure", "drug-free"),
    ("safety", "risk-free"),
    ("safety", "completely safe"),
    ("superiority", "world-class"),
    ("approval", "fda approved"),
    ("testimonials", "testimonials"),
    ("prices", "special offer"),
    ("before_after", "before and after"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pick=st.sampled_from(PHRASES),
    swaps=st.lists(st.booleans(), min_size=20, max_size=20),
    which=st.integers(min_value=0, max_value=1),
    upper=st.booleans(),
    before=st.sampled_from(["", "Read this. ", "Lupus: ", "Yeni! ", "(", "— "]),
    after=st.sampled_from(["", ".", " for you.", "!", " in Istanbul", ")"]),
    lang=st.sampled_from(["en", "tr", "de"]),
)
def test_disguised_phrase_in_any_safe_text_is_caught(
    pick: tuple[str, str],
    swaps: list[bool],
    which: int,
    upper: bool,
    before: str,
    after: str,
    lang: str,
) -> None:
    """A banned phrase with any of its letters swapped for look-alikes from Cyrillic or
    Greek, in either case, inside any safe sentence of a Latin-script file, is caught."""
    category, phrase = pick
    letters = []
    for i, ch in enumerate(phrase):
        alts = LOOKALIKES.get(ch, "")
        letters.append(alts[which % len(alts)] if alts and swaps[i % len(swaps)] else ch)
    disguised = "".join(letters)
    if upper and lang != "tr":
        disguised = disguised.upper()
    assert category in _categories(before + disguised + after, lang), disguised


def test_ids_are_not_linted(content_dir: Path) -> None:
    """An FAQ entry may be called "testimonial" (ids are never shown); ids in every
    language stay equal, so both files are renamed."""
    for lang in _languages(content_dir):
        _edit(content_dir / lang / "faq.json", lambda d: d["entries"][3].update(id="testimonial"))
    content, problems = check_content(content_dir, today=TODAY)
    assert problems == []
    assert content is not None


def test_table_cell_keys_are_not_linted() -> None:
    """Only patient-facing strings are scanned: ids, source ids, icons, image paths and
    versions are not."""
    from kiosk.content import FaqEntry, Section
    from kiosk.validation import _texts

    section = Section(
        id="cure", title="Questions", subtitle="Ask", icon="cure", kind="topics", items=["cure"]
    )
    entry = FaqEntry(id="best", question="Q?", answer=["A."], sources=["fda-approved"])
    assert list(_texts([section, entry], "$")) == [
        ("$[0].title", "Questions"),
        ("$[0].subtitle", "Ask"),
        ("$[1].question", "Q?"),
        ("$[1].answer[0]", "A."),
    ]


def test_practical_faq_entries_are_linted(content_dir: Path) -> None:
    """An FAQ entry marked practical (no sources needed) is still patient-facing text."""

    def change(d: dict) -> None:
        d["entries"][1].update(practical=True, sources=[], answer=["Free consultation today!"])

    _edit(content_dir / "en" / "faq.json", change)
    _content, problems = check_content(content_dir, today=TODAY)
    assert (
        "ERROR: en/faq.json $.entries[1].answer[0]: banned claim (prices) 'free consultation'"
        in ("\n".join(_errors(problems)))
    )


def test_sources_are_linted(content_dir: Path) -> None:
    """sources.json is shown on the Sources screen: a claim in a title is an error, once."""
    _edit(
        content_dir / "sources.json",
        lambda d: d["sources"][0].update(title="The miracle cure for lupus, FDA approved"),
    )
    _content, problems = check_content(content_dir, today=TODAY)
    errors = [
        e for e in _errors(problems) if e.startswith("ERROR: sources.json $.sources[0].title:")
    ]
    assert {e.split("banned claim ")[1].split(":")[0] for e in errors} == {
        "(cure) 'cure'",
        "(approval) 'fda approved'",
    }


def test_real_sources_pass_thanks_to_the_allow_list() -> None:
    """ "The natural history of …" is an epidemiological term, allowed; "natural" alone is
    still a claim."""
    assert FIND.find("The natural history of pediatric-onset discoid lupus", "en") == []
    assert _categories("A natural treatment", "en") == {"cure"}


def test_config_strings() -> None:
    """Config strings shown on screen are checked by key, with every language's phrases."""
    problems = check_config_strings(
        {
            "clinic_name": "Best Lupus Clinic",
            "controller": "Lupus Bilgi Noktası",
            "contact": "En iyi fiyat garantisi: 0212 000 00 00",
        }
    )
    assert [(p.file, p.path, p.message.split(":")[0]) for p in problems] == [
        ("config", "clinic_name", "banned claim (superiority) 'best lupus clinic'"),
        ("config", "contact", "banned claim (superiority) 'en iyi fiyat'"),
        ("config", "contact", "banned claim (prices) 'fiyat'"),
        ("config", "contact", "banned claim (cure) 'garanti'"),
    ]
    assert str(problems[0]) == (
        "ERROR: config clinic_name: banned claim (superiority) 'best lupus clinic': "
        "'Best Lupus Clinic'"
    )
    assert check_config_strings({"clinic_name": "Lupus Information Point"}) == []


def test_image_needs_review(content_dir: Path) -> None:
    """A topic image may show before/after photos or testimonials: it needs a reviewed flag."""
    (content_dir / "images").mkdir()
    (content_dir / "images" / "organs.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    for lang in _languages(content_dir):
        _edit(
            content_dir / lang / "topics.json",
            lambda d: d["topics"][1].update(image="images/organs.png"),
        )
    _content, problems = check_content(content_dir, today=TODAY)
    assert _errors(problems) == [
        f"ERROR: {lang}/topics.json $.topics[?id=organs].image: an image must be reviewed for "
        "claims (before/after photos, testimonials): set image_reviewed"
        for lang in _languages(content_dir)
    ]
    for lang in _languages(content_dir):
        _edit(
            content_dir / lang / "topics.json", lambda d: d["topics"][1].update(image_reviewed=True)
        )
    content, problems = check_content(content_dir, today=TODAY)
    assert problems == []
    assert content is not None


def test_real_content_has_no_findings(content_dir: Path) -> None:
    """The shipped content, sources included, passes the whole lint with zero findings."""
    content, problems = check_content(content_dir, today=TODAY)
    assert [p for p in problems if "banned claim" in p.message] == []
    assert content is not None


def test_data_file_is_sound() -> None:
    """Every category has phrases in every kiosk language and compiles; every phrase folds
    to something; the allow-list keeps to a few safety statements."""
    for name, cat in BANNED.categories.items():
        assert cat.description, name
        assert {"en", "tr", "de", "ru", "ar"} <= set(cat.phrases), name
    for _cat, lang, phrase in BANNED.phrases():
        assert fold(phrase.rstrip("*"), lang).strip(), phrase
    assert all(len(p) <= 8 for p in BANNED.allow.values()), BANNED.allow  # a few per language


def test_broken_pattern_is_reported_at_load(tmp_path: Path) -> None:
    """A clinic editing the list gets a clear error for a broken regular expression."""
    path = tmp_path / "banned.json"
    path.write_text(json.dumps({"categories": {"x": {"patterns": ["(unclosed"]}}}), "utf-8")
    with pytest.raises(ValueError, match=r"bad pattern '\(unclosed'"):
        load_banned_claims(path)


def test_a_smaller_list_can_be_passed() -> None:
    """The functions take any list, e.g. a clinic's own."""
    own = BannedClaims(categories={})
    assert check_config_strings({"clinic_name": "Best Lupus Clinic"}, own) == []


@pytest.mark.parametrize(
    ("category", "lang", "text"),
    [
        ("superiority", "en", "More effective than conventional medicines."),
        ("superiority", "en", "We offer the only effective stem cell therapy."),
        ("superiority", "en", "Our award-winning doctors, the No.1 stem cell centre."),
        ("superiority", "tr", "İlaçlardan daha etkili bir yöntem."),
        ("superiority", "tr", "Ödüllü doktorlarımız."),
        ("testimonials", "en", "Trusted by thousands of patients."),
        ("testimonials", "tr", "Binlerce hastanın güvendiği klinik."),
        ("prices", "tr", "Tedavi bedeli 4.900 avro."),
        ("approval", "en", "Certified by the Turkish Ministry of Health."),
        ("approval", "tr", "FDA onayı alınmıştır."),
        ("cure", "en", "Say goodbye to lupus forever."),
        ("cure", "tr", "Lupusa kesin bir çözüm sunuyoruz."),
        ("cure", "tr", "İlaçlarınızdan kurtulun."),
        ("cure", "en", "Gua-ran-teed results."),
        ("safety", "en", "N o  s i d e  e f f e c t s."),
    ],
)
def test_review_misses_are_caught(category: str, lang: str, text: str) -> None:
    """Insertions an independent review found the first version of the lint let through."""
    assert category in _categories(text, lang)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("tr", "Bu tedavi Sağlık Bakanlığı tarafından onaylanmamıştır."),
        ("tr", "Hiçbir kök hücre ürünü TİTCK tarafından onaylanmadı."),
        ("tr", "Lupusun doğal seyri kişiden kişiye değişir."),
    ],
)
def test_turkish_negation_in_the_word_and_natural_history_pass(lang: str, text: str) -> None:
    """Turkish says "not" inside the verb (onaylan-ma-mış); "doğal seyir" is the medical
    term for the natural course of a disease."""
    assert _categories(text, lang) == set()


def test_a_turkish_infinitive_is_not_a_negation() -> None:
    """-mak is "to": "onaylanmak üzere" still claims an approval."""
    assert "approval" in _categories("Tedavimiz Bakanlıkça onaylanmak üzere.", "tr")
