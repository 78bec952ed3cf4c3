"""The ledger of sources for one ingest run: what the store already holds, and the bookkeeping
rows (sources, quarantine) written in bulk.

It is read once per run, so deciding that a source is unchanged costs a dictionary lookup, not a
query: archives of saved pages have thousands of small members.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from dnmobs.ingest.sources import Note, SourceFile

MAX_RAW = 64 * 1024

_SOURCES = pa.schema([
    ("source_id", pa.int64()), ("path", pa.string()), ("member", pa.string()), ("sha256", pa.string()),
    ("size", pa.int64()), ("format", pa.string()), ("market", pa.string()), ("ingest_key", pa.string()),
    ("status", pa.string()), ("error", pa.string()), ("n_read", pa.int64()), ("n_stored", pa.int64()),
    ("n_quarantined", pa.int64()), ("n_skipped", pa.int64()),
])


class Ledger:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        # ingest_key -> (status, n_read, error) of every source already recorded
        self.known: dict[str, tuple[str, int, str | None]] = {
            key: (status, n, err) for key, status, n, err in con.execute(
                "SELECT ingest_key, status, n_read, error FROM sources").fetchall()}
        self.failed: set[tuple[str, str]] = {
            (p, h) for p, h in con.execute("SELECT path, sha256 FROM sources WHERE status = 'failed'").fetchall()}

    def previous(self, key: str) -> tuple[str, int, str | None] | None:
        return self.known.get(key)

    def ids(self, n: int) -> list[int]:
        return [r[0] for r in self.con.execute("SELECT nextval('seq_source_id') FROM range(?)", [n]).fetchall()]

    def forget_failures(self, srcs: list[SourceFile]) -> None:
        """Drop earlier failed attempts at these same bytes (and their quarantine rows): a file that
        now reads leaves no stale failure behind."""
        stale = [(s.path, s.sha256) for s in srcs if (s.path, s.sha256) in self.failed]
        if not stale:
            return
        q = "SELECT source_id FROM sources WHERE status = 'failed' AND (path, sha256) IN (SELECT * FROM _stale)"
        self.con.register("_stale", pa.table({"path": [p for p, _ in stale], "sha256": [h for _, h in stale]}))
        try:
            self.con.execute(f"DELETE FROM quarantine WHERE source_id IN ({q})")
            self.con.execute(f"DELETE FROM sources WHERE source_id IN ({q})")
        finally:
            self.con.unregister("_stale")
        self.failed.difference_update(stale)

    def write(self, rows: list[dict], notes: list[tuple[int, str, Note]]) -> None:
        """Source rows (dicts with the sources columns) and quarantine rows ((source_id, path, note))."""
        if notes:
            q = pa.table({
                "source_id": pa.array([sid for sid, _, _ in notes], pa.int64()),
                "path": [p for _, p, _ in notes],
                "location": [n.location for _, _, n in notes],
                "raw": [(n.raw or "")[:MAX_RAW] or None for _, _, n in notes],
                "reason": [n.reason for _, _, n in notes],
            })
            self.con.register("_qin", q)
            try:
                self.con.execute("INSERT INTO quarantine (source_id, path, location, raw, reason) "
                                 "SELECT source_id, path, location, raw, reason FROM _qin")
            finally:
                self.con.unregister("_qin")
        if rows:
            self.con.register("_sin", pa.Table.from_pylist(rows, schema=_SOURCES))
            try:
                self.con.execute(f"INSERT INTO sources ({', '.join(_SOURCES.names)}) SELECT * FROM _sin")
            finally:
                self.con.unregister("_sin")

    def committed(self, rows: list[dict]) -> None:
        """Remember sources once their transaction committed."""
        for r in rows:
            self.known[r["ingest_key"]] = (r["status"], r["n_read"], r["error"])
            if r["status"] == "failed":
                self.failed.add((r["path"], r["sha256"]))
