"""agora-ada-vendors and agora-mozzarella on small files written by the test (invented text)."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import date

from dnmobs.ingest import Options, ingest
from dnmobs.ingest.formats import detect
from dnmobs.ingest.sources import expand

KEY = ("-----BEGIN PGP PUBLIC KEY BLOCK-----Version: TestPG 1.0mQENBFAKEKEYAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
       "BBBBBBBBBBBBBBB=abcd-----END PGP PUBLIC KEY BLOCK-----")


def write_csv(path, header, rows, *, gz=False, quote_all=False):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def fmt_of(path):
    return detect(next(next(iter(expand([str(path)]))).files)).NAME


VENDOR_HEADER = ["", "name", "rating", "lastSeen", "publicKey", "#products", "#Deals", "parsingDate"]


def test_agora_vendors(con, tmp_path):
    f = write_csv(tmp_path / "vendor2014-03-01.csv.gz", VENDOR_HEADER, [
        [0, "paperboat", "4.96", "Registered 3 months 2 days              5 hours", KEY, "12", "40~55",
         "2014-03-01"],
        [1, "quietfox", "", "", "", "", "", "2014-03-01"],
        [2, "", "5.00", "", "", "1", "0", "2014-03-01"],  # no handle: quarantined
        [3, "samekey", "4.5", "", KEY, "3", "1~5", "2014-03-01"],
    ], gz=True)
    assert fmt_of(f) == "agora-ada-vendors"
    rep = ingest(con, [str(f)], Options(extract=False))
    s = rep.sources[0]
    assert (s.format, s.read, s.stored, s.quarantined, s.skipped) == ("agora-ada-vendors", 4, 3, 1, 0)
    row = con.execute("""SELECT v.handle, s.market, s.crawl_date, s.rating, s.deals, s.n_products, s.last_seen_text,
                                s.pgp_key, s.raw->>'name', list_contains(json_keys(s.raw), '')
                         FROM vendor_snapshots s JOIN vendors v USING (vendor_id) WHERE v.handle = 'paperboat'
                      """).fetchone()
    assert row[:7] == ("paperboat", "agora", date(2014, 3, 1), 4.96, "40~55", 12,
                       "Registered 3 months 2 days              5 hours")
    assert row[7] == KEY  # as found: the lost line breaks are not guessed back
    assert row[8] == "paperboat" and row[9] is False  # the pandas index is not part of the record
    # one key block shared by two handles: one key row per vendor
    assert con.execute("SELECT count(*), count(DISTINCT key_sha256) FROM vendor_keys").fetchone() == (2, 1)
    assert con.execute("SELECT reason FROM quarantine").fetchone()[0] == "empty vendor handle"


PRODUCTS = ["list", "date", "vendor", "product", "price", "cat", "subcat", "subsubcat", "feedback", "from", "to"]
NO_FEEDBACK = "\r\n    Feedbacks:\r\n    No feedbacks found.\r\n"


def feedback(*entries):
    """A feedback box laid out like the parse's: each entry a rating line after a blank line."""
    body = "".join(f"\n        \n            {r}\n            {c}\n            \n\n            {d} days ago\n"
                   f"            anon [0 deals]\n" for r, c, d in entries)
    return "\n    Feedbacks:\n    " + body + "    \n"


def test_agora_mozzarella_products(con, tmp_path):
    f = write_csv(tmp_path / "products-2014-02-01.csv", PRODUCTS, [
        ["2014-02-02__aB3dE5gH7j.html", "2014-02-02", "meadow", "5g Invented Herb", "0.05353963",
         "Drugs", "Cannabis", "Weed", NO_FEEDBACK, "\r\n       Atlantis\r\n    \r\n    ", "NA"],
        ["2014-02-05__Zx9Yw8Vu7T.html", "2014-02-05", "meadow", "Sample tabs x10", "1e-07", "Drugs",
         "Psychedelics", "NA", feedback(("5/5", "5/5", 2), ("4/5", "fine", 3), ("5/5", "good", 9)),
         " From: Atlantis To: Worldwide ", "NA"],
        ["2014-02-05__Qq1Ww2Ee3R.html", "2014-02-05", "NA", "Nameless", "NA", "Other", "NA", "NA", "NA", "NA",
         "EU "],
    ], quote_all=True)
    assert fmt_of(f) == "agora-mozzarella"
    rep = ingest(con, [str(f)], Options(extract=False))
    s = rep.sources[0]
    assert (s.read, s.stored, s.quarantined, s.skipped) == (3, 3, 0, 0)
    got = {r[0]: r[1:] for r in con.execute("""
        SELECT o.title, o.crawl_date, l.listing_key, o.price_amount, o.price_currency, o.category, o.ships_from,
               o.ships_to, o.feedback_count, o.vendor
        FROM observations o JOIN listings l USING (listing_id)""").fetchall()}
    assert got["5g Invented Herb"] == (date(2014, 2, 2), "aB3dE5gH7j", 0.05353963, "BTC", "Drugs/Cannabis/Weed",
                                       "Atlantis", None, 0, "meadow")
    # the comment "5/5" right after a rating line is not an entry: three feedbacks
    assert got["Sample tabs x10"] == (date(2014, 2, 5), "Zx9Yw8Vu7T", 1e-07, "BTC", "Drugs/Psychedelics",
                                      "Atlantis", "Worldwide", 3, "meadow")
    assert got["Nameless"][1:] == ("Qq1Ww2Ee3R", None, None, "Other", None, "EU", None, None)


def test_agora_mozzarella_vendorall_and_non_listing_files(con, tmp_path):
    va = write_csv(tmp_path / "vendorall_0214.csv", ["date", "vendor", "product", "description", "price", "from",
                                                      "to"],
                   [["2014-02-01", "meadow", "Herb 1g", "Herb 1g grown in the sun ...", "0.0123", "undeclared",
                     "Worldwide"]], quote_all=True)
    counts = write_csv(tmp_path / "WeeklyCounts.csv", ["week", "count"], [["2014-01-07", "1054"]])
    index = write_csv(tmp_path / "bpi.csv", ["Date", "Close.Price"], [["2014-01-01", "770.44"]])
    rep = ingest(con, [str(va), str(counts), str(index)], Options(extract=False))
    by = {s.path: s for s in rep.sources}
    assert by[str(va)].format == "agora-mozzarella" and by[str(va)].stored == 1
    row = con.execute("SELECT title, description, crawl_date, ships_from, ships_to, category FROM observations"
                      ).fetchone()
    assert row == ("Herb 1g", "Herb 1g grown in the sun ...", date(2014, 2, 1), "undeclared", "Worldwide", None)
    for f in (counts, index):
        err = by[str(f)].error
        assert err is not None and "unknown format" in err and "\n" not in err
