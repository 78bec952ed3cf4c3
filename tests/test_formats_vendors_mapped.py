"""vendors-csv and mapped (CSV, JSON Lines, Parquet with a TOML mapping) on files written by the test."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dnmobs import DnmobsError
from dnmobs.ingest import Options, ingest
from dnmobs.ingest.formats import detect, registry
from dnmobs.ingest.sources import expand

ROOT = Path(__file__).resolve().parent.parent
KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nVersion: Test\n\nmQENBFAKE\nAAAA=\n-----END PGP PUBLIC KEY BLOCK-----"


def test_vendors_csv(con, tmp_path):
    f = tmp_path / "vendors.csv"
    f.write_text(
        "vendor,market,pgp_key,contact,profile_text,crawl_date,joined\n"
        f'quietfox,Silkish,"{KEY}",quietfox@example.org,"Fast, discreet.",2015-02-01,2014\n'
        'meadow,,,,Garden fresh,,2013\n'
        ',silkish,,,,,\n', encoding="utf-8")
    rep = ingest(con, [str(f)], Options(extract=False, market="fallbackmkt"))
    s = rep.sources[0]
    assert (s.format, s.read, s.stored, s.quarantined) == ("vendors-csv", 3, 2, 1)
    got = {r[0]: r[1:] for r in con.execute("""
        SELECT v.handle, s.market, s.crawl_date, s.pgp_key, s.contact, s.profile_text, s.raw->>'joined'
        FROM vendor_snapshots s JOIN vendors v USING (vendor_id)""").fetchall()}
    # the row's market wins over --market, which only fills the empty one
    assert got["quietfox"] == ("silkish", date(2015, 2, 1), KEY, "quietfox@example.org", "Fast, discreet.", "2014")
    assert got["meadow"][:2] == ("fallbackmkt", None)
    assert con.execute("SELECT count(*) FROM vendor_keys").fetchone()[0] == 1


MAPPING = """
title = "name"
price = "price"
vendor = "seller"
date = "when"
date_format = "%d/%m/%Y"
category = ["cat", "sub"]
ships_from = "from"
ships_to = "to"
listing_id = "id"
description = "body"
[fixed]
currency = "usd"
market = "Testmarket"
"""


def test_mapped_csv_jsonl_parquet(con, tmp_path):
    m = tmp_path / "map.toml"
    m.write_text(MAPPING, encoding="utf-8")
    a = tmp_path / "a.csv"
    a.write_text("id,name,price,seller,when,cat,sub,from,to,body,extra\n"
                 '1,Blue widget 5g,"$1,200.50",alice,03/02/2021,Drugs,Stims,NL,EU,text,x\n'
                 '2,Red thing,"12,50",bob,04/02/2021,Drugs,,DE,,,y\n'
                 "3,,5,carol,05/02/2021,A,B,C,D,,z\n", encoding="utf-8")
    b = tmp_path / "b.jsonl"
    b.write_text('{"id": 7, "name": "JSON item", "price": 3.5, "seller": "dave", "when": "03/02/2021", "cat": "X",'
                 ' "sub": "Y", "from": "US", "to": null, "body": null, "tags": ["a", "b"]}\n'
                 "not json at all\n"
                 '[1, 2]\n'
                 '{"id": 8, "name": "JSON two", "price": "4", "seller": "eve", "when": "31/02/2021", "cat": "X",'
                 ' "sub": null, "from": "US", "to": "US", "body": "b"}\n', encoding="utf-8")
    c = tmp_path / "c.parquet"
    pq.write_table(pa.table({"id": [10, 11], "name": ["PQ one", "PQ two"], "price": [1.5, 2.0], "seller": ["f", "g"],
                             "when": ["01/01/2020", "02/01/2020"], "cat": ["C", "D"], "sub": ["E", None],
                             "from": ["UK", "UK"], "to": ["EU", None], "body": [None, None]}), c)
    rep = ingest(con, [str(a), str(b), str(c)], Options(extract=False, format="mapped", mapping=m))
    by = {Path(s.path).name: (s.read, s.stored, s.quarantined, s.skipped) for s in rep.sources}
    assert by == {"a.csv": (3, 2, 1, 0), "b.jsonl": (4, 1, 3, 0), "c.parquet": (2, 2, 0, 0)}
    got = {r[0]: r[1:] for r in con.execute("""
        SELECT l.listing_key, o.market, o.crawl_date, o.title, o.price_text, o.price_amount, o.price_currency,
               o.vendor, o.category, o.ships_from, o.ships_to, o.description, o.raw->>'extra', o.location
        FROM observations o JOIN listings l USING (listing_id)""").fetchall()}
    assert got["1"] == ("testmarket", date(2021, 2, 3), "Blue widget 5g", "$1,200.50", 1200.5, "USD", "alice",
                        "Drugs/Stims", "NL", "EU", "text", "x", "row 1")
    assert got["2"][4:6] == (12.5, "USD") and got["2"][7] == "Drugs"  # a decimal comma
    assert got["7"][2:5] == ("JSON item", "3.5", 3.5) and got["7"][-1] == "line 1"
    assert got["10"][1:3] == (date(2020, 1, 1), "PQ one") and got["10"][7] == "C/E"
    reasons = dict(con.execute("SELECT location, reason FROM quarantine").fetchall())
    assert reasons["row 3"] == "empty title"
    assert reasons["line 2"].startswith("invalid JSON") and reasons["line 3"] == "not a JSON object"
    assert reasons["line 4"].startswith("no crawl date")  # 31/02 is no date


@pytest.mark.parametrize(("text", "message"), [
    ("titel = 'name'\n", "unknown key 'titel'"),
    ("price = 'p'\n", "title is required"),
    ("title = ['a', 'b']\n", "only category may name several columns"),
    ("title = 'a'\n[fixed]\nvendor = 'x'\n", "[fixed] may set"),
    ("title = 'a'\n[csv]\nencoding = 'klingon'\n", "unknown encoding"),
    ("title = \n", "cannot read it"),
])
def test_mapping_mistakes_are_one_line(con, tmp_path, text, message):
    m = tmp_path / "bad.toml"
    m.write_text(text, encoding="utf-8")
    f = tmp_path / "x.csv"
    f.write_text("name,when\nthing,2021-01-01\n", encoding="utf-8")
    rep = ingest(con, [str(f)], Options(extract=False, format="mapped", mapping=m))
    err = rep.sources[0].error
    assert err and message in err and "\n" not in err
    assert rep.sources[0].read == rep.sources[0].stored + rep.sources[0].quarantined + rep.sources[0].skipped


def test_mapped_needs_a_mapping_and_is_never_detected(con, tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("name,when\nthing,2021-01-01\n", encoding="utf-8")
    rep = ingest(con, [str(f)], Options(extract=False, format="mapped"))
    assert "needs --mapping" in rep.sources[0].error
    assert registry()["mapped"].sniff("title,price\n", "x.csv") is False
    assert detect(next(next(iter(expand([str(f)]))).files)) is None


def test_mapped_cli(tmp_path):
    m = tmp_path / "map.toml"
    m.write_text("title = 'name'\ndate = 'when'\n[fixed]\nmarket = 'clitest'\n", encoding="utf-8")
    f = tmp_path / "x.csv"
    f.write_text("name,when\nthing,2021-01-01\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    run = subprocess.run([str(ROOT / ".venv/bin/dnmobs"), "--db", str(db), "ingest", str(f), "--format", "mapped",
                          "--mapping", str(m), "--json", "--no-extract"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert '"stored": 1' in run.stdout


def test_detection_picks_each_builtin_listing_format(tmp_path):
    """Each format's own header is recognised by it and by no format listed before it."""
    heads = {
        "agora-ada-vendors": ",name,rating,lastSeen,publicKey,#products,#Deals,parsingDate\n",
        "agora-mozzarella": '"list","date","vendor","product","price","cat","subcat","subsubcat","feedback","from","to"\n',
        "alphabay-scrape": "category_link,subcategory_link,listing_title,listing_price,listing_vendor,listing_item,"
                           "listing_link,subcategory_id,subcategory2_id,detail_name,detail_qty_sold,detail_price,"
                           "pagination_link,category_id\r\n",
        "dream-cocaine": ",product_title,ships_from_to,grams,quality,btc_price,cost_per_gram,cost_per_gram_pure,escrow,"
                         "product_link,vendor_link,vendor_name,successful_transactions,rating,ships_from,ships_to\n",
        "matanga-scrape": ",Unnamed: 0,time_stamp,region,sell_code,description,готовых,предзаказ,город,вес,BTC,ք,₴,"
                          "Br,$,desc_en\n",
        "vendors-csv": "market,vendor,pgp_key,contact,profile_text\n",
    }
    for name, head in heads.items():
        f = tmp_path / f"{name}.csv"
        f.write_text(head + "\n", encoding="utf-8")
        found = detect(next(next(iter(expand([str(f)]))).files))
        assert getattr(found, "NAME", None) == name


def test_mapping_error_raised_directly():
    with pytest.raises(DnmobsError, match="needs --mapping"):
        from dnmobs.ingest.formats.mapped import load_mapping

        load_mapping(None)
