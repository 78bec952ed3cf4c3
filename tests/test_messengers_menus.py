"""Splitting posts into priced items (the engine reads each item; here only the cuts are tested)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnmobs.messengers.menus import split, tokens


def texts(post: str) -> list[str]:
    return [i.text for i in split(post)]


def test_one_item_per_line():
    post = "❄️ MENU ❄️\n🔥 1G COCAINE 90% — 75 EUR\n💊 MDMA crystal 84% 1g 25€\n\nOrder: @somebot"
    assert texts(post) == ["🔥 1G COCAINE 90% — 75 EUR", "💊 MDMA crystal 84% 1g 25€"]
    assert [i.line for i in split(post)] == [1, 2]


def test_several_quantities_on_one_line_each_take_the_name():
    assert texts("❄️ Cocaine 87% — 0.5g $42 | 28g $2047 | 50g $3188") == [
        "❄️ Cocaine 87% — 0.5g $42", "❄️ Cocaine 87% 28g $2047", "❄️ Cocaine 87% 50g $3188"]
    assert texts("Weed Amnesia Haze: 5g=50€, 10g=90€, 25g=200€") == [
        "Weed Amnesia Haze: 5g=50€", "Weed Amnesia Haze 10g=90€", "Weed Amnesia Haze 25g=200€"]
    assert texts("MDMA 84% 1g 25€ 5g 100€ 10g 180€") == ["MDMA 84% 1g 25€", "MDMA 84% 5g 100€", "MDMA 84% 10g 180€"]


def test_dose_stays_when_only_the_count_changes():
    assert texts("Xanax 2mg x 100 — $150 | x 200 — $250") == ["Xanax 2mg x 100 — $150", "Xanax 2mg x 200 — $250"]
    assert texts("5 x 2mg Xanax — 20€ | 10 x 2mg — 35€") == ["5 x 2mg Xanax — 20€", "Xanax 10 x 2mg — 35€"]


def test_counts_before_prices_are_not_read_as_grouped_thousands():
    assert texts("XTC pills — x10 64€ | x50 240€ | x100 503€") == [
        "XTC pills — x10 64€", "XTC pills x50 240€", "XTC pills x100 503€"]


def test_prices_first():
    assert texts("€75 - 1g Cocaine | €350 - 5g") == ["€75 - 1g Cocaine", "Cocaine €350 - 5g"]


def test_second_price_without_quantity_is_the_same_item():
    assert texts("1 Gram 87% Pure Cocaine USD 120.00 (0.0901 BTC)") == [
        "1 Gram 87% Pure Cocaine USD 120.00 (0.0901 BTC)"]
    assert texts("Speed 10g 60€ (was 80€)") == ["Speed 10g 60€ (was 80€)"]


def test_unit_price_is_an_item_of_its_own():
    assert texts("Cocaine 90% 80€/g, 5g 350€") == ["Cocaine 90% 80€/g", "Cocaine 90% 5g 350€"]


def test_heading_names_the_nameless_lines_below_it():
    post = "❄️ COCAINE 90% ❄️\n1g - 80€\n5g - 350€\n\n🍁 AMNESIA HAZE\n▪️5g ➖ 50€\n▪️10g ➖ 90€"
    items = split(post)
    assert [i.text for i in items] == ["❄️ COCAINE 90% ❄️ 1g - 80€", "❄️ COCAINE 90% ❄️ 5g - 350€",
                                       "🍁 AMNESIA HAZE 5g ➖ 50€", "🍁 AMNESIA HAZE 10g ➖ 90€"]
    assert [i.context for i in items] == ["❄️ COCAINE 90% ❄️"] * 2 + ["🍁 AMNESIA HAZE"] * 2


def test_a_priced_line_names_the_nameless_lines_after_it():
    assert texts("Ketamine 1g 30€\n5g 120€\nSpeed 10g 60€\n25g 120€") == [
        "Ketamine 1g 30€", "Ketamine 5g 120€", "Speed 10g 60€", "Speed 25g 120€"]


def test_named_items_keep_their_own_text():
    items = split("🍫 HASH\nMoroccan 5g 40€\nAfghan 5g 45€")
    assert [i.text for i in items] == ["Moroccan 5g 40€", "Afghan 5g 45€"]
    assert {i.context for i in items} == {"🍫 HASH"}


def test_goods_text_is_the_item_without_its_prices():
    items = split("Glass pipe 2 pcs 0.004 BTC\n❄️ Coke 90% 1g 80€ | 5g 350€\n€ 45,- Speed 10g\n"
                  "USD 120.00 (0.0901 BTC) 1 Gram Pure")
    assert [i.goods for i in items] == ["Glass pipe 2 pcs", "❄️ Coke 90% 1g", "❄️ Coke 90% 5g", "Speed 10g",
                                        "1 Gram Pure"]
    assert all(i.quantity for i in items)
    assert not split("Shipping 15€ flat")[0].quantity


@pytest.mark.parametrize("post", ["Good morning everyone!", "Shop closed until Monday 🙏", "", "thanks 👍",
                                  "Restock on 12.05, 100+ orders shipped this week"])
def test_chatter_without_prices_gives_no_items(post):
    assert split(post) == []


@pytest.mark.parametrize("line, want", [
    ("5g 50€", [("q", "5g"), ("p", "50€")]),
    ("€75 - 1G", [("p", "€75"), ("q", "1G")]),
    ("0,5 gr = 42 EUR", [("q", "0,5 gr"), ("p", "42 EUR")]),
    ("1.000€ for 28g", [("p", "1.000€"), ("q", "28g")]),
    ("10 tabs $90", [("q", "10 tabs"), ("p", "$90")]),
    ("1/8 oz 45$", [("q", "1/8 oz"), ("p", "45$")]),
    ("80€/g", [("p", "80€"), ("q", "/g")]),
    ("100 руб 2 шт", [("p", "100 руб"), ("q", "2 шт")]),
    ("10g 480,- €", [("q", "10g"), ("p", "480,- €")]),
    ("10g 480.-", [("q", "10g"), ("p", "480.-")]),
    ("10g 480,– €", [("q", "10g"), ("p", "480,– €")]),
    ("25g 1.120,- €", [("q", "25g"), ("p", "1.120,- €")]),
    ("€ 95,- 5g", [("p", "€ 95"), ("q", "5g")]),
    ("100g $3 260", [("q", "100g"), ("p", "$3 260")]),
    ("4 790usd 200g", [("p", "4 790usd"), ("q", "200g")]),
    ("batch 2/11/2021 €640 20g", [("p", "€640"), ("q", "20g")]),      # not '2021 €'
    ("restock 14.03.2024 €55 1g", [("p", "€55"), ("q", "1g")]),        # not '03.2024 €'
    ("Speed 60 €100g", [("p", "60 €"), ("q", "100g")]),                # '€100g' is no price
    ("1 Pound Blue Dream 1 700 EUR", [("q", "1 Pound"), ("p", "1 700 EUR")]),
    ("Hash 50 pounds", [("p", "50 pounds")]),                          # alone, a pound is money
    ("25E-NBOMe 20 x 800ug 30€", [("q", "20 x"), ("q", "800ug"), ("p", "30€")]),
    ("ABC5g x", []),
    ("Ordered 3 times", []),
])
def test_tokens(line, want):
    assert [(t.kind, line[t.start:t.end]) for t in tokens(line)] == want


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.,gxmk€$| -\n:/abcEURusd❄️")), max_size=300))
def test_fuzz_items_are_parts_of_the_post(post):
    for item in split(post):
        assert item.text.strip()
        assert item.line < post.count("\n") + 1


@pytest.mark.parametrize("unit", ["1g 1€ ", "1g ", "1€ ", "x1 ", "€", "1" * 9 + " ", "a\n", "1g\n1€\n", "1 000", "0,", "1,-", "eur",
                                  "1/1/2017 €1 ", "1.1.2017 €", "1,– ", "1 pound ", "1e-a "])
def test_adversarial_posts_take_linear_time(unit):
    small, big = unit * 2_000, unit * 20_000
    t0 = time.perf_counter()
    split(small)
    t1 = time.perf_counter()
    split(big)
    t2 = time.perf_counter()
    assert t2 - t1 < 40 * (t1 - t0) + 0.5
