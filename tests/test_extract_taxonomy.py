"""The taxonomy data file: exactly the issue's classes, the required substances, unambiguous terms,
and docs/taxonomy.md generated from it (so the two cannot drift)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnmobs.extract.taxonomy import CLASS_IDS, SUB, compact, load, render_markdown

ROOT = Path(__file__).resolve().parent.parent

REQUIRED = [
    "cocaine",
    "methamphetamine",
    "amphetamine",
    "lisdexamfetamine",
    "methylphenidate",
    "modafinil",
    "mephedrone",
    "3-mmc",
    "a-pvp",
    "heroin",
    "fentanyl",
    "carfentanil",
    "oxycodone",
    "hydrocodone",
    "morphine",
    "codeine",
    "methadone",
    "buprenorphine",
    "tramadol",
    "isotonitazene",
    "metonitazene",
    "protonitazene",
    "xylazine",
    "mdma",
    "mda",
    "methylone",
    "lsd",
    "psilocybin",
    "dmt",
    "mescaline",
    "2c-b",
    "25i-nbome",
    "ketamine",
    "methoxetamine",
    "cannabis",
    "alprazolam",
    "diazepam",
    "clonazepam",
    "lorazepam",
    "etizolam",
    "flualprazolam",
    "ghb",
    "gabapentin",
    "pregabalin",
]


def test_classes_are_exactly_the_issues():
    assert (
        tuple(load().classes)
        == CLASS_IDS
        == (
            "cannabis",
            "stimulants",
            "opioids",
            "empathogens",
            "psychedelics",
            "dissociatives",
            "benzodiazepines",
            "steroids",
            "other",
        )
    )


def test_required_substances_with_classes_and_forms():
    tax = load()
    for sid in REQUIRED:
        s = tax.substances[sid]
        assert s.cls in CLASS_IDS and s.form in tax.forms
    for sid in tax.substances:
        assert sid == sid.lower() and " " not in sid and "_" not in sid


def _meaning(term: str):
    hits = load().lexicon.get(compact(term.rstrip("?")), ())
    return {(e.kind, e.value, e.form, e.brand) for e in hits}


@pytest.mark.parametrize(
    ("term", "substance", "form", "brand"),
    [
        ("crack", "cocaine", "crack", None),  # crack is cocaine, form crack
        ("hash", "cannabis", "hash", None),
        ("shatter", "cannabis", "concentrate", None),
        ("seeds", "cannabis", "seed", None),
        ("xtc pills", "mdma", "pill", None),
        ("xanax", "alprazolam", None, "Xanax"),  # brands map to the active substance
        ("subutex", "buprenorphine", None, "Subutex"),
        ("vyvanse", "lisdexamfetamine", None, "Vyvanse"),
        ("ritalin", "methylphenidate", None, "Ritalin"),
        ("percocet", "oxycodone", None, "Percocet"),
        ("klonopin", "clonazepam", None, "Klonopin"),
        ("kush", "cannabis", None, None),  # strain names mean cannabis
        ("gorilla glue", "cannabis", "flower", None),
        ("kokain", "cocaine", None, None),  # German
        ("cocaïne", "cocaine", None, None),  # French
        ("cocaína", "cocaine", None, None),  # Spanish
        ("kokaina", "cocaine", None, None),  # Polish
        ("кокаин", "cocaine", None, None),  # Russian
        ("geroin", "heroin", None, None),  # Russian, Latin transliteration
        ("wiet", "cannabis", None, None),  # Dutch
        ("мефедрон", "mephedrone", None, None),
        ("amphetemine", "amphetamine", None, None),  # a misspelling
        ("medibles", "cannabis", "edible", None),
        ("tangerine dreams", "cannabis", "flower", None),  # strain names take a plural
        ("syrian rue", "harmala", None, None),
        ("tesosterone", "testosterone", None, None),
        ("s-iso", "ketamine", None, None),  # S-isomer ketamine
        ("tapalpa", "psilocybin", None, None),  # cubensis strains name mushrooms
        ("doxycycline", "antibiotics", None, None),
    ],
)
def test_synonyms(term, substance, form, brand):
    assert (SUB, substance, form, brand) in _meaning(term)


def test_ordinary_words_are_weak():
    tax = load()
    for word in (
        "ice",
        "coke",
        "charlie",
        "speed",
        "acid",
        "white" if compact("white") in tax.lexicon else "snow",
    ):
        entries = tax.lexicon[compact(word)]
        assert all(e.weak for e in entries if e.kind == SUB), word


def test_no_bare_numbers_or_single_letters():
    for key in load().lexicon:
        assert not key.isdigit() and len(key) >= 2


def test_one_letter_abbreviations_are_weak_and_single():
    tax = load()
    assert tax.letters
    for letter, e in tax.letters.items():
        assert len(letter) == 1 and letter.islower() and letter not in tax.lexicon
        assert e.kind == SUB and e.weak and e.value in tax.substances


def test_long_names_have_their_plural():
    tax = load()
    for name, sid in (("temazepam", "temazepam"), ("methadone", "methadone"), ("hydrocodone", "hydrocodone")):
        assert [e.value for e in tax.lexicon[name + "s"] if e.kind == SUB] == [sid]


def test_docs_are_generated_from_the_data():
    doc = (ROOT / "docs" / "taxonomy.md").read_text(encoding="utf-8")
    assert doc == render_markdown(), (
        "docs/taxonomy.md is stale: run `python -m dnmobs.extract > docs/taxonomy.md`"
    )


def test_cutting_agents_that_are_drugs_give_way_to_the_drug_they_cut():
    from dnmobs.extract import parse_listing

    o = parse_listing("Lidocaine HCl 100g")
    assert (o.is_drug, o.substance, o.substance_class) == (True, "local-anaesthetics", "other")
    assert parse_listing("Benzocaine-free cocaine 1g").substance == "cocaine"
    assert parse_listing("Mannitol 500g").is_drug is False  # an inert bulking agent


def test_cbd_beside_cannabis_itself_is_cannabis():
    from dnmobs.extract import parse_listing

    assert parse_listing("CBD oil 10ml 500mg").substance == "cbd"
    assert parse_listing("CBD Kush feminized seeds x 5").substance == "cannabis"
    assert parse_listing("CBD gummies 10x 25mg, 1mg THC").substance == "cannabis"


def test_defer_to_names_a_substance():
    tax = load()
    for s in tax.substances.values():
        assert s.defer_to is None or s.defer_to in tax.substances


def test_a_drug_name_that_is_also_a_strain_name_is_the_strain_beside_cannabis():
    from dnmobs.extract import parse_listing

    # the name beside a cannabis term and a mass or seeds: the strain
    for title in ("2g Blue Dream x LSD buds", "Hybrid LSD wax 1g", "LSD autoflower feminised seeds (5 pack)"):
        o = parse_listing(title)
        assert (o.substance, o.substance_class) == ("cannabis", "cannabis"), title
    # the drug itself: a dose, or no cannabis term, or only a weak one
    assert parse_listing("LSD 100ug blotter x 10, Flower power print").substance == "lsd"
    assert parse_listing("LSD tabs x 25").substance == "lsd"
    assert parse_listing("1g LSD crystal").substance == "lsd"
    # a homonym is another substance's name (else the rule would never apply)
    tax = load()
    assert tax.homonyms
    for key, owner in tax.homonyms.items():
        assert any(e.kind == SUB and e.value != owner for e in tax.lexicon.get(key, ())), key


def test_steroid_cycle_ancillaries_are_in_the_steroid_class():
    tax = load()
    for sid in ("tamoxifen", "anastrozole", "clomifene", "hcg", "cabergoline"):
        assert tax.substances[sid].cls == "steroids", sid
