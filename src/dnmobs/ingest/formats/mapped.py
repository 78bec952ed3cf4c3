"""Any CSV, JSON Lines or Parquet file of listings, read through a small TOML mapping (--mapping FILE).

The mapping names, for each field of an observation, the input column it comes from:

    title = "name"                    # required
    price = "price"                   # a number or a displayed text like "$1,200.50"
    currency = "cur"                  # a column holding USD, BTC, ...
    vendor = "seller"
    date = "scraped_at"               # the crawl date; date_format when it is not ISO
    date_format = "%d/%m/%Y"          # strptime codes
    category = ["cat", "subcat"]      # one column, or several joined with '/'
    ships_from = "origin"
    ships_to = "destination"
    market = "market"                 # a column; else --market
    listing_id = "id"                 # the market's own listing id
    description = "body"
    [fixed]                           # constants instead of columns
    currency = "USD"
    market = "examplemarket"
    [csv]
    delimiter = ";"                   # default ","
    encoding = "cp1252"               # default UTF-8

The file type is told by content: Parquet by its magic bytes, JSON Lines when the first character
is `{`, otherwise CSV. Every input column is kept in ``raw``. A JSON line that does not parse is
quarantined with its line number. Detection never picks this format: it needs --format mapped.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pyarrow as pa

from dnmobs import DnmobsError
from dnmobs.ingest.csvread import CsvTable, prepare, read_tables
from dnmobs.ingest.formats import ReadContext
from dnmobs.ingest.formats._common import ident, lit, raw_sql
from dnmobs.ingest.records import Batch
from dnmobs.ingest.sources import Note, SourceFile

NAME = "mapped"
SUMMARY = "Any CSV/JSONL/Parquet listing file with a TOML column mapping (--format mapped --mapping FILE)"
MARKET = None
MARKET_KIND = "unknown"
CHUNK = 16

FIELDS = ("title", "price", "currency", "vendor", "date", "category", "ships_from", "ships_to", "market",
          "listing_id", "description")
_OPTIONS = ("date_format",)
_FIXED = ("currency", "market")
PARQUET_MAGIC = b"PAR1"
MAX_JSON_LINE = 4 * 1024 * 1024
_names = itertools.count()


def sniff(head: str, name: str) -> bool:
    return False  # only on request: a mapping is needed to know what the columns mean


@dataclass
class Mapping:
    columns: dict[str, list[str]] = field(default_factory=dict)  # field -> input column(s)
    fixed: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8"


def load_mapping(path: Path | None) -> Mapping:
    """The mapping file, checked: unknown keys and wrong types are one clear error."""
    if path is None:
        raise DnmobsError("--format mapped needs --mapping FILE (a TOML file naming the columns)")
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DnmobsError(f"mapping {path}: cannot read it ({str(exc).splitlines()[0]})") from None
    m = Mapping()
    for key, value in doc.items():
        if key in FIELDS:
            cols = [value] if isinstance(value, str) else value
            if not (isinstance(cols, list) and cols and all(isinstance(c, str) and c for c in cols)):
                raise DnmobsError(f"mapping {path}: {key} must name a column (or, for category, a list of them)")
            if len(cols) > 1 and key != "category":
                raise DnmobsError(f"mapping {path}: only category may name several columns, not {key}")
            m.columns[key] = cols
        elif key == "date_format":
            if not isinstance(value, str):
                raise DnmobsError(f"mapping {path}: date_format must be a text like \"%d/%m/%Y\"")
            m.date_format = value
        elif key == "fixed" and isinstance(value, dict):
            for k, v in value.items():
                if k not in _FIXED or not isinstance(v, str):
                    raise DnmobsError(f"mapping {path}: [fixed] may set {' and '.join(_FIXED)} to a text, not {k}")
                m.fixed[k] = v
        elif key == "csv" and isinstance(value, dict):
            for k, v in value.items():
                if k == "delimiter" and isinstance(v, str) and len(v) == 1:
                    m.delimiter = v
                elif k == "encoding" and isinstance(v, str):
                    try:
                        "".encode(v)
                    except LookupError:
                        raise DnmobsError(f"mapping {path}: unknown encoding {v!r}") from None
                    m.encoding = v
                else:
                    raise DnmobsError(f"mapping {path}: [csv] takes delimiter (one character) and encoding, not {k}")
        else:
            known = ", ".join((*FIELDS, *_OPTIONS, "[fixed]", "[csv]"))
            raise DnmobsError(f"mapping {path}: unknown key {key!r} (known: {known})")
    if "title" not in m.columns:
        raise DnmobsError(f"mapping {path}: title is required (the column holding the listing title)")
    return m


def read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]:
    m = load_mapping(ctx.mapping)
    kinds: dict[str, list[int]] = {}
    for i, s in enumerate(srcs):
        kinds.setdefault(_kind(s), []).append(i)
    for kind, idx in kinds.items():
        group = [srcs[i] for i in idx]
        t = _read_parquet(ctx, group) if kind == "parquet" else _read_jsonl(ctx, group) if kind == "jsonl" \
            else _read_csv(ctx, group, m)
        try:
            t.notes = [Note(n.location, n.reason, n.raw, idx[n.src]) for n in t.notes]
            absent = sorted({c for cols in m.columns.values() for c in cols} - set(t.columns))
            if absent:
                yield Batch("observations", quarantine=[*t.notes, *(
                    Note("header", f"column(s) {', '.join(absent)} named by the mapping not in the file", src=i)
                    for i in idx)])
                continue
            remap = "[" + ", ".join(map(str, idx)) + "]"
            yield Batch("observations", rows=t.rows, quarantine=t.notes, sql=_select(t, m, remap, kind))
        finally:
            t.drop(ctx.con)


def _kind(src: SourceFile) -> str:
    head = src.head(4096)
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


def _select(t: CsvTable, m: Mapping, remap: str, kind: str) -> str:
    def col(key: str) -> str:
        if key in m.columns:
            return f"nullif(trim(CAST({ident(m.columns[key][0])} AS VARCHAR)), '')"
        return lit(m.fixed[key]) if key in m.fixed else "NULL::VARCHAR"

    price = col("price")
    # the first number in the price text; '1,200.50' -> 1200.50, '12,50' (decimal comma) -> 12.50
    number = f"regexp_extract({price}, '[0-9][0-9.,]*', 0)"
    amount = (f"CASE WHEN regexp_matches({number}, '^[0-9]+,[0-9]{{1,2}}$') "
              f"THEN try_cast(replace({number}, ',', '.') AS DOUBLE) "
              f"ELSE try_cast(replace({number}, ',', '') AS DOUBLE) END")
    date = col("date")
    if m.date_format:
        crawl_date = f"try_cast(try_strptime({date}, {lit(m.date_format)}) AS DATE)"
    else:
        crawl_date = f"coalesce(try_cast({date} AS DATE), try_cast(try_cast({date} AS TIMESTAMP) AS DATE))"
    category = ("NULL::VARCHAR" if "category" not in m.columns else
                "nullif(concat_ws('/', " + ", ".join(
                    f"nullif(trim(CAST({ident(c)} AS VARCHAR)), '')" for c in m.columns["category"]) + "), '')")
    unit = "line" if kind == "jsonl" else "row"
    return f"""
        SELECT _r, list_extract({remap}, src + 1)::INTEGER AS src, '{unit} ' || _row AS location,
               lower({col('market')}) AS market,
               {crawl_date} AS crawl_date,
               {col('listing_id')} AS listing_key,
               {col('title')} AS title,
               {col('description')} AS description,
               {price} AS price_text,
               {amount} AS price_amount,
               upper({col('currency')}) AS price_currency,
               {col('vendor')} AS vendor,
               {category} AS category,
               {col('ships_from')} AS ships_from,
               {col('ships_to')} AS ships_to,
               {raw_sql(t.columns, drop_nulls=True)} AS raw
        FROM "{t.name}"
    """


def _read_csv(ctx: ReadContext, srcs: list[SourceFile], m: Mapping) -> CsvTable:
    for s in srcs:
        prepare(s, m.encoding)
    return read_tables(ctx.con, srcs, delim=m.delimiter)


def _read_parquet(ctx: ReadContext, srcs: list[SourceFile]) -> CsvTable:
    """Parquet files as one table of text columns (joined by name), like a CSV read."""
    name = f"_mapped_pq{next(_names)}"
    paths = "[" + ", ".join(lit(str(s.local_path())) for s in srcs) + "]"
    ctx.con.execute(f"""CREATE OR REPLACE TEMP TABLE "{name}_r" AS
        SELECT (list_position({paths}, _file) - 1)::INTEGER AS src, * EXCLUDE (_file)
        FROM read_parquet({paths}, union_by_name = true, filename = '_file')""")
    cols = [r[0] for r in ctx.con.execute(f'DESCRIBE "{name}_r"').fetchall()][1:]
    ctx.con.execute(f"""CREATE OR REPLACE TEMP VIEW "{name}" AS
        SELECT rowid AS _r, src, row_number() OVER (PARTITION BY src ORDER BY rowid) AS _row,
               {", ".join(f"CAST({ident(c)} AS VARCHAR) AS {ident(c)}" for c in cols)}
        FROM "{name}_r" """)
    rows = ctx.con.execute(f'SELECT count(*) FROM "{name}_r"').fetchall()[0][0]
    return CsvTable(name, cols, [], rows)


def _read_jsonl(ctx: ReadContext, srcs: list[SourceFile]) -> CsvTable:
    """JSON Lines read line by line: a damaged line is one quarantined record, the others are kept.
    Values become text (nested ones as JSON) so the mapping treats every input alike."""
    notes: list[Note] = []
    records: list[tuple[int, int, dict]] = []
    for i, s in enumerate(srcs):
        with s.open() as fh:
            for n, line in enumerate(iter(lambda fh=fh: fh.readline(MAX_JSON_LINE + 1), b""), start=1):
                if len(line) > MAX_JSON_LINE:
                    notes.append(Note(f"line {n}", f"line longer than the cap of {MAX_JSON_LINE} bytes",
                                      line[:1024].decode("utf-8", "replace"), i))
                    while line and not line.endswith(b"\n"):  # skip the rest of it
                        line = fh.readline(MAX_JSON_LINE)
                    continue
                if not line.strip():
                    continue
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    notes.append(Note(f"line {n}", f"invalid JSON at column {exc.colno}: {exc.msg}",
                                      line.decode("utf-8", "replace"), i))
                    continue
                if not isinstance(obj, dict):
                    notes.append(Note(f"line {n}", "not a JSON object", line.decode("utf-8", "replace"), i))
                    continue
                records.append((i, n, obj))
    cols: list[str] = []
    seen: set[str] = set()
    for _, _, obj in records:
        for k in obj:
            if k not in seen:
                seen.add(k)
                cols.append(k)
    arrays = [pa.array([r[0] for r in records], pa.int32()), pa.array([r[1] for r in records], pa.int64())]
    arrays += [pa.array([_text(r[2].get(c)) for r in records], pa.string()) for c in cols]
    name = f"_mapped_js{next(_names)}"
    ctx.con.register(f"{name}_a", pa.Table.from_arrays(arrays, names=["src", "_row", *cols]))
    try:
        ctx.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}_r" AS SELECT * FROM "{name}_a"')
    finally:
        ctx.con.unregister(f"{name}_a")
    ctx.con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT rowid AS _r, * FROM "{name}_r"')
    return CsvTable(name, cols, notes, len(records))


def _text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    return orjson.dumps(v).decode()
