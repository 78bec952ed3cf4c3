"""Read CSV sources into one temporary table of text columns, whatever shape they are in.

DuckDB's reader is the fast path: all files of a chunk in one scan, every column as VARCHAR,
malformed rows collected as rejects with their line and reason. When DuckDB cannot read a
file at all (an over-long line, say), Python's csv module reads that file record by record
instead, so the records before and after the damage are still kept. Either way the format
then maps the same table with the same SQL.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import orjson
import pyarrow as pa

from dnmobs.ingest.sources import Note, SourceFile

MAX_RECORD_BYTES = 4 * 1024 * 1024
_counter = itertools.count()


@dataclass
class CsvTable:
    """A temp view: ``_r`` (record number in the chunk, unique), ``src`` (source position), ``_row``
    (record number in its file), then the file's columns as VARCHAR."""

    name: str
    columns: list[str]
    notes: list[Note]
    rows: int

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f'DROP VIEW IF EXISTS "{self.name}"')
        con.execute(f'DROP TABLE IF EXISTS "{self.name}_r"')


def quote_sql(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def header_of(src: SourceFile, encoding: str = "utf-8", delim: str = ",") -> list[str]:
    text = src.head(256 * 1024).decode(encoding, "replace").lstrip("\ufeff")
    first = next(csv.reader(io.StringIO(text), delimiter=delim), [])
    return [c.strip() for c in first]


def decode_legacy(data: bytes, encoding: str) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    return data.decode(encoding, "replace")


def prepare(src: SourceFile, encoding: str = "utf-8", newline_clean: bool = False) -> None:
    """Transcode a source to UTF-8 in place; ``newline_clean`` turns NEL, LS and PS into newlines."""
    if encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig") and not newline_clean:
        return
    text = decode_legacy(src.read_bytes(), encoding)
    if newline_clean:
        text = text.replace("\x85", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    src.data, src.file = text.encode("utf-8"), None


def read_tables(con: duckdb.DuckDBPyConnection, srcs: Sequence[SourceFile], *, delim: str = ",",
                by_header: bool = False) -> CsvTable:
    """All sources (already UTF-8) as one temp table. The sources must share one header, unless
    ``by_header``: then each group of sources with the same header is read in one scan and the
    groups are joined by column name (a column a file lacks is NULL in its records)."""
    if by_header:
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, s in enumerate(srcs):
            groups.setdefault(tuple(header_of(s, delim=delim)), []).append(i)
        if len(groups) > 1:
            return _read_groups(con, srcs, list(groups.values()), delim)
    name = f"_csv{next(_counter)}"
    paths = [str(s.duckdb_path()) for s in srcs]
    try:
        notes = _duckdb_read(con, name, paths, delim)
    except duckdb.Error:
        CsvTable(name, [], [], 0).drop(con)
        if len(srcs) == 1:
            return _python_read(con, srcs[0], name, delim)
        # read each file on its own, so only the damaged one takes the slow path
        return _read_groups(con, srcs, [[i] for i in range(len(srcs))], delim)
    cols = [r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall()][3:]  # after _r, src, _row
    rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
    return CsvTable(name, cols, notes, rows)


def _read_groups(con: duckdb.DuckDBPyConnection, srcs: Sequence[SourceFile], groups: list[list[int]],
                 delim: str) -> CsvTable:
    """Read each group of sources on its own and join the tables by column name, ``src`` renumbered
    to the sources' positions in ``srcs``. Columns come in the order first seen."""
    name = f"_csv{next(_counter)}"
    parts = [(idx, read_tables(con, [srcs[i] for i in idx], delim=delim)) for idx in groups]
    try:
        cols: list[str] = []
        for _, p in parts:
            cols.extend(c for c in p.columns if c not in cols)
        selects = []
        for idx, p in parts:
            remap = "[" + ", ".join(str(i) for i in idx) + "]"
            have = [_quote_ident(c) for c in p.columns]
            selects.append(f'SELECT list_extract({remap}, src + 1)::INTEGER AS src, _row'
                           f'{", " if have else ""}{", ".join(have)} FROM "{p.name}"')
        con.execute(f'CREATE TEMP TABLE "{name}_r" AS ' + " UNION ALL BY NAME ".join(selects))
        order = ", ".join(["src", "_row", *(_quote_ident(c) for c in cols)])
        con.execute(f'CREATE TEMP VIEW "{name}" AS SELECT rowid AS _r, {order} FROM "{name}_r"')
    finally:
        for _, p in parts:
            p.drop(con)
    notes = [Note(n.location, n.reason, n.raw, idx[n.src]) for idx, p in parts for n in p.notes]
    return CsvTable(name, cols, notes, sum(p.rows for _, p in parts))


def _quote_ident(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def _duckdb_read(con: duckdb.DuckDBPyConnection, name: str, paths: list[str], delim: str) -> list[Note]:
    rejects, scan = f"{name}_rej", f"{name}_scan"
    files = ", ".join(f"({quote_sql(p)}, {i})" for i, p in enumerate(paths))
    try:
        # No window functions here: they run on one thread. The temp table keeps file order, so
        # each record's number in its file is its rowid minus the first rowid of that file.
        plist = "[" + ", ".join(quote_sql(p) for p in paths) + "]"
        con.execute(f"""
            CREATE TEMP TABLE "{name}_r" AS
            SELECT (list_position({plist}, _file) - 1)::INTEGER AS src, * EXCLUDE (_file)
            FROM read_csv({plist}, all_varchar = true, header = true,
                          delim = {quote_sql(delim)}, quote = '"', escape = '"', strict_mode = false,
                          null_padding = false, filename = '_file', store_rejects = true,
                          rejects_table = '{rejects}', rejects_scan = '{scan}',
                          max_line_size = {MAX_RECORD_BYTES}, sample_size = -1)
        """)
        con.execute(f"""
            CREATE TEMP VIEW "{name}" AS
            SELECT r.rowid AS _r, r.src, r.rowid - f.first + 1 AS _row, r.* EXCLUDE (src)
            FROM "{name}_r" r JOIN (SELECT src, min(rowid) AS first FROM "{name}_r" GROUP BY src) f USING (src)
        """)
        rows = con.execute(f"""
            SELECT f.src, e.line, e.error_type, e.error_message, e.csv_line
            FROM {rejects} e JOIN {scan} s USING (scan_id, file_id)
            JOIN (VALUES {files}) f(filename, src) ON f.filename = s.file_path
            ORDER BY f.src, e.line
        """).fetchall()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {rejects}")
        con.execute(f"DROP TABLE IF EXISTS {scan}")
    notes, seen = [], set()
    for src, line, etype, msg, raw in rows:
        if (src, line) in seen:  # duckdb reports one reject per bad field; one record gets one note
            continue
        seen.add((src, line))
        notes.append(Note(f"line {line}", f"malformed CSV record ({etype.lower()}): {msg.splitlines()[0][:200]}",
                          raw, src))
    return notes


def _python_read(con: duckdb.DuckDBPyConnection, src: SourceFile, name: str, delim: str) -> CsvTable:
    """Record-by-record reading for a file DuckDB refuses; damage costs only the damaged records."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    notes: list[Note] = []
    header: list[str] | None = None
    rows: list[list[str | None]] = []
    with src.open() as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
        reader = csv.reader(_lines_capped(text, notes), delimiter=delim, strict=False)
        while True:
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                notes.append(Note(f"line {reader.line_num}", f"malformed CSV record: {exc}"))
                continue
            if header is None:
                header = [h.lstrip("\ufeff").strip() for h in rec]
                continue
            if not rec:
                continue
            size = sum(len(f) for f in rec)
            if size > MAX_RECORD_BYTES:
                notes.append(Note(f"line {reader.line_num}",
                                  f"record of {size} characters exceeds the cap of {MAX_RECORD_BYTES}",
                                  delim.join(rec)[:1024]))
                continue
            if len(rec) != len(header):
                notes.append(Note(f"line {reader.line_num}",
                                  f"malformed CSV record: expected {len(header)} fields, found {len(rec)}",
                                  orjson.dumps(rec).decode()))
                continue
            rows.append([f if f != "" else None for f in rec])
    cols = _unique(header or [])
    arrays = [pa.array([0] * len(rows), pa.int32()), pa.array(range(1, len(rows) + 1), pa.int64())] + [
        pa.array([r[i] for r in rows], pa.string()) for i in range(len(cols))]
    table = pa.Table.from_arrays(arrays, names=["src", "_row", *cols])
    con.register(f"{name}_arrow", table)
    try:
        con.execute(f'CREATE TEMP TABLE "{name}_r" AS SELECT * FROM "{name}_arrow"')
        con.execute(f'CREATE TEMP VIEW "{name}" AS SELECT rowid AS _r, * FROM "{name}_r"')
    finally:
        con.unregister(f"{name}_arrow")
    return CsvTable(name, cols, notes, len(rows))


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    for i, n in enumerate(names):
        n = n or f"column{i}"
        base, k = n, 1
        while n in out:
            n, k = f"{base}_{k}", k + 1
        out.append(n)
    return out


def _lines_capped(text: io.TextIOBase, notes: list[Note]):
    """Physical lines, with absurdly long ones dropped (and noted) so one line cannot exhaust memory."""
    lineno = 0
    while True:
        line = text.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        lineno += 1
        if len(line) > MAX_RECORD_BYTES and not line.endswith("\n"):
            while True:  # skip the rest of this physical line
                more = text.readline(MAX_RECORD_BYTES)
                if not more or more.endswith("\n"):
                    break
            notes.append(Note(f"line {lineno}", f"line longer than the cap of {MAX_RECORD_BYTES} characters",
                              line[:1024]))
            continue
        yield line
