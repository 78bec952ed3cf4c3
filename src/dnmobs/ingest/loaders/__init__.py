"""Loaders write one kind of record batch into the store and count what they stored and skipped.

A loader receives the name of a relation (``_in``: the batch, conforming to its schema in
``records``, with a ``src`` column) and a chunk context; the chunk context has put a temp
table ``_fb(src, source_id, market, d1, d2, d3)`` in place: each source's id, and the market
and crawl dates to use when a record lacks them (file name, archive path, --crawl-date).
A loader returns per-source counts and notes for the rows it refused. Adding a record kind
means adding a module here and registering it.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from dnmobs.ingest.sources import Note


@dataclass
class LoadResult:
    stored: Counter = field(default_factory=Counter)  # src -> records stored
    skipped: Counter = field(default_factory=Counter)  # src -> exact duplicates skipped
    refused: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class Chunk:
    market_kind: str  # the format's kind of market, for markets first seen here


Loader = Callable[[duckdb.DuckDBPyConnection, str, Chunk], LoadResult]
LOADERS: dict[str, Loader] = {}


def register(kind: str) -> Callable[[Loader], Loader]:
    def deco(fn: Loader) -> Loader:
        LOADERS[kind] = fn
        return fn

    return deco


def digest_sql(columns: list[str], width: int = 32) -> str:
    """SQL for a stable hex digest of several columns; NULL and '' differ, separators cannot collide."""
    parts = ", ".join(f"coalesce(CAST({c} AS VARCHAR), chr(0))" for c in columns)
    expr = f"md5(concat_ws(chr(31), {parts}))"
    return expr if width >= 32 else f"substr({expr}, 1, {width})"


def refused_notes(con: duckdb.DuckDBPyConnection, select_sql: str) -> list[Note]:
    """Notes for the rows a query selects as (src, location, reason, raw)."""
    return [Note(loc or "", reason, raw, src) for src, loc, reason, raw in con.execute(select_sql).fetchall()]


def vendor_id_sql(market: str, handle: str) -> str:
    """The vendor id: digest of market and trimmed handle, case kept (two handles that differ only in
    case can be two accounts; linking, not the id, decides whether they are one vendor)."""
    return digest_sql([market, f"trim({handle})"], 16)


def drop_quietly(con: duckdb.DuckDBPyConnection, *objects: str) -> None:
    """Drop temp tables or views without hiding the error that brought us here: after a failed
    statement the transaction is aborted and even a DROP fails."""
    for obj in objects:
        kind, _, name = obj.rpartition(" ")
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DROP {kind or 'TABLE'} IF EXISTS {name}")


NO_MARKET = "'no market for this record (give --market)'"
NO_DATE = "'no crawl date in the record, its file name or path (give --crawl-date)'"


def stage(con: duckdb.DuckDBPyConnection, rel: str, table: str, why: str, lkey: str = "NULL",
          keys: str = "", dated: bool = True) -> LoadResult:
    """Stage a batch as ``table``: each record with its source id, market (``mkt``), crawl date
    (``cdate``, when the kind is ``dated``) and listing key (``lkey``), plus the ``keys`` computed
    from those; the records ``why`` gives a reason for are refused (the result's notes)."""
    res = LoadResult()
    date = "coalesce(b.crawl_date, fb.d1, fb.d2, fb.d3)" if dated else "NULL::DATE"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT *{", " + keys if keys else ""}
        FROM (SELECT *, {lkey} AS lkey, {why} AS why
              FROM (SELECT b.*, fb.source_id, lower(trim(coalesce(b.market, fb.market))) AS mkt, {date} AS cdate
                    FROM {rel} b JOIN _fb fb ON fb.src = b.src))
    """)
    if con.execute(f"SELECT count(*) FROM {table} WHERE why IS NOT NULL").fetchone()[0]:
        res.refused = refused_notes(con, f"SELECT src, location, why, raw::VARCHAR FROM {table} "
                                         "WHERE why IS NOT NULL ORDER BY _r")
        con.execute(f"DELETE FROM {table} WHERE why IS NOT NULL")
    return res


def keep_new(con: duckdb.DuckDBPyConnection, staged: str, target: str, key: str, res: LoadResult,
             stored_key: str | None = None) -> str:
    """The staged rows whose ``key`` is neither earlier in the batch nor in ``target`` (the same
    markets only): a temp table named ``<staged>_new``. Counts stored and skipped into ``res``."""
    good = counts_by_src(con, staged)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {staged}_new AS
        SELECT * FROM {staged} s
        WHERE s._r IN (SELECT min(_r) FROM {staged} GROUP BY {key})
          AND {key} NOT IN (SELECT {stored_key or key} FROM {target}
                            WHERE market IN (SELECT DISTINCT mkt FROM {staged}))
    """)
    res.stored = counts_by_src(con, f"{staged}_new")
    res.skipped = good - res.stored
    return f"{staged}_new"


def add_markets(con: duckdb.DuckDBPyConnection, table: str, kind: str, name: str = "mkt") -> None:
    """Markets first seen in ``table`` (its ``mkt`` column), of the given kind."""
    con.execute(f"INSERT INTO markets (market, kind, display_name) SELECT mkt, ?, arg_min({name}, _r) "
                f"FROM {table} GROUP BY mkt ON CONFLICT DO NOTHING", [kind])


def add_vendors(con: duckdb.DuckDBPyConnection, table: str, handle: str = "vendor") -> None:
    """Vendors first seen in ``table`` (columns ``mkt`` and ``handle``), each once."""
    con.execute(f"""
        INSERT INTO vendors (vendor_id, market, handle)
        SELECT {vendor_id_sql('mkt', 'h')}, mkt, h
        FROM (SELECT DISTINCT mkt, trim({handle}) AS h FROM {table} WHERE nullif(trim({handle}), '') IS NOT NULL)
        WHERE {vendor_id_sql('mkt', 'h')} NOT IN (SELECT vendor_id FROM vendors)
    """)


def counts_by_src(con: duckdb.DuckDBPyConnection, table: str) -> Counter:
    return Counter(dict(con.execute(f"SELECT src, count(*) FROM {table} GROUP BY src").fetchall()))


from dnmobs.ingest.loaders import messages, observations, pages, vendors  # noqa: E402,F401  (registration)
