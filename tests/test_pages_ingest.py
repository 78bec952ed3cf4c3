"""Saved pages through `dnmobs ingest` into the store: observations, listing rows, feedback, vendors,
page bookkeeping, and one observation per listing per crawl."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from dnmobs.export import export
from dnmobs.ingest import Options, ingest

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
CRAWL = FIXTURES / "agora" / "2014-05-01"


def rows(con, sql):
    return con.execute(sql).fetchall()


@pytest.fixture
def tree(tmp_path):
    dst = tmp_path / "agora"
    shutil.copytree(FIXTURES / "agora", dst)
    return dst


def test_fixture_tree_lands_in_the_store(con, tree):
    rep = ingest(con, [str(tree)], Options(extract=False))
    assert rep.errors == []
    assert {s.format for s in rep.sources} == {"pages"}
    assert sorted(rows(con, "SELECT page_type, coalesce(error, '') FROM pages")) == sorted([
        ("product", ""), ("product", ""), ("vendor", ""), ("category", ""),
        ("error", "removed"), ("error", "login"), ("error", "captcha"), ("error", "ddos"), ("error", "empty")])
    assert rows(con, "SELECT DISTINCT market, crawl_date::VARCHAR FROM pages") == [("agora", "2014-05-01")]
    # one observation per listing: the two product pages, and the category row of the listing
    # whose product page was not saved; never the error pages, never vendor-page rows
    obs = dict(rows(con, "SELECT l.listing_key, o.location FROM observations o JOIN listings l USING (listing_id)"))
    assert obs == {"Xq7Lm2Pz9A": "/p/Xq7Lm2Pz9A", "Bv4Nw8Kd2R": "/p/Bv4Nw8Kd2R",
                   "Hk5Tg7Wq1E": "/cat/Qm3cRt8sLw/1 row 2"}
    assert rows(con, "SELECT page_type, count(*) FROM listing_rows GROUP BY ALL ORDER BY 1") == [
        ("category", 2), ("vendor", 2)]
    # the feedback shown on both the product page and the vendor page is stored once
    fb = rows(con, "SELECT listing_key, text, date_est::VARCHAR FROM feedback ORDER BY text")
    assert fb == [("Xq7Lm2Pz9A", "Arrived in four days, well packed.", "2014-04-29"),
                  ("Xq7Lm2Pz9A", "Good stuff but the vendor's\npost was slow this time", "2014-04-22"),
                  ("Pq2Rs6Tu0V", "Second order, same quality.", "2014-04-26")]
    snap = rows(con, "SELECT v.handle, s.rating, s.deals, s.n_products, s.last_seen_text, s.pgp_key IS NOT NULL "
                     "FROM vendor_snapshots s JOIN vendors v USING (vendor_id)")
    assert snap == [("quietfox", 4.92, "70~100", 2, "Last seen 3 hours ago.", True)]
    assert rows(con, "SELECT count(*) FROM vendor_keys") == [(1,)]
    assert rows(con, "SELECT usd_rate FROM observations o JOIN listings l USING (listing_id) "
                     "WHERE l.listing_key = 'Xq7Lm2Pz9A'") == [(452.5,)]


def test_listings_export_has_the_issue_columns(con, tree, tmp_path):
    ingest(con, [str(tree)], Options())
    out = tmp_path / "listings.jsonl"
    n = export(con, "listings", out)
    lines = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    assert n == len(lines) == 3
    need = {"market", "listing_id", "title", "vendor", "category", "price_amount", "price_currency", "price_usd",
            "ships_from", "ships_to", "first_seen", "last_seen"}
    assert all(need <= set(x) for x in lines)
    speed = next(x for x in lines if x["listing_key"] == "Xq7Lm2Pz9A")
    assert (speed["market"], speed["title"], speed["vendor"], speed["category"]) == (
        "agora", "Speed paste 10g - strong & fresh", "quietfox", "Drugs/Stimulants/Speed")
    assert (speed["price_amount"], speed["price_currency"]) == (0.125, "BTC")
    assert speed["first_seen"] == speed["last_seen"] == "2014-05-01"
    if speed["price_usd"] is not None:  # extraction installed: price_usd = BTC x the page's header rate
        assert speed["price_usd"] == pytest.approx(0.125 * 452.5)


def _only(tree: Path, tmp: Path, *rels: str) -> Path:
    dst = tmp / "crawl" / "agora" / "2014-05-01"
    shutil.rmtree(tmp / "crawl", ignore_errors=True)
    for rel in rels:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(tree / "2014-05-01" / rel, dst / rel)
    return tmp / "crawl"


@pytest.mark.parametrize("order", [("cat/Qm3cRt8sLw/1", "p/Xq7Lm2Pz9A"), ("p/Xq7Lm2Pz9A", "cat/Qm3cRt8sLw/1")])
def test_a_product_page_replaces_a_category_row_whatever_the_order(con, tree, tmp_path, order):
    for rel in order:
        ingest(con, [str(_only(tree, tmp_path, rel))], Options())
    obs = rows(con, "SELECT l.listing_key, o.location, o.price_amount FROM observations o "
                    "JOIN listings l USING (listing_id) ORDER BY 1")
    assert obs == [("Hk5Tg7Wq1E", "/cat/Qm3cRt8sLw/1 row 2", 0.081), ("Xq7Lm2Pz9A", "/p/Xq7Lm2Pz9A", 0.125)]
    # offers derived from a replaced category row went with it
    assert rows(con, "SELECT count(*) FROM offers WHERE obs_id NOT IN (SELECT obs_id FROM observations)") == [(0,)]
    # the category page's own records stay, and the sources' counts are still true
    assert rows(con, "SELECT count(*) FROM listing_rows") == [(2,)]
    for path, n_read, n_stored, n_q, n_s in rows(con, "SELECT path, n_read, n_stored, n_quarantined, n_skipped "
                                                      "FROM sources"):
        assert n_read == n_stored + n_q + n_s, path


def test_reingest_is_skipped(con, tree):
    first = ingest(con, [str(tree)], Options(extract=False))
    again = ingest(con, [str(tree)], Options(extract=False))
    assert again.totals["stored"] == 0
    assert again.totals["skipped"] == first.totals["read"]


def test_generic_pages_need_a_market_or_take_one_from_the_path(con, tmp_path):
    src = FIXTURES / "elsewhere"
    ingest(con, [str(src)], Options(extract=False))
    assert rows(con, "SELECT market, title, vendor, price_text, price_currency FROM observations") == [
        ("elsewhere", "Northern Lights 7g", "greenhouse42", "USD 45.00", "USD")]
    assert rows(con, "SELECT layout, confidence FROM pages") == [("generic", 0.5)]
    assert orjson.loads(rows(con, "SELECT raw FROM observations")[0][0])["confidence"] == 0.5


def test_market_option_names_the_market(con):
    ingest(con, [str(FIXTURES / "elsewhere")], Options(market="Hidden-Bazaar", extract=False))
    assert rows(con, "SELECT DISTINCT market FROM observations") == [("hidden-bazaar",)]
