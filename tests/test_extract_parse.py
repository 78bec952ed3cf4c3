"""parse_listing on hand-written listing texts (no real data): substance, form, quantity, purity,
prices in the text, offers, places, non-drug listings."""

from __future__ import annotations

import dataclasses

import pytest

from dnmobs.extract import Offer, parse_listing


def p(title: str, **kw) -> Offer:
    return parse_listing(title, **kw)


@pytest.mark.parametrize(("title", "substance", "form", "grams", "purity"), [
    ("Top UK rocks - 93% crack cocaine 3.5g", "cocaine", "crack", 3.5, 93.0),
    ("0,5 G ★ COKE UNCUT PURE 91% cocaine", "cocaine", "powder", 0.5, 91.0),
    ("100gCocaine uncut 85%", "cocaine", "powder", 100.0, 85.0),
    (".5g Kokain 88% aus DE", "cocaine", "powder", 0.5, 88.0),
    ("1/2 oz Amnesia Haze", "cannabis", "flower", 14.0, None),
    ("Gorilla Glue hash 5 gramm", "cannabis", "hash", 5.0, None),
    ("Green Crack 7g indoor", "cannabis", "flower", 7.0, None),
    ("MDMA kristalle 84% 10gr", "mdma", "crystal", 10.0, 84.0),
    ("Speed paste 2 x 5g", "amphetamine", "paste", 10.0, None),
    ("0.4 a-pvp blue crystals", "a-pvp", "crystal", 0.4, None),
    ("Кокаин 0,5гр", "cocaine", "powder", 0.5, None),
    ("Гашиш Евро 20гр", "cannabis", "hash", 20.0, None),
    ("Mefedron 1 kg", "mephedrone", "crystal", 1000.0, None),
    ("cocaine 1000 grams (1KG)", "cocaine", "powder", 1000.0, None),
    ("heroin 28G(1OZ)", "heroin", "powder", 28.0, None),
    ("QP Sour Diesel", "cannabis", "flower", 112.0, None),
])
def test_mass_goods(title, substance, form, grams, purity):
    o = p(title)
    assert o.is_drug is True
    assert (o.substance, o.form) == (substance, form)
    assert o.grams == pytest.approx(grams)
    assert o.purity_pct == purity


@pytest.mark.parametrize(("title", "substance", "brand", "units", "dose"), [
    ("20 pills Adderall 30mg IR", "amphetamine", "Adderall", 20, 30),
    ("Clonazepam 2mg 100 pills", "clonazepam", None, 100, 2),
    ("OxyContin 80mg x 100", "oxycodone", "OxyContin", 100, 80),
    ("Xanax 2 mg, 100 per blister pack x 100", "alprazolam", "Xanax", 100, 2),
    ("LSD 200ug 25 tabs", "lsd", None, 25, 0.2),
    ("10 x Blue Punisher 280mg", "mdma", None, 10, 280),
    ("Марки н-боом 5 шт", "25i-nbome", None, 5, None),
])
def test_discrete_goods(title, substance, brand, units, dose):
    o = p(title)
    assert o.substance == substance
    assert o.brand == brand
    assert o.units == units
    assert o.unit_dose_mg == (pytest.approx(dose) if dose is not None else None)
    assert o.grams is None


def test_purity_claims_and_other_percentages():
    assert p("cocaine 90%+ 1g").purity_pct == 90
    assert p("cocaine ~89% 1g").purity_pct == 89
    assert p("cocaine 1g 90-95%").purity_pct == 90          # a range: its lower bound, flagged
    assert "purity-range" in p("cocaine 1g 90-95%").flags
    assert p("cocaine 1g 89%-92%").purity_pct == 89
    assert p("cocaine 1g 10% OFF").purity_pct is None         # a discount
    assert p("cocaine 1g -15% for bitcoin").purity_pct is None
    assert p("Cocaine pure-83.5% 1g").purity_pct == 83.5   # a dash glued to a word is no minus
    assert p("cocaine 1g 100% genuine").purity_pct is None
    assert p("Amnesia 26% THC 5g").purity_pct is None        # THC content, not purity


def test_prices_in_the_text_and_menu_lines():
    o = p("🔥 1G COCAINE 90% — 75 EUR (menu item)")
    assert (o.grams, o.purity_pct, o.price_amount, o.price_currency) == (1, 90, 75, "EUR")
    o = p("❄️ Cocaine 88% — 0.5g $45 | 28g $1900 | 50g $3000")
    assert [(s.grams, s.price_amount, s.price_currency) for s in o.offers] == [
        (0.5, 45, "USD"), (28, 1900, "USD"), (50, 3000, "USD")]
    assert o.offers[1].usd_per_gram == pytest.approx(1900 / 28)
    o = p("MDMA 0.5g 40€ | 1g 75€")
    assert [(s.grams, s.price_amount) for s in o.offers] == [(0.5, 40), (1, 75)]
    assert p("cocaine 10G ($60/g)").price_amount is None       # a price per gram is not the total
    assert p("1.200,50 € cocaine 25g").price_amount == 1200.5


def test_several_quantities_with_one_listing_price():
    o = p("1g/3.5g/7g Amnesia Haze", price="0.05", market="agora", date="2014-04-06")
    assert [s.grams for s in o.offers] == [1, 3.5, 7]
    assert all(s.price_amount is None for s in o.offers)     # the price fits only one of them
    assert o.price_amount == 0.05 and o.price_currency == "BTC"
    assert o.usd_per_gram is None


def test_bundle_and_restated_quantities():
    o = p("Deal: 2g cocaine 85% + 1g crack")
    assert o.grams == 2 and "bundle" in o.flags
    assert p("Sour Diesel 3.5g (1/8 of an ounce)").grams == 3.5


@pytest.mark.parametrize(("title", "category"), [
    ("MDMA Synthesis Instructional guide", "guide"),
    ("The Complete History of LSD", "guide"),
    ("Used pistol with two magazines", "weapon"),
    ("Netflix premium account lifetime", "fraud"),
    ("Digital pocket scale 0.01g", "paraphernalia"),
    ("1oz gold bar sealed", "jewellery"),
    ("Требуется курьер, хорошая работа", "service"),
])
def test_non_drug_listings(title, category):
    o = p(title)
    assert o.is_drug is False
    assert o.category == category
    assert o.substance is None


def test_drug_named_with_a_quantity_beats_a_non_drug_word():
    o = p("MDMA rocks 1g in mylar bags")
    assert o.is_drug is True and o.substance == "mdma"


def test_weak_slang_needs_a_quantity():
    assert p("Coca Cola diversion safe").is_drug is False
    assert p("charlie 1g 80%").substance == "cocaine"
    assert p("Crack software keygen").is_drug is False
    assert p("Ice cold lemonade").substance is None


def test_a_bare_count_or_percentage_alone_is_no_drug():
    # no substance, no drug form: a count of anything or a percentage says nothing of a drug
    assert p("Set of 5 x 50 Euro").is_drug is False
    assert p("Hunting rounds .22 - 50 pcs").is_drug is False
    assert p("$100 store voucher 70%").is_drug is False
    assert p("Windows server x64 preinstalled").is_drug is False
    # ... but a count of pills is, and a press named with a count and a dose is ecstasy
    assert p("20 pills, white, scored").is_drug is True
    assert p("10 x Knuckle Dusters").is_drug is False
    assert p("Caramel chocolate, 5 doses!").is_drug is True
    assert p("Pure White Xtal x 5").is_drug is True  # a count of a drug form
    assert p("Special offer - 15 X Nandroject 5ml").is_drug is True  # a count of vials
    o = p("SunPressed - 30 x 140MG pills")
    assert (o.is_drug, o.substance, o.units) == (True, "mdma", 30)
    assert p("Oz-Pressed - 30 x 140MG pills").substance == "mdma"  # "Oz" alone is no ounce here


def test_medicine_pills_are_not_taken_for_ecstasy_presses():
    assert p("Zoloft 100mg 28 tab").substance == "antidepressants"


def test_presses_named_like_goods_are_pills_by_count_and_dose():
    # a goods brand is also a press name: a count and one ecstasy pill's dose make it the pill
    o = p("50x Spotify 180mg - UK stock")
    assert (o.is_drug, o.substance, o.units, o.unit_dose_mg) == (True, "mdma", 50, 180)
    assert p("20 x Playstation pills 240mg").substance == "mdma"
    # the goods themselves: no dose, or a mass, or not a goods category that names presses
    assert p("Playstation 4 console, 500GB, 2 controllers").is_drug is False
    assert p("10x Netflix premium account 1 year").is_drug is False
    assert p("25 x hollow point 9mm rounds 115 grain").is_drug is False


def test_edibles_named_after_candy_need_a_dose_or_count():
    for title in ("Sour Belts 250mg - free shipping", "(4x) Froot Loops bars 300mg",
                  "Cough drops 10 x 10mg", "Nugtella 100mg jar"):
        o = p(title)
        assert (o.substance, o.form) == ("cannabis", "edible"), title
    assert p("Sour belts, a box of candy").is_drug is False  # no dose: just candy
    assert p("10 trazodone 100mg tabs").substance == "antidepressants"


def test_a_year_after_an_offer_word_dates_the_offer_not_a_publication():
    assert p("Cannabis and its history - 1998").is_drug is False
    o = p("Moroccan hash, summer special 2017, bulk only")
    assert (o.is_drug, o.substance, o.form) == (True, "cannabis", "hash")
    assert p("Space cookies x 4").substance == "cannabis"


def test_a_drug_with_a_volume_beats_a_non_drug_word():
    o = p("Spore syringe psilocybe cubensis (10 ml) for growing")
    assert (o.is_drug, o.substance) == (True, "psilocybin")


def test_a_reagent_test_for_a_drug_is_paraphernalia():
    assert p("Marquis reagent 3ml bottle, test kit for MDMA").is_drug is False


def test_ordinals_are_no_quantities():
    assert p("Cannabis for growers, 8th edition").is_drug is False
    assert p("MDMA 1st class 1g").units is None
    assert p("5st xanax 2mg").units == 5


def test_a_count_after_decoration_still_leads():
    o = p("ä‰å 1 Pink Panther speed")
    assert (o.is_drug, o.substance) == (True, "amphetamine")


def test_custom_listings_are_unknown():
    assert p("custom listing for bob").is_drug is None


def test_quotes_around_part_of_a_name_are_read_through():
    o = p('Homemade oatmeal "space" cookies, 3 pack')
    assert (o.is_drug, o.substance, o.form) == (True, "cannabis", "edible")
    assert p("Girl “Scout” Cookies 7g").substance == "cannabis"
    # a quote after a number is an inch mark, and a quoted imprint keeps the dose after it
    assert p('Steel stash box 2.5" I-shaped lid').substance != "25i-nbome"
    o = p('Blues "M" - 30mg, x5 tabs')
    assert (o.substance, o.units, o.unit_dose_mg) == ("oxycodone", 5, 30)


def test_one_letter_abbreviations_right_after_a_mass():
    assert p("3.5g K, fresh batch").substance == "ketamine"
    assert p("2 grams of K - next day").substance == "ketamine"
    assert p("1g local K").substance == "ketamine"
    assert p("2 gr white H, uncut").substance == "heroin"
    assert p("1g C, straight off the brick").substance == "cocaine"
    # a letter that labels something, is glued into a code, stands alone or after other words
    for title in ("7g batch K", "5g vitamin C", "Vitamin C 5g sachet", "1g K.O. sample", "K 1g",
                  "4g of the finest K"):
        assert p(title).substance is None, title
    assert p("10 K followers").is_drug is False  # thousands
    assert p("Hash 10g K").substance == "cannabis"  # a name beats a letter


def test_plurals_of_substance_names():
    o = p("30x 10mg methadones")
    assert (o.substance, o.units, o.unit_dose_mg) == ("methadone", 30, 10)
    assert p("Special order 100 temazepams").substance == "temazepam"


def test_places_from_the_title_and_from_fields():
    o = p("Cocaine 2g 85% [UK2WW]")
    assert (o.ships_from, o.ships_to) == ("GB", "WW")
    assert p("coke 1g 80%+ from DE tracked").ships_from == "DE"
    assert p("Speed 10g Shipping from Germany").ships_from == "DE"
    assert p("Heroin 1g USA to USA").ships_to == "US"
    o = p("weed 5g", ships_from="UnitedKingdom", ships_to="WorldwideexceptUSA")
    assert (o.ships_from, o.ships_to) == ("GB", "WW")
    assert p("weed 5g", ships_from="Undeclared").ships_from is None


def test_offer_is_frozen_and_serialises():
    o = p("cocaine 1g")
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.grams = 2  # type: ignore[misc]
    d = o.as_dict()
    assert d["grams"] == 1 and d["offers"] is None and d["flags"] == []
    assert not hasattr(o, "__dict__")


@pytest.mark.parametrize(("title", "substance"), [
    ("Мефедрон кристаллы 2г", "mephedrone"), ("Сирец афганский 1 гр", "heroin"),
    ("марки нбооом 3 штуки", "25i-nbome"), ("метадон 0,5 г", "methadone"), ("Gashish 5gr", "cannabis"),
    ("shishki 3 gr", "cannabis"), ("Kokain 1g aus DE", "cocaine"), ("hasj 10 gram", "cannabis"),
    ("cocaína 1g", "cocaine"), ("amfetamina 10g", "amphetamine"), ("Subutex 8mg x 7", "buprenorphine"),
])
def test_languages(title, substance):
    assert p(title).substance == substance
