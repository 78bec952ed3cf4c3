"""Ingest: read user files into the store, every record ending stored, quarantined or skipped.

Sources are read in chunks of the same format (many small CSV files, or many pages of an
archive, in one scan), and each chunk is written in one transaction: a killed run leaves the
store as it was before the chunk, and running again finishes the job. A source whose content
was already ingested (same digest, format, market and overrides) is not read again: its
records all count as skipped.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from types import ModuleType

import duckdb
import pyarrow as pa

from dnmobs import DnmobsError
from dnmobs.ingest import csvread, formats
from dnmobs.ingest.ledger import Ledger
from dnmobs.ingest.loaders import LOADERS, Chunk, drop_quietly
from dnmobs.ingest.records import SCHEMAS, Batch, conform, conform_sql
from dnmobs.ingest.sources import Limits, Note, SourceFile, expand
from dnmobs.store import release_buffers


@dataclass
class SourceReport:
    path: str
    format: str | None
    market: str | None
    read: int = 0
    stored: int = 0
    quarantined: int = 0
    skipped: int = 0
    error: str | None = None
    unchanged: bool = False  # the same content was ingested before

    def as_json(self) -> dict:
        d = asdict(self)
        if not d["error"]:
            d.pop("error")
        return d


@dataclass
class IngestReport:
    sources: list[SourceReport] = field(default_factory=list)
    offers: int = 0

    @property
    def totals(self) -> dict:
        t = {k: sum(getattr(s, k) for s in self.sources) for k in ("read", "stored", "quarantined", "skipped")}
        t["sources"] = len(self.sources)
        t["errors"] = sum(1 for s in self.sources if s.error)
        t["offers"] = self.offers
        return t

    @property
    def errors(self) -> list[str]:
        return [s.error for s in self.sources if s.error]

    def as_json(self) -> dict:
        return {"sources": [s.as_json() for s in self.sources], "totals": self.totals}


@dataclass(frozen=True)
class Options:
    format: str | None = None
    market: str | None = None
    crawl_date: date | None = None
    mapping: Path | None = None
    limits: Limits = Limits()  # noqa: RUF009 (frozen, so sharing the default is safe)
    extract: bool = True
    engine: str = "local"  # 'dask': pages and WARC parsed on Dask ahead of loading (dask_engine)
    workers: int | None = None  # LocalCluster processes for the dask engine
    scheduler: str | None = None  # address of an existing Dask scheduler
    read_options: tuple = ()  # (name, value) pairs handed to format readers as ctx.options


Progress = Callable[[SourceReport, int], None]  # (a source's report, its size in bytes)


def ingest(con: duckdb.DuckDBPyConnection, paths: list[str], opts: Options = Options(),
           progress: Progress | None = None) -> IngestReport:
    if opts.mapping is not None and not Path(opts.mapping).is_file():
        raise DnmobsError(f"mapping file {opts.mapping} not found")
    if opts.engine not in ("local", "dask"):
        raise DnmobsError(f"unknown engine {opts.engine!r}: use local or dask")
    if opts.engine == "dask":  # parse on Dask ahead; this same path loads what it parsed
        from dnmobs.ingest.dask_engine import parse_ahead

        with parse_ahead(paths, opts) as prepared:
            return ingest(con, paths, replace(opts, engine="local", read_options=(("prepared", prepared),)),
                          progress)
    forced = formats.get(opts.format) if opts.format else None
    report = IngestReport()
    ledger = Ledger(con)

    def done(rep: SourceReport, size: int) -> None:
        report.sources.append(rep)
        if progress:
            progress(rep, size)

    # extraction may start on what each chunk stored while the next one loads (AHEAD)
    with _step(AHEAD)(con, opts.extract) as chunk_done:
        pending: list[SourceFile] = []
        pending_fmt: ModuleType | None = None

        def flush() -> None:
            nonlocal pending, pending_fmt
            if pending:
                try:
                    for rep, src in zip(_run_chunk(ledger, pending, pending_fmt, opts), pending, strict=True):
                        done(rep, src.size)
                    chunk_done()
                finally:
                    for src in pending:
                        src.cleanup()
            pending, pending_fmt = [], None

        for group in expand(paths, opts.limits):
            if group.error:
                done(SourceReport(group.path, None, opts.market, error=group.error), 0)
                continue
            try:
                for src in group.files:
                    fmt, rep = _classify(ledger, src, forced, opts)
                    if rep is not None:
                        done(rep, src.size)
                        src.cleanup()
                        continue
                    if pending and (fmt is not pending_fmt or len(pending) >= formats.chunk_size(fmt)):
                        flush()
                    pending.append(src)
                    pending_fmt = fmt
            except DnmobsError as exc:
                flush()
                done(SourceReport(group.path, None, opts.market, error=str(exc)), 0)
        flush()
        for step in AFTER_LOAD:
            report.offers += _step(step)(con, opts.extract)
    return report


# What runs once the records are stored, in order: each step takes (con, extract) and returns the
# offers it added. Each finds its own unfinished work in the store, so a killed run is caught up by
# the next one, and `--no-extract` work by a later ingest.
AFTER_LOAD = (
    "dnmobs.extract.store:after_load",      # offers of observations
    "dnmobs.messengers.offers:after_ingest",  # offers of message menus, repost groups
)


# Entered (con, extract) before loading, left after the steps above; it yields a function called
# after each committed chunk: extraction parses what a chunk stored while the next one loads.
AHEAD = "dnmobs.extract.store:parse_ahead"


def _step(name: str) -> Callable:
    module, _, func = name.partition(":")
    return getattr(importlib.import_module(module), func)


def ingest_key(src: SourceFile, fmt: ModuleType, opts: Options) -> str:
    """Same key, same outcome: the bytes, how they are read, and (for formats whose records depend on
    where a file sits, such as saved pages named by URL) the path."""
    parts = [src.sha256, fmt.NAME, (opts.market or "").lower(), str(opts.crawl_date or "")]
    if opts.mapping is not None:
        parts.append(hashlib.sha256(Path(opts.mapping).read_bytes()).hexdigest())
    if getattr(fmt, "KEY_BY_PATH", False):
        parts.append(src.member or src.path)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# Files a saved-page mirror carries beside its pages (wget keeps a query string in the name).
_ASSET = re.compile(r"\.(css|js|mjs|map|woff2?|ttf|eot|otf|svg|png|jpe?g|gif|ico|webp|bmp|swf)(\?[^/]*)?$", re.I)


def _classify(ledger: Ledger, src: SourceFile, forced: ModuleType | None, opts: Options
              ) -> tuple[ModuleType | None, SourceReport | None]:
    """The format of a source, or a final report when it needs no reading (refused, unknown, unchanged)."""
    if src.notes and src.size == 0 and src.data == b"":  # refused by the archive reader
        return None, _write_unread(ledger, src, opts, src.notes)
    fmt = forced or formats.detect(src)
    if fmt is None:
        head = src.head(4096)
        asset = _ASSET.search(src.name)
        why = ("empty file" if not head else
               f"not listing data: a web asset ({asset.group(1).lower()}) beside the pages" if asset else
               "binary content, not a known format" if formats.looks_binary(head) else
               "unknown format (give --format; `dnmobs formats` lists them)")
        return None, _write_unread(ledger, src, opts, [*src.notes, Note("file", why)], ignored=bool(asset))
    prev = ledger.previous(ingest_key(src, fmt, opts))
    if prev is not None and prev[0] in ("complete", "partial"):
        # the same bytes read the same way: nothing new, and the same damage as before
        return fmt, SourceReport(src.path, fmt.NAME, _market(fmt, opts), read=prev[1], skipped=prev[1],
                                 unchanged=True, error=prev[2])
    return fmt, None


def _market(fmt: ModuleType | None, opts: Options) -> str | None:
    m = opts.market or (fmt.MARKET if fmt else None)
    return m.lower() if m else None


def _source_row(sid: int, src: SourceFile, fmt: str | None, market: str | None, key: str,
                rep: SourceReport, status: str | None = None) -> dict:
    return {"source_id": sid, "path": src.path, "member": src.member, "sha256": src.sha256, "size": src.size,
            "format": fmt, "market": market, "ingest_key": key, "status": status or _status(rep),
            "error": rep.error, "n_read": rep.read, "n_stored": rep.stored, "n_quarantined": rep.quarantined,
            "n_skipped": rep.skipped}


def _write_unread(ledger: Ledger, src: SourceFile, opts: Options, notes: list[Note],
                  ignored: bool = False) -> SourceReport:
    """A source that could not be read at all: one quarantine row per note, one failed (or, for a
    mirror's web assets, ignored) source row, written once: the same file again is reported the same
    way without new rows."""
    market = _market(None, opts)
    key = hashlib.sha256(f"unread\x1f{src.sha256}\x1f{src.path}".encode()).hexdigest()
    prev = ledger.previous(key)
    if prev is not None:
        return SourceReport(src.path, None, market, read=prev[1], skipped=prev[1], unchanged=True, error=prev[2])
    rep = SourceReport(src.path, None, market, read=len(notes), quarantined=len(notes),
                       error=None if ignored else f"{src.path}: {notes[-1].reason}")
    (sid,) = ledger.ids(1)
    row = _source_row(sid, src, None, market, key, rep, status="ignored" if ignored else "failed")
    ledger.write([row], [(sid, src.path, n) for n in notes])
    ledger.committed([row])
    return rep


def _status(rep: SourceReport) -> str:
    """complete; partial: read, but damage lost part of it (the error says where); failed: unreadable."""
    if not rep.error:
        return "complete"
    return "partial" if rep.stored or rep.skipped else "failed"


def _run_chunk(ledger: Ledger, srcs: list[SourceFile], fmt: ModuleType, opts: Options,
               careful: bool = False) -> list[SourceReport]:
    """Read and load a chunk in one transaction. If the reader fails, each source is retried alone
    and carefully (csvread.careful: tolerant readers only, no DuckDB error can abort the
    transaction), so the failure is pinned on the one source that caused it and the records it
    still holds are kept. A source that fails even then is recorded as failed, with the reason."""
    con = ledger.con
    con.execute("BEGIN TRANSACTION")
    try:
        with csvread.careful(careful):
            reps, rows = _load_chunk(ledger, srcs, fmt, opts, allow_failure=careful and len(srcs) == 1)
        con.execute("COMMIT")
        ledger.committed(rows)
        return reps
    except _ChunkFailed as exc:
        con.execute("ROLLBACK")
        if not careful or len(srcs) > 1:
            return [rep for src in srcs for rep in _run_chunk(ledger, [src], fmt, opts, careful=True)]
        return [_write_unread(ledger, srcs[0], opts, [*srcs[0].notes, Note("file", str(exc))])]
    except BaseException:
        con.execute("ROLLBACK")
        raise


class _ChunkFailed(Exception):
    pass


def _load_chunk(ledger: Ledger, srcs: list[SourceFile], fmt: ModuleType, opts: Options,
                allow_failure: bool) -> tuple[list[SourceReport], list[dict]]:
    con = ledger.con
    market = _market(fmt, opts)
    ids = ledger.ids(len(srcs))
    reps = [SourceReport(s.path, fmt.NAME, market) for s in srcs]
    notes: list[Note] = []
    con.register("_fb_in", pa.table({
        "src": pa.array(range(len(srcs)), pa.int32()), "source_id": pa.array(ids, pa.int64()),
        "market": pa.array([market] * len(srcs), pa.string()),
        "d1": pa.array([s.name_date for s in srcs], pa.date32()),
        "d2": pa.array([s.path_date for s in srcs], pa.date32()),
        "d3": pa.array([opts.crawl_date] * len(srcs), pa.date32())}))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _fb AS SELECT * FROM _fb_in")
    finally:
        con.unregister("_fb_in")
    ctx = formats.ReadContext(con, market=opts.market, crawl_date=opts.crawl_date, mapping=opts.mapping,
                              options=dict(opts.read_options))
    chunk = Chunk(fmt.MARKET_KIND)
    batches: Iterator[Batch] = fmt.read(srcs, ctx)
    failed: str | None = None
    unsaved = 0  # records committed since the last checkpoint (COMMIT_BATCHES)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            break
        except DnmobsError as exc:
            failed = str(exc)
        except duckdb.Error as exc:  # the transaction is aborted: only a rollback helps
            raise _ChunkFailed(f"reader failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                               ) from None
        except (UnicodeError, ValueError, OSError, LookupError) as exc:
            failed = f"reader failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        if failed:
            if not allow_failure:
                raise _ChunkFailed(failed)
            # a lone source keeps what its reader gave before failing; the failure is one more record
            notes.append(Note(f"after record {reps[0].read + reps[0].stored}", failed))
            reps[0].error = f"{srcs[0].path}: {failed}"
            break
        notes.extend(batch.quarantine)
        if batch.n_records:
            res = _load_batch(con, batch, chunk)
            for i, rep in enumerate(reps):
                rep.stored += res.stored.get(i, 0)
                rep.skipped += res.skipped.get(i, 0)
            notes.extend(res.refused)
            if getattr(fmt, "COMMIT_BATCHES", False):
                # DuckDB holds uncommitted rows in memory, beyond its memory limit: a source of millions of
                # records keyed by their own ids is committed a batch at a time (a rerun skips what is in),
                # and checkpointed: below the store's high checkpoint threshold, blocks stay in memory.
                # A format may checkpoint every so many records of one kind instead (CHECKPOINT_RECORDS)
                con.execute("COMMIT")
                kind, every = getattr(fmt, "CHECKPOINT_RECORDS", (batch.kind, 0))
                unsaved += batch.n_records if batch.kind == kind else 0
                if unsaved >= every:
                    con.execute("CHECKPOINT")
                    unsaved = 0
                release_buffers(con)  # the blocks written would stay cached: memory would follow the source
                con.execute("BEGIN TRANSACTION")
    # notes the sources gathered while being opened (a damaged gzip stream, say): what came before
    # the damage is kept, and the damage is that source's one-line error
    for i, s in enumerate(srcs):
        notes.extend(Note(n.location, n.reason, n.raw, i) for n in s.notes)
        if s.notes and not reps[i].error:
            reps[i].error = f"{s.path}: {s.notes[0].reason}"
    ledger.forget_failures(srcs)
    for n in notes:
        reps[n.src].quarantined += 1
    rows = []
    for sid, src, rep in zip(ids, srcs, reps, strict=True):
        rep.read = rep.stored + rep.skipped + rep.quarantined
        rows.append(_source_row(sid, src, fmt.NAME, market, ingest_key(src, fmt, opts), rep))
    ledger.write(rows, [(ids[n.src], srcs[n.src].path, n) for n in notes])
    return reps, rows


def _load_batch(con, batch: Batch, chunk: Chunk):
    """Present the batch to its loader as the view ``_in`` (schema columns plus ``_r``)."""
    schema = SCHEMAS[batch.kind]
    temps: list[str] = []
    try:
        if batch.table is not None:
            table = conform(batch.table, schema)
            table = table.append_column("_r", pa.array(range(table.num_rows), pa.int64()))
            con.register("_arrow_in", table)
            sql, present = "SELECT * FROM _arrow_in", [*schema.names, "_r"]
        else:
            sql = batch.sql
            present = [r[0] for r in con.execute(f"DESCRIBE {sql}").fetchall()]
            if "_r" not in present:  # give the records stable numbers by materialising them once
                con.execute(f"CREATE OR REPLACE TEMP TABLE _batch AS {sql}")
                temps.append("_batch")
                sql, present = "SELECT rowid AS _r, * FROM _batch", [*present, "_r"]
        con.execute(f"CREATE OR REPLACE TEMP VIEW _in AS {conform_sql(sql, present, schema)}")
        return LOADERS[batch.kind](con, "_in", chunk)
    finally:
        drop_quietly(con, "VIEW _in", *temps)
        if batch.table is not None:
            con.unregister("_arrow_in")
