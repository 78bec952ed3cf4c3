"""dream-cocaine and matanga-scrape on small files written by the test (invented listings)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from dnmobs.ingest import Options, ingest

DREAM = ["", "product_title", "ships_from_to", "grams", "quality", "btc_price", "cost_per_gram", "cost_per_gram_pure",
         "escrow", "product_link", "vendor_link", "vendor_name", "successful_transactions", "rating", "ships_from",
         "ships_to", "ships_to_US", "ships_from_US"]


def write_csv(path, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def dream_file(tmp_path):
    return write_csv(tmp_path / "listings.csv", DREAM, [
        [3, "1GR INVENTED POWDER 88%", "NL  → EU", "1", "88", "0.0301", "0.0301", "0.0342", "1",
         "http://example.onion/viewProduct?offer=123456.789012", "http://example.onion/contactMember?member=quietfox",
         "quietfox", "90", "4.63", "NL", "EU", "FALSE", "FALSE"],
        [7, "0,5 g sample", "DE  → WW", "5", "", "0.015", "", "", "0",
         "http://example.onion/viewProduct?offer=222222.1", "", "meadow", "", "", "DE", "WW", "FALSE", "FALSE"],
    ])


def test_dream_without_date_is_quarantined_with_the_reason(con, tmp_path):
    f = dream_file(tmp_path)
    rep = ingest(con, [str(f)], Options(extract=False))
    s = rep.sources[0]
    assert (s.format, s.read, s.stored, s.quarantined) == ("dream-cocaine", 2, 0, 2)
    reasons = {r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()}
    assert reasons == {"no crawl date in the record, its file name or path (give --crawl-date)"}


def test_dream_with_crawl_date(con, tmp_path):
    f = dream_file(tmp_path)
    rep = ingest(con, [str(f)], Options(extract=False, crawl_date=date(2017, 7, 1)))
    assert rep.totals["stored"] == 2
    got = {r[0]: r[1:] for r in con.execute("""
        SELECT l.listing_key, o.market, o.crawl_date, o.title, o.price_amount, o.price_currency, o.vendor,
               o.ships_from, o.ships_to, o.rating, o.sold_count, o.raw->>'grams', list_contains(json_keys(o.raw), '')
        FROM observations o JOIN listings l USING (listing_id)""").fetchall()}
    assert got["123456.789012"] == ("dream", date(2017, 7, 1), "1GR INVENTED POWDER 88%", 0.0301, "BTC", "quietfox",
                                    "NL", "EU", 4.63, None, "1", False)
    assert got["222222.1"][9] is None and got["222222.1"][10] == "5"  # the label stays raw, wrong or not


MATANGA_A = ["", "Unnamed: 0", "time_stamp", "region", "sell_code", "description", "Тбилиси", "готовых", "предзаказ",
             "город", "вес", "BTC", "ք", "₴", "Br", "$", "Saburtalo", "€", "desc_en"]
MATANGA_B = ["", "Unnamed: 0", "time_stamp", "region", "sell_code", "description", "готовых", "предзаказ", "город",
             "вес", "BTC", "ք", "₴", "Br", "$", "Vake", "Батуми", "desc_en"]


def test_matanga_files_with_different_columns(con, tmp_path):
    write_csv(tmp_path / "output_01032020_030252.csv", MATANGA_A, [
        [0, 0, "01-03-2020 02:56:54", "Tbilisi", "aa11bb22cc", "Порошок 0,5г", "True", "1", "нет", "Тбилиси",
         "0.5 гр", "0.0122", "7302", "2692", "244", "109.0", "True", "", "Poroshok 0,5g"],
        [1, 1, "01-03-2020 02:56:54", "Tbilisi", "dd33ee44ff", "Травка 5 гр", "True", "нет", "3", "Тбилиси",
         "5 гр", "0.0056", "3350", "1235", "112", "", "", "48.0", "Travka 5 gr"],
    ])
    write_csv(tmp_path / "output_02042020_101010.csv", MATANGA_B, [
        [4, 4, "01-04-2020 23:59:01", "Batumi", "aa11bb22cc", "Порошок 0,5г", "2", "нет", "Батуми", "0.5 гр",
         "0.0131", "7400", "2700", "250", "110.0", "", "True", "Poroshok 0,5g"],
    ])
    log = tmp_path / "logfile.txt"
    log.write_text("Scrape at 16-03-2020 13:02:12 failed with Message: Timeout\n\nScrape at 16-03-2020 13:21:29 "
                   "successful with 106 records\n", encoding="utf-8")
    rep = ingest(con, [str(tmp_path)], Options(extract=False))
    by = {s.path.rsplit("/", 1)[1]: s for s in rep.sources}
    assert by["logfile.txt"].error and "unknown format" in by["logfile.txt"].error
    assert [by[n].format for n in ("output_01032020_030252.csv", "output_02042020_101010.csv")] == \
        ["matanga-scrape"] * 2
    assert rep.totals["stored"] == 3
    got = {(r[0], r[1]): r[2:] for r in con.execute("""
        SELECT vendor, ships_from, crawl_date, title, description, price_text, price_amount, price_currency,
               price_usd_shown, usd_rate, counters_text, raw->>'вес', raw->>'Saburtalo', raw->>'Vake',
               list_contains(json_keys(raw), 'Unnamed: 0')
        FROM observations""").fetchall()}
    first = got[("aa11bb22cc", "Tbilisi")]
    assert first[:6] == (date(2020, 3, 1), "Порошок 0,5г", "Poroshok 0,5g",
                         "0.0122 BTC / 7302 ք / 2692 ₴ / 244 Br / 109.0 $", 0.0122, "BTC")
    assert first[6] == 109.0 and first[7] == pytest.approx(109.0 / 0.0122)
    assert first[8:] == ("готовых: 1, предзаказ: нет", "0.5 гр", "True", None, False)
    second = got[("dd33ee44ff", "Tbilisi")]
    assert second[3] == "0.0056 BTC / 3350 ք / 1235 ₴ / 112 Br / 48.0 €"  # no $ shown: € instead
    assert second[6:8] == (None, None)
    third = got[("aa11bb22cc", "Batumi")]
    assert third[0] == date(2020, 4, 1)  # the row's time stamp, not the file name's 02-04
    assert third[9:] == ("0.5 гр", None, None, False)
    # the same seller and title in two cities are two listings
    assert con.execute("SELECT count(*) FROM listings").fetchone()[0] == 3
