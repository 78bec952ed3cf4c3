"""Fill the store's ``offers`` table from observations, fast: parse each distinct text once in Python,
do the per-observation price arithmetic in SQL, move data as Arrow.

Every observation gets at least one offers row (offer_index 0, even when nothing was recognised),
so "observations without offers" is exactly the work left, and a second run does nothing.
The USD price of each row follows the same order as ``parse_listing``: a USD price or a rate the
page or row shows, then a rates file given to ``fill_offers``, then the store's ``rates`` table
(the last rate at most ``MAX_AGE_DAYS`` old); otherwise NULL with the reason in ``price_note``.
"""

from __future__ import annotations

import contextlib

import pyarrow as pa

from dnmobs.extract.listing import analyse
from dnmobs.extract.places import field_codes
from dnmobs.extract.price import (
    _MAX_USD_PER_GRAM,
    _MIN_USD,
    _MIN_USD_PER_GRAM,
    MARKET_CURRENCY,
    parse_displayed,
)
from dnmobs.extract.rates import MAX_AGE_DAYS, Rates

_TEXT_SCHEMA = pa.schema([
    ("tid", pa.uint64()), ("offer_index", pa.int32()), ("n_offers", pa.int32()), ("several_prices", pa.bool_()),
    ("is_drug", pa.bool_()), ("substance", pa.string()), ("substance_class", pa.string()), ("form", pa.string()),
    ("brand", pa.string()), ("grams", pa.float64()), ("units", pa.float64()), ("unit_dose_mg", pa.float64()),
    ("purity_pct", pa.float64()), ("t_amount", pa.float64()), ("t_currency", pa.string()),
    ("t_from", pa.string()), ("t_to", pa.string()), ("t_flags", pa.list_(pa.string())), ("potent", pa.bool_()),
    ("bundle", pa.bool_()),
])


def fill_offers(con, rates: Rates | None = None) -> int:
    """Extract offers for every observation that has none; returns the number of offers rows added."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _xo AS
        SELECT o.obs_id, o.listing_id, o.market, o.vendor, o.crawl_date, o.title, o.description, o.price_text,
               o.price_amount, o.price_currency, o.usd_rate, o.price_usd_shown, o.ships_from, o.ships_to,
               hash(o.title, o.description) AS tid
        FROM observations o
        WHERE NOT EXISTS (SELECT 1 FROM offers f WHERE f.obs_id = o.obs_id)
    """)
    try:
        n_obs = con.execute("SELECT count(*) FROM _xo").fetchall()[0][0]
        if not n_obs:
            return 0
        _register_texts(con)
        _register_prices(con)
        _register_places(con)
        _register_rates(con, rates)
        before = con.execute("SELECT count(*) FROM offers").fetchall()[0][0]
        con.execute(_INSERT)
        after = con.execute("SELECT count(*) FROM offers").fetchall()[0][0]
        return after - before
    finally:
        for t in ("_xo", "_xt_in", "_xpp", "_xpl", "_xrf"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        for v in ("_xt", "_xpp_arrow", "_xpl_arrow", "_xrf_arrow"):
            with contextlib.suppress(Exception):  # not registered when an earlier step failed
                con.unregister(v)


def _register_texts(con) -> None:
    texts = con.sql("SELECT tid, any_value(title), any_value(description) FROM _xo GROUP BY tid").to_arrow_table()
    tids = texts.column(0).to_pylist()
    titles = texts.column(1).to_pylist()
    descs = texts.column(2).to_pylist()
    cols: dict[str, list] = {f.name: [] for f in _TEXT_SCHEMA}
    for tid, title, desc in zip(tids, titles, descs, strict=True):
        f = analyse(title or "", desc or None)
        qtys = f.qtys or (None,)
        n = len(qtys)
        flags = list(f.flags)
        for k, q in enumerate(qtys):
            cols["tid"].append(tid)
            cols["offer_index"].append(k)
            cols["n_offers"].append(n)
            cols["several_prices"].append(f.several_prices)
            cols["is_drug"].append(f.is_drug)
            cols["substance"].append(f.substance)
            cols["substance_class"].append(f.cls)
            cols["form"].append(f.form)
            cols["brand"].append(f.brand)
            cols["grams"].append(q.grams if q else None)
            cols["units"].append(q.units if q else None)
            cols["unit_dose_mg"].append(q.dose_mg if q else None)
            cols["purity_pct"].append(f.purity)
            cols["t_amount"].append(q.price_amount if q else None)
            cols["t_currency"].append(q.price_currency if q else None)
            cols["t_from"].append(f.ships_from)
            cols["t_to"].append(f.ships_to)
            cols["t_flags"].append(flags)
            cols["potent"].append(f.potent)
            cols["bundle"].append("bundle" in flags)
    con.register("_xt", pa.Table.from_pydict(cols, schema=_TEXT_SCHEMA))


def _register_prices(con) -> None:
    rows = con.execute("SELECT DISTINCT price_text FROM _xo WHERE price_text IS NOT NULL "
                       "AND (price_amount IS NULL OR price_currency IS NULL)").fetchall()
    texts, amounts, curs, shown = [], [], [], []
    for (t,) in rows:
        a, c, s = parse_displayed(t)
        texts.append(t)
        amounts.append(a)
        curs.append(c)
        shown.append(s)
    con.register("_xpp_arrow", pa.table({"price_text": pa.array(texts, pa.string()),
                                         "p_amount": pa.array(amounts, pa.float64()),
                                         "p_currency": pa.array(curs, pa.string()),
                                         "p_shown": pa.array(shown, pa.float64())}))
    con.execute("CREATE OR REPLACE TEMP TABLE _xpp AS SELECT * FROM _xpp_arrow")


def _register_places(con) -> None:
    rows = con.execute("SELECT DISTINCT v FROM (SELECT ships_from AS v FROM _xo UNION ALL SELECT ships_to FROM _xo) "
                       "WHERE v IS NOT NULL").fetchall()
    raw = [r[0] for r in rows]
    con.register("_xpl_arrow", pa.table({"raw": pa.array(raw, pa.string()),
                                         "codes": pa.array([field_codes(v) for v in raw], pa.string())}))
    con.execute("CREATE OR REPLACE TEMP TABLE _xpl AS SELECT * FROM _xpl_arrow")


def _register_rates(con, rates: Rates | None) -> None:
    days, curs, vals = [], [], []
    if rates is not None:
        for d, c, v in rates.rows():
            days.append(d)
            curs.append(c)
            vals.append(v)
    con.register("_xrf_arrow", pa.table({"date": pa.array(days, pa.date32()), "currency": pa.array(curs, pa.string()),
                                         "usd": pa.array(vals, pa.float64())}))
    con.execute("CREATE OR REPLACE TEMP TABLE _xrf AS SELECT * FROM _xrf_arrow")


_MARKET_CUR = " ".join(f"WHEN '{m}' THEN '{c}'" for m, c in MARKET_CURRENCY.items())

# One row per (observation, offer of its text). The CASE chains mirror parse_listing.
_INSERT = f"""
INSERT INTO offers (offer_id, obs_id, listing_id, market, vendor, date, offer_index, text, is_drug, substance,
                    substance_class, form, brand, grams, units, unit_dose_mg, purity_pct, price_amount,
                    price_currency, price_usd, price_usd_source, price_note, usd_per_gram, usd_per_pure_gram,
                    usd_per_unit, ships_from, ships_to, flags)
WITH base AS (
    SELECT o.*, t.offer_index, t.n_offers, t.several_prices, t.is_drug, t.substance, t.substance_class, t.form,
           t.brand, t.grams, t.units, t.unit_dose_mg, t.purity_pct, t.t_amount, t.t_currency, t.t_from, t.t_to,
           t.t_flags, t.potent, t.bundle,
           coalesce(o.price_amount, pp.p_amount) AS b_amount,
           coalesce(o.price_currency, pp.p_currency,
                    CASE lower(trim(o.market)) {_MARKET_CUR} ELSE NULL END) AS b_currency,
           coalesce(o.price_usd_shown, pp.p_shown) AS b_shown,
           fp.codes AS f_from, tp.codes AS f_to
    FROM _xo o
    JOIN _xt t ON t.tid = o.tid
    LEFT JOIN _xpp pp ON pp.price_text = o.price_text
    LEFT JOIN _xpl fp ON fp.raw = o.ships_from
    LEFT JOIN _xpl tp ON tp.raw = o.ships_to
), priced AS (
    SELECT *,
        CASE WHEN several_prices OR (t_amount IS NOT NULL AND b_amount IS NULL) THEN t_amount
             WHEN n_offers > 1 THEN NULL ELSE b_amount END AS amount,
        CASE WHEN several_prices OR (t_amount IS NOT NULL AND b_amount IS NULL) THEN t_currency
             WHEN n_offers > 1 THEN NULL ELSE b_currency END AS currency,
        CASE WHEN several_prices OR (t_amount IS NOT NULL AND b_amount IS NULL) OR n_offers > 1 THEN NULL
             ELSE b_shown END AS shown,
        CASE WHEN several_prices OR (t_amount IS NOT NULL AND b_amount IS NULL) THEN NULL
             ELSE usd_rate END AS row_rate
    FROM base
), rated AS (
    SELECT p.*, rf.usd AS file_rate, rf.date AS file_day, rs.usd AS store_rate, rs.date AS store_day
    FROM priced p
    ASOF LEFT JOIN _xrf rf ON rf.currency = p.currency AND p.crawl_date >= rf.date
    ASOF LEFT JOIN rates rs ON rs.currency = p.currency AND p.crawl_date >= rs.date
), usd AS (
    SELECT *,
        CASE WHEN file_rate IS NOT NULL AND crawl_date - file_day <= {MAX_AGE_DAYS} THEN file_rate END AS f_rate,
        CASE WHEN store_rate IS NOT NULL AND crawl_date - store_day <= {MAX_AGE_DAYS} THEN store_rate END AS s_rate
    FROM rated
), conv AS (
    SELECT *,
        CASE WHEN shown IS NOT NULL THEN shown
             WHEN amount IS NULL OR currency IS NULL THEN NULL
             WHEN currency = 'USD' THEN amount
             WHEN row_rate IS NOT NULL THEN amount * row_rate
             WHEN f_rate IS NOT NULL THEN amount * f_rate
             WHEN s_rate IS NOT NULL THEN amount * s_rate END AS price_usd,
        CASE WHEN shown IS NOT NULL OR (amount IS NOT NULL AND currency = 'USD')
                  OR (amount IS NOT NULL AND currency IS NOT NULL AND row_rate IS NOT NULL) THEN 'page'
             WHEN amount IS NULL OR currency IS NULL THEN NULL
             WHEN f_rate IS NOT NULL THEN 'rates-file'
             WHEN s_rate IS NOT NULL THEN 'store' END AS price_usd_source,
        CASE WHEN shown IS NOT NULL OR (amount IS NOT NULL AND currency = 'USD') THEN NULL
             WHEN n_offers > 1 AND NOT several_prices AND b_amount IS NOT NULL
                  THEN 'one listing price for several quantities'
             WHEN amount IS NULL THEN 'no price'
             WHEN currency IS NULL THEN 'price without a currency'
             WHEN row_rate IS NOT NULL THEN NULL
             WHEN f_rate IS NOT NULL THEN CASE WHEN file_day <> crawl_date THEN currency || ' rate of '
                  || strftime(file_day, '%Y-%m-%d') || ' (none on ' || strftime(crawl_date, '%Y-%m-%d') || ')' END
             WHEN s_rate IS NOT NULL THEN CASE WHEN store_day <> crawl_date THEN currency || ' rate of '
                  || strftime(store_day, '%Y-%m-%d') || ' (none on ' || strftime(crawl_date, '%Y-%m-%d') || ')' END
             ELSE 'no USD rate for ' || currency || ' on ' || strftime(crawl_date, '%Y-%m-%d') END AS price_note
    FROM usd
), derived AS (
    SELECT *,
        CASE WHEN NOT bundle AND grams > 0 THEN price_usd / grams END AS usd_per_gram,
        CASE WHEN NOT bundle AND grams > 0 AND purity_pct > 0 THEN price_usd / grams / (purity_pct / 100.0)
             END AS usd_per_pure_gram,
        CASE WHEN units > 0 THEN price_usd / units END AS usd_per_unit
    FROM conv
)
SELECT substr(md5(obs_id || ':' || offer_index), 1, 20), obs_id, listing_id, market, vendor, crawl_date,
       offer_index, title, is_drug, substance, substance_class, form, brand, grams, units, unit_dose_mg,
       purity_pct, amount, currency, price_usd, price_usd_source, price_note, usd_per_gram, usd_per_pure_gram,
       usd_per_unit, coalesce(f_from, t_from), coalesce(f_to, t_to),
       list_concat(t_flags, list_filter([
           CASE WHEN amount = 0 THEN 'price-zero' END,
           CASE WHEN amount >= 999 AND amount = floor(amount)
                     AND regexp_full_match(CAST(CAST(amount AS BIGINT) AS VARCHAR), '9+') THEN 'price-placeholder' END,
           CASE WHEN price_usd > 0 AND price_usd < {_MIN_USD} THEN 'price-tiny' END,
           CASE WHEN price_usd > 1000000 THEN 'price-implausible' END,
           CASE WHEN NOT potent AND usd_per_gram > 0 AND (usd_per_gram < {_MIN_USD_PER_GRAM}
                     OR usd_per_gram > {_MAX_USD_PER_GRAM}) THEN 'price-per-gram-implausible' END
       ], lambda x: x IS NOT NULL))
FROM derived
"""
