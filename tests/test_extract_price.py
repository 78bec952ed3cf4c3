"""Displayed prices, USD conversion order, rates files and the store's rates."""

from __future__ import annotations

from datetime import date

import pytest

from dnmobs import DnmobsError
from dnmobs.extract import Rates, parse_listing
from dnmobs.extract.price import parse_displayed
from dnmobs.extract.rates import import_rates


@pytest.mark.parametrize(("text", "expected"), [
    ("USD 120.00 (0.0901 BTC)", (120.0, "USD", 120.0)),
    ("Buy price\nUSD 1,650.00\n\n(1.3388 BTC)", (1650.0, "USD", 1650.0)),
    ("0.0122 BTC", (0.0122, "BTC", None)),
    ("1.200,50 €", (1200.5, "EUR", None)),
    ("7302 ք", (7302.0, "AMD", None)),
    ("2692 ₴", (2692.0, "UAH", None)),
    ("£45", (45.0, "GBP", None)),
    ("350 ₽", (350.0, "RUB", None)),
    ("120 ₾", (120.0, "GEL", None)),
    ("0.5 XMR", (0.5, "XMR", None)),
    ("0.17090121", (0.17090121, None, None)),
    ("", (None, None, None)),
])
def test_parse_displayed(text, expected):
    assert parse_displayed(text) == expected


def _rates(tmp_path, text: str, name: str = "r.csv") -> Rates:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return Rates.from_file(f)


def test_usd_order_page_then_file(tmp_path):
    r = _rates(tmp_path, "date,currency,usd\n2017-05-01,BTC,1400\n2017-05-01,EUR,1.09\n")
    # the page shows USD: the rates file is not used
    o = parse_listing("cocaine 1g", price="USD 120.00 (0.0901 BTC)", date="2017-05-01", rates=r)
    assert (o.price_usd, o.price_usd_source) == (120.0, "page")
    # a coin price: the rates file converts it
    o = parse_listing("cocaine 1g", price="0.1 BTC", date="2017-05-01", rates=r)
    assert o.price_usd == pytest.approx(140.0) and o.price_usd_source == "rates-file"
    assert o.usd_per_gram == pytest.approx(140.0)
    # a rate the row shows wins over the file
    o = parse_listing("cocaine 1g", price=0.1, price_currency="BTC", usd_rate=463.0, date="2017-05-01", rates=r)
    assert o.price_usd == pytest.approx(46.3) and o.price_usd_source == "page"


def test_no_rate_means_no_usd_and_a_reason(tmp_path):
    r = _rates(tmp_path, "date,currency,usd\n2017-05-01,BTC,1400\n")
    o = parse_listing("cocaine 1g", price="0.1 BTC", date="2017-06-01", rates=r)
    assert o.price_usd is None and "no USD rate for BTC on 2017-06-01" in o.price_note
    o = parse_listing("cocaine 1g", price="0.1 BTC")
    assert o.price_usd is None and "no date" in o.price_note
    o = parse_listing("cocaine 1g", price="0.1 BTC", date="2017-05-03", rates=r)  # two days old: used, noted
    assert o.price_usd == pytest.approx(140.0) and "rate of 2017-05-01" in o.price_note


def test_rates_file_formats(tmp_path):
    r = _rates(tmp_path, "date,close_eur,close_usd\n2014-04-06,330.0,450.0\n", "btc_daily_prices.csv")
    assert r.usd("BTC", date(2014, 4, 6))[0] == 450.0
    assert r.usd("EUR", date(2014, 4, 6))[0] == pytest.approx(450 / 330)
    r = _rates(tmp_path, "Date,Open,High,Low,Close,Adj Close,Volume\n4/6/2014,1,1,1,455.5,455.5,0\n"
                         "4/6/2014,1,1,1,999,999,0\n", "BTC-USD_2014.csv")
    assert r.usd("BTC", date(2014, 4, 6))[0] == 455.5 and r.duplicates == 1
    with pytest.raises(DnmobsError, match="expected columns"):
        _rates(tmp_path, "a,b\n1,2\n")
    with pytest.raises(DnmobsError, match="no rates"):
        _rates(tmp_path, "date,currency,usd\nnot-a-date,BTC,1\n")


def test_import_rates_into_the_store(con, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("date,currency,usd\n2014-04-06,BTC,450\n2014-04-06,btc,451\n", encoding="utf-8")
    r = import_rates(con, f)
    assert len(r) == 1 and r.duplicates == 1
    f.write_text("date,currency,usd\n2014-04-06,BTC,460\n", encoding="utf-8")
    import_rates(con, f)  # a later import of the same day wins
    assert con.execute("SELECT usd, origin FROM rates").fetchall() == [(460.0, "r.csv")]
    assert Rates.from_store(con).usd("BTC", date(2014, 4, 7))[0] == 460.0


def test_implausible_prices_are_flagged_not_dropped():
    o = parse_listing("cocaine 1g", price="USD 9999.00")
    assert o.price_usd == 9999.0 and "price-placeholder" in o.flags
    o = parse_listing("cocaine 1g", price="USD 0.01")
    assert o.price_usd == 0.01 and "price-tiny" in o.flags
    o = parse_listing("cocaine 1000g", price="USD 50")
    assert "price-per-gram-implausible" in o.flags
