"""fill_offers (the store) and the `dnmobs extract` / `dnmobs rates import` commands."""

from __future__ import annotations

import json
from datetime import date

import orjson
import pytest
from typer.testing import CliRunner

from dnmobs.cli import app
from dnmobs.extract import Rates, parse_listing
from dnmobs.extract.store import fill_offers

OBS = [
    # obs_id, market, date, title, price_text, amount, currency, usd_rate, usd_shown, from, to
    ("o1", "agora", date(2014, 4, 6), "MDMA powder 10 gr 88% pure", "0.5", 0.5, "BTC", None, None, "Netherlands",
     "Worldwide"),
    ("o2", "agora", date(2014, 4, 6), "1g/3.5g/7g Amnesia Haze", "0.05", 0.05, "BTC", None, None, "UK", None),
    ("o3", "alphabay", date(2017, 5, 1), "20 pills Adderall 30mg IR", "Buy price USD 120.00 (0.0901 BTC)", None,
     None, None, 120.0, None, None),
    ("o4", "agora", date(2014, 4, 6), "A handbook of drug policy", "0.01", 0.01, "BTC", 463.0, None, None, None),
    ("o5", "matanga", date(2020, 3, 1), "❄️ Cocaine 88% — 0.5g $45 | 28g $1900", None, None, None, None, None,
     "Tbilisi", None),
    ("o6", "agora", date(2014, 4, 10), "7g speed paste [UK2EU]", "0.1", 0.1, "BTC", None, None, None, None),
]


def _load(con, rows=OBS):
    con.executemany(
        "INSERT INTO observations (obs_id, listing_id, crawl_id, source_id, market, crawl_date, title, price_text,"
        " price_amount, price_currency, usd_rate, price_usd_shown, ships_from, ships_to, vendor)"
        " VALUES (?, ?, 1, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'v')",
        [[r[0], "l" + r[0], *r[1:]] for r in rows])


def _offers(con):
    cols = [d[0] for d in con.execute("SELECT * FROM offers LIMIT 0").description]
    return [dict(zip(cols, r, strict=True)) for r in con.execute("SELECT * FROM offers ORDER BY offer_id").fetchall()]


def test_fill_offers_matches_parse_listing(con, tmp_path):
    f = tmp_path / "rates.csv"
    f.write_text("date,currency,usd\n2014-04-06,BTC,450\n", encoding="utf-8")
    con.execute("INSERT INTO rates VALUES ('2014-04-08', 'BTC', 440, 'store')")
    _load(con)
    rates = Rates.from_file(f)
    added = fill_offers(con, rates)
    rows = _offers(con)
    assert added == len(rows) == 1 + 3 + 1 + 1 + 2 + 1
    by_obs: dict[str, list] = {}
    for r in rows:
        by_obs.setdefault(r["obs_id"], []).append(r)
    store_rates = Rates.from_store(con)
    for o in OBS:
        want = parse_listing(o[3], price=o[4] if o[5] is None else o[5], price_currency=o[6], usd_rate=o[7],
                             price_usd_shown=o[8], date=o[2], market=o[1], ships_from=o[9], ships_to=o[10],
                             rates=[rates, store_rates])
        got = sorted(by_obs[o[0]], key=lambda r: r["offer_index"])
        subs = want.offers or (want,)
        assert len(got) == len(subs), o[3]
        for g, w in zip(got, subs, strict=True):
            assert g["text"] == o[3] and g["date"] == o[2] and g["market"] == o[1] and g["vendor"] == "v"
            assert (g["is_drug"], g["substance"], g["form"]) == (want.is_drug, want.substance, want.form)
            for k in ("grams", "units", "unit_dose_mg", "price_amount", "price_currency", "price_usd",
                      "price_usd_source", "price_note", "usd_per_gram", "usd_per_unit"):
                gv, wv = g[k], getattr(w, k)
                assert gv == pytest.approx(wv) if isinstance(wv, float) else gv == wv, (o[3], k, gv, wv)
            assert (g["ships_from"], g["ships_to"]) == (want.ships_from, want.ships_to)
            assert set(want.flags) <= set(g["flags"])
    o6 = by_obs["o6"][0]  # the file's rate is 4 days old: the store's (2 days old) is used
    assert o6["price_usd_source"] == "store" and o6["price_usd"] == pytest.approx(44.0)
    assert "rate of 2014-04-08" in o6["price_note"]
    assert by_obs["o4"][0]["is_drug"] is False and by_obs["o4"][0]["price_usd"] == pytest.approx(4.63)
    assert by_obs["o5"][0]["ships_from"] == "GE"
    assert fill_offers(con, rates) == 0  # everything is done: a second run adds nothing


def test_fill_offers_without_rates_explains(con):
    _load(con, OBS[:1])
    fill_offers(con)
    (row,) = _offers(con)
    assert row["price_usd"] is None and row["price_note"] == "no USD rate for BTC on 2014-04-06"


runner = CliRunner()


def test_cli_extract_contract(tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [{"id": 1, "title": "🔥 1G COCAINE 90% — 75 EUR (menu item)", "date": "2017-05-01"},
             {"id": "b", "title": "20 pills Adderall 30mg IR", "price": "USD 120.00 (0.0901 BTC)"},
             "not json", {"id": 3}, {"id": 4, "title": "x", "date": "May 1"},
             {"id": 5, "title": "1g/3.5g/7g Amnesia Haze", "price": 0.05, "market": "agora", "date": "2014-04-06"}]
    src.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    rates = tmp_path / "rates.csv"
    rates.write_text("date,currency,usd\n2017-05-01,EUR,1.1\n2014-04-06,BTC,450\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    res = runner.invoke(app, ["--db", str(tmp_path / "none.duckdb"), "extract", "--input", str(src),
                              "--output", str(out), "--rates", str(rates)])
    assert res.exit_code == 0, res.output
    got = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    assert [g.get("id") for g in got] == [1, "b", None, 3, 4, 5]
    contract = ["id", "is_drug", "substance", "substance_class", "form", "grams", "units", "unit_dose_mg",
                "purity_pct", "price_amount", "price_currency", "price_usd", "usd_per_gram", "ships_from",
                "ships_to", "offers"]
    for g in (got[0], got[1], got[5]):
        assert set(contract) <= set(g)
    assert got[0]["price_usd"] == pytest.approx(82.5) and got[0]["offers"] is None
    assert got[1]["units"] == 20 and got[1]["price_usd"] == 120.0
    assert "error" in got[2] and got[3]["error"] == "missing title" and "YYYY-MM-DD" in got[4]["error"]
    assert [o["grams"] for o in got[5]["offers"]] == [1, 3.5, 7]
    assert got[5]["price_usd"] == pytest.approx(22.5)


def test_cli_rates_import(tmp_path):
    f = tmp_path / "btc.csv"
    f.write_text("date,currency,usd\n2014-04-06,BTC,450\n", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    res = runner.invoke(app, ["--db", str(db), "rates", "import", str(f)])
    assert res.exit_code == 0 and "imported 1 rates (BTC)" in res.output
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": 1, "title": "cocaine 1g", "price": "0.1 BTC", "date": "2014-04-06"}) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    res = runner.invoke(app, ["--db", str(db), "extract", "--input", str(src), "--output", str(out)])
    assert res.exit_code == 0, res.output
    row = orjson.loads(out.read_bytes())
    assert row["price_usd"] == pytest.approx(45.0) and row["price_usd_source"] == "store"


def test_extract_workers_keep_order_and_output():
    """`dnmobs extract` spreads chunks over worker processes on 2 CPUs and more: the output must be the
    same bytes, in the same order, as one process (bad lines included)."""
    import io

    from dnmobs.extract import jsonl

    titles = ["🔥 1G COCAINE 90% — 75 EUR", "20 pills Adderall 30mg IR", "1g/3.5g/7g Amnesia Haze",
              "Ketamine needles 5g", "Guide to growing tomatoes", "LSD 150ug blotter x10"]
    lines = []
    for i in range(3 * jsonl.CHUNK + 7):  # several chunks, the last one short
        if i % 997 == 0:
            lines.append(b"{not json\n")
        else:
            lines.append(orjson.dumps({"id": i, "title": f"{titles[i % len(titles)]} #{i}", "price": "0.1",
                                       "date": "2014-04-06"}) + b"\n")
    one, two = io.BytesIO(), io.BytesIO()
    rep1 = jsonl.run(iter(lines), one, workers=1)
    rep2 = jsonl.run(iter(lines), two, workers=2)
    assert (rep1.lines, rep1.errors) == (rep2.lines, rep2.errors) == (len(lines), 7)
    assert one.getvalue() == two.getvalue()
    ids = [orjson.loads(x).get("id") for x in two.getvalue().splitlines()]
    assert ids == [None if i % 997 == 0 else i for i in range(len(lines))]
