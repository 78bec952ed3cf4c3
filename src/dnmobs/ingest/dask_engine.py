"""Parse saved pages and WARC files on Dask, then load them through the ordinary ingest path.

`dnmobs ingest --engine dask` runs two passes over the same inputs, side by side:
  - ahead (a planner thread here, the parsing on Dask workers): the sources of formats that
    can parse one source on its own (a module-level ``parse_source``: pages, warc) are cut into
    shards (up to SHARD_PAGES saved pages, or one WARC file) and parsed on the workers; each
    shard comes back as Parquet (one file per record kind, plus the quarantine notes), which a
    collector thread writes to a temporary folder;
  - behind (the caller's thread): the ordinary ingest, whose readers take each source's parsed
    blocks from those files instead of parsing (``ctx.options['prepared']``) and load them
    through the same loaders, in the same chunks and order. The store is therefore the same as
    with the local engine, to the row.
Workers must see input files at the same paths (a LocalCluster, or a cluster on shared storage);
archive members are sent to them with the task. At most WINDOW_PER_WORKER shards per worker are
parsed ahead of their Parquet being written, which bounds the workers' memory.
"""

from __future__ import annotations

import io
import queue
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dnmobs import DnmobsError
from dnmobs.ingest import formats
from dnmobs.ingest.formats.pages import Block
from dnmobs.ingest.records import SCHEMAS
from dnmobs.ingest.sources import Note, SourceFile, expand

if TYPE_CHECKING:
    from dnmobs.ingest import Options

SHARD_PAGES = 256
SHARD_BYTES = 8 * 1024 * 1024  # archive members travel with the task: keep each task small
WINDOW_PER_WORKER = 4
SHARD_TIMEOUT = 900  # seconds a shard may take before its pages are parsed in the driver instead
_NOTES = pa.schema([("_s", pa.int32()), ("_b", pa.int32()), ("location", pa.string()), ("reason", pa.string()),
                    ("raw", pa.string())])

Key = tuple[str, str]  # a source's display path and digest


def _key(src: SourceFile) -> Key:
    return (src.path, src.sha256)


def parallel(fmt: ModuleType | None) -> bool:
    return fmt is not None and callable(getattr(fmt, "parse_source", None))


# --- on the workers ------------------------------------------------------------------------------


def parse_shard(srcs: list[SourceFile], fmt_name: str, market: str | None, crawl_date) -> dict[str, bytes]:
    """Parse a shard's sources; kind -> Parquet bytes, rows tagged with their source (_s) and block (_b)."""
    fmt = formats.get(fmt_name)
    ctx = formats.ReadContext(None, market=market, crawl_date=crawl_date)  # type: ignore[arg-type]
    rows: dict[str, list[dict]] = {}
    notes: list[dict] = []
    for s, src in enumerate(srcs):
        try:
            for b, block in enumerate(fmt.parse_source(src, ctx)):
                for kind, recs in block.records.items():
                    rows.setdefault(kind, []).extend({**r, "_s": s, "_b": b} for r in recs)
                notes.extend({"_s": s, "_b": b, "location": n.location, "reason": n.reason, "raw": n.raw}
                             for n in block.notes)
        finally:
            src.cleanup()
    out = {}
    for kind, recs in rows.items():
        schema = SCHEMAS[kind]
        schema = pa.schema([*[f for f in schema if f.name != "src"], ("_s", pa.int32()), ("_b", pa.int32())])
        out[kind] = _parquet(pa.Table.from_pylist(recs, schema=schema))
    out["_notes"] = _parquet(pa.Table.from_pylist(notes, schema=_NOTES))
    return out


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


# --- in the driver -------------------------------------------------------------------------------


class Prepared:
    """Blocks parsed ahead on Dask, by source. ``has``/``blocks`` are what the readers call."""

    def __init__(self, client, paths: list[str], opts: Options, workdir: Path):
        self._client = client
        self._paths = list(paths)
        self._opts = opts
        self._dir = workdir
        self._next_sid = 0
        self._cond = threading.Condition()
        self._where: dict[Key, tuple[int, int]] = {}  # source -> (shard, index in shard)
        self._ready: dict[int, Path | None] = {}  # shard -> its folder (None: parsing failed)
        self._planned_all = False
        self._stop = False
        self._slots = threading.Semaphore(WINDOW_PER_WORKER * max(1, _n_workers(client)))
        self._queue: queue.Queue = queue.Queue()
        self._cache: tuple[int, dict[str, pa.Table]] | None = None
        self.error: str | None = None
        self._threads = [threading.Thread(target=self._plan, name="dnmobs-dask-plan", daemon=True),
                         threading.Thread(target=self._collect, name="dnmobs-dask-collect", daemon=True)]
        for t in self._threads:
            t.start()

    # planner: expand the inputs as ingest will, and submit shards of parallel formats
    def _plan(self) -> None:
        forced = formats.get(self._opts.format) if self._opts.format else None
        shard: list[SourceFile] = []
        shard_fmt: ModuleType | None = None
        size = 0
        try:
            for group in expand(self._paths, self._opts.limits):
                try:
                    for src in group.files:
                        if self._stop:
                            return
                        if src.notes and src.size == 0 and src.data == b"":
                            continue  # refused by the archive reader: ingest records it
                        fmt = forced or formats.detect(src)
                        if not parallel(fmt):
                            continue
                        whole = getattr(fmt, "CHUNK", 1) == 1  # a WARC is a shard by itself
                        if shard and (fmt is not shard_fmt or whole or len(shard) >= SHARD_PAGES
                                      or size >= SHARD_BYTES):
                            self._submit(shard, shard_fmt)
                            shard, size = [], 0
                        shard.append(src)
                        shard_fmt = fmt
                        size += src.size
                        if whole:
                            self._submit(shard, fmt)
                            shard, size = [], 0
                except DnmobsError:
                    continue  # an unreadable archive: ingest reports it
            if shard:
                self._submit(shard, shard_fmt)
        except BaseException as exc:  # the loaders fall back to parsing here
            self.error = f"planning failed: {exc}"
        finally:
            self._queue.put(None)
            with self._cond:
                self._planned_all = True
                self._cond.notify_all()

    def _submit(self, srcs: list[SourceFile], fmt: ModuleType) -> None:
        self._slots.acquire()
        sid, self._next_sid = self._next_sid, self._next_sid + 1
        fut = self._client.submit(parse_shard, srcs, fmt.NAME, self._opts.market, self._opts.crawl_date, pure=False)
        with self._cond:
            for i, src in enumerate(srcs):
                self._where[_key(src)] = (sid, i)
            self._cond.notify_all()
        self._queue.put((sid, fut))

    # collector: write each finished shard's Parquet files
    def _collect(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            sid, fut = item
            folder: Path | None = self._dir / f"shard-{sid:06d}"
            try:
                parts = fut.result(timeout=SHARD_TIMEOUT)
                folder.mkdir()
                for kind, data in parts.items():
                    (folder / f"{kind}.parquet").write_bytes(data)
            except Exception as exc:  # a worker failed: these sources are parsed in the driver instead
                self.error = f"shard {sid} failed on Dask: {exc}"
                folder = None
            finally:
                fut.release()
                self._slots.release()
            with self._cond:
                self._ready.setdefault(sid, folder)  # unless the reader gave up waiting for it
                self._cond.notify_all()

    def has(self, src: SourceFile) -> bool:
        """Was this source sent to Dask (and did its shard come back)? Waits for the planner."""
        key = _key(src)
        with self._cond:
            while key not in self._where and not self._planned_all:
                self._cond.wait()
            if key not in self._where:
                return False
            sid = self._where[key][0]
            # a shard that does not come back (a hung worker) is parsed here instead
            if not self._cond.wait_for(lambda: sid in self._ready, timeout=SHARD_TIMEOUT):
                self._ready[sid] = None
                self.error = f"shard {sid} did not come back from Dask within {SHARD_TIMEOUT} s"
            return self._ready[sid] is not None

    def blocks(self, src: SourceFile) -> Iterator[Block]:
        sid, index = self._where[_key(src)]
        tables = self._tables(sid)
        by_block: dict[int, Block] = {}
        for kind, table in tables.items():
            mine = table.filter(pc.equal(table["_s"], index))
            if kind == "_notes":
                for r in mine.to_pylist():
                    by_block.setdefault(r["_b"], Block()).notes.append(Note(r["location"], r["reason"], r["raw"]))
                continue
            for r in mine.to_pylist():
                b = r.pop("_b")
                r.pop("_s")
                by_block.setdefault(b, Block()).records.setdefault(kind, []).append(r)
        for b in sorted(by_block):
            yield by_block[b]

    def _tables(self, sid: int) -> dict[str, pa.Table]:
        if self._cache is None or self._cache[0] != sid:
            folder = self._ready[sid]
            self._cache = (sid, {p.stem: pq.read_table(p) for p in sorted(folder.glob("*.parquet"))})  # type: ignore[union-attr]
        return self._cache[1]

    def close(self) -> None:
        self._stop = True
        for _ in range(len(self._threads)):
            self._slots.release()  # a planner waiting for a slot sees the stop
        for t in self._threads:
            t.join(timeout=30)


def _n_workers(client) -> int:
    try:
        return len(client.scheduler_info().get("workers", {}))
    except Exception:
        return 1


@contextmanager
def parse_ahead(paths: list[str], opts: Options) -> Iterator[Prepared]:
    """Start (or join) a Dask cluster and parse the inputs' pages ahead of ingest."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a declared dependency
        raise DnmobsError("--engine dask needs the 'distributed' package") from None
    workdir = Path(tempfile.mkdtemp(prefix="dnmobs-dask-"))
    cluster = None
    try:
        if opts.scheduler:
            try:
                client = Client(opts.scheduler, timeout=30)
            except (OSError, TimeoutError) as exc:
                raise DnmobsError(f"cannot reach the Dask scheduler at {opts.scheduler}: {exc}") from None
        else:
            cluster = LocalCluster(n_workers=opts.workers or 2, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        prepared = Prepared(client, paths, opts, workdir)
        try:
            yield prepared
        finally:
            prepared.close()
            client.close(timeout=30)
    finally:
        if cluster is not None:
            cluster.close(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
