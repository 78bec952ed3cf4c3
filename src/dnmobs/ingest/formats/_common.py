"""Small helpers the dataset formats share: SQL quoting, header sniffing, raw-record JSON, prices.

Not a format (no NAME): the registry only loads the modules listed in BUILTIN.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence

import pyarrow as pa

from dnmobs.ingest.csvread import CsvTable, read_tables
from dnmobs.ingest.records import Batch
from dnmobs.ingest.sources import Note, SourceFile


def ident(name: str) -> str:
    """A column name as a DuckDB identifier ('#products', '$', 'вес' are all fine quoted)."""
    return '"' + name.replace('"', '""') + '"'


def lit(s: str) -> str:
    """A string as a DuckDB literal."""
    return "'" + s.replace("'", "''") + "'"


def first_record(head: str) -> list[str]:
    """The first CSV record of a decoded head (the header), fields stripped; [] when there is none."""
    text = head.lstrip("\ufeff")
    try:
        rec = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return []
    return [c.strip() for c in rec]


def raw_sql(columns: Iterable[str], drop_nulls: bool = False) -> str:
    """SQL for the JSON object of the given columns as read: the record's ``raw``.

    ``drop_nulls`` leaves out absent fields, for sources whose files have different column sets
    (read as one union): the same record then gives the same JSON whichever file it came from.
    """
    fields = ", ".join(f"{lit(c)}: {ident(c)}" for c in columns)
    js = f"to_json({{{fields}}})"
    # A JSON merge patch deletes the keys whose value is null.
    return f"json_merge_patch('{{}}', {js})" if drop_nulls else js


def squash_sql(expr: str) -> str:
    """SQL: white space runs (line breaks, indentation) as one space, trimmed; empty as NULL.
    (RE2 inside DuckDB: linear time.)"""
    return f"nullif(trim(regexp_replace({expr}, '\\s+', ' ', 'g')), '')"


def missing_columns(srcs: Sequence[SourceFile], have: Sequence[str], need: Sequence[str], fmt: str) -> list[Note]:
    """One note per source when a chunk lacks columns the format needs (a forced --format on the wrong file)."""
    missing = [c for c in need if c not in have]
    if not missing:
        return []
    article = "an" if fmt[:1].lower() in "aeiou" else "a"
    return [Note("header", f"not {article} {fmt} file: column(s) {', '.join(missing)} missing", src=i)
            for i in range(len(srcs))]


def decimals(text: str) -> int:
    """Digits after the decimal point of a number as displayed ('0.0901' -> 4, '120' -> 0)."""
    t = text.strip()
    return len(t) - t.index(".") - 1 if "." in t else 0


# An implied rate is USD shown / BTC shown. The BTC figure is rounded for display, so the rate is
# only kept when that rounding moves it by at most this much (0.0901 BTC: 0.06%; 0.0006 BTC: 8%).
MAX_RATE_ERROR = 0.005


def implied_rate(usd: float | None, crypto: float | None, crypto_text: str | None) -> float | None:
    """USD per coin implied by a page showing both prices, when the coin figure is precise enough."""
    if usd is None or crypto is None or crypto_text is None or not math.isfinite(usd) or crypto <= 0 or usd <= 0:
        return None
    error = 0.5 * 10.0 ** -decimals(crypto_text) / crypto
    return usd / crypto if error <= MAX_RATE_ERROR else None


def implied_rate_sql(usd: str, crypto: str, crypto_text: str) -> str:
    """The SQL twin of implied_rate()."""
    dec = f"(CASE WHEN strpos({crypto_text}, '.') > 0 THEN length(trim({crypto_text})) - strpos(trim({crypto_text}), '.') ELSE 0 END)"
    return (f"CASE WHEN {usd} > 0 AND {crypto} > 0 AND 0.5 * pow(10, -{dec}) / {crypto} <= {MAX_RATE_ERROR} "
            f"THEN {usd} / {crypto} END")



def csv_batches(ctx, srcs: list[SourceFile], kind: str, fmt: str,
                need: Sequence[str] | Callable[[list[str]], Sequence[str]],
                select: Callable[[CsvTable], str | pa.Table], fold_case: bool = False) -> Iterator[Batch]:
    """The shared skeleton of the CSV formats: read the chunk into one table (csvread), refuse the
    files that lack the columns ``need`` names (or computes from the header; compared without case
    when ``fold_case``), then yield the records ``select`` maps: a SQL query over the table that keeps
    ``_r`` and ``src``, or an Arrow table."""
    t = read_tables(ctx.con, srcs)
    try:
        required = need(t.columns) if callable(need) else need
        have = [c.lower() for c in t.columns] if fold_case else t.columns
        bad = missing_columns(srcs, have, required, fmt)
        if bad:
            yield Batch(kind, quarantine=[*t.notes, *bad])
            return
        out = select(t)
        if isinstance(out, str):
            yield Batch(kind, rows=t.rows, quarantine=t.notes, sql=out)
        else:
            yield Batch(kind, table=out, quarantine=t.notes)
    finally:
        t.drop(ctx.con)
