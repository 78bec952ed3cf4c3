"""Field readers, charset handling, selector tables and the layout registry."""

from __future__ import annotations

import time
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from dnmobs import markets
from dnmobs.markets import fields, model
from dnmobs.markets.doc import Doc, declared_charset, decode, site_path
from dnmobs.markets.model import Parsed
from dnmobs.markets.util import Selectors


@pytest.mark.parametrize(("text", "want"), [
    ("0.04424778 BTC", (0.04424778, "BTC")),
    ("1,234.50 USD", (1234.5, "USD")),
    ("BTC 0.5", (0.5, "BTC")),
    ("$12.00", (12.0, "USD")),
    ("€ 30", (30.0, "EUR")),
    ("250 mBTC", (0.25, "BTC")),
    ("free", (None, None)),
    (None, (None, None)),
])
def test_price(text, want):
    assert fields.price(text) == want


@given(st.text(alphabet="0123456789.,²٣ x-", max_size=12))
def test_price_shortcut_reads_like_the_patterns(amount):
    """'<amount> BTC' skips the patterns; a trailing space takes them, and must read the same."""
    assert fields.price(amount + " BTC") == fields.price(amount + " BTC ")


@pytest.mark.parametrize(("text", "want"), [
    ("4.80/5, 40~55 deals", (4.8, False)),
    ("~5/5, 1~2 deals", (5.0, True)),
    ("[0 deals]", (None, False)),
    ("9/10", (4.5, False)),
])
def test_rating(text, want):
    assert fields.rating(text) == want


def test_deals_age_and_links():
    assert fields.deals("4.80/5, 40~55 deals") == "40~55"
    assert fields.deals("[0 deals]") == "0"
    assert fields.age_days("3 days ago") == 3
    assert fields.age_days("16 hours ago") == 0
    assert fields.age_days("2 weeks ago") == 14
    assert fields.age_days("yesterday") is None
    assert fields.last_segment("/p/AbCdEf/buy", "p") == "AbCdEf"
    assert fields.last_segment("/vendor/name#", "vendor") == "name"
    assert fields.last_segment("/cat/x", "p") is None
    assert fields.strip_saved_suffix("AwtLFhnFK8.1") == "AwtLFhnFK8"
    assert fields.strip_saved_suffix("8812.html") == "8812"


# The field patterns use ``re`` for speed (see fields.py): each reads at most FIELD_CHARS characters,
# so even the worst input costs a bounded time.
@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789.,~/ BTCUSDdeals$€ago", max_size=5000))
def test_field_patterns_stay_fast_on_any_input(text):
    t = time.perf_counter()
    fields.price(text)
    fields.rating(text)
    fields.deals(text)
    fields.age_days(text)
    assert time.perf_counter() - t < 0.05


def test_field_patterns_worst_cases_are_bounded():
    for bad in ("9" * 100_000, "9," * 50_000, "~9" * 50_000, "9 " * 50_000 + "X"):
        t = time.perf_counter()
        fields.price(bad)
        fields.rating(bad)
        fields.deals(bad)
        fields.age_days(bad)
        # linear: ~1 ms on an idle machine; backtracking on 100k characters would take minutes. The bound
        # leaves room for a machine loaded by parallel jobs.
        assert time.perf_counter() - t < 0.5


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_charset_scanner_never_fails_and_stays_fast(data):
    t = time.perf_counter()
    label = declared_charset(data)
    assert label is None or (0 < len(label) <= 40)
    decode(data)
    assert time.perf_counter() - t < 0.5  # ~0.1 ms; the bound leaves room for a loaded machine


def test_declared_charset():
    assert declared_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">') == "utf-8"
    assert declared_charset(b'<META CHARSET="windows-1251"/>') == "windows-1251"
    assert declared_charset(b"<p>charset=koi8-r</p>") is None


def test_decode_reports_wrong_and_missing_charsets():
    text = "Café – 5g".encode()
    assert decode(b"<meta charset=utf-8>" + text).problem is None
    wrong = decode(b"<meta charset=utf-8>" + "Café".encode("cp1252"))
    assert wrong.charset == "cp1252" and "does not match" in wrong.problem
    missing = decode(b"<p>" + "Café".encode("cp1252"))
    assert missing.charset == "cp1252" and "no charset declared" in missing.problem
    mislabelled = decode(b"<meta charset=iso-8859-1>" + text)
    assert mislabelled.charset == "utf-8" and "which are UTF-8" in mislabelled.problem
    assert "unknown charset" in decode(b"<meta charset=klingon-8><p>x</p>").problem
    legacy = decode(b"<meta charset=windows-1251>" + "Привет".encode("cp1251"))
    assert legacy.problem is None and legacy.markup.endswith("Привет")


def test_site_path():
    assert site_path("agora/2014-04-06/p/AbCdEf") == "/p/AbCdEf"
    assert site_path("mirror/agorahooawayyfoe.onion/vendor/x") == "/vendor/x"
    assert site_path("p/AbCdEf") == "/p/AbCdEf"
    assert site_path(None, "http://x.onion/p/AbCdEf#top") == "/p/AbCdEf"


def test_selector_tables_answer_like_the_engine():
    html = ('<div id="a"><h1>T</h1><p class="x">1</p><div class="box"><a href="/b">B</a></div>'
            '<a class="x y" href="/c">C</a><ul><li>1</li><li>2</li></ul></div>')
    root = LexborHTMLParser(html).root
    sel = Selectors({"title": "h1", "para": "p.x", "boxed": ".box a", "link": "a.y", "items": "li",
                     "none": "#missing"}, many=("items",))
    got = sel.first(root)
    assert got["title"].text() == "T"
    assert got["para"].text() == "1"
    assert got["boxed"].attributes["href"] == "/b"
    assert got["link"].attributes["href"] == "/c"
    assert [n.text() for n in got["items"]] == ["1", "2"]
    assert got["none"] is None
    with pytest.raises(ValueError):
        Selectors({"bad": "a[href]"})


def test_selector_match_names_a_node_like_the_table_says():
    html = ('<div class="price">1</div><div class="x price">2</div><div class="x\tprice">3</div>'
            '<div class="other">4</div><div>5</div><a class="v">6</a><a>7</a><h1 class="price">8</h1>'
            '<span id="s">9</span><span class="price">10</span>')
    nodes = LexborHTMLParser(html).body.css("div, a, h1, span")
    plain = Selectors({"price": "div.price", "link": "a.v", "title": "h1", "any": "div"})
    assert [plain.match(n) for n in nodes] == [
        "price", "price", "price", "any", "any", "link", None, "title", None, None]
    tagless = Selectors({"priced": ".price", "title": "h1", "s": "#s"})  # an id: the slow path
    assert [tagless.match(n) for n in nodes] == [
        "priced", "priced", "priced", None, None, None, None, "priced", "s", "priced"]
    assert plain.match(nodes[0], nodes[0].attributes) == "price"


def test_a_layout_plugin_is_used_for_its_pages():
    mod = types.ModuleType("toymarket")
    mod.NAME, mod.MARKET, mod.MARKET_KIND, mod.CONFIDENCE = "toymarket", "toymarket", "darknet", 1.0
    mod.identify = lambda doc: doc.text("#toy-brand") == "Toy Market"
    mod.parse = lambda doc: Parsed(model.PRODUCT, "toymarket", 1.0, "toymarket", listing_key="1",
                                   observation={"title": doc.text("h1"), "raw": {}})
    markets.register(mod)
    try:
        p = markets.parse_page(b"<html><body><div id='toy-brand'>Toy Market</div><h1>A thing</h1></body></html>")
        assert (p.layout, p.market, p.observation["title"]) == ("toymarket", "toymarket", "A thing")
        other = markets.parse_page(b"<html><body><h1>Unknown</h1></body></html>")
        assert other.layout == "generic"
    finally:
        markets.unregister("toymarket")


def test_doc_notes_travel_into_problems():
    doc = Doc.from_bytes(b"<html><body><p>" + "Café".encode("cp1252") + b"</p></body></html>", "/x")
    assert doc.charset == "cp1252"
    assert markets.parse_doc(doc).problems[0].startswith("no charset declared")
