"""The embedded DuckDB store: opening, migrating, and small shared helpers.

All DDL lives in ``migrations/NNNN_name.sql``; they are applied in order, forward only,
and each applied version is recorded in ``schema_version``.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

import duckdb

from dnmobs import DnmobsError

DEFAULT_DB = "dnmobs.duckdb"
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def default_db_path() -> str:
    return os.environ.get("DNMOBS_DB") or DEFAULT_DB


def all_migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("dnmobs.store.migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return found


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration newer than the store; returns the versions applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    current = schema_version(con)
    known = all_migrations()
    if known and current > known[-1][0]:
        raise DnmobsError(
            f"the store is at schema version {current}, newer than this dnmobs knows ({known[-1][0]}); "
            "upgrade dnmobs"
        )
    applied = []
    for version, name, sql in known:
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


def memory_limit() -> str:
    """DuckDB's memory limit for dnmobs: DNMOBS_MEMORY_LIMIT, else 1.5GB. DuckDB would take 80% of the
    machine's memory; a bounded share keeps dnmobs a good neighbour (ingest of the 2.8 M-row Agora panel
    peaks near 1.6 GB), and larger work spills to disk."""
    return os.environ.get("DNMOBS_MEMORY_LIMIT", "1.5GB")


BUFFERS_KEPT = "128MB"  # what release_buffers leaves cached: the working set of one batch, an index


def release_buffers(con: duckdb.DuckDBPyConnection, keep: str | None = None) -> None:
    """Evict DuckDB's cached table blocks beyond ``keep`` (default ``BUFFERS_KEPT``). Blocks a checkpoint
    wrote, or a scan read, stay in memory until the memory limit presses, so a long ingest would grow
    towards the limit only by caching what it wrote. DuckDB has no call to drop its cache: lowering the
    limit evicts, and the limit is set back at once (from its source: the value DuckDB reports is
    rounded). Call it between statements on the only connection at work: a query running meanwhile would
    see the low limit."""
    try:
        con.execute(f"SET memory_limit = '{keep or BUFFERS_KEPT}'")
    except duckdb.Error:
        pass  # more than ``keep`` is pinned by work in progress: nothing to release now
    finally:
        con.execute(f"SET memory_limit = '{memory_limit().replace(chr(39), '')}'")


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating and migrating as needed) the store at ``path``."""
    target = str(path) if path is not None else default_db_path()
    if target != ":memory:":
        parent = Path(target).expanduser().resolve().parent
        if not parent.is_dir():
            raise DnmobsError(f"cannot create store {target}: folder {parent} does not exist")
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.IOException as exc:
        raise DnmobsError(f"cannot open store {target}: {str(exc).splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise DnmobsError(f"cannot open store {target}: {str(exc).splitlines()[0]}") from None
    # Progress bars are ours to draw; DuckDB's own would interleave with them.
    con.execute("SET enable_progress_bar = false")
    con.execute("SET checkpoint_threshold = '1GB'")
    limit = memory_limit()
    try:
        con.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
    except duckdb.Error:
        raise DnmobsError(f"DNMOBS_MEMORY_LIMIT={limit!r} is not a memory size (like 1.5GB or 800MB)") from None
    if not read_only:
        migrate(con)
    return con


def ensure_market(con: duckdb.DuckDBPyConnection, market: str, kind: str = "unknown",
                  display_name: str | None = None) -> None:
    con.execute(
        "INSERT INTO markets (market, kind, display_name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [market, kind, display_name or market],
    )
