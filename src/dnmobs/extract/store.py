"""Fill the store's ``offers`` table from observations, fast: parse each distinct text once in Python,
do the per-observation price arithmetic in SQL, move data as Arrow.

Every observation gets at least one offers row (offer_index 0, even when nothing was recognised),
so "observations without offers" is exactly the work left, and a second run does nothing.
The USD price of each row follows the same order as ``parse_listing``: a USD price or a rate the
page or row shows, then a rates file given to ``fill_offers``, then the store's ``rates`` table
(the last rate at most ``MAX_AGE_DAYS`` old); otherwise NULL with the reason in ``price_note``.

Texts are keyed by ``hash(title, description)`` (64 bits): with ~10^5 distinct texts the chance
that two share a key is ~10^-9, and the join stays on integers instead of long strings.
"""

from __future__ import annotations

import contextlib
import contextvars
import multiprocessing
import queue
import threading
from collections.abc import Callable, Iterator

import pyarrow as pa

from dnmobs.extract.listing import Qty, analyse
from dnmobs.extract.places import field_codes
from dnmobs.extract.price import (
    _MAX_USD_PER_GRAM,
    _MIN_USD,
    _MIN_USD_PER_GRAM,
    MARKET_CURRENCY,
    parse_displayed,
)
from dnmobs.extract.rates import MAX_AGE_DAYS, Rates
from dnmobs.extract.workers import default_workers

_TEXT_SCHEMA = pa.schema([
    ("tid", pa.uint64()), ("offer_index", pa.int32()), ("n_offers", pa.int32()), ("several_prices", pa.bool_()),
    ("is_drug", pa.bool_()), ("substance", pa.string()), ("substance_class", pa.string()), ("form", pa.string()),
    ("brand", pa.string()), ("grams", pa.float64()), ("units", pa.float64()), ("unit_dose_mg", pa.float64()),
    ("purity_pct", pa.float64()), ("t_amount", pa.float64()), ("t_currency", pa.string()),
    ("t_from", pa.string()), ("t_to", pa.string()), ("t_flags", pa.list_(pa.string())), ("potent", pa.bool_()),
    ("bundle", pa.bool_()),
])

# Observations that have no offers yet.
_TODO = "NOT EXISTS (SELECT 1 FROM offers f WHERE f.obs_id = o.obs_id)"
# Distinct texts above this many are parsed by worker processes (see workers.default_workers).
PARALLEL_MIN = 30_000


def after_load(con, extract: bool = True) -> int:
    """The ingest step: offers for every observation that has none yet (nothing under --no-extract)."""
    return fill_offers(con) if extract else 0


def fill_offers(con, rates: Rates | None = None) -> int:
    """Extract offers for every observation that has none; returns the number of offers rows added."""
    registered: list[str] = []
    # A new execute() completes whatever result the caller left half-read (con.sql() would refuse).
    con.execute("SELECT 1").fetchall()
    try:
        if not _register_texts(con, registered):
            return 0
        has_prices = _register_prices(con, registered)
        _register_places(con, registered)
        has_rates = _register_rates(con, rates, registered)
        before = con.execute("SELECT count(*) FROM offers").fetchall()[0][0]
        # Row order on disk does not matter here, and a parallel insert is much faster.
        con.execute("SET preserve_insertion_order = false")
        try:
            con.execute(_insert_sql(has_prices, has_rates))
        finally:
            con.execute("RESET preserve_insertion_order")
        return con.execute("SELECT count(*) FROM offers").fetchall()[0][0] - before
    finally:
        for name in registered:
            with contextlib.suppress(Exception):  # a view over Arrow, or a temp table
                con.unregister(name)
            con.execute(f"DROP TABLE IF EXISTS {name}")


def _register_texts(con, registered: list[str]) -> int:
    texts = con.sql(f"SELECT hash(o.title, o.description) AS tid, any_value(o.title), any_value(o.description) "
                    f"FROM observations o WHERE {_TODO} GROUP BY tid").to_arrow_table()
    if not texts.num_rows:
        return 0
    tids = texts.column(0).to_pylist()
    ahead = _AHEAD.get()
    parsed = ahead.results() if ahead is not None else {}
    todo = [i for i, t in enumerate(tids) if t not in parsed]
    if todo:
        titles, descs = texts.column(1), texts.column(2)
        todo_tids = [tids[i] for i in todo]
        todo_titles = titles.take(todo).to_pylist()
        todo_descs = descs.take(todo).to_pylist()
        workers = default_workers()
        if len(todo) >= PARALLEL_MIN and workers > 1:
            parsed.update(_parse_parallel(todo_tids, todo_titles, todo_descs, workers))
        else:
            parsed.update(_parse_texts(todo_tids, todo_titles, todo_descs))
    con.register("_xt", _text_table([row for t in tids for row in parsed[t]]))
    registered.append("_xt")
    return texts.num_rows


def _text_rows(tid: int, title: str | None, desc: str | None) -> list[tuple]:
    """The rows of ``_TEXT_SCHEMA`` for one text: one per quantity it offers (at least one)."""
    f = analyse(title or "", desc or None)
    flags = list(f.flags)
    bundle = "bundle" in flags
    qtys = f.qtys or _NONE
    n = len(qtys)
    return [(tid, k, n, f.several_prices, f.is_drug, f.substance, f.cls, f.form, f.brand, q.grams, q.units,
             q.dose_mg, f.purity, q.price_amount, q.price_currency, f.ships_from, f.ships_to, flags, f.potent,
             bundle) for k, q in enumerate(qtys)]


_NONE = (Qty(),)


def _parse_texts(tids: list, titles: list, descs: list) -> dict[int, list[tuple]]:
    return {tid: _text_rows(tid, title, desc) for tid, title, desc in zip(tids, titles, descs, strict=True)}


def _text_table(rows: list[tuple]) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in _TEXT_SCHEMA]
    return pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(cols, _TEXT_SCHEMA, strict=True)],
                                schema=_TEXT_SCHEMA)


def _parse_chunk(args) -> dict[int, list[tuple]]:
    return _parse_texts(*args)


def _parse_parallel(tids: list, titles: list, descs: list, workers: int) -> dict[int, list[tuple]]:
    """Split the texts over worker processes (forkserver: they start clean, without the store's threads)."""
    step = -(-len(tids) // (workers * 4))
    chunks = [(tids[i:i + step], titles[i:i + step], descs[i:i + step]) for i in range(0, len(tids), step)]
    ctx = multiprocessing.get_context("forkserver")
    parsed: dict[int, list[tuple]] = {}
    with ctx.Pool(workers) as pool:
        for part in pool.imap(_parse_chunk, chunks):
            parsed.update(part)
    return parsed


class _ParseAhead:
    """Parses the texts of the observations each chunk stored, in a thread, while ingest loads the
    next chunk. DuckDB releases the GIL while it works and leaves part of the CPUs idle (one-thread
    phases, waits): the parsing fills them, and fill_offers finds most texts parsed."""

    def __init__(self, con):
        self.con = con
        self.after = con.execute("SELECT coalesce(max(source_id), 0) FROM sources").fetchall()[0][0]
        self.seen: set[int] = set()
        self.parsed: dict[int, list[tuple]] = {}
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.stop = False  # set when ingest fails: the queued texts are dropped
        self.thread = threading.Thread(target=self._work, name="dnmobs-parse-ahead", daemon=True)
        self.thread.start()

    def chunk_done(self) -> None:
        """Queue the texts of observations of sources added since the last call."""
        last = self.con.execute("SELECT coalesce(max(source_id), 0) FROM sources").fetchall()[0][0]
        if last <= self.after:
            return
        rows = self.con.execute("SELECT hash(title, description) AS tid, any_value(title), any_value(description) "
                                "FROM observations WHERE source_id > ? AND source_id <= ? GROUP BY tid",
                                [self.after, last]).fetchall()
        self.after = last
        new = [r for r in rows if r[0] not in self.seen]
        self.seen.update(r[0] for r in new)
        if new:
            self.queue.put(new)

    def _work(self) -> None:
        while (batch := self.queue.get()) is not None:
            for tid, title, desc in batch:
                if self.stop:
                    return
                # a text that fails here is parsed again by fill_offers, which reports the error
                with contextlib.suppress(Exception):
                    self.parsed[tid] = _text_rows(tid, title, desc)

    def results(self) -> dict[int, list[tuple]]:
        """What the thread parsed, once it has finished the queued texts."""
        self.close()
        return self.parsed

    def close(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()


_AHEAD: contextvars.ContextVar[_ParseAhead | None] = contextvars.ContextVar("dnmobs_parse_ahead", default=None)


@contextlib.contextmanager
def parse_ahead(con, extract: bool = True) -> Iterator[Callable[[], None]]:
    """For ingest: yields the function to call after each committed chunk; the steps after loading
    run inside, and fill_offers there uses what was parsed ahead. Nothing happens under --no-extract."""
    if not extract:
        yield lambda: None
        return
    ahead = _ParseAhead(con)
    token = _AHEAD.set(ahead)
    try:
        yield ahead.chunk_done
    except BaseException:
        ahead.stop = True
        raise
    finally:
        _AHEAD.reset(token)
        ahead.close()


def _register_prices(con, registered: list[str]) -> bool:
    """Displayed prices that the source did not give as a number are parsed once each."""
    rows = con.execute(f"SELECT DISTINCT o.price_text FROM observations o WHERE o.price_text IS NOT NULL "
                       f"AND (o.price_amount IS NULL OR o.price_currency IS NULL) AND {_TODO}").fetchall()
    if not rows:
        return False
    texts, amounts, curs, shown = [], [], [], []
    for (t,) in rows:
        a, c, s = parse_displayed(t)
        texts.append(t)
        amounts.append(a)
        curs.append(c)
        shown.append(s)
    con.register("_xpp", pa.table({"price_text": pa.array(texts, pa.string()),
                                   "p_amount": pa.array(amounts, pa.float64()),
                                   "p_currency": pa.array(curs, pa.string()),
                                   "p_shown": pa.array(shown, pa.float64())}))
    registered.append("_xpp")
    return True


def _register_places(con, registered: list[str]) -> None:
    rows = con.execute(f"SELECT DISTINCT v FROM (SELECT o.ships_from AS v FROM observations o WHERE {_TODO} "
                       f"UNION SELECT o.ships_to FROM observations o WHERE {_TODO}) WHERE v IS NOT NULL").fetchall()
    raw = [r[0] for r in rows]
    con.register("_xpl", pa.table({"raw": pa.array(raw, pa.string()),
                                   "codes": pa.array([field_codes(v) for v in raw], pa.string())}))
    registered.append("_xpl")


def _register_rates(con, rates: Rates | None, registered: list[str]) -> bool:
    """A dense daily table (day, currency) -> (rate, its day, origin) for the days of the work, built
    from the rates file then the store, so the big query needs only an equality join."""
    days, curs, vals = [], [], []
    if rates is not None:
        for d, c, v in rates.rows():
            days.append(d)
            curs.append(c)
            vals.append(v)
    con.register("_xrf_arrow", pa.table({"date": pa.array(days, pa.date32()), "currency": pa.array(curs, pa.string()),
                                         "usd": pa.array(vals, pa.float64())}))
    registered.append("_xrf_arrow")
    store_n = con.execute("SELECT count(*) FROM rates").fetchall()[0][0]
    if not days and not store_n:
        return False
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _xr AS
        WITH span AS (SELECT min(o.crawl_date) AS lo, max(o.crawl_date) AS hi FROM observations o WHERE {_TODO}),
             src AS (SELECT date, currency, usd, 1 AS pri FROM _xrf_arrow
                     UNION ALL SELECT date, currency, usd, 2 FROM rates),
             cal AS (SELECT CAST(d AS DATE) AS day, c.currency
                     FROM span, range(span.lo, span.hi + INTERVAL 1 DAY, INTERVAL 1 DAY) t(d),
                          (SELECT DISTINCT currency FROM src) c)
        SELECT cal.day, cal.currency,
               arg_max(s.usd, s.date) FILTER (WHERE s.pri = 1) AS f_rate,
               max(s.date) FILTER (WHERE s.pri = 1) AS f_day,
               arg_max(s.usd, s.date) FILTER (WHERE s.pri = 2) AS s_rate,
               max(s.date) FILTER (WHERE s.pri = 2) AS s_day
        FROM cal JOIN src s ON s.currency = cal.currency AND s.date BETWEEN cal.day - {MAX_AGE_DAYS} AND cal.day
        GROUP BY ALL
    """)
    registered.append("_xr")
    return True


_MARKET_CUR = " ".join(f"WHEN '{m}' THEN '{c}'" for m, c in MARKET_CURRENCY.items())


def _insert_sql(has_prices: bool, has_rates: bool) -> str:
    """One row per (observation, offer of its text). The CASE chains mirror listing_values."""
    pp_join = "LEFT JOIN _xpp pp ON pp.price_text = o.price_text" if has_prices else ""
    pp = ("pp.p_amount", "pp.p_currency", "pp.p_shown") if has_prices else ("NULL", "NULL", "NULL")
    rates_join = "LEFT JOIN _xr r ON r.currency = p.currency AND r.day = p.crawl_date" if has_rates else ""
    rate_cols = ("r.f_rate", "r.f_day", "r.s_rate", "r.s_day") if has_rates else (
        "NULL::DOUBLE", "NULL::DATE", "NULL::DOUBLE", "NULL::DATE")
    return f"""
INSERT INTO offers (offer_id, obs_id, listing_id, market, vendor, date, offer_index, text, is_drug, substance,
                    substance_class, form, brand, grams, units, unit_dose_mg, purity_pct, price_amount,
                    price_currency, price_usd, price_usd_source, price_note, usd_per_gram, usd_per_pure_gram,
                    usd_per_unit, ships_from, ships_to, flags)
WITH base AS (
    SELECT o.obs_id, o.listing_id, o.market, o.vendor, o.crawl_date, o.title, o.usd_rate,
           t.offer_index, t.n_offers, t.several_prices, t.is_drug, t.substance, t.substance_class, t.form,
           t.brand, t.grams, t.units, t.unit_dose_mg, t.purity_pct, t.t_amount, t.t_currency, t.t_from, t.t_to,
           t.t_flags, t.potent, t.bundle,
           coalesce(o.price_amount, {pp[0]}) AS b_amount,
           coalesce(o.price_currency, {pp[1]},
                    CASE lower(trim(o.market)) {_MARKET_CUR} ELSE NULL END) AS b_currency,
           coalesce(o.price_usd_shown, {pp[2]}) AS b_shown,
           fp.codes AS f_from, tp.codes AS f_to
    FROM observations o
    JOIN _xt t ON t.tid = hash(o.title, o.description)
    {pp_join}
    LEFT JOIN _xpl fp ON fp.raw = o.ships_from
    LEFT JOIN _xpl tp ON tp.raw = o.ships_to
    WHERE {_TODO}
), priced AS (
    SELECT *,
        (several_prices OR (t_amount IS NOT NULL AND b_amount IS NULL)) AS own,
        CASE WHEN several_prices OR (t_amount IS NOT NULL AND b_amount IS NULL) THEN t_amount
             WHEN n_offers > 1 THEN NULL ELSE b_amount END AS amount,
        CASE WHEN several_prices OR (t_amount IS NOT NULL AND b_amount IS NULL) THEN t_currency
             WHEN n_offers > 1 THEN NULL ELSE b_currency END AS currency,
        CASE WHEN several_prices OR (t_amount IS NOT NULL AND b_amount IS NULL) OR n_offers > 1 THEN NULL
             ELSE b_shown END AS shown
    FROM base
), rated AS (
    SELECT p.*, {rate_cols[0]} AS f_rate, {rate_cols[1]} AS f_day, {rate_cols[2]} AS s_rate,
           {rate_cols[3]} AS s_day,
           CASE WHEN NOT p.own THEN p.usd_rate END AS row_rate
    FROM priced p {rates_join}
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
             WHEN f_rate IS NOT NULL THEN CASE WHEN f_day <> crawl_date THEN currency || ' rate of '
                  || strftime(f_day, '%Y-%m-%d') || ' (none on ' || strftime(crawl_date, '%Y-%m-%d') || ')' END
             WHEN s_rate IS NOT NULL THEN CASE WHEN s_day <> crawl_date THEN currency || ' rate of '
                  || strftime(s_day, '%Y-%m-%d') || ' (none on ' || strftime(crawl_date, '%Y-%m-%d') || ')' END
             ELSE 'no USD rate for ' || currency || ' on ' || strftime(crawl_date, '%Y-%m-%d') END AS price_note
    FROM rated
), derived AS (
    SELECT *,
        CASE WHEN NOT bundle AND grams > 0 THEN price_usd / grams END AS usd_per_gram,
        CASE WHEN NOT bundle AND grams > 0 AND purity_pct > 0 THEN price_usd / grams / (purity_pct / 100.0)
             END AS usd_per_pure_gram,
        CASE WHEN units > 0 THEN price_usd / units END AS usd_per_unit
    FROM conv
), flagged AS (
    SELECT *,
        amount = 0 AS f_zero,
        amount >= 999 AND amount = floor(amount) AND amount < 1e15
            AND regexp_full_match(CAST(CAST(amount AS BIGINT) AS VARCHAR), '9+') AS f_placeholder,
        price_usd > 0 AND price_usd < {_MIN_USD} AS f_tiny,
        price_usd > 1000000 AS f_huge,
        NOT potent AND usd_per_gram > 0 AND (usd_per_gram < {_MIN_USD_PER_GRAM}
            OR usd_per_gram > {_MAX_USD_PER_GRAM}) AS f_per_gram
    FROM derived
)
SELECT obs_id || ':' || offer_index, obs_id, listing_id, market, vendor, crawl_date,
       offer_index, title, is_drug, substance, substance_class, form, brand, grams, units, unit_dose_mg,
       purity_pct, amount, currency, price_usd, price_usd_source, price_note, usd_per_gram, usd_per_pure_gram,
       usd_per_unit, coalesce(f_from, t_from), coalesce(f_to, t_to),
       CASE WHEN coalesce(f_zero OR f_placeholder OR f_tiny OR f_huge OR f_per_gram, false)
            THEN list_concat(t_flags, list_filter([
                CASE WHEN f_zero THEN 'price-zero' END, CASE WHEN f_placeholder THEN 'price-placeholder' END,
                CASE WHEN f_tiny THEN 'price-tiny' END, CASE WHEN f_huge THEN 'price-implausible' END,
                CASE WHEN f_per_gram THEN 'price-per-gram-implausible' END], lambda x: x IS NOT NULL))
            ELSE t_flags END
FROM flagged
"""
