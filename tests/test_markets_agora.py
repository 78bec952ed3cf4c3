"""The Agora layout on hand-written pages in its 2014 templates (tests/fixtures/pages/agora/...)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnmobs.markets import model, parse_page
from dnmobs.markets.doc import site_path

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
CRAWL = FIXTURES / "agora" / "2014-05-01"


def parse(rel: str):
    path = CRAWL / rel
    return parse_page(path.read_bytes(), site_path(str(path.relative_to(FIXTURES))))


def test_product_page_fields():
    p = parse("p/Xq7Lm2Pz9A")
    assert (p.page_type, p.layout, p.market, p.confidence) == ("product", "agora", "agora", 1.0)
    assert p.listing_key == "Xq7Lm2Pz9A"
    assert p.usd_rate == 452.50
    o = p.observation
    assert o["title"] == "Speed paste 10g - strong & fresh"
    assert o["description"] == ("Ten grams of amphetamine paste, made this month.\n"
                                "Packed in two vacuum bags & a paper envelope.\n\nShips Monday to Friday.")
    assert (o["price_text"], o["price_amount"], o["price_currency"]) == ("0.12500000 BTC", 0.125, "BTC")
    assert o["usd_rate"] == 452.50
    assert o["vendor"] == "quietfox"
    assert (o["rating"], o["counters_text"]) == (4.92, "4.92/5, 70~100 deals")
    assert o["category"] == "Drugs/Stimulants/Speed"
    assert (o["ships_from"], o["ships_to"]) == ("Germany", "EU only")
    assert o["raw"]["feedback_shown"] == 2
    assert p.problems == []


def test_product_feedback_entries():
    fb = parse("p/Xq7Lm2Pz9A").feedback
    assert [(f["rating"], f["rating_text"], f["age_text"], f["age_days"], f["buyer"], f["buyer_band"]) for f in fb] == [
        (5.0, "5/5", "2 days ago", 2, "anon", "~5/5, 1~2 deals"),
        (4.0, "4/5", "9 days ago", 9, "anon", "[0 deals]"),
    ]
    assert fb[1]["text"] == "Good stuff but the vendor's\npost was slow this time"
    assert {f["listing_key"] for f in fb} == {"Xq7Lm2Pz9A"}


def test_out_of_stock_product_takes_its_id_from_the_image_and_keeps_text_as_shown():
    p = parse("p/Bv4Nw8Kd2R")
    o = p.observation
    assert p.listing_key == "Bv4Nw8Kd2R"
    assert o["title"] == '25x "Blue  Dolphin" pills 120mg'  # entities decoded, spacing kept
    assert o["raw"]["availability"] == "Out of stock"
    assert (o["ships_from"], o["ships_to"]) == (None, None)
    assert (o["rating"], o["counters_text"]) == (5.0, "~5/5, 3~5 deals")
    assert p.feedback == []


def test_vendor_page():
    p = parse("vendor/quietfox")
    assert p.page_type == "vendor"
    v = p.vendor
    assert (v["handle"], v["rating"], v["deals"], v["n_products"]) == ("quietfox", 4.92, "70~100", 2)
    assert v["last_seen_text"] == "Last seen 3 hours ago."
    assert v["profile_text"] == "Small shop, careful packing.\n\nOrders before noon ship the same day.\nUse my key below."
    assert v["pgp_key"].startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBF")
    assert v["pgp_key"].endswith("=Qf0x\n-----END PGP PUBLIC KEY BLOCK-----")
    assert [(r["listing_key"], r["title"], r["vendor"], r["price_amount"]) for r in p.rows] == [
        ("Xq7Lm2Pz9A", "Speed paste 10g - strong & fresh", "quietfox", 0.125),
        ("Pq2Rs6Tu0V", "Speed paste 50g", "quietfox", 0.52),
    ]
    assert [r["raw"]["no_fe"] for r in p.rows] == [False, True]
    assert [(f["listing_key"], f["item_title"]) for f in p.feedback] == [
        ("Xq7Lm2Pz9A", "Speed paste 10g - strong & fresh"), ("Pq2Rs6Tu0V", "Speed paste 50g")]


def test_category_page_rows():
    p = parse("cat/Qm3cRt8sLw/1")
    assert p.page_type == "category"
    assert [(r["listing_key"], r["vendor"], r["price_text"], r["ships_from"], r["ships_to"], r["category"],
             r["counters_text"]) for r in p.rows] == [
        ("Xq7Lm2Pz9A", "quietfox", "0.12400000 BTC", "Germany", "EU only", "Drugs/Stimulants/Speed",
         "4.92/5, 70~100 deals"),
        ("Hk5Tg7Wq1E", "bramble_lab", "0.08100000 BTC", "Netherlands", "Worldwide", "Drugs/Stimulants/Speed",
         "4.70/5, 40~55 deals"),
    ]
    assert [r["raw"]["no_fe"] for r in p.rows] == [False, True]


@pytest.mark.parametrize(("rel", "error"), [
    ("p/Zz9Yy8Xx7W", model.REMOVED),  # the front page answered a product URL
    ("p/Lg0nP4ge11", model.LOGIN),
    ("p/Cp7cHa99Zq", model.CAPTCHA),
    ("p/Dd0sWa1tXx", model.DDOS),
    ("p/Em9tYp4geQ", model.EMPTY),
])
def test_error_pages_are_recognised(rel, error):
    p = parse(rel)
    assert (p.page_type, p.error) == ("error", error)
    assert p.observation is None and not p.rows


def test_removed_listing_keeps_the_id_of_the_url():
    assert parse("p/Zz9Yy8Xx7W").listing_key == "Zz9Yy8Xx7W"


def test_server_error_pages():
    page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
    assert parse_page(page, "/p/x").error == model.HTTP
    assert parse_page(b"<html><body>hi</body></html>", "/p/x", http_status=404).error == model.HTTP


def test_a_listing_mentioning_captcha_is_still_a_listing():
    data = (CRAWL / "p/Xq7Lm2Pz9A").read_bytes().replace(b"Ships Monday to Friday.",
                                                         b"No captcha, no login, no DDoS worries.")
    assert parse_page(data, "/p/Xq7Lm2Pz9A").page_type == "product"


def test_truncated_product_page_keeps_what_came_before_the_cut():
    data = (CRAWL / "p/Xq7Lm2Pz9A").read_bytes()
    cut = data[: data.index(b"Feedbacks:")]
    p = parse_page(cut, "/p/Xq7Lm2Pz9A")
    assert p.page_type == "product" and p.truncated
    assert p.observation["title"] == "Speed paste 10g - strong & fresh"
    assert any(pr.startswith("truncated HTML") for pr in p.problems)


def test_generic_fallback_marks_lower_confidence():
    path = FIXTURES / "elsewhere" / "2015-02-10" / "item" / "8812.html"
    p = parse_page(path.read_bytes(), site_path(str(path.relative_to(FIXTURES))))
    assert (p.page_type, p.layout, p.market) == ("product", "generic", None)
    assert p.confidence < 1.0
    o = p.observation
    assert (o["title"], o["price_text"], o["price_amount"], o["price_currency"], o["vendor"]) == (
        "Northern Lights 7g", "USD 45.00", 45.0, "USD", "greenhouse42")
    assert o["category"] == "Cannabis/Flowers"
    assert o["raw"]["confidence"] < 1.0


def test_generic_page_without_a_price_is_not_a_listing():
    p = parse_page(b"<html><head><title>About us</title></head><body><h1>About</h1><p>We sell.</p></body></html>",
                   "/about")
    assert (p.page_type, p.layout) == ("other", "generic")


def test_a_breadcrumb_back_to_the_front_page_is_no_category():
    data = (CRAWL / "p/Bv4Nw8Kd2R").read_bytes()
    start, end = data.index(b'<div id="top-navigation">'), data.index(b'<div id="middlestuff">')
    root_only = (b'<div id="top-navigation"><div class="topnav-element"><a href="/">Listings</a></div>'
                 b'<div class="topnav-divider-element">&gt;</div></div>\n    ')
    p = parse_page(data[:start] + root_only + data[end:], "/p/Bv4Nw8Kd2R")
    assert p.page_type == "product" and p.observation["category"] is None


# Pages laid out otherwise than Agora's 2014 template: the layout follows the template's own path to its
# boxes when it can and falls back to selector searches of the page where it cannot; both read the same.
LAID_OUT_OTHERWISE = {
    # the regions of <body> wrapped in one more box: no region found where the template puts it
    "wrapped body": lambda d: d.replace(b"<body>", b"<body><div class='wrap'>", 1).replace(
        b"</body>", b"</div></body>", 1),
    # the page's box one level deeper in the content cell, the header bar in a box of its own
    "nested boxes": lambda d: d.replace(b'<div style="float: left;">', b'<div style="float: left;"><div>', 1).replace(
        b'<div class="product-list-pages">', b'</div><div class="product-list-pages">', 1).replace(
        b'<div id="login-info-bar">', b'<div class="bar"><div id="login-info-bar">', 1),
}


@pytest.mark.parametrize("how", sorted(LAID_OUT_OTHERWISE))
@pytest.mark.parametrize("rel", ["p/Bv4Nw8Kd2R", "p/Xq7Lm2Pz9A", "cat/Qm3cRt8sLw/1", "vendor/quietfox"])
def test_a_page_laid_out_otherwise_reads_the_same_through_the_fallback(rel, how):
    import dataclasses

    path = CRAWL / rel
    data = path.read_bytes()
    moved = LAID_OUT_OTHERWISE[how](data)
    assert moved != data
    want = parse(rel)
    got = parse_page(moved, site_path(str(path.relative_to(FIXTURES))))
    assert want.page_type in ("product", "category", "vendor") and (want.observation or want.rows)
    assert dataclasses.asdict(got) == dataclasses.asdict(want)
