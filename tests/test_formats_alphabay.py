"""alphabay-scrape on a file of bytes written by the test: Mac Roman, CRLF records, LF/CR inside
fields, a 0x85 byte (NEL in Latin-1) inside a title, mangled separators in the counters."""

from __future__ import annotations

from datetime import date

from dnmobs.ingest import Options, ingest
from dnmobs.ingest.formats.alphabay_scrape import HEADER

SEP = b"\xce\xbe"  # how one file shows the item page's separator


def row(*fields: bytes) -> bytes:
    out = []
    for f in fields:
        out.append(b'"' + f.replace(b'"', b'""') + b'"' if any(c in f for c in b',"\r\n') else f)
    return b",".join(out) + b"\r\n"


def counters(vendor: bytes, sold: bytes, since: bytes, sep: bytes = SEP, nl: bytes = b"\n") -> bytes:
    return (b"Sold by " + vendor + b" -" + nl + sold + b" sold since " + since + sep + sep + b"Vendor Level 5" + sep
            + b"Trust Level 6")


ROWS = [
    # an ordinary drug listing, three-level category
    row(b"Drugs & Chemicals", b"Stimulants", b"1g Invented Powder 90%", b"Buy price\nUSD 120.00\n\n(0.0901 BTC)",
        b"quietfox", b"Views: 12 / Bids: Fixed price\nQuantity left: Unlimited", b"1g Invented Powder 90%",
        b"Stimulants", b"Cocaine", b"1g Invented Powder 90%", counters(b"quietfox", b"47", b"Jan 7, 2017"),
        b"Purchase price: USD 120.00", b"3", b"Drugs & Chemicals"),
    # mojibake with a 0x85 byte in an unquoted title; lone CRs inside the price; a two-level category
    row(b"Drugs & Chemicals", b"Steroids", b"\x8a\x85\xc4 Sample Vials \x8a\x85\xc4",
        b"Buy price\rUSD 1,250.50\r\r(0.9876 BTC)", b"paperboat", b"null", b"\x8a\x85\xc4 Sample Vials \x8a\x85\xc4",
        b"Steroids", b"Steroids", b"\x8a\x85\xc4 Sample Vials \x8a\x85\xc4",
        counters(b"paperboat", b"1,204", b"Nov 18, 2015", sep=b"\x8c\xe6", nl=b"\r"), b"null", b"12",
        b"Drugs & Chemicals"),
    # an auction, a BTC figure too coarse for a rate
    row(b"Digital Products", b"E-Books", b"Tiny guide", b"Current price\nUSD 5.00\n\n(0.0038 BTC)\n\n\nBuy price\n"
        b"USD 0.97\n\n(0.0006 BTC)", b"meadow", b"Views: 4 / Bids: 0\nQuantity left: Unlimited", b"Tiny guide",
        b"E-Books", b"E-Books", b"Tiny guide", counters(b"meadow", b"0", b"Mar 3, 2017", sep=b"\xce_"),
        b"Purchase price: USD 0.97", b"1", b"Digital Products"),
    # the grid shows no price: the item page's is used
    row(b"Counterfeit Items", b"Clothing", b"Grown indoors 28g", b"null", b"hilltop", b"null", b"Grown indoors 28g",
        b"Cannabis & Hashish", b"Buds & Flowers", b"Grown indoors 28g", counters(b"hilltop", b"3", b"Feb 29, 2016"),
        b"Purchase price: USD 500.00", b"44", b"Drugs & Chemicals"),
    # the item page belongs to another listing (another seller): only the grid is used
    row(b"Fraud", b"Accounts & Bank Drops", b"Account list", b"Buy price\nUSD 0.20\n\n(0.0001 BTC)", b"s4mple",
        b"Item # 233781 - Fraud / Other", b"Account list", b"Accounts & Bank Drops", b"Porn", b"Other thing...",
        counters(b"someoneelse", b"237", b"Apr 10, 2016"), b"Purchase price: USD 9.99", b"27", b"Fraud"),
]


def write(path, rows=ROWS):
    path.write_bytes(",".join(HEADER).encode() + b"\r\n" + b"".join(rows))
    return path


def test_alphabay_mapping(con, tmp_path):
    f = write(tmp_path / "D&C_-_stims_-_cocaine_-_20170420.csv")
    rep = ingest(con, [str(f)], Options(extract=False))
    s = rep.sources[0]
    assert s.format == "alphabay-scrape"
    assert (s.read, s.stored, s.quarantined, s.skipped) == (5, 5, 0, 0)  # 0x85 split nothing
    got = {r[0]: r[1:] for r in con.execute("""
        SELECT vendor, crawl_date, title, category, price_text, price_amount, price_currency, price_usd_shown,
               usd_rate, sold_count, sold_since, counters_text, location
        FROM observations""").fetchall()}
    a = got["quietfox"]
    assert a[:8] == (date(2017, 4, 20), "1g Invented Powder 90%", "Drugs & Chemicals/Stimulants/Cocaine",
                     "Buy price USD 120.00 (0.0901 BTC)", 0.0901, "BTC", 120.0, 120.0 / 0.0901)
    assert a[8:11] == (47, date(2017, 1, 7), "Sold by quietfox - 47 sold since Jan 7, 2017 · Vendor Level 5 · "
                                             "Trust Level 6")
    b = got["paperboat"]
    assert b[1] == "äÖƒ Sample Vials äÖƒ"  # Mac Roman: 0x85 is Ö, not a line end
    assert b[2] == "Drugs & Chemicals/Steroids"
    assert b[3:7] == ("Buy price USD 1,250.50 (0.9876 BTC)", 0.9876, "BTC", 1250.5)
    assert b[8:10] == (1204, date(2015, 11, 18)) and " · Vendor Level 5 · Trust Level 6" in b[10]
    c = got["meadow"]
    assert c[4:8] == (0.0006, "BTC", 0.97, None)  # the Buy price, and no rate from 0.0006 BTC
    d = got["hilltop"]
    assert d[2:7] == ("Drugs & Chemicals/Cannabis & Hashish/Buds & Flowers", "Purchase price: USD 500.00", 500.0,
                      "USD", 500.0)
    assert d[9] == date(2016, 2, 29)
    e = got["s4mple"]
    assert e[2] == "Fraud/Accounts & Bank Drops" and e[8:11] == (None, None, None)
    raw = con.execute("SELECT raw FROM observations WHERE vendor = 's4mple'").fetchone()[0]
    assert "Item # 233781" in raw and '"pagination_link":"27"' in raw


def test_alphabay_broken_record_keeps_neighbours(con, tmp_path):
    # a record with a stray quote inside an unquoted field, and one with too few fields
    broken = b'Drugs & Chemicals,Stimulants,Bad "title,Buy price USD 1.00 (0.0010 BTC)\r\n'
    f = write(tmp_path / "Weapons_-_20170509.csv", [ROWS[0], broken, ROWS[2]])
    rep = ingest(con, [str(f)], Options(extract=False))
    s = rep.sources[0]
    assert s.read == s.stored + s.quarantined + s.skipped
    assert s.stored == 2 and s.quarantined >= 1
    assert {v for (v,) in con.execute("SELECT vendor FROM observations").fetchall()} == {"quietfox", "meadow"}
    reasons = [r for (r,) in con.execute("SELECT reason FROM quarantine").fetchall()]
    assert all("\n" not in r for r in reasons) and any("malformed CSV" in r for r in reasons)
