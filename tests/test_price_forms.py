"""How menus and listings write amounts: whole amounts with a dash, thousands grouped by spaces, dots
or apostrophes, and the decimals that must stay decimals (coin prices, '1.200,50 €', '0,5')."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnmobs.extract.price import _GROUPED, _WHOLE_DASH, parse_displayed, price_text


@pytest.mark.parametrize(("text", "expected"), [
    # a dash for the cents: Dutch, German, Swiss and Swedish menus
    ("64,- €", (64.0, "EUR", None)),
    ("€ 310,-", (310.0, "EUR", None)),
    ("19,-", (19.0, None, None)),
    ("2.450,- EUR", (2450.0, "EUR", None)),
    ("45.- CHF", (45.0, "CHF", None)),
    ("80,-- €", (80.0, "EUR", None)),
    ("125,– €", (125.0, "EUR", None)),
    # thousands grouped by a space (plain, no-break, thin), an apostrophe
    ("$3 410", (3410.0, "USD", 3410.0)),
    ("6 020€", (6020.0, "EUR", None)),
    ("£1 099", (1099.0, "GBP", None)),
    ("7 310usd", (7310.0, "USD", 7310.0)),
    ("11\u00a0900 €", (11900.0, "EUR", None)),
    ("4\u202f500 EUR", (4500.0, "EUR", None)),
    ("2'300 CHF", (2300.0, "CHF", None)),
    ("1 250 300 RUB", (1250300.0, "RUB", None)),
    ("14 900,50 €", (14900.5, "EUR", None)),
    # a single dot and three digits: thousands in a fiat price, a decimal in a coin price
    ("5.280 euro", (5280.0, "EUR", None)),
    ("€12.640", (12640.0, "EUR", None)),
    ("$6.305", (6305.0, "USD", 6305.0)),
    ("2.990gbp", (2990.0, "GBP", None)),
    ("1.342 BTC", (1.342, "BTC", None)),
    ("0.350 €", (0.35, "EUR", None)),
    ("₿2.118", (2.118, "BTC", None)),
    ("0.4120 XMR", (0.412, "XMR", None)),
    # what must not change
    ("3,250 €", (3250.0, "EUR", None)),
    ("2.640,75 €", (2640.75, "EUR", None)),
    ("USD 88.00 (0.0417 BTC)", (88.0, "USD", 88.0)),
    ("0.0417", (0.0417, None, None)),
    ("12.5 EUR", (12.5, "EUR", None)),
    ("€ 7,50", (7.5, "EUR", None)),
    # 'e' after the number is euros only when it is the whole price
    ("35e", (35.0, "EUR", None)),
    ("40 E", (40.0, "EUR", None)),
])
def test_amount_forms(text, expected):
    assert parse_displayed(text) == expected


@pytest.mark.parametrize(("text", "want"), [
    ("15,- €", "15 €"), ("3 400$", "3400$"), ("2 000 000 ₽", "2000000 ₽"),
    ("10 - 20 €", "10 - 20 €"),        # a range is no grouping and no dash amount
    ("7,-9 €", "7,-9 €"),               # a dash before a digit is a minus or a range
    ("0.5 100 €", "0.5 100 €"),         # a group is not glued to a decimal before it
    ("1 2345 €", "1 2345 €"),           # groups have three digits
])
def test_price_text_rewrites(text, want):
    assert price_text(text) == want


@pytest.mark.parametrize("unit", ["1 234 ", "1 ", "1,-", ",-", "1 23 ", "9" * 5 + " ", "1'000'", "0.5 100 "])
def test_rewrite_patterns_take_linear_time(unit):
    small, big = unit * 5_000, unit * 50_000
    for pattern in (_GROUPED, _WHOLE_DASH):
        t0 = time.perf_counter()
        pattern.sub("", small)
        t1 = time.perf_counter()
        pattern.sub("", big)
        t2 = time.perf_counter()
        assert t2 - t1 < 40 * (t1 - t0) + 0.2, (unit, pattern.pattern)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789 .,'’-–—:$€£eE\u00a0\u202fBTCusd")), max_size=200))
def test_fuzz_amounts_are_numbers_or_none(text):
    amount, currency, usd = parse_displayed(text)
    assert amount is None or amount >= 0
    assert usd is None or currency is not None
