"""Ingest framework on small files written by the test (agora-ada layout, our own text)."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import date

from dnmobs.ingest import Options, ingest

HEADER = ["", "name", "price", "from", "to", "vendor", "cat_hash", "cat", "date"]


def write_snapshot(path, rows, gz=True):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for i, r in enumerate(rows):
        w.writerow([i, *r])
    data = buf.getvalue().encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


ROWS = [
    ("2g Test Powder 90%", "0.05", "Netherlands", "Worldwide", "alpha", "h1", "Drugs/Stimulants/Cocaine",
     "2014-05-01"),
    ("10x Sample Pills", "0.20", "Germany", "EU", "beta", "h2", "Drugs/Ecstasy/Pills", "2014-05-01"),
    ("A guide to nothing", "0.01", "", "", "gamma", "h3", "Information/Guides", "2014-05-01"),
]


def totals(rep):
    return {k: rep.totals[k] for k in ("read", "stored", "quarantined", "skipped")}


def test_reconciles_and_builds_listings(con, tmp_path):
    f = write_snapshot(tmp_path / "2014-05-01_catProducts.csv.gz", [*ROWS, ROWS[0]])  # one exact duplicate
    rep = ingest(con, [str(f)], Options(extract=False))
    assert rep.sources[0].format == "agora-ada"
    assert totals(rep) == {"read": 4, "stored": 3, "quarantined": 0, "skipped": 1}
    assert con.execute("SELECT count(*) FROM listings").fetchone()[0] == 3
    assert con.execute("SELECT count(*) FROM vendors").fetchone()[0] == 3
    assert con.execute("SELECT market, crawl_date FROM crawls").fetchall() == [("agora", date(2014, 5, 1))]
    row = con.execute("SELECT price_amount, price_currency, ships_from, category, raw->>'cat_hash' "
                      "FROM observations WHERE title = '2g Test Powder 90%'").fetchone()
    assert row == (0.05, "BTC", "Netherlands", "Drugs/Stimulants/Cocaine", "h1")
    src = con.execute("SELECT n_read, n_stored, n_quarantined, n_skipped, status FROM sources").fetchone()
    assert src == (4, 3, 0, 1, "complete")


def test_same_content_again_stores_nothing(con, tmp_path):
    f = write_snapshot(tmp_path / "2014-05-01_catProducts.csv.gz", ROWS)
    ingest(con, [str(f)], Options(extract=False))
    rep = ingest(con, [str(f)], Options(extract=False))
    assert totals(rep) == {"read": 3, "stored": 0, "quarantined": 0, "skipped": 3}
    assert rep.sources[0].unchanged
    # the same records in a different file (new bytes) are skipped record by record
    g = write_snapshot(tmp_path / "copy-2014-05-01.csv", ROWS, gz=False)
    rep = ingest(con, [str(g)], Options(extract=False))
    assert totals(rep) == {"read": 3, "stored": 0, "quarantined": 0, "skipped": 3}
    assert con.execute("SELECT count(*) FROM observations").fetchone()[0] == 3


def test_only_exact_copies_are_skipped_and_the_first_is_kept(con, tmp_path):
    # the same listing on the same date with another price is a new observation; an exact copy is
    # skipped, in the same file, in another file of the chunk, or in a later ingest; the first kept
    changed = (ROWS[0][0], "0.06", *ROWS[0][2:])
    a = write_snapshot(tmp_path / "2014-05-01_a.csv", [ROWS[0], changed, ROWS[1]], gz=False)
    b = write_snapshot(tmp_path / "2014-05-01_b.csv", [ROWS[2], ROWS[1], ROWS[0]], gz=False)
    rep = ingest(con, [str(a), str(b)], Options(extract=False))
    assert [(s.read, s.stored, s.skipped) for s in rep.sources] == [(3, 3, 0), (3, 1, 2)]
    kept = con.execute("SELECT s.path, o.location FROM observations o JOIN sources s USING (source_id) "
                       "WHERE o.title = ? AND o.price_text = '0.05'", [ROWS[0][0]]).fetchall()
    assert kept == [(str(a), "row 1")]
    c = write_snapshot(tmp_path / "2014-05-01_c.csv", [changed, ("new item", *ROWS[0][1:])], gz=False)
    rep = ingest(con, [str(c)], Options(extract=False))
    assert totals(rep) == {"read": 2, "stored": 1, "quarantined": 0, "skipped": 1}
    assert con.execute("SELECT count(*), count(DISTINCT obs_id) FROM observations").fetchone() == (5, 5)


def test_offers_parsed_while_loading_equal_offers_filled_afterwards(tmp_path, monkeypatch):
    import dnmobs.extract.store as xstore
    from dnmobs.store import connect

    files = [str(write_snapshot(tmp_path / f"2014-05-0{d}.csv.gz", [(*r[:-1], f"2014-05-0{d}") for r in ROWS]))
             for d in range(1, 4)]
    later = connect(tmp_path / "later.duckdb")
    ingest(later, files, Options(extract=False))
    assert xstore.fill_offers(later) == 9
    ahead = connect(tmp_path / "ahead.duckdb")

    def no_parsing_left(*args):
        raise AssertionError("every text should have been parsed while loading")

    monkeypatch.setattr(xstore, "_parse_texts", no_parsing_left)
    assert ingest(ahead, files, Options()).offers == 9
    q = "SELECT * FROM offers ORDER BY offer_id"
    assert ahead.execute(q).fetchall() == later.execute(q).fetchall()


def test_crawl_date_precedence(con, tmp_path):
    # the row's date wins over the file name, the file name over the folder, the folder over --crawl-date
    def row(title, day=""):
        return (title, "0.1", "", "", "v", "h", "Drugs/Other", day)

    (tmp_path / "2014-06-02").mkdir()
    files = [
        write_snapshot(tmp_path / "snap-2014-07-09.csv", [row("from the row", "2014-05-01")], gz=False),
        write_snapshot(tmp_path / "2014-06-02" / "snap-2014-06-01.csv", [row("from the name")], gz=False),
        write_snapshot(tmp_path / "2014-06-02" / "snap.csv", [row("from the folder")], gz=False),
        write_snapshot(tmp_path / "undated.csv", [row("from the option")], gz=False),
    ]
    ingest(con, [str(f) for f in files], Options(extract=False, crawl_date=date(2014, 8, 1)))
    got = dict(con.execute("SELECT title, crawl_date FROM observations").fetchall())
    assert got == {"from the row": date(2014, 5, 1), "from the name": date(2014, 6, 1),
                   "from the folder": date(2014, 6, 2), "from the option": date(2014, 8, 1)}


def test_records_without_a_date_are_quarantined_with_the_reason(con, tmp_path):
    rows = [(*ROWS[0][:-1], ""), ROWS[1]]
    f = write_snapshot(tmp_path / "nodate.csv", rows, gz=False)
    rep = ingest(con, [str(f)], Options(extract=False))
    assert totals(rep) == {"read": 2, "stored": 1, "quarantined": 1, "skipped": 0}
    loc, reason = con.execute("SELECT location, reason FROM quarantine").fetchone()
    assert loc == "row 1" and "crawl date" in reason and "--crawl-date" in reason


def test_market_override(con, tmp_path):
    f = write_snapshot(tmp_path / "2014-05-01.csv", ROWS, gz=False)
    ingest(con, [str(f)], Options(extract=False, market="SilkRoad2"))
    assert con.execute("SELECT DISTINCT market FROM observations").fetchall() == [("silkroad2",)]


def test_many_files_in_one_chunk_keep_their_own_counts(con, tmp_path):
    paths = []
    for d in range(1, 6):
        rows = [(*r[:-1], f"2014-05-0{d}") for r in ROWS] + ([(*ROWS[0][:-1], f"2014-05-0{d}")] if d % 2 else [])
        paths.append(str(write_snapshot(tmp_path / f"2014-05-0{d}.csv.gz", rows)))
    rep = ingest(con, paths, Options(extract=False))
    assert [(s.read, s.stored, s.skipped) for s in rep.sources] == [
        (4, 3, 1), (3, 3, 0), (4, 3, 1), (3, 3, 0), (4, 3, 1)]
    assert con.execute("SELECT count(*) FROM crawls").fetchone()[0] == 5
    assert con.execute("SELECT count(*) FROM listings").fetchone()[0] == 3


def test_unreadable_files_do_not_pile_up_on_reruns(con, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("nothing here is a listing\n")
    for _ in range(3):
        rep = ingest(con, [str(junk)], Options(extract=False))
        assert rep.errors and "unknown format" in rep.errors[0]
    assert con.execute("SELECT count(*) FROM sources").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 1


def test_a_damaged_file_keeps_its_records_and_says_so_each_run(con, tmp_path):
    rows = [(f"item {i}", "0.1", "", "", "v", "h", "Drugs/Other", "2014-05-01") for i in range(3000)]
    whole = write_snapshot(tmp_path / "whole.csv.gz", rows).read_bytes()
    cut = tmp_path / "2014-05-01_cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    first = ingest(con, [str(cut)], Options(extract=False))
    (src,) = first.sources
    assert src.stored > 0 and src.error and "truncated gzip" in src.error
    assert con.execute("SELECT status FROM sources").fetchone()[0] == "partial"
    again = ingest(con, [str(cut)], Options(extract=False))
    assert again.sources[0].unchanged and again.sources[0].stored == 0 and again.sources[0].error == src.error
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == src.quarantined
