"""Read CSV sources into one temporary table of text columns, whatever shape they are in.

DuckDB's reader is the fast path: the files of a chunk that share a header are read in one
statement (one read_csv per file), every column as VARCHAR, with the header read here first and
handed to DuckDB (no sniffing: a sniffer gives up on a file with a broken quote). Malformed
records become rejects with their line and reason: too few or too many fields (strict mode: a
long row is never cut silently), lines over the size cap, invalid UTF-8. Header groups small in
all are read by Python together instead (a DuckDB scan costs ~25 ms; Matanga's 1,197 files come
in hundreds of header variants). Groups with different headers are joined by column name (a
column a file lacks is NULL in its records).

Two kinds of damage need Python's csv module, record by record, instead (``_python_read``):

* An unmatched quote: a CSV reader swallows every line up to the next quote into one record.
  DuckDB reports that as a reject spanning several lines; such a file is read again here, with
  recovery: a record that spans lines but has the wrong number of fields is taken to start with
  a stray quote, so only its first line is quarantined and reading resumes on the next line.
* A file DuckDB cannot read at all (a damaged gzip stream, which DuckDB decompresses itself):
  the DuckDB error aborts the chunk's transaction, so the ingest orchestrator rolls back and
  reads each source again alone with ``careful(True)`` in force: then every file is read here,
  gzip is decompressed tolerantly (what came before the damage is kept, with a note), and no
  DuckDB error can abort the transaction.
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import csv
import io
import itertools
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from dnmobs.ingest.sources import Note, SourceFile

MAX_RECORD_BYTES = 4 * 1024 * 1024
HEADER_BYTES = 256 * 1024  # a header longer than this is read by the careful path
SMALL_GROUP_BYTES = 512 * 1024  # files with one header, this small in all, are read in Python (a scan costs ~25 ms)
_counter = itertools.count()
_CAREFUL: contextvars.ContextVar[bool] = contextvars.ContextVar("dnmobs_csv_careful", default=False)


@contextlib.contextmanager
def careful(on: bool = True) -> Iterator[None]:
    """While in force, every CSV is read by the tolerant Python reader (see the module doc)."""
    token = _CAREFUL.set(on)
    try:
        yield
    finally:
        _CAREFUL.reset(token)


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


def _quote_ident(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def header_of(src: SourceFile, encoding: str = "utf-8", delim: str = ",") -> list[str]:
    return _header(src, encoding, delim) or []


def _header(src: SourceFile, encoding: str = "utf-8", delim: str = ",") -> list[str] | None:
    """The first record's fields, stripped; None when the head does not hold the whole record."""
    head = src.head(HEADER_BYTES)
    text = head.decode(encoding, "replace").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        first = next(reader, [])
    except csv.Error:
        return None
    if len(head) >= HEADER_BYTES and reader.line_num >= text.count("\n") + text.count("\r"):
        return None  # the header may go on beyond the head
    return [c.strip() for c in first]


def decode_legacy(data: bytes, encoding: str) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    return data.decode(encoding, "replace")


def prepare(src: SourceFile, encoding: str = "utf-8", newline_clean: bool = False) -> None:
    """Transcode a source to UTF-8 in place; ``newline_clean`` turns NEL, LS and PS into newlines."""
    if src.transcoded or (encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")
                          and not newline_clean):
        return
    text = decode_legacy(src.read_bytes(), encoding)
    if newline_clean:
        text = text.replace("\x85", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    src.data, src.file, src.transcoded = text.encode("utf-8"), None, True


def read_tables(con: duckdb.DuckDBPyConnection, srcs: Sequence[SourceFile], *, delim: str = ",") -> CsvTable:
    """All sources (already UTF-8) as one temp view, see CsvTable. Sources with different headers
    are joined by column name."""
    groups: dict[tuple[str, ...] | None, list[int]] = {}
    for i, s in enumerate(srcs):
        h = None if _CAREFUL.get() else _header(s, delim=delim)
        # a file read carefully, or whose header is unclear, forms a group of its own
        groups.setdefault(tuple(_unique(h)) if h else (None, i), []).append(i)  # type: ignore[arg-type]
    parts: list[tuple[list[int], CsvTable]] = []
    small: list[int] = []  # read together in Python: cheaper than a DuckDB scan each
    try:
        for key, idx in groups.items():
            group = [srcs[i] for i in idx]
            if not key or key[0] is None:
                parts.append((idx, _python_read(con, group, delim)))
            elif sum(_content_size(s) for s in group) <= SMALL_GROUP_BYTES:
                small.extend(idx)
            else:
                t, redo = _duckdb_read(con, group, list(key), delim)
                parts.append((idx, t))  # positions in the group: the files read again have no rows here
                if redo:
                    parts.append(([idx[j] for j in sorted(redo)], _python_read(con, [group[j] for j in sorted(redo)],
                                                                                 delim)))
        if small:
            small.sort()
            parts.append((small, _python_read(con, [srcs[i] for i in small], delim)))
    except BaseException:
        for _, p in parts:
            _quietly_drop(con, p)
        raise
    return _union(con, parts)


def _content_size(src: SourceFile) -> int:
    """About how many bytes of text a source holds (gzip: a typical ratio for CSV)."""
    return src.size * (6 if src.gz else 1)


def _quietly_drop(con: duckdb.DuckDBPyConnection, t: CsvTable) -> None:
    with contextlib.suppress(duckdb.Error):
        t.drop(con)


def _union(con: duckdb.DuckDBPyConnection, parts: list[tuple[list[int], CsvTable]]) -> CsvTable:
    """One view over the parts, ``src`` renumbered to positions in the chunk; a single part whose
    sources are all of the chunk in order is used as it is (the fast path copies nothing)."""
    notes = [Note(n.location, n.reason, n.raw, idx[n.src]) for idx, p in parts for n in p.notes]
    if len(parts) == 1 and parts[0][0] == list(range(len(parts[0][0]))):
        t = parts[0][1]
        return CsvTable(t.name, t.columns, notes, t.rows)
    name = f"_csv{next(_counter)}"
    try:
        cols: list[str] = []
        for _, p in parts:
            cols.extend(c for c in p.columns if c not in cols)
        selects = []
        for idx, p in parts:
            remap = "[" + ", ".join(str(i) for i in idx) + "]"
            have = "".join(", " + _quote_ident(c) for c in p.columns)
            selects.append(f'SELECT list_extract({remap}, src + 1)::INTEGER AS src, _row{have} FROM "{p.name}"')
        con.execute(f'CREATE TEMP TABLE "{name}_r" AS ' + " UNION ALL BY NAME ".join(selects))
        order = ", ".join(["src", "_row", *(_quote_ident(c) for c in cols)])
        con.execute(f'CREATE TEMP VIEW "{name}" AS SELECT rowid AS _r, {order} FROM "{name}_r"')
    finally:
        for _, p in parts:
            p.drop(con)
    return CsvTable(name, cols, notes, con.execute(f'SELECT count(*) FROM "{name}_r"').fetchall()[0][0])


def _duckdb_read(con: duckdb.DuckDBPyConnection, srcs: Sequence[SourceFile], header: list[str],
                 delim: str) -> tuple[CsvTable, set[int]]:
    """One statement reading files sharing ``header``; returns the table and the positions of files
    to read again carefully (a reject spanning several lines: an unmatched quote swallowed them)."""
    name = f"_csv{next(_counter)}"
    rejects, scan = f"{name}_rej", f"{name}_scan"
    paths = [str(s.duckdb_path()) for s in srcs]
    files = ", ".join(f"({quote_sql(p)}, {i})" for i, p in enumerate(paths))
    columns = "{" + ", ".join(f"{quote_sql(c)}: 'VARCHAR'" for c in header) + "}"
    options = (f"columns = {columns}, header = true, auto_detect = false, delim = {quote_sql(delim)}, quote = '\"', "
               f"escape = '\"', strict_mode = true, null_padding = false, store_rejects = true, "
               f"rejects_table = '{rejects}', rejects_scan = '{scan}', max_line_size = {MAX_RECORD_BYTES}")
    try:
        # One read_csv per file, not one over the list: DuckDB 2.0.1 can drop a reject (and so,
        # silently, the records an unmatched quote swallowed) when one scan covers several files;
        # scans of one file each report every reject, and cost the same in one statement.
        # No window functions here: they run on one thread. The temp table keeps file order, so
        # each record's number in its file is its rowid minus the first rowid of that file.
        con.execute(f'CREATE TEMP TABLE "{name}_r" AS ' + " UNION ALL ".join(
            f"SELECT {i}::INTEGER AS src, * FROM read_csv({quote_sql(p)}, {options})" for i, p in enumerate(paths)))
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
    redo = {src for src, _, _, _, raw in rows if raw and ("\n" in raw or "\r" in raw)}
    notes, seen = [], set()
    for src, line, etype, msg, raw in rows:
        if src in redo or (src, line) in seen:  # one reject per bad field: one record gets one note
            continue
        seen.add((src, line))
        notes.append(Note(f"line {line}", f"malformed CSV record ({etype.lower()}): {msg.splitlines()[0][:200]}",
                          raw, src))
    if redo:
        con.execute(f'DELETE FROM "{name}_r" WHERE src IN ({", ".join(map(str, sorted(redo)))})').fetchall()
    count = con.execute(f'SELECT count(*) FROM "{name}_r"').fetchall()[0][0]
    return CsvTable(name, _unique(header), notes, count), redo


def _python_read(con: duckdb.DuckDBPyConnection, srcs: Sequence[SourceFile], delim: str) -> CsvTable:
    """Record-by-record reading of one or more files into one table (their columns joined by name);
    damage costs only the damaged records (see _records)."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    notes: list[Note] = []
    cols: list[str] = []
    where_col: dict[str, int] = {}
    src_ids: list[int] = []
    row_ids: list[int] = []
    values: list[list[str | None]] = []  # one list per column
    for i, src in enumerate(srcs):
        header: list[int] | None = None  # this file's column positions in ``cols``
        width: list[int | None] = [None]  # the header's field count, once read (the record splitter asks)
        file_notes: list[Note] = []
        n = 0
        with src.open() as fh:
            text = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
            for first, last, rec, raw in _records(_lines_capped(text, file_notes), delim, lambda w=width: w[0]):
                if rec is None:
                    where = f"line {first}" if first == last else f"lines {first}-{last}"
                    file_notes.append(Note(where, raw[1], raw[0][:1024 * 64]))
                    continue
                if header is None:
                    header = []
                    for c in _unique([h.lstrip("\ufeff").strip() for h in rec]):
                        if c not in where_col:
                            where_col[c] = len(cols)
                            cols.append(c)
                            values.append([None] * len(src_ids))
                        header.append(where_col[c])
                    width[0] = len(header)
                    continue
                n += 1
                src_ids.append(i)
                row_ids.append(n)
                for v in values:
                    v.append(None)
                for pos, f in zip(header, rec, strict=True):
                    values[pos][-1] = f if f != "" else None
        notes.extend(Note(x.location, x.reason, x.raw, i) for x in file_notes)
    name = f"_csv{next(_counter)}"
    arrays = [pa.array(src_ids, pa.int32()), pa.array(row_ids, pa.int64())] + [pa.array(v, pa.string())
                                                                             for v in values]
    table = pa.Table.from_arrays(arrays, names=["src", "_row", *cols])
    con.register(f"{name}_arrow", table)
    try:
        con.execute(f'CREATE TEMP TABLE "{name}_r" AS SELECT * FROM "{name}_arrow"')
        con.execute(f'CREATE TEMP VIEW "{name}" AS SELECT rowid AS _r, * FROM "{name}_r"')
    finally:
        con.unregister(f"{name}_arrow")
    return CsvTable(name, cols, notes, len(src_ids))


def _records(lines: Iterator[tuple[int, str]], delim: str, width) -> Iterator[tuple[int, int, list | None, object]]:
    """(first line, last line, fields, raw) per record, or (first, last, None, (raw, reason)) per bad one.

    Physical lines are gathered until their quotes balance (``""`` inside a quoted field counts
    twice, so balance means the record is closed). A record of several lines with the wrong number
    of fields (``width()``; the header sets it) means a stray quote swallowed the lines after it:
    its first line is reported bad and the other lines are read again. Work stays linear: a line
    is read again at most once more than it is read. Consecutive bad records become one note.
    """
    pending: list[tuple[int, str]] = []
    size = quotes = 0
    again: deque[tuple[int, str]] = deque()
    bad: list[tuple[int, str, str]] = []  # a run of bad lines: (line, text, reason)

    def flush_bad():
        if bad:
            raw = "".join(t for _, t, _ in bad)
            yield bad[0][0], bad[-1][0], None, (raw, bad[0][2])
            bad.clear()

    def next_line():
        if again:
            return again.popleft()
        return next(lines, None)

    while True:
        item = next_line()
        if item is not None:
            pending.append(item)
            size += len(item[1])
            quotes += item[1].count('"')
            if quotes % 2 and size <= MAX_RECORD_BYTES:
                continue  # inside a quoted field: the record goes on
        if not pending:
            break
        text = "".join(t for _, t in pending)
        first, last = pending[0][0], pending[-1][0]
        closed = quotes % 2 == 0
        try:
            recs = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=False)) if closed else []
        except csv.Error:  # what strict=False still refuses counts as an unclosed record
            recs, closed = [], False
        want = width()
        if closed and len(recs) == 1 and (want is None or len(recs[0]) == want):
            yield from flush_bad()
            yield first, last, recs[0], text
        elif closed and not recs:  # a blank line
            pass
        elif len(pending) > 1:
            # a stray quote: the first line is bad, the lines after it are read again
            bad.append((first, pending[0][1], "malformed CSV record: unmatched quote or wrong number of fields"
                        if closed else "malformed CSV record: a quote that never closes"))
            again.extendleft(reversed(pending[1:]))
        else:
            n = len(recs[0]) if recs else 0
            reason = (f"malformed CSV record: expected {want} fields, found {n}" if closed and recs
                      else "malformed CSV record: a quote that never closes")
            bad.append((first, text, reason))
        pending, size, quotes = [], 0, 0
        if item is None and not again:
            break
    yield from flush_bad()


def _unique(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for i, n in enumerate(names):
        n = n or f"column{i}"
        base, k = n, 1
        while n in out:
            n, k = f"{base}_{k}", k + 1
        out.append(n)
    return out


def _lines_capped(text: io.TextIOBase, notes: list[Note]) -> Iterator[tuple[int, str]]:
    """(number, physical line), with absurdly long lines dropped (and noted) so one line cannot
    exhaust memory."""
    lineno = 0
    while True:
        line = text.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        lineno += 1
        if len(line) > MAX_RECORD_BYTES and not line.endswith(("\n", "\r")):
            while True:  # skip the rest of this physical line
                more = text.readline(MAX_RECORD_BYTES)
                if not more or more.endswith(("\n", "\r")):
                    break
            notes.append(Note(f"line {lineno}", f"line longer than the cap of {MAX_RECORD_BYTES} characters",
                              line[:1024]))
            continue
        yield lineno, line
