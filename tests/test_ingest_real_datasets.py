"""Every dataset of ../shared/data (slices): detected from content, reconciled per source, a second
ingest stores nothing; mapped values checked against the raw fields they came from."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from dnmobs.ingest import Options, ingest

# (folder, files picked from it, format expected) -- a few files per dataset keeps this quick
SLICES = {
    "agora-vendors": ("agora-2014/vendors-ada", ["vendor2014-02-23.csv.gz", "vendor2014-10-05.csv.gz",
                                                 "vendor2015-06-28.csv.gz"], "agora-ada-vendors"),
    "mozzarella": ("agora-2014/panel-mozzarella/product", ["products-2014-03-02.csv", "vendorall_0114.csv"],
                   "agora-mozzarella"),
    "alphabay": ("alphabay-2017/scrape-dev", ["D&C_-_stims_-_cocaine_-_20170420.csv",
                                              "D&C_-_stims_-_adderall_-_20170430.csv",
                                              "Fraud_-_accounts_&_bank_drops_-_20170507.csv",
                                              "Counterfeit_items_-_20170508.csv",
                                              "D&C_-_benzos_-_rcs_-_20170424.csv"], "alphabay-scrape"),
    "dream": ("dream-2017-cocaine", ["listings-dev.csv"], "dream-cocaine"),
    "matanga": ("matanga-2020/scrapes-dev", None, "matanga-scrape"),
}
NOT_LISTINGS = ["agora-2014/panel-mozzarella/counts/WeeklyCounts14.csv", "agora-2014/panel-mozzarella/bpi/gpi.csv",
                "matanga-2020/scrapes-dev/logfile.txt"]


def paths_of(data, key):
    folder, names, _ = SLICES[key]
    if names is None:  # matanga: 40 scrapes spread over the months
        files = sorted((data / folder).glob("output_*.csv"))
        return [str(f) for f in files[:: max(1, len(files) // 40)][:40]]
    return [str(data / folder / n) for n in names]


@pytest.fixture(scope="module")
def loaded(shared_data, tmp_path_factory):
    from dnmobs.store import connect

    con = connect(tmp_path_factory.mktemp("real") / "real.duckdb")
    reports = {}
    for key in SLICES:
        opts = Options(extract=False, crawl_date=date(2017, 7, 1) if key == "dream" else None)
        reports[key] = (ingest(con, paths_of(shared_data, key), opts), opts)
    yield con, reports
    con.close()


@pytest.mark.parametrize("key", list(SLICES))
def test_detected_reconciled_and_idempotent(loaded, shared_data, key):
    con, reports = loaded
    rep, opts = reports[key]
    assert rep.sources and not rep.errors
    for s in rep.sources:
        assert s.format == SLICES[key][2]
        assert s.read == s.stored + s.quarantined + s.skipped and s.read > 0
    assert rep.totals["stored"] > 0
    again = ingest(con, paths_of(shared_data, key), opts)
    assert again.totals["stored"] == 0 and again.totals["read"] == again.totals["skipped"] == rep.totals["read"]


def test_non_listing_files_are_one_line_errors(con, shared_data):
    rep = ingest(con, [str(shared_data / p) for p in NOT_LISTINGS], Options(extract=False))
    assert len(rep.errors) == len(NOT_LISTINGS)
    assert all("unknown format" in e and "\n" not in e for e in rep.errors)
    assert con.execute("SELECT count(*) FROM observations").fetchone()[0] == 0


def _usd(text: str) -> float:
    return float(text.replace(",", ""))


def test_alphabay_values_match_their_raw_fields(loaded):
    con, _ = loaded
    rows = con.execute("""
        SELECT category, price_text, price_usd_shown, price_amount, usd_rate, sold_count, sold_since, crawl_date,
               raw->>'listing_vendor', raw->>'detail_qty_sold', raw->>'category_id', raw->>'subcategory_id',
               raw->>'subcategory2_id'
        FROM observations WHERE market = 'alphabay'""").fetchall()
    assert len(rows) > 1000
    checked = 0
    for cat, price_text, usd, btc, rate, sold, since, crawl, vendor, counters, c1, c2, c3 in rows:
        assert crawl in (date(2017, 4, 20), date(2017, 4, 30), date(2017, 5, 7), date(2017, 5, 8), date(2017, 4, 24))
        if counters and counters.startswith(f"Sold by {vendor} -"):  # the item page is this listing's
            assert cat == "/".join([c1, c2] + ([c3] if c3 != c2 else []))
            m = re.search(r"(\d[\d,]*) sold since (\w{3} \d{1,2}, \d{4})", counters)
            assert m and sold == int(m.group(1).replace(",", ""))
            assert since == datetime.strptime(m.group(2), "%b %d, %Y").date()
            checked += 1
        if price_text and price_text.startswith("Buy price USD"):
            m = re.match(r"Buy price USD ([\d,.]+) \(([\d.]+) BTC\)", price_text)
            assert m and usd == _usd(m.group(1)) and btc == float(m.group(2))
            if rate is not None:
                assert 800 < rate < 2000  # USD per BTC in spring 2017
    assert checked > 1000
    cocaine = con.execute("SELECT count(*) FROM observations WHERE category = 'Drugs & Chemicals/Stimulants/Cocaine'"
                          ).fetchone()[0]
    assert cocaine > 200
    # no record was split by a 0x85 byte: every AlphaBay record has its vendor
    assert con.execute("SELECT count(*) FROM observations WHERE market = 'alphabay' AND vendor IS NULL"
                       ).fetchone()[0] == 0


def test_matanga_values_match_their_raw_fields(loaded):
    con, _ = loaded
    rows = con.execute("""
        SELECT crawl_date, price_usd_shown, price_amount, price_text, title, description, raw->>'time_stamp',
               json_extract_string(raw, '$."$"'), raw->>'BTC', raw->>'description', raw->>'desc_en'
        FROM observations WHERE market = 'matanga'""").fetchall()
    assert len(rows) > 1000
    for crawl, usd, btc, text, title, desc, stamp, raw_usd, raw_btc, raw_title, raw_en in rows:
        assert crawl == datetime.strptime(stamp, "%d-%m-%Y %H:%M:%S").date()
        assert usd == (float(raw_usd) if raw_usd else None)
        assert btc == float(raw_btc) and text.startswith(f"{raw_btc} BTC / ")
        assert (title, desc) == (raw_title, raw_en)
    assert sum(1 for r in rows if r[1] is not None) > len(rows) * 0.8


def test_mozzarella_vendors_and_dream_values(loaded):
    con, _ = loaded
    bad_keys = con.execute("""
        SELECT count(*) FROM observations o JOIN listings l USING (listing_id)
        WHERE o.market = 'agora' AND o.raw->>'list' IS NOT NULL
          AND NOT ends_with(o.raw->>'list', '__' || l.listing_key || '.html')""").fetchone()[0]
    assert bad_keys == 0
    fb = con.execute("SELECT min(feedback_count), max(feedback_count), count(feedback_count) FROM observations "
                     "WHERE market = 'agora'").fetchone()
    assert fb[0] == 0 and 10 <= fb[1] <= 25 and fb[2] > 3000
    keys = con.execute("SELECT count(*), count(*) FILTER (WHERE starts_with(key_block, '-----BEGIN PGP')) "
                       "FROM vendor_keys").fetchone()
    assert keys[0] > 100 and keys[0] == keys[1]
    dream = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE contains(o.raw->>'product_link', 'offer=' || l.listing_key)),
               count(DISTINCT o.crawl_date)
        FROM observations o JOIN listings l USING (listing_id) WHERE o.market = 'dream'""").fetchone()
    assert dream[0] > 700 and dream[0] == dream[1] and dream[2] == 1
